"""buildah_py.linux: flags as values, mounts as data, and each call tried for real."""

from __future__ import annotations

import ast
import errno
import os
import re
import socket
from collections.abc import Callable
from pathlib import Path

import pytest

from buildah_py.errors import StoreError
from buildah_py.isolation import mounts
from buildah_py.linux import flags
from buildah_py.linux.caps import CAPABILITY_NUMBERS, last_capability, limit_capabilities
from buildah_py.linux.mount import Mount, is_mounted, mount_all, mounted_targets, unmount_all
from buildah_py.linux.namespaces import id_mapped, in_user_namespace, setgroups_allowed
from buildah_py.linux.seccomp import compile_profile, open_libseccomp
from buildah_py.linux.syscalls import join_session_keyring, keyctl, setns, unshare

PACKAGE = Path(__file__).resolve().parents[2] / "buildah_py"
#: openat2 callers that the confined resolver's own module will absorb.
#: The wrappers whose flag arguments must be names, never numbers.
FLAG_CALLS = {"mount", "umount2", "unshare", "setns", "prctl", "keyctl"}


def in_child(body: Callable[[], str]) -> str:
    """Run `body` in a forked child (so namespace and keyring changes stay there)."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.write(w, body().encode())
            os._exit(0)
        except BaseException as err:  # noqa: B036 - nothing may escape a forked child
            os.write(w, f"{type(err).__name__}: {err}".encode())
            os._exit(1)
    os.close(w)
    with os.fdopen(r) as f:
        out = f.read()
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, out
    return out


def test_flags_are_the_kernel_values() -> None:
    assert (flags.MS_RDONLY, flags.MS_BIND, flags.MS_REC, flags.MS_PRIVATE) == (
        1,
        4096,
        16384,
        262144,
    )
    assert (flags.CLONE_NEWNS, flags.CLONE_NEWUSER, flags.CLONE_NEWNET) == (
        0x20000,
        0x10000000,
        0x40000000,
    )
    assert flags.MNT_DETACH == 2 and flags.KEYCTL_JOIN_SESSION_KEYRING == 1
    ms = [v for k, v in vars(flags).items() if k.startswith("MS_")]
    assert all(v & (v - 1) == 0 for v in ms) and len(set(ms)) == len(ms)  # one bit each


def _python_files() -> list[Path]:
    return [p for p in PACKAGE.rglob("*.py") if p.relative_to(PACKAGE).parts[0] != "linux"]


def test_no_flag_numbers_outside_linux() -> None:
    """Flags are defined in linux/flags.py only, and never passed to a call as numbers."""
    wrong = []
    for path in _python_files():
        rel = path.relative_to(PACKAGE)
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Assign):
                names = [t.id for t in node.targets if isinstance(t, ast.Name)]
                if any(re.match(r"_?(MS|MNT|CLONE|PR|KEYCTL)_", n) for n in names):
                    wrong.append(f"{rel}:{node.lineno}: defines {names[0]}")
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name not in FLAG_CALLS and "mount" not in name:
                continue
            numbers = [
                n.value
                for arg in node.args
                for n in ast.walk(arg)
                if isinstance(n, ast.Constant) and type(n.value) is int and n.value != 0
            ]
            if numbers:
                wrong.append(f"{rel}:{node.lineno}: {name}(... {numbers[0]} ...)")
    assert not wrong


def test_mount_is_data() -> None:
    bind = Mount("bind", "/data", "/host/data", readonly=True, options=("nosuid",))
    assert bind == Mount("bind", "/data", "/host/data", True, ("nosuid",))
    with pytest.raises(AttributeError):
        bind.target = "/x"  # type: ignore[misc]
    assert Mount("overlay", "/m", "overlay", options=("lowerdir=/a", "userxattr")).data == (
        "lowerdir=/a,userxattr"
    )
    assert mounts.flags_and_data(bind) == (flags.MS_NOSUID | flags.MS_RDONLY, None, True)
    tmpfs = Mount("tmpfs", "/t", options=("size=1m", "noexec"))
    assert mounts.flags_and_data(tmpfs) == (
        flags.MS_NOSUID | flags.MS_NODEV | flags.MS_NOEXEC,
        "size=1m",
        True,
    )
    assert mounts.flags_and_data(Mount("bind", "/b", "/s", options=("bind",)))[2] is False


@pytest.mark.needs_root
def test_mount_all_and_unmount_all(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "f").write_text("x")
    spaced = tmp_path / "with space"
    made = [
        Mount("tmpfs", str(spaced), options=("size=1m", "mode=0700")),
        Mount("bind", str(tmp_path / "ro"), str(src), readonly=True),
    ]
    mount_all(made)
    try:
        assert str(spaced) in mounted_targets()  # "\040" in mountinfo, decoded
        assert oct(spaced.stat().st_mode & 0o777) == "0o700"
        assert (tmp_path / "ro" / "f").read_text() == "x"
        with pytest.raises(OSError, match="Read-only file system"):
            (tmp_path / "ro" / "g").write_text("y")
    finally:
        unmount_all(made)
    assert not any(is_mounted(m.target) for m in made)


@pytest.mark.needs_root
def test_mount_all_undoes_what_it_did_on_failure(tmp_path: Path) -> None:
    first = Mount("tmpfs", str(tmp_path / "a"))
    with pytest.raises(StoreError, match="cannot mount 'nfs'"):
        mount_all([first, Mount("nfs", str(tmp_path / "b"), "host:/x")])
    assert not is_mounted(first.target)
    with pytest.raises(OSError, match=r"mount tmpfs on .*/c: Invalid argument"):
        mount_all([Mount("tmpfs", str(tmp_path / "c"), options=("size=nonsense",))])


@pytest.mark.needs_root
def test_unshare_and_setns() -> None:
    def body() -> str:
        unshare(flags.CLONE_NEWUTS)
        socket.sethostname("inside-only")
        return socket.gethostname()

    assert in_child(body) == "inside-only"
    assert socket.gethostname() != "inside-only"
    with pytest.raises(OSError, match="setns: Bad file descriptor") as err:
        setns(9999, flags.CLONE_NEWNET)
    assert err.value.errno == errno.EBADF


@pytest.mark.needs_root
def test_join_session_keyring_gives_a_new_empty_one() -> None:
    def body() -> str:
        session = flags.KEY_SPEC_SESSION_KEYRING
        before = keyctl(flags.KEYCTL_GET_KEYRING_ID, session, 1)
        joined = join_session_keyring()
        after = keyctl(flags.KEYCTL_GET_KEYRING_ID, session, 0)
        found = keyctl(flags.KEYCTL_READ, session, None, 0)  # bytes of links: 4 per key
        return f"{joined == after} {before != after} {found}"

    assert in_child(body) == "True True 0"


@pytest.mark.needs_root
def test_capabilities_and_namespaces() -> None:
    assert CAPABILITY_NUMBERS["CAP_SYS_ADMIN"] == 21 and last_capability() >= 40
    assert not in_user_namespace() and id_mapped("uid", 0) and setgroups_allowed()

    def body() -> str:
        limit_capabilities({CAPABILITY_NUMBERS["CAP_CHOWN"]}, last_capability())
        status = Path("/proc/self/status").read_text()
        return next(line for line in status.splitlines() if line.startswith("CapBnd:"))

    assert in_child(body) == "CapBnd:\t0000000000000001"


@pytest.mark.needs_root
def test_seccomp_filter_compiled_and_installed(tmp_path: Path) -> None:
    lib = open_libseccomp()
    assert lib is not None
    profile = {
        "defaultAction": "SCMP_ACT_ALLOW",
        "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13}],
    }
    sfilter = compile_profile(profile, lib)
    assert sfilter.program and len(sfilter.program) % 8 == 0

    def body() -> str:
        sfilter.install()
        try:
            os.mkdir(tmp_path / "refused")
        except PermissionError:
            return "refused"
        return "made"

    assert in_child(body) == "refused"
    assert not (tmp_path / "refused").exists()
