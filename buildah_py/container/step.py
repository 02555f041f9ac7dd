"""One step of a working container (run, copy or add) with its inputs resolved once.

``Container.run``/``copy``/``add`` build the step; the cache keys it (``key_op`` is the
operation as it enters the key) and the container executes it. Nothing is worked out twice.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from buildah_py.container import validate
from buildah_py.container.runmounts import RunMount, SecretSource
from buildah_py.isolation.runopts import RunOptions
from buildah_py.linux.mount import Mount

if TYPE_CHECKING:
    from buildah_py.container.image import Image
    from buildah_py.container.working import Container

#: Environment variables that reach RUN but never its cache key (docker and buildah agree).
PROXY_VARS = frozenset(
    n
    for v in ("HTTP_PROXY", "HTTPS_PROXY", "FTP_PROXY", "NO_PROXY", "ALL_PROXY")
    for n in (v, v.lower())
)


@dataclass(frozen=True)
class RunStep:
    """A command to run: argv, environment, user and working dir as the process gets them."""

    argv: tuple[str, ...]
    env: tuple[str, ...]
    user: str
    workdir: str  # absolute
    mounts: tuple[Mount | RunMount | str, ...]
    network: str | None
    hostname: str | None
    isolation: str
    runtime: str | None
    secrets: Mapping[str, SecretSource] | None
    ssh: Mapping[str, str] | None
    terminal: bool
    stdin: bool
    add_host: tuple[str, ...] = ()
    #: The container's run options with the run's own laid over them.
    options: RunOptions = RunOptions()

    @property
    def note(self) -> str:
        return shlex.join(self.argv)

    def key_op(self) -> dict[str, Any]:
        """The operation as it enters the cache key: proxy variables and secret values left out,
        and the run options (``-v``, ``--cap-add`` ...), which buildah leaves out too."""
        return {
            "kind": "run",
            "argv": list(self.argv),
            "env": sorted(e for e in self.env if e.partition("=")[0] not in PROXY_VARS),
            "user": self.user,
            "workdir": self.workdir,
            "mounts": [_mount_repr(m) for m in self.mounts],
            "network": self.network or "",
        }


@dataclass(frozen=True)
class CopyStep:
    """A copy (or an add) of `specs` to `dest`, relative to the working dir at the time."""

    kind: Literal["copy", "add"]
    specs: tuple[str, ...]
    dest: str
    workdir: str
    chown: str | None
    chmod: str | int | None
    checksum: str | None  # add only
    extract: bool  # add only: unpack local archives
    origin: Container | Image | str | None  # copy only: another container or image
    context: Path  # where local sources are read when there is no origin
    ignored: Callable[[str], bool] | None

    def __post_init__(self) -> None:
        """A TypeError naming the keyword for a value of the wrong type."""
        validate.opt_str("chown", self.chown)
        validate.opt_str("checksum", self.checksum)
        if self.chmod is not None:
            validate.of_type("chmod", self.chmod, (str, int), "a mode ('0755' or an int)")
        if self.ignored is not None and not callable(self.ignored):
            raise TypeError(f"ignored: want a callable, got {type(self.ignored).__name__}")

    @property
    def note(self) -> str:
        return f"{self.kind.upper()} {' '.join(self.specs)} {self.dest}"

    def key_op(self, origin_state: str | None) -> dict[str, Any]:
        """The operation as it enters the cache key (`origin_state`: what the origin holds)."""
        op: dict[str, Any] = {
            "kind": self.kind,
            "src": list(self.specs),
            "dest": self.dest,
            "workdir": self.workdir,
            "chown": self.chown,
            "chmod": self.chmod,
            "checksum": self.checksum,
            "extract": self.extract if self.kind == "add" else None,
        }
        if origin_state is not None:
            op["from"] = origin_state
        return op


def _mount_repr(m: Mount | RunMount | str) -> Any:
    if isinstance(m, str):
        return m
    if isinstance(m, Mount):
        return {
            "type": m.type,
            "target": m.target,
            "source": m.source,
            "readonly": m.readonly,
            "options": list(m.options),
        }
    return {
        "type": m.type,
        "target": m.target,
        "readonly": m.readonly,
        "options": dict(m.options.items()),
    }
