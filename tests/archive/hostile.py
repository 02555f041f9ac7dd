"""Crafting tar streams entry by entry, including ones no honest writer would produce."""

from __future__ import annotations

import io
import tarfile
from dataclasses import dataclass, field


@dataclass
class TarBuilder:
    buf: io.BytesIO = field(default_factory=io.BytesIO)

    def __post_init__(self) -> None:
        self.tar = tarfile.open(fileobj=self.buf, mode="w", format=tarfile.PAX_FORMAT)

    def _add(self, info: tarfile.TarInfo, data: bytes | None = None, **meta: object) -> TarBuilder:
        for key, value in meta.items():
            setattr(info, key, value)
        if data is not None:
            info.size = len(data)
        self.tar.addfile(info, io.BytesIO(data) if data is not None else None)
        return self

    def file(self, name: str, data: bytes = b"", **meta: object) -> TarBuilder:
        return self._add(tarfile.TarInfo(name), data, **meta)

    def dir(self, name: str, **meta: object) -> TarBuilder:
        info = tarfile.TarInfo(name)
        info.type, info.mode = tarfile.DIRTYPE, 0o755
        return self._add(info, **meta)

    def symlink(self, name: str, target: str, **meta: object) -> TarBuilder:
        info = tarfile.TarInfo(name)
        info.type, info.linkname = tarfile.SYMTYPE, target
        return self._add(info, **meta)

    def hardlink(self, name: str, target: str) -> TarBuilder:
        info = tarfile.TarInfo(name)
        info.type, info.linkname = tarfile.LNKTYPE, target
        return self._add(info)

    def device(self, name: str, major: int, minor: int) -> TarBuilder:
        info = tarfile.TarInfo(name)
        info.type, info.devmajor, info.devminor = tarfile.CHRTYPE, major, minor
        return self._add(info)

    def stream(self) -> io.BytesIO:
        self.tar.close()
        return io.BytesIO(self.buf.getvalue())

    def bytes(self) -> bytes:
        self.tar.close()
        return self.buf.getvalue()
