"""Extra mounts: option words to mount(2) flags, and the order they are applied in."""

from __future__ import annotations

from buildah_py.errors import RunError
from buildah_py.linux.flags import (
    MS_NOATIME,
    MS_NODEV,
    MS_NODIRATIME,
    MS_NOEXEC,
    MS_NOSUID,
    MS_RDONLY,
    MS_STRICTATIME,
)
from buildah_py.linux.mount import Mount

# Option words that set a flag (True) or clear it (False).
_FLAGS: dict[str, tuple[int, bool]] = {
    "ro": (MS_RDONLY, True),
    "rw": (MS_RDONLY, False),
    "nosuid": (MS_NOSUID, True),
    "suid": (MS_NOSUID, False),
    "nodev": (MS_NODEV, True),
    "dev": (MS_NODEV, False),
    "noexec": (MS_NOEXEC, True),
    "exec": (MS_NOEXEC, False),
    "noatime": (MS_NOATIME, True),
    "nodiratime": (MS_NODIRATIME, True),
    "strictatime": (MS_STRICTATIME, True),
}
# Words accepted for compatibility that need no flag here: a step's mount tree is private
# (propagation words change nothing), and z/Z relabel only where SELinux is on.
_IGNORED = {"bind", "rbind", "relatime", "z", "Z"} | {
    p for base in ("shared", "slave", "private") for p in (base, "r" + base)
}


def validate(mount: Mount) -> None:
    """Reject a mount that cannot be applied, before anything is created."""
    if not mount.target.startswith("/"):
        raise RunError(f"mount target {mount.target!r} is not an absolute path")
    if mount.type == "bind" and not mount.source:
        raise RunError(f"bind mount on {mount.target} has no source")
    if mount.type not in ("bind", "tmpfs"):
        raise RunError(f"mount type {mount.type!r} on {mount.target} is not supported")
    for word in mount.options:
        if "=" in word:
            if mount.type != "tmpfs":
                raise RunError(f"mount option {word!r} on {mount.target} needs a tmpfs")
            tmpfs_mode(mount)
        elif word not in _FLAGS and word not in _IGNORED:
            raise RunError(f"unknown mount option {word!r} on {mount.target}")


def flags_and_data(mount: Mount) -> tuple[int, str | None, bool]:
    """mount(2) flags, the data string (tmpfs size=, mode=, ...) and whether a bind recurses."""
    flags = MS_NOSUID | MS_NODEV if mount.type == "tmpfs" else 0
    data = []
    recursive = True
    for word in mount.options:
        if "=" in word:
            data.append(word)
        elif word in _FLAGS:
            bit, on = _FLAGS[word]
            flags = flags | bit if on else flags & ~bit
        elif word == "bind":
            recursive = False
    if mount.readonly:
        flags |= MS_RDONLY
    return flags, ",".join(data) or None, recursive


def tmpfs_mode(mount: Mount) -> int:
    """The `mode=` of a tmpfs mount (0755 when absent or not a tmpfs)."""
    for word in mount.options:
        key, _, value = word.partition("=")
        if mount.type == "tmpfs" and key == "mode":
            try:
                return int(value, 8) & 0o7777
            except ValueError as err:
                raise RunError(f"bad tmpfs mode {value!r} on {mount.target}") from err
    return 0o755


def ordered(mounts: tuple[Mount, ...]) -> list[Mount]:
    """Shallow targets first, so a mount inside another mount lands on top of it."""
    return sorted(mounts, key=lambda m: len([p for p in m.target.split("/") if p]))
