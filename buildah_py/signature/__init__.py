"""Layer 4: image signatures as containers/image makes and checks them, and policy.json.

- ``sigstore``: ECDSA signatures stored as cosign's ``sha256-DIGEST.sig`` attachments, keys in
  cosign's encrypted PEM format (``keys``, ``secretbox``);
- ``gpg``: simple signing with GPG keys through the ``gpg`` program, stored in a lookaside
  directory (``lookaside``, ``registries_d``);
- ``policy``/``enforce``: containers-policy.json(5), checked before any blob of an image moves.

Nothing here is imported by ``buildah_py.transports`` at package import time except
``enforce``, which the pull path calls, and ``yamlsub``, which reads ``sync --src yaml`` files
too; submodules import only what they use.
"""
