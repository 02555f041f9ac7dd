"""A copy's cache inputs, taken from the files as it copies them.

A copy is keyed by the content of what it reads, so a cached build hashes its sources before
it knows whether to copy them. When no stored step was built on the container's state (a cold
build, or any step after one that ran), nothing can answer the copy whatever its sources hold:
it then runs first and is keyed after, each file hashed from the descriptor the copy opened,
its data still in the page cache. The context is walked and opened once instead of twice.

The inputs are those `BuildCache.context_inputs` gives for the same sources (the tests hold
the two to it), so a later build that looks the step up finds it.
"""

from __future__ import annotations

import os
import stat
import tarfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from buildah_py.container.cache import BuildCache
    from buildah_py.container.sources import Source


class CopyInputs:
    """Collects {source name: mode and digest or link target} for each entry copied."""

    def __init__(self, cache: BuildCache) -> None:
        self._cache = cache
        self.inputs: dict[str, str] = {}
        self._linked: dict[tuple[int, int], str] = {}  # a file linked twice is read once

    def entry(
        self,
        src: Source,
        rel: str,
        host: str,
        info: tarfile.TarInfo,
        st: os.stat_result | None,
        fd: int | None,
    ) -> None:
        """Note the entry at `rel` below `src` (its lstat `st` when the walk took one), once
        the copy is done with `fd`, its regular file's descriptor."""
        if st is None:
            st = os.lstat(host)
        name = f"{src.name}:/{rel}"  # as walk_source names it (`rel` is clean, relative)
        ident = (st.st_dev, st.st_ino)
        value = self._linked.get(ident) if stat.S_ISREG(st.st_mode) else None
        if value is None:
            value = self._cache.entry_input(st, host, lambda: info.linkname, fd=fd)
            if stat.S_ISREG(st.st_mode) and st.st_nlink > 1:
                self._linked[ident] = value
        self.inputs[name] = value


@dataclass(frozen=True)
class LateInputs:
    """A step's inputs two ways: `read()` takes them before it runs; `run(noted)` runs it,
    each input noted into `noted` as it goes (None: not noted)."""

    read: Callable[[], dict[str, str]]
    run: Callable[[CopyInputs | None], object]
