"""The layer format's whiteout conventions and overlayfs's private xattrs, as values.

A layer tar deletes a lower entry NAME with an empty file ``.wh.NAME`` and hides everything
below a directory with ``DIR/.wh..wh..opq``. Kernel overlayfs stores the same facts in an
upper dir as a 0/0 character device and an ``overlay.opaque`` xattr (``trusted.`` as root,
``user.`` with the ``userxattr`` mount option). fuse-overlayfs marks an opaque directory twice:
the xattr (``trusted.overlay.opaque``, or ``user.fuseoverlayfs.opaque`` unprivileged) and an
empty ``.wh..wh..opq`` file inside it (with a 0/0 whiteout named ``.wh..opq`` beside it).
"""

from __future__ import annotations

WHITEOUT_PREFIX = ".wh."
# Names starting with this are aufs-era bookkeeping (".wh..wh.plnk", ...), never real files.
WHITEOUT_META_PREFIX = ".wh..wh."
OPAQUE = ".wh..wh..opq"

TRUSTED_OVERLAY_PREFIX = "trusted.overlay."
USER_OVERLAY_PREFIX = "user.overlay."
# fuse-overlayfs keeps its own bookkeeping here when it may not write trusted.* (unprivileged).
FUSE_OVERLAY_PREFIX = "user.fuseoverlayfs."
FUSE_OPAQUE_XATTR = FUSE_OVERLAY_PREFIX + "opaque"


def overlay_prefix(userxattr: bool) -> str:
    """The xattr namespace overlayfs uses for its private attributes."""
    return USER_OVERLAY_PREFIX if userxattr else TRUSTED_OVERLAY_PREFIX


def opaque_xattr(userxattr: bool) -> str:
    """Name of the xattr that marks an upper directory opaque (value ``y``)."""
    return overlay_prefix(userxattr) + "opaque"


def whiteout_xattr(userxattr: bool) -> str:
    """Name of the xattr that marks an empty regular file as a whiteout (Linux 6.7+)."""
    return overlay_prefix(userxattr) + "whiteout"


def is_overlay_xattr(name: str) -> bool:
    """True for overlayfs bookkeeping xattrs, which never travel inside a layer tar."""
    return name.startswith((TRUSTED_OVERLAY_PREFIX, USER_OVERLAY_PREFIX, FUSE_OVERLAY_PREFIX))


def is_whiteout_name(name: str) -> bool:
    """True when a base name is reserved by the whiteout convention."""
    return name.startswith(WHITEOUT_PREFIX)


def opaque_xattrs(userxattr: bool) -> tuple[str, ...]:
    """Every xattr that may mark an upper directory opaque: kernel overlay's, fuse-overlayfs's."""
    return (opaque_xattr(userxattr), FUSE_OPAQUE_XATTR)


def whiteout_for(name: str) -> str:
    """The tar base name that deletes `name`."""
    return WHITEOUT_PREFIX + name
