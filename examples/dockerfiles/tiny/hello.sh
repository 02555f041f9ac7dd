echo "hello from a scratch image"
