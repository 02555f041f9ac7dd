"""libseccomp through ctypes: an OCI-form profile compiled to a classic BPF program, and
loading that program into the calling process with seccomp(2).

Compiling happens in the caller before any fork, so libseccomp is never looked up in an
image; `Filter.install` only hands the finished bytes to the kernel.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from buildah_py.linux.flags import SECCOMP_SET_MODE_FILTER
from buildah_py.linux.libc import check, libc

_ACT_KILL_PROCESS = 0x80000000
_ACT_KILL_THREAD = 0x00000000
_ACT_TRAP = 0x00030000
_ACT_ERRNO = 0x00050000
_ACT_TRACE = 0x7FF00000
_ACT_LOG = 0x7FFC0000
_ACT_ALLOW = 0x7FFF0000
_PLAIN_ACTIONS = {
    "SCMP_ACT_KILL": _ACT_KILL_THREAD,
    "SCMP_ACT_KILL_THREAD": _ACT_KILL_THREAD,
    "SCMP_ACT_KILL_PROCESS": _ACT_KILL_PROCESS,
    "SCMP_ACT_TRAP": _ACT_TRAP,
    "SCMP_ACT_LOG": _ACT_LOG,
    "SCMP_ACT_ALLOW": _ACT_ALLOW,
}
_OPS = {  # enum scmp_compare
    "SCMP_CMP_NE": 1,
    "SCMP_CMP_LT": 2,
    "SCMP_CMP_LE": 3,
    "SCMP_CMP_EQ": 4,
    "SCMP_CMP_GE": 5,
    "SCMP_CMP_GT": 6,
    "SCMP_CMP_MASKED_EQ": 7,
}
_FLAGS = {
    "SECCOMP_FILTER_FLAG_TSYNC": 1,
    "SECCOMP_FILTER_FLAG_LOG": 2,
    "SECCOMP_FILTER_FLAG_SPEC_ALLOW": 4,
}
_NR_SCMP_ERROR = -1
_syscall = libc["syscall"]  # an object of our own: its return type is set here only
_syscall.restype = ctypes.c_long
_MAX_ARGS = 6


class _ArgCmp(ctypes.Structure):
    """struct scmp_arg_cmp."""

    _fields_ = [
        ("arg", ctypes.c_uint),
        ("op", ctypes.c_int),
        ("datum_a", ctypes.c_uint64),
        ("datum_b", ctypes.c_uint64),
    ]


class _SockFprog(ctypes.Structure):
    """struct sock_fprog: the program handed to seccomp(2)."""

    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


@dataclass(frozen=True)
class Filter:
    """A compiled filter: classic BPF instructions (8 bytes each) and seccomp(2) flags."""

    program: bytes
    flags: int
    syscall_nr: int  # seccomp(2) on this architecture, as libseccomp knows it

    def install(self) -> None:
        """Load the filter into this process (needs CAP_SYS_ADMIN in its user namespace).

        Runs in the step process after the pivot: only ctypes calls, no imports, no files.
        """
        buf = ctypes.create_string_buffer(self.program, len(self.program))
        prog = _SockFprog(len(self.program) // 8, ctypes.addressof(buf))
        ret = _syscall(
            ctypes.c_long(self.syscall_nr),
            ctypes.c_ulong(SECCOMP_SET_MODE_FILTER),
            ctypes.c_ulong(self.flags),
            ctypes.byref(prog),
        )
        check(int(ret), "loading the seccomp filter")


def open_libseccomp() -> ctypes.CDLL | None:
    """The host's libseccomp with its argument types declared, or None when not installed."""
    for name in ("libseccomp.so.2", ctypes.util.find_library("seccomp")):
        if not name:
            continue
        try:
            lib = ctypes.CDLL(name, use_errno=True)
        except OSError:
            continue
        lib.seccomp_init.restype = ctypes.c_void_p
        lib.seccomp_init.argtypes = [ctypes.c_uint32]
        lib.seccomp_release.argtypes = [ctypes.c_void_p]
        lib.seccomp_arch_resolve_name.restype = ctypes.c_uint32
        lib.seccomp_arch_resolve_name.argtypes = [ctypes.c_char_p]
        lib.seccomp_arch_add.argtypes = [ctypes.c_void_p, ctypes.c_uint32]
        lib.seccomp_syscall_resolve_name.argtypes = [ctypes.c_char_p]
        lib.seccomp_rule_add_array.argtypes = [
            ctypes.c_void_p,
            ctypes.c_uint32,
            ctypes.c_int,
            ctypes.c_uint,
            ctypes.POINTER(_ArgCmp),
        ]
        lib.seccomp_export_bpf.argtypes = [ctypes.c_void_p, ctypes.c_int]
        return lib
    return None


def _action(name: Any, errno_ret: Any) -> int:
    if name == "SCMP_ACT_ERRNO":
        return _ACT_ERRNO | (int(errno.EPERM if errno_ret is None else errno_ret) & 0xFFFF)
    if name == "SCMP_ACT_TRACE":
        return _ACT_TRACE | (int(errno.EPERM if errno_ret is None else errno_ret) & 0xFFFF)
    if name in _PLAIN_ACTIONS:
        return _PLAIN_ACTIONS[name]
    raise ValueError(f"unsupported action {name!r}")


def _conditions(args: Sequence[Mapping[str, Any]]) -> list[list[_ArgCmp]]:
    """Each inner list is one rule. Several conditions on one argument cannot be ANDed by
    libseccomp, so those become one rule each (OR), as runc does."""
    conds = []
    for a in args:
        index = int(a["index"])
        if not 0 <= index < _MAX_ARGS:
            raise ValueError(f"argument index {index} out of range")
        if a["op"] not in _OPS:
            raise ValueError(f"unsupported operator {a['op']!r}")
        conds.append(_ArgCmp(index, _OPS[a["op"]], int(a["value"]), int(a.get("valueTwo") or 0)))
    indexes = [c.arg for c in conds]
    if len(set(indexes)) < len(indexes):
        return [[c] for c in conds]
    return [conds]


def _add_arches(lib: ctypes.CDLL, ctx: int, arches: Sequence[str]) -> None:
    for name in arches:
        token = lib.seccomp_arch_resolve_name(name.removeprefix("SCMP_ARCH_").lower().encode())
        if token == 0:
            continue  # an architecture this libseccomp does not know cannot run here anyway
        rc = lib.seccomp_arch_add(ctx, token)
        if rc < 0 and rc != -errno.EEXIST:
            raise ValueError(f"architecture {name}: {os.strerror(-rc)}")


def _add_rule(lib: ctypes.CDLL, ctx: int, default: int, rule: Mapping[str, Any]) -> None:
    action = _action(rule["action"], rule.get("errnoRet"))
    if action == default:
        return  # libseccomp refuses rules that repeat the default; they change nothing
    groups = _conditions(rule.get("args") or ())
    for name in rule["names"]:
        nr = lib.seccomp_syscall_resolve_name(str(name).encode())
        if nr == _NR_SCMP_ERROR:
            continue  # unknown to this libseccomp: skipped, as runc does
        for conds in groups:
            array = (_ArgCmp * max(len(conds), 1))(*conds)
            rc = lib.seccomp_rule_add_array(ctx, action, nr, len(conds), array)
            if rc < 0:
                raise ValueError(f"rule for {name}: {os.strerror(-rc)}")


def compile_profile(profile: Mapping[str, Any], lib: ctypes.CDLL) -> Filter:
    """Compile an OCI-form profile; ValueError/KeyError/TypeError on a profile libseccomp or
    the kernel cannot express."""
    flags = 0
    for flag in profile.get("flags") or ():
        if flag not in _FLAGS:
            raise ValueError(f"unsupported flag {flag!r}")
        flags |= _FLAGS[flag]
    default = _action(profile["defaultAction"], profile.get("defaultErrnoRet"))
    ctx = lib.seccomp_init(default)
    if not ctx:
        raise ValueError(f"default action {profile['defaultAction']!r} refused by libseccomp")
    try:
        _add_arches(lib, ctx, profile.get("architectures") or ())
        for rule in profile.get("syscalls") or ():
            _add_rule(lib, ctx, default, rule)
        fd = os.memfd_create("seccomp-bpf", os.MFD_CLOEXEC)
        try:
            rc = lib.seccomp_export_bpf(ctx, fd)
            if rc < 0:
                raise ValueError(f"cannot generate the filter: {os.strerror(-rc)}")
            program = os.pread(fd, os.fstat(fd).st_size, 0)
        finally:
            os.close(fd)
    finally:
        lib.seccomp_release(ctx)
    if not program or len(program) % 8:
        raise ValueError("libseccomp produced an empty filter")
    return Filter(program, flags, lib.seccomp_syscall_resolve_name(b"seccomp"))
