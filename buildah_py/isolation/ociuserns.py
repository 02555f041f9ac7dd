"""The user namespace an OCI runtime gives a step: the maps of a joined one, and a rootfs
its root can own (ID-mapped where the maps leave the files' owners out)."""

from __future__ import annotations

import contextlib
import os
from dataclasses import replace
from pathlib import Path

from buildah_py.errors import RunError
from buildah_py.isolation.ocioptions import UserNamespace, owner_mapped
from buildah_py.isolation.prepare import Prepared
from buildah_py.isolation.spec import RunSpec
from buildah_py.linux.flags import MNT_DETACH
from buildah_py.linux.idmap import idmapped_bind, user_namespace_fd
from buildah_py.linux.syscalls import umount2


def joined_maps(spec: RunSpec) -> RunSpec:
    """``--userns /proc/PID/ns/user`` without maps: the runtime needs that namespace's maps
    (it writes none for a joined one), so they are read from /proc/PID."""
    path = spec.options.namespace("userns") or ""
    if not path.startswith("/") or spec.options.uid_map or spec.options.gid_map:
        return spec
    proc = Path(path).parent.parent
    if Path(path).name != "user" or proc.parent != Path("/proc"):
        raise RunError(f"--userns {path}: give --userns-uid-map and --userns-gid-map too")
    maps = []
    for kind in ("uid_map", "gid_map"):
        try:
            lines = (proc / kind).read_text(encoding="ascii").splitlines()
            maps.append(tuple((int(a), int(b), int(c)) for a, b, c in map(str.split, lines)))
        except (OSError, ValueError) as err:
            raise RunError(f"--userns {path}: cannot read {proc / kind}: {err}") from err
    options = replace(spec.options, uid_map=maps[0], gid_map=maps[1])
    return replace(spec, options=options)


def root_path(
    spec: RunSpec, prep: Prepared, ns: UserNamespace | None, stack: contextlib.ExitStack
) -> str:
    """The rootfs as the step's user namespace must see it. Files keep their owners on
    disk; when the maps leave the root directory's owner out (``0:100000:65536`` on a
    root-owned tree), the step gets an ID-mapped mount of the rootfs instead, so it sees
    the image's owners and what it writes is stored with them (`stack` unmounts it)."""
    root = str(Path(spec.rootfs).resolve())
    if ns is None or ns.path is not None:
        return root
    st = os.fstat(prep.rootfd)
    if owner_mapped(ns, st.st_uid, st.st_gid):
        return root
    # The runtime's init, already the namespace's root (an unmapped host ID), binds the
    # rootfs: it must be able to pass through the private run directory to reach it.
    os.chmod(prep.tmpdir, 0o711)
    target = prep.tmpdir / "idmapped-root"
    target.mkdir()
    try:
        fd = user_namespace_fd(ns.uid_map, ns.gid_map)
        try:
            idmapped_bind(root, str(target), fd)
        finally:
            os.close(fd)
    except OSError as err:
        raise RunError(
            f"--userns-uid-map/--userns-gid-map: the root filesystem is owned by host "
            f"{st.st_uid}:{st.st_gid}, which the maps leave out, and it cannot be ID-mapped "
            f"({err.strerror}; an overlay cannot be, the vfs storage driver can): map those "
            "host IDs too"
        ) from err
    stack.callback(umount2, str(target), MNT_DETACH)
    return str(target)
