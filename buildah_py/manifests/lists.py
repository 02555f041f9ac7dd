"""Manifest lists in the store, kept in ``<root>/manifests.json`` beside the image records.

The file is read and replaced under the store lock (``store.reading()`` / ``store.writing()``)
through the store's atomic JSON writer, so concurrent commands never lose an update. A list
holds descriptors of store images; the images stay ordinary image records (they keep their
blobs alive), and a list name lives in its own namespace.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from buildah_py.errors import ImageNotFound, NameInUse, StoreError
from buildah_py.manifests.records import ManifestList
from buildah_py.storage.atomic import atomic_write_json, read_json
from buildah_py.storage.records import now

if TYPE_CHECKING:
    from buildah_py.storage import Store

FILE = "manifests.json"
VERSION = 1


class ManifestListNotFound(ImageNotFound):
    """No manifest list has this name or ID."""

    def __init__(self, name: str) -> None:
        StoreError.__init__(
            self, f"manifest list {name!r} not found (make one with `buildah-py manifest create`)"
        )
        self.name = name


class ManifestLists:
    """The store's manifest lists; every method takes the store lock itself."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.path = store.root / FILE

    def _load(self) -> dict[str, ManifestList]:
        data: Any = read_json(self.path, {})
        if not isinstance(data, dict) or data.get("version", VERSION) != VERSION:
            raise StoreError(f"{self.path}: not a manifest list file this version understands")
        try:
            lists = [ManifestList.from_json(d) for d in data.get("lists", [])]
        except (KeyError, TypeError, ValueError) as err:
            raise StoreError(f"{self.path}: malformed manifest list record ({err!r})") from err
        return {lst.id: lst for lst in lists}

    def _save(self, lists: dict[str, ManifestList]) -> None:
        atomic_write_json(
            self.path, {"version": VERSION, "lists": [lst.to_json() for lst in lists.values()]}
        )

    @staticmethod
    def _find(lists: dict[str, ManifestList], ref: str) -> ManifestList | None:
        from buildah_py.oci.reference import local_name

        names = {ref}
        try:
            names.add(local_name(ref))
        except ValueError:
            pass
        for lst in lists.values():
            if lst.name in names or lst.id == ref or (len(ref) >= 3 and lst.id.startswith(ref)):
                return lst
        return None

    def all(self) -> list[ManifestList]:
        with self.store.reading():
            return sorted(self._load().values(), key=lambda lst: (lst.created, lst.id))

    def get(self, ref: str) -> ManifestList:
        """A list by name (short names as for images), ID or ID prefix; ManifestListNotFound."""
        with self.store.reading():
            found = self._find(self._load(), ref)
        if found is None:
            raise ManifestListNotFound(ref)
        return found

    def exists(self, ref: str) -> bool:
        with self.store.reading():
            return self._find(self._load(), ref) is not None

    def create(self, name: str) -> ManifestList:
        """A new, empty list; NameInUse when a list or an image already has the name."""
        import secrets  # not for listing

        from buildah_py.oci.reference import local_name

        full = local_name(name)
        with self.store.writing():
            lists = self._load()
            if self._find(lists, full) is not None:
                raise NameInUse(full, "manifest list")
            try:
                self.store.image(full)
            except ImageNotFound:
                pass
            else:
                raise NameInUse(full, "image")
            lst = ManifestList(id=secrets.token_hex(32), name=full, created=now())
            lists[lst.id] = lst
            self._save(lists)
            return lst

    @contextmanager
    def editing(self, ref: str) -> Iterator[ManifestList]:
        """Change the list `ref` inside the block; saved when the block ends without an error."""
        with self.store.writing():
            lists = self._load()
            lst = self._find(lists, ref)
            if lst is None:
                raise ManifestListNotFound(ref)
            yield lst
            self._save(lists)

    def remove(self, ref: str) -> ManifestList:
        """Forget the list (its images stay in the store)."""
        with self.store.writing():
            lists = self._load()
            lst = self._find(lists, ref)
            if lst is None:
                raise ManifestListNotFound(ref)
            del lists[lst.id]
            self._save(lists)
            return lst
