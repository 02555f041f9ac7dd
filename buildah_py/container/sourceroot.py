"""The root filesystem of another container or image, mounted for reading (COPY --from, mount from=)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from buildah_py.container.image import Image
from buildah_py.container.resolve import find_image
from buildah_py.errors import ContainerNotFound

if TYPE_CHECKING:
    from buildah_py.container.working import Container
    from buildah_py.storage import Store


class source_root:
    """Context manager: the root filesystem of another container or image, mounted for reading."""

    def __init__(self, store: Store, src: Container | Image | str) -> None:
        self.store = store
        self.src = src
        self._temp: Container | None = None
        self._ctr: Container | None = None

    def __enter__(self) -> Path:
        from buildah_py.container.working import Container

        src = self.src
        if isinstance(src, str):
            name = src
            try:
                src = Container.get(name, self.store)
            except ContainerNotFound:
                src = Image(self.store, find_image(self.store, name))
        if isinstance(src, Image):
            self._temp = Container.from_image(src.id, store=self.store, pull_policy="never")
            src = self._temp
        self._ctr = src
        return src.mount()

    def __exit__(self, *exc: object) -> None:
        assert self._ctr is not None
        self._ctr.umount()
        if self._temp is not None:
            self._temp.rm()
