"""Turn a reference plus user options into a configured client: registries.conf, TLS, credentials."""

from __future__ import annotations

from collections.abc import Mapping

from buildah_py.errors import TransportError
from buildah_py.oci.reference import Reference, parse_reference
from buildah_py.transports.registry.client import RegistryClient
from buildah_py.transports.registry.credentials import lookup_credentials
from buildah_py.transports.registry.regconf import RegistriesConf, load_registries_conf
from buildah_py.transports.registry.retry import RetryPolicy


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


def open_client(
    ref: Reference,
    *,
    tls_verify: bool | None = None,
    authfile: str | None = None,
    creds: str | None = None,
    cert_dir: str | None = None,
    registries_conf: str | None = None,
    policy: RetryPolicy | None = None,
    env: Mapping[str, str] | None = None,
) -> tuple[RegistryClient, Reference]:
    """A client for `ref`'s registry and the reference to use there (it may be rewritten).

    ``tls_verify=None`` means: verify, unless registries.conf marks the registry insecure.
    ``False`` skips verification and allows plain HTTP (https is tried first)."""
    label = f"docker://{ref}"
    real, conf_insecure = resolve(ref, load_registries_conf(registries_conf, env))
    insecure = tls_verify is False or (tls_verify is None and conf_insecure)
    cred = lookup_credentials(real.repository, creds=creds, authfile=authfile, env=env)
    client = RegistryClient(
        real.domain,
        label=label,
        insecure=insecure,
        credentials=cred,
        cert_dir=cert_dir,
        policy=policy,
        env=env,
    )
    return client, real
