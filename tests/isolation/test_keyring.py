"""A step cannot reach the session keyring of the process that runs it (both isolations).

The step is the host's own python3 (with /usr bound read-only into the busybox rootfs): it
tries to read a key of the caller's session keyring by its serial, and to find it by name.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.needs_root

# keyctl(2) and add_key(2) numbers; this test only needs the host's architecture.
NUMBERS = "{'x86_64': (250, 248), 'aarch64': (219, 217)}[platform.machine()]"
KEYCTL = f"""
import ctypes, platform
KEYCTL, ADD_KEY = {NUMBERS}
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
L = ctypes.c_long

def call(*args):
    ret = libc.syscall(*args)
    return ret if ret >= 0 else -ctypes.get_errno()
"""
PROBE = (
    KEYCTL
    + """
import sys
key = int(sys.argv[1])
buf = ctypes.create_string_buffer(64)
n = call(L(KEYCTL), L(11), L(key), buf, L(64))  # KEYCTL_READ
print("read", buf.raw[:n].decode() if n >= 0 else n)
# KEYCTL_SEARCH in the session keyring (-3)
print("search", call(L(KEYCTL), L(10), L(-3), b"user", b"buildah-py-probe", L(0)))
"""
)
# Runs in a process of its own, so the test's own session keyring is never touched.
DRIVER = (
    KEYCTL
    + """
import sys
from pathlib import Path
from buildah_py.isolation import Mount, RunSpec, run
assert call(L(KEYCTL), L(1), None) > 0  # KEYCTL_JOIN_SESSION_KEYRING: a fresh one, for us
key = call(L(ADD_KEY), b"user", b"buildah-py-probe", b"s3cret", L(6), L(-3))
assert key > 0, key
print("read", call(L(KEYCTL), L(11), L(key), ctypes.create_string_buffer(64), L(64)), flush=True)
spec = RunSpec(
    rootfs=Path(sys.argv[1]),
    # through sh: the oci mode looks for the executable before /usr is mounted
    argv=["/bin/sh", "-c", 'exec /usr/bin/python3 -c "$1" "$2"', "sh", sys.argv[3], str(key)],
    env=[],
    mounts=(Mount("bind", "/usr", "/usr", readonly=True),),
)
sys.exit(run(spec, isolation=sys.argv[2]))
"""
)


def test_step_cannot_read_or_find_the_callers_session_keys(rootfs: Path, isolation: str) -> None:
    for name in ("lib", "lib64"):
        (rootfs / name).symlink_to(f"usr/{name}")
    proc = subprocess.run(
        [sys.executable, "-c", DRIVER, str(rootfs), isolation, PROBE],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    caller, read, search = proc.stdout.splitlines()
    assert caller == "read 6"  # the key is there, and readable, for the caller
    assert read == "read -13"  # EACCES: not possessed, and others may only view it
    assert search == "search -126"  # ENOKEY: the step's session keyring is a new, empty one
