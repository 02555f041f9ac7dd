"""Our own OCI distribution-spec client (on urllib3) behind the ``docker://`` transport.

Modules, bottom up: ``retry`` (backoff), ``tls`` (certs.d), ``regconf`` (registries.conf),
``credentials`` (auth.json, helpers), ``connections`` (pools per origin), ``auth`` (challenges,
tokens), ``client`` (ping, auth, retries, safe redirects), ``download`` / ``upload`` (blobs),
``source`` / ``destination`` (the transport halves), ``session`` (wiring), ``login``.

Nothing is imported here, so naming one module (``registry.retry``, ``registry.regconf``)
does not load urllib3 and the rest of the client.
"""
