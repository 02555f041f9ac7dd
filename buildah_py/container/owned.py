"""A store the container API opened itself (no ``store=`` given), closed when nothing uses it."""

from __future__ import annotations

import errno
import resource
import weakref

from buildah_py.defaults import open_store
from buildah_py.errors import BuildahPyError, ContainerError
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


def store_or_own(store: Store | None) -> tuple[Store, OwnedStore | None]:
    """`store`, or the default store opened for the caller (with its owner)."""
    if store is not None:
        return store, None
    try:
        owner = OwnedStore(open_store())
    except (OSError, BuildahPyError) as err:
        cause = err if isinstance(err, OSError) else err.__cause__
        if not isinstance(cause, OSError) or cause.errno not in (errno.EMFILE, errno.ENFILE):
            raise
        limit = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
        raise ContainerError(
            f"cannot open the store: too many open files (the limit is {limit}); remove "
            "containers no longer used (rm, or a with block), or pass one store= to all"
        ) from err
    return owner.store, owner
