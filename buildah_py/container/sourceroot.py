"""The root filesystem of another container or image, mounted for reading (COPY --from, mount from=)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from buildah_py.container.create import record_on_image
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
        self._mounted: str | None = None  # the container ID mounted
        self._temp = False  # a container made here for an image, removed on exit

    def __enter__(self) -> Path:
        src, store = self.src, self.store
        if isinstance(src, str):
            try:
                self._mounted = store.container(src).id
            except ContainerNotFound:
                src = Image(store, find_image(store, src))
        if isinstance(src, Image):
            self._mounted = record_on_image(store, src.record, None).id
            self._temp = True
        elif not isinstance(src, str):
            self.store, self._mounted = src.store, src.id
        assert self._mounted is not None
        try:
            return self.store.mount(self._mounted)
        except BaseException:
            self._remove()
            raise

    def __exit__(self, *exc: object) -> None:
        assert self._mounted is not None
        try:
            self.store.unmount(self._mounted)
        finally:
            self._remove()

    def _remove(self) -> None:
        if self._temp and self._mounted is not None:
            self.store.remove_container(self._mounted)
