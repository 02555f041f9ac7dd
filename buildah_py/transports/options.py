"""Typed options for moving images, built once at the edge (the CLI, the API's defaults) and
passed down whole: a misspelt option is a TypeError where it is written, never silently dropped.

The environment is never read here: where the user's credential files, registries.conf and
certs.d live arrives as a :class:`RegistryFiles` (``buildah_py.defaults.registry_files()``).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from buildah_py.oci.descriptor import Platform
from buildah_py.transports.registry.retry import RetryPolicy
from buildah_py.transports.verify import ProgressFn

#: Blobs copied at once.
DEFAULT_JOBS = 3
PULL_POLICIES = ("missing", "always", "never", "ifnewer")
FORMATS = ("oci", "docker")
COMPRESSIONS = ("gzip", "zstd", "none")
#: certs.d directories every user shares (containers/image and Docker read the same ones).
SYSTEM_CERTS_DIRS = ("/etc/containers/certs.d", "/etc/docker/certs.d")
#: The signature policy and registries.d every user shares.
SYSTEM_POLICY = "/etc/containers/policy.json"
SYSTEM_REGISTRIES_D = "/etc/containers/registries.d"
#: Where GPG signatures go when registries.d names no lookaside (containers/image's default for root).
SYSTEM_LOOKASIDE = "/var/lib/containers/sigstore"


@dataclass(frozen=True)
class Timeouts:
    """How long a registry may keep us waiting (seconds)."""

    connect: float = 30.0
    #: Idle read timeout: the longest wait for a registry's next bytes. A body that brings fewer
    #: than `idle_bytes` bytes in this long (a drip) counts as idle too, and fails.
    idle: float = 60.0
    idle_bytes: int = 1024

    def __post_init__(self) -> None:
        if self.connect <= 0 or self.idle <= 0 or self.idle_bytes < 1:
            raise ValueError(f"timeouts must be positive: {self}")


@dataclass(frozen=True)
class RegistryFiles:
    """Where the user's registry configuration lives (found in the environment at the edge)."""

    #: Credential files read in order when no authfile is given (first match wins).
    auth_files: tuple[str, ...] = ()
    #: Where ``login`` writes, and ``logout`` edits, when no authfile is given.
    login_file: str = ""
    #: One registries.conf that replaces the whole lookup (``CONTAINERS_REGISTRIES_CONF``).
    registries_conf: str | None = None
    #: The user's containers configuration directory (``~/.config/containers``): its
    #: ``registries.conf``, ``registries.conf.d`` and ``certs.d`` come before the system's.
    user_config_dir: str | None = None
    #: certs.d roots searched for a host's CA files and client keys, in order.
    certs_dirs: tuple[str, ...] = SYSTEM_CERTS_DIRS
    #: Signature policy files; the first that exists is enforced (none: every image is accepted).
    policy_files: tuple[str, ...] = (SYSTEM_POLICY,)
    #: registries.d directories; the first that exists is read (signature storage settings).
    registries_d: tuple[str, ...] = (SYSTEM_REGISTRIES_D,)
    #: The lookaside directory used when registries.d configures none.
    default_lookaside: str = SYSTEM_LOOKASIDE


@dataclass(frozen=True)
class RegistryOptions:
    """How to reach registries: ``--tls-verify``, ``--authfile``, ``--creds``, ``--cert-dir``, ...

    `files` None means the user's default files: the API fills them in from the environment
    (``buildah_py.defaults.user_registry_options``); transports given None use only the
    system-wide ones."""

    #: None: verify, unless registries.conf marks the registry insecure. False also allows HTTP.
    tls_verify: bool | None = None
    #: One credentials file read (and written by login) instead of the default ones.
    authfile: str | None = None
    #: ``USER:PASSWORD``, used instead of any file.
    creds: str | None = None
    #: A directory of ``*.crt`` CAs and client keys, replacing the certs.d lookup.
    cert_dir: str | None = None
    #: One registries.conf file, replacing the lookup.
    registries_conf: str | None = None
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    timeouts: Timeouts = field(default_factory=Timeouts)
    files: RegistryFiles | None = None
    #: ``--signature-policy``: this policy.json instead of the default ones.
    signature_policy: str | None = None

    def with_flags(
        self,
        *,
        tls_verify: bool | None = None,
        authfile: str | None = None,
        creds: str | None = None,
        cert_dir: str | None = None,
    ) -> RegistryOptions:
        """These options with each flag that is given (not None) replacing its setting."""
        return replace(
            self,
            tls_verify=self.tls_verify if tls_verify is None else tls_verify,
            authfile=authfile or self.authfile,
            creds=creds or self.creds,
            cert_dir=cert_dir or self.cert_dir,
        )


@dataclass(frozen=True)
class PullOptions:
    """One pull: where from (registry options), which platform, and when (the policy)."""

    registry: RegistryOptions = field(default_factory=RegistryOptions)
    #: missing, always, never or ifnewer (used where a local image may stand in).
    policy: str = "missing"
    #: The platform picked from an index (the host's when None).
    platform: Platform | None = None
    progress: ProgressFn | None = None
    jobs: int = DEFAULT_JOBS

    def __post_init__(self) -> None:
        if self.policy not in PULL_POLICIES:
            raise ValueError(f"unknown pull policy {self.policy!r}: use missing, always or never")


@dataclass(frozen=True)
class PushOptions:
    """One push (or export): the format and compression wanted, and how to reach the registry."""

    registry: RegistryOptions = field(default_factory=RegistryOptions)
    #: oci or docker; None keeps the image's own format where the destination takes it.
    format: str | None = None
    #: gzip, zstd or none; None keeps each layer's compression where it can.
    compression: str | None = None
    #: gzip or zstd level; given, every layer is compressed anew at it.
    compression_level: int | None = None
    progress: ProgressFn | None = None
    #: Repositories on the destination registry that may hold the blobs (mounted, not uploaded).
    mount_from: tuple[str, ...] = ()
    #: Upload blobs in PATCH chunks of this size instead of one request.
    chunk_size: int | None = None
    jobs: int = DEFAULT_JOBS

    def __post_init__(self) -> None:
        if self.format not in (None, *FORMATS):
            raise ValueError(f"unknown image format {self.format!r}; expected 'oci' or 'docker'")
        if self.compression not in (None, *COMPRESSIONS):
            raise ValueError(
                f"unknown compression {self.compression!r}; expected gzip, zstd or none"
            )
