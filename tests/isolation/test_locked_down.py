"""chroot isolation on a host whose seccomp profile refuses sethostname (a pod's default profile
without CAP_SYS_ADMIN): the step runs under the name it inherited, and the caller is warned once."""

from __future__ import annotations

import json
import logging
import os
import socket
from pathlib import Path

import pytest

from buildah_py.isolation import RunSpec, run
from buildah_py.linux.seccomp import compile_profile, open_libseccomp

pytestmark = pytest.mark.needs_root

NO_HOSTNAME = {
    "defaultAction": "SCMP_ACT_ALLOW",
    "syscalls": [
        {"names": ["sethostname", "setdomainname"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}
    ],
}


def _locked_down_steps(rootfs: Path, out: int) -> None:
    """In a forked child: load the profile, run two steps, and write what was seen to `out`."""
    lib = open_libseccomp()
    assert lib is not None
    compile_profile(NO_HOSTNAME, lib).install()
    warnings: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: warnings.append(record.getMessage())  # type: ignore[method-assign]
    logging.getLogger("buildah_py").addHandler(handler)
    seen = []
    for _ in range(2):
        spec = RunSpec(rootfs, ["/bin/sh", "-c", "cat /proc/sys/kernel/hostname > /seen"], [])
        status = run(spec, isolation="chroot")
        seen.append((status, (rootfs / "seen").read_text().strip()))
    os.write(out, json.dumps({"seen": seen, "warnings": warnings}).encode())


def test_refused_sethostname_is_one_warning(rootfs: Path) -> None:
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(r)
            _locked_down_steps(rootfs, w)
        except BaseException as err:  # noqa: B036 - a forked child reports, never raises
            os.write(w, json.dumps({"error": f"{type(err).__name__}: {err}"}).encode())
        finally:
            os._exit(0)
    os.close(w)
    data = b""
    while chunk := os.read(r, 65536):
        data += chunk
    os.waitpid(pid, 0)
    result = json.loads(data)
    assert "error" not in result, result
    host = socket.gethostname()
    assert [tuple(x) for x in result["seen"]] == [(0, host), (0, host)]
    hostname_warnings = [m for m in result["warnings"] if "hostname not set" in m]
    assert len(hostname_warnings) == 1, result["warnings"]
    assert "Operation not permitted" in hostname_warnings[0]
