"""The exception tree users catch; context is kept as attributes, never only in the message."""

from __future__ import annotations

import signal

from buildah_py.hints import FORCE


class BuildahPyError(Exception):
    """Base of every error buildah-py raises on purpose."""


# --- store -----------------------------------------------------------------
class StoreError(BuildahPyError):
    """Something is wrong in, or missing from, the local store."""


class BlobNotFound(StoreError):
    def __init__(self, digest: str) -> None:
        super().__init__(f"blob {digest} not found in the store")
        self.digest = digest


class DigestMismatch(StoreError):
    def __init__(self, expected: str, actual: str, what: str = "blob") -> None:
        super().__init__(f"{what} digest mismatch: expected {expected}, got {actual}")
        self.expected = expected
        self.actual = actual


class SizeMismatch(StoreError):
    def __init__(self, expected: int, actual: int, what: str = "blob") -> None:
        super().__init__(f"{what} size mismatch: expected {expected} bytes, got {actual}")
        self.expected = expected
        self.actual = actual


class NoSpace(StoreError):
    """The disk filled while writing `what` into `where`; `needed`/`free` in bytes (estimates)."""

    def __init__(
        self, what: str, where: str, needed: int | None, free: int, at_least: bool = False
    ) -> None:
        need = "needs more"
        if needed is not None:
            need = f"needs {'more than' if at_least else 'about'} {_mib(needed)}"
        super().__init__(
            f"no space left on device writing {what} into {where}: {need}, {_mib(free)} free"
        )
        self.what = what
        self.where = where
        self.needed = needed
        self.free = free


def _mib(n: int) -> str:
    if n >= 2**20:
        return f"{n / 2**20:.0f} MiB"
    return f"{n / 1024:.0f} KiB" if n >= 1024 else f"{n} bytes"


class ImageNotFound(StoreError):
    def __init__(self, name: str, why: str = "not found in the local store") -> None:
        super().__init__(f"image {name!r} {why}")
        self.name = name


class ContainerNotFound(StoreError):
    def __init__(self, name: str) -> None:
        super().__init__(f"container {name!r} not found")
        self.name = name


class NameInUse(StoreError):
    def __init__(self, name: str, kind: str = "container") -> None:
        super().__init__(f"{kind} name {name!r} is already in use")
        self.name = name
        self.kind = kind


class ImageInUse(StoreError):
    def __init__(self, image: str, containers: list[str]) -> None:
        super().__init__(f"image {image} is used by container(s) {', '.join(containers)} ({FORCE})")
        self.image = image
        self.containers = containers


# --- layers ----------------------------------------------------------------
class LayerError(BuildahPyError):
    """A layer tarball could not be read or applied."""


class UnsafeLayerEntry(LayerError):
    """A layer entry tried to reach outside the root it is applied to."""

    def __init__(self, entry: str, reason: str) -> None:
        super().__init__(f"layer entry {entry!r}: {reason}")
        self.entry = entry
        self.reason = reason


# --- images, references, transports -----------------------------------------
class ImageFormatError(BuildahPyError):
    """A manifest, index or config is malformed or of an unsupported kind."""


class ImageReferenceError(ValueError, BuildahPyError):
    """An image reference or transport name does not parse."""


class TransportError(BuildahPyError):
    """Moving an image between places failed."""


class RegistryError(TransportError):
    def __init__(self, status: int, url: str, reason: str) -> None:
        super().__init__(f"{url}: HTTP {status}: {reason}")
        self.status = status
        self.url = url
        self.reason = reason


class AuthError(TransportError):
    """The registry refused our credentials, or we have none for it."""


# --- running ---------------------------------------------------------------
class RunError(BuildahPyError):
    """A step could not be started (not: the step exited non-zero)."""


class IsolationUnavailable(RunError):
    """The host lacks what an isolation mode needs (namespaces, a runtime, ...)."""


class EmulationUnavailable(RunError):
    """A step's container is of an architecture this host neither runs nor emulates through
    qemu-user: `platform` (``os/arch``), the binfmt_misc `entry` missing or unusable, and the
    Debian `package` that provides it."""

    def __init__(self, message: str, platform: str, entry: str, package: str) -> None:
        super().__init__(message)
        self.platform = platform
        self.entry = entry
        self.package = package


class ExecutableNotFound(RunError):
    """The step's program is not in the rootfs (the container API makes it status 127)."""


class Interrupted(KeyboardInterrupt):
    """A signal (SIGINT, SIGTERM, SIGHUP: `signum`) cancelled the work: running steps were
    stopped first. A KeyboardInterrupt, so ``except Exception`` or ``except StepFailed``
    never swallows it."""

    def __init__(self, signum: int) -> None:
        super().__init__(f"interrupted by {signal.Signals(signum).name}")
        self.signum = signum


# --- containers and builds ---------------------------------------------------
class ContainerError(BuildahPyError):
    """A working-container operation got bad input (missing source, bad user, ...)."""


class DockerfileError(BuildahPyError):
    """A Dockerfile could not be built; `where` is 'file:line' when known."""

    def __init__(
        self, message: str, where: str | None = None, step_status: int | None = None
    ) -> None:
        super().__init__(f"{where}: {message}" if where else message)
        self.where = where
        #: The exit status of the RUN step that failed, which ``build`` exits with.
        self.step_status = step_status


class StepFailed(ContainerError):
    """A command run in a container exited non-zero; `stderr_tail`: the end of what it wrote
    to stderr (also when it streamed to the terminal)."""

    def __init__(self, argv: list[str], status: int, stderr_tail: str = "") -> None:
        last = stderr_tail.strip().splitlines()[-1:] if stderr_tail.strip() else []
        why = f": {last[0]}" if last else ""
        super().__init__(f"command {argv!r} exited with status {status}{why}")
        self.argv = argv
        self.status = status
        self.stderr_tail = stderr_tail


class CommandNotFound(StepFailed):
    """The step's program was not found (status 127), in exec form and shell form alike."""

    def __init__(self, argv: list[str], status: int = 127, stderr_tail: str = "") -> None:
        super().__init__(argv, status, stderr_tail)
