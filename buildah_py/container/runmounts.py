"""``--mount`` specs (the RUN --mount syntax) turned into isolation mounts."""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import TYPE_CHECKING

from buildah_py.errors import ContainerError
from buildah_py.isolation.spec import Mount

if TYPE_CHECKING:
    from buildah_py.container.working import Container


def parse_spec(spec: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for part in spec.split(","):
        key, sep, value = part.partition("=")
        key = key.strip().lower()
        if not key:
            raise ContainerError(f"--mount {spec!r}: empty option")
        if key in out:
            raise ContainerError(f"--mount {spec!r}: repeated option {key!r}")
        out[key] = value if sep else "true"
    return out


def parse_mounts(ctr: Container, specs: Iterable[str]) -> list[Mount]:
    mounts: list[Mount] = []
    for spec in specs:
        opts = parse_spec(spec)
        kind = opts.pop("type", "bind")
        target = opts.pop("target", None) or opts.pop("dst", None) or opts.pop("destination", None)
        if not target or not target.startswith("/"):
            raise ContainerError(f"--mount {spec!r}: needs an absolute target=")
        readonly = opts.pop("ro", opts.pop("readonly", "false")).lower() in ("true", "1", "")
        if kind == "bind":
            source = opts.pop("source", None) or opts.pop("src", None)
            if not source:
                raise ContainerError(f"--mount {spec!r}: type=bind needs source=")
            if not os.path.exists(source):
                raise ContainerError(f"--mount {spec!r}: source {source} does not exist")
            if opts.pop("rw", "false").lower() in ("true", ""):
                readonly = False
            mounts.append(Mount("bind", target, os.path.abspath(source), readonly))
        elif kind == "tmpfs":
            size = opts.pop("size", opts.pop("tmpfs-size", None))
            mounts.append(Mount("tmpfs", target, None, False, (f"size={size}",) if size else ()))
        else:
            raise ContainerError(f"--mount {spec!r}: unsupported type {kind!r} (bind or tmpfs)")
        if opts:
            raise ContainerError(f"--mount {spec!r}: unknown option(s) {', '.join(sorted(opts))}")
    return mounts
