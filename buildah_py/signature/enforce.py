"""policy.json enforced on the source of a copy, before any of its blobs move.

:func:`check_source` wraps an ImageSource; the first read of its top-level manifest evaluates
the policy against those very bytes (their digest is what signatures must name), so a refused
image fails before the copy routine writes anything. Pull, ``from``, build and image copy call
it; with no policy file anywhere every image is accepted, as containers/image does.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, BinaryIO

from buildah_py.oci.descriptor import Descriptor
from buildah_py.oci.reference import Reference
from buildah_py.signature import gpg, lookaside, registries_d
from buildah_py.signature.errors import PolicyDenied, PolicyError, SignatureError
from buildah_py.signature.identity import matches
from buildah_py.signature.keys import load_public_key, verify_signature
from buildah_py.signature.payload import (
    SIGSTORE,
    SIGSTORE_PAYLOAD_TYPE,
    SIMPLE_SIGNING,
    parse_payload,
)
from buildah_py.signature.policy import Policy, Requirement, load_policy
from buildah_py.signature.scopes import docker_identity, docker_namespaces, path_scopes

if TYPE_CHECKING:
    from buildah_py.signature.attachments import SigstoreSignature
    from buildah_py.transports.names import ImageName
    from buildah_py.transports.options import RegistryFiles, RegistryOptions
    from buildah_py.transports.types import ImageSource


def policy_path(registry: RegistryOptions) -> str | None:
    """``--signature-policy``, else the first default policy file that exists."""
    if registry.signature_policy:
        return registry.signature_policy
    files = registry.files or _no_files()
    return next((p for p in files.policy_files if os.path.exists(p)), None)


def load_registry_policy(registry: RegistryOptions) -> Policy | None:
    path = policy_path(registry)
    return load_policy(path) if path else None


def _no_files() -> RegistryFiles:
    # Imported here: transports imports this module while it initialises.
    from buildah_py.transports.options import RegistryFiles

    return RegistryFiles()


def _read_key(path: str) -> bytes:
    try:
        with open(path, "rb") as fh:
            return fh.read(1 << 20)
    except OSError as err:
        raise SignatureError(f"cannot read key {path}: {err.strerror}") from err


def _digest_matches(raw: bytes, digest: str) -> bool:
    algo, _, hexpart = digest.partition(":")
    if algo not in ("sha256", "sha384", "sha512"):
        return False
    return hashlib.new(algo, raw).hexdigest() == hexpart


class _Evidence:
    """The image being checked and, fetched once when a rule first asks, its signatures."""

    def __init__(
        self, name: ImageName, src: ImageSource, registry: RegistryOptions, raw: bytes
    ) -> None:
        self.name, self.src, self.registry, self.raw = name, src, registry, raw
        self.digest = "sha256:" + hashlib.sha256(raw).hexdigest()
        self.docker_ref: Reference | None = None
        if name.transport == "docker":
            from buildah_py.transports.docker import docker_reference

            self.docker_ref = docker_reference(name.ref)
        self._conf: registries_d.RegistriesD | None = None
        self._gpg: list[bytes] | None = None
        self._sigstore: list[SigstoreSignature] | None = None
        self.where_gpg = self.where_sigstore = (
            f"the {name.transport or 'docker'} transport keeps no signatures here"
        )

    def conf(self) -> registries_d.RegistriesD:
        if self._conf is None:
            files = self.registry.files or _no_files()
            self._conf = registries_d.load(files.registries_d, files.default_lookaside)
        return self._conf

    def gpg_signatures(self) -> list[bytes]:
        if self._gpg is None:
            self._gpg = []
            if self.docker_ref is not None:
                base = self.conf().lookaside(self.docker_ref, write=False)
                self.where_gpg = f"lookaside {base}"
                if base.startswith(("file://", "http://", "https://")):
                    self._gpg = lookaside.read_signatures(base, self.digest)
                else:
                    self.where_gpg += " (only file://, http:// and https:// are read)"
        return self._gpg

    def sigstore_signatures(self) -> list[SigstoreSignature]:
        if self._sigstore is None:
            self._sigstore = []
            client, real = getattr(self.src, "client", None), getattr(self.src, "ref", None)
            if self.docker_ref is not None and not self.conf().use_attachments(self.docker_ref):
                self.where_sigstore = f"registries.d does not set use-sigstore-attachments for {self.docker_ref.repository}"
            elif client is not None and isinstance(real, Reference):
                from buildah_py.signature.attachments import Attachments

                self.where_sigstore = (
                    f"attachment {real.repository}:{self.digest.replace(':', '-')}.sig"
                )
                self._sigstore = Attachments(client, real).read(self.digest)
        return self._sigstore


def _signed_by(req: Requirement, ev: _Evidence) -> str | None:
    sigs = ev.gpg_signatures()
    if not sigs:
        return f"no GPG signature found ({ev.where_gpg})"
    keys = [_read_key(p) for p in req.key_paths] + list(req.key_data)
    reasons: list[str] = []
    with gpg.Verifier(keys, ", ".join(req.key_paths) or "keyData") as verifier:
        for sig in sigs:
            done = verifier.verify(sig)
            if done is None:
                reasons.append("the signature is not valid for the trusted keys")
                continue
            reason = _claims(done.payload, SIMPLE_SIGNING, req, ev)
            if reason is None:
                return None
            reasons.append(reason)
    return f"no valid signature among {len(sigs)}: {reasons[0]}"


def _sigstore_signed(req: Requirement, ev: _Evidence) -> str | None:
    sigs = [s for s in ev.sigstore_signatures() if s.media_type == SIGSTORE_PAYLOAD_TYPE]
    if not sigs:
        return f"no sigstore signature found ({ev.where_sigstore})"
    keys = [load_public_key(_read_key(p), p) for p in req.key_paths]
    keys += [load_public_key(data, "keyData") for data in req.key_data]
    reasons: list[str] = []
    for sig in sigs:
        if not sig.signature:
            reasons.append("a signature layer has no signature annotation")
        elif not any(verify_signature(k, sig.payload, sig.signature) for k in keys):
            reasons.append("cryptographic verification failed for the trusted keys")
        elif (reason := _claims(sig.payload, SIGSTORE, req, ev)) is None:
            return None
        else:
            reasons.append(reason)
    return f"no valid signature among {len(sigs)}: {reasons[0]}"


def _claims(raw: bytes, kind: str, req: Requirement, ev: _Evidence) -> str | None:
    """Why a cryptographically valid payload still does not fit this image (None: it fits)."""
    try:
        claims = parse_payload(raw, kind)
    except SignatureError as err:
        return str(err)
    if not _digest_matches(ev.raw, claims.manifest_digest):
        return f"a signature is for {claims.manifest_digest}, not this image's {ev.digest}"
    return matches(req.identity, ev.docker_ref, claims.docker_reference)


_CHECKS: dict[str, Callable[[Requirement, _Evidence], str | None]] = {
    "insecureAcceptAnything": lambda req, ev: None,
    "reject": lambda req, ev: "every image is rejected here",
    "signedBy": _signed_by,
    "sigstoreSigned": _sigstore_signed,
}


def scopes_of(name: ImageName) -> tuple[str, str, list[str]]:
    """(transport, identity, namespaces) of an image name, for the policy lookup."""
    transport = name.transport or "docker"
    if transport == "docker":
        from buildah_py.transports.docker import docker_reference

        ref = docker_reference(name.ref)
        return transport, docker_identity(ref), docker_namespaces(ref)
    if transport == "containers-storage":
        return transport, name.ref, []
    identity, namespaces = path_scopes(name.path, name.ref)
    return transport, identity, namespaces


def evaluate(
    policy: Policy, name: ImageName, src: ImageSource, registry: RegistryOptions, raw: bytes
) -> None:
    """Raise PolicyDenied unless every requirement for the image's scope accepts it."""
    transport, identity, namespaces = scopes_of(name)
    scope, requirements = policy.requirements_for(transport, identity, namespaces)
    ev = _Evidence(name, src, registry, raw)
    for req in requirements:
        try:
            reason = _CHECKS[req.type](req, ev)
        except PolicyError:
            raise
        except SignatureError as err:
            reason = str(err)
        if reason is not None:
            raise PolicyDenied(name.text or str(name), req.type, scope, reason, policy.source)


class PolicyCheckedSource:
    """An ImageSource whose top-level manifest is accepted by the policy before it is returned."""

    def __init__(
        self, src: ImageSource, name: ImageName, policy: Policy, registry: RegistryOptions
    ) -> None:
        self.src, self.name, self.policy, self.registry = src, name, policy, registry
        self.reference = src.reference
        self._checked: bytes | None = None

    def get_manifest(self, digest: str | None = None) -> tuple[bytes, str]:
        raw, kind = self.src.get_manifest(digest)
        if digest is None and raw != self._checked:
            evaluate(self.policy, self.name, self.src, self.registry, raw)
            self._checked = raw
        return raw, kind

    def get_blob(self, desc: Descriptor) -> BinaryIO:
        return self.src.get_blob(desc)

    def close(self) -> None:
        self.src.close()

    def __getattr__(self, attr: str) -> Any:  # repo_tags, digest, ... of the wrapped source
        return getattr(self.src, attr)


def check_source(name: ImageName, src: ImageSource, registry: RegistryOptions) -> ImageSource:
    """`src`, checked against the signature policy when one applies (the one call copies make)."""
    policy = load_registry_policy(registry)
    if policy is None:
        return src
    return PolicyCheckedSource(src, name, policy, registry)
