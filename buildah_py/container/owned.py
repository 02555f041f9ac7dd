"""A store the container API opened itself (no ``store=`` given), closed when nothing uses it."""

from __future__ import annotations

import weakref

from buildah_py.storage import Store


class OwnedStore:
    """Held by the containers and images made on a store the API opened; when the last of them
    lets go (``rm``, the end of a ``with`` block, garbage collection) the store is closed."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._close = weakref.finalize(self, store.close)

    def close(self) -> None:
        """Close the store now (callers still holding it must not use it after)."""
        self._close()
