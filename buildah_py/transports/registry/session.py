"""Turn a reference plus user options into a configured client: registries.conf, TLS, credentials."""

from __future__ import annotations

from buildah_py.errors import TransportError
from buildah_py.oci.reference import Reference, parse_reference
from buildah_py.transports.options import RegistryFiles, RegistryOptions
from buildah_py.transports.registry.client import RegistryClient
from buildah_py.transports.registry.credentials import lookup_credentials
from buildah_py.transports.registry.regconf import RegistriesConf, registries_conf_for


def resolve(ref: Reference, conf: RegistriesConf) -> tuple[Reference, bool]:
    """Apply registries.conf: (the reference at its real location, insecure?); blocked raises."""
    entry = conf.find(ref.repository)
    if entry is None:
        return ref, False
    if entry.blocked:
        raise TransportError(
            f"docker://{ref}: registry {entry.prefix} is blocked in registries.conf; "
            "remove 'blocked = true' from its [[registry]] entry to use it"
        )
    moved = entry.rewrite(ref.repository)
    if moved != ref.repository:
        suffix = (f":{ref.tag}" if ref.tag else "") + (f"@{ref.digest}" if ref.digest else "")
        ref = parse_reference(moved + suffix)
    return ref, entry.insecure


def open_client(ref: Reference, options: RegistryOptions) -> tuple[RegistryClient, Reference]:
    """A client for `ref`'s registry and the reference to use there (it may be rewritten).

    ``tls_verify=None`` means: verify, unless registries.conf marks the registry insecure.
    ``False`` skips verification and allows plain HTTP (https is tried first)."""
    label = f"docker://{ref}"
    real, conf_insecure = resolve(ref, registries_conf_for(options))
    tls_verify = options.tls_verify
    insecure = tls_verify is False or (tls_verify is None and conf_insecure)
    cred = lookup_credentials(
        real.repository,
        creds=options.creds,
        authfile=options.authfile,
        auth_files=(options.files or RegistryFiles()).auth_files,
    )
    client = RegistryClient(
        real.domain, label=label, options=options, insecure=insecure, credentials=cred
    )
    return client, real
