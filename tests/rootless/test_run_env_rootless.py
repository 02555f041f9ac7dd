"""buildah's run flags as an unprivileged user under `chroot` isolation."""

from __future__ import annotations

import os
import resource
import tempfile
from pathlib import Path

from .conftest import RootlessCli, User, _ids


def test_volumes_devices_and_ulimits_rootless(rcli: RootlessCli, user: User) -> None:
    host = Path(tempfile.mkdtemp(prefix="vol-", dir=user.work))
    (host / "f").write_text("lower\n")
    for path in (host, host / "f"):
        os.chown(path, *_ids(user.name))
    ctr = rcli.out("from", "--name", "runenv", "-v", f"{host}:/w:O", "localhost/busybox:latest")
    script = "echo upper > /w/f; echo n > /w/new; cat /w/f"
    out = rcli.out("run", "--cap-drop", "all", ctr, "--", "sh", "-c", script)
    assert out.split() == ["upper"], out
    assert sorted(p.name for p in host.iterdir()) == ["f"]
    assert (host / "f").read_text() == "lower\n"
    dev = rcli("from", "--device", "/dev/null:/dev/mynull", "localhost/busybox:latest")
    devctr = dev.stdout.strip()
    assert rcli.out("run", devctr, "--", "sh", "-c", "echo x > /dev/mynull && echo ok") == "ok"
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    too_high = f"nofile={hard + 1}:{hard + 1}"
    lim = rcli.out("from", "--ulimit", too_high, "localhost/busybox:latest")
    proc = rcli("run", lim, "--", "true", check=False)
    assert proc.returncode == 125 and "CAP_SYS_RESOURCE" in proc.stderr, proc.stderr
    for name in (ctr, devctr, lim):
        rcli("rm", name)
