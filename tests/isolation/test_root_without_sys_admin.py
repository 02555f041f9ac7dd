"""Root without CAP_SYS_ADMIN, as in a pod with default capabilities: buildah-py makes a user
namespace and builds there. The command runs in a private mount namespace set up like a pod's
(a masked /proc entry, a masked /sys directory, /sys read-only), with CAP_SYS_ADMIN dropped from
every set by setpriv; a root range in /etc/subuid is a copy bound over it there, so the file
itself never changes."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from tests.rootless.test_rootless import _layers

pytestmark = pytest.mark.needs_root

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "examples" / "buildscripts"))

from busybox_base import write_rootfs_tar  # noqa: E402

ROOT_RANGE = "root:300000:65536"
DOCKERFILE = """FROM localhost/busybox:latest
RUN mkdir -p /srv && echo hi > /srv/f && chown 1000:1000 /srv/f && cat /proc/self/uid_map > /srv/map
RUN touch /srv/g && chown 2000:3000 /srv/g && chmod 640 /srv/g
"""
DROP = ["setpriv", "--inh-caps=-sys_admin", "--bounding-set=-sys_admin"]
# What runc does to a pod's /proc and /sys (masked paths, read-only /sys).
POD_MOUNTS = (
    "mount --bind /dev/null /proc/keys && mount -t tmpfs -o ro tmpfs /sys/firmware && "
    "mount -o remount,bind,ro /sys"
)
NO_UNSHARE = """
import os, sys
from buildah_py.linux.seccomp import compile_profile, open_libseccomp
rule = {"names": ["unshare"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}
profile = {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [rule]}
compile_profile(profile, open_libseccomp()).install()
os.execvp(sys.argv[1], sys.argv[1:])
"""
# A pod's filter: containers' default profile for a pod's default capabilities.
POD_SECCOMP = """
import os, sys
from buildah_py.isolation.seccomp import load_default
from buildah_py.linux.seccomp import compile_profile, open_libseccomp
caps = "CHOWN DAC_OVERRIDE FOWNER FSETID KILL NET_BIND_SERVICE SETFCAP SETGID SETPCAP SETUID SYS_CHROOT"
profile = load_default(["CAP_" + c for c in caps.split()])
compile_profile(profile, open_libseccomp()).install()
os.execvp(sys.argv[1], sys.argv[1:])
"""


class PodRoot:
    """`buildah-py` as root without CAP_SYS_ADMIN in a pod-like mount namespace."""

    def __init__(self, base: Path, root_range: bool, masks: bool = True) -> None:
        self.base = base
        self.setup = POD_MOUNTS if masks else "true"
        if root_range:
            for name in ("subuid", "subgid"):
                copy = base / name
                text = Path(f"/etc/{name}").read_text() if Path(f"/etc/{name}").exists() else ""
                copy.write_text(text + ROOT_RANGE + "\n")
                self.setup += f" && mount --bind {copy} /etc/{name}"

    def argv(self, *args: str) -> list[str]:
        main = [sys.executable, "-m", "buildah_py.cli.main", "--root", str(self.base / "store")]
        return [*main, "--runroot", str(self.base / "run"), *args]

    def __call__(self, *args: str, wrap: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
        inner = shlex.join([*wrap, *DROP, *self.argv(*args)])
        return subprocess.run(
            ["unshare", "-m", "sh", "-c", f"{self.setup} && exec {inner}"],
            capture_output=True,
            text=True,
            cwd=self.base,
            env={
                "PATH": "/usr/bin:/bin:/usr/sbin:/sbin",
                "PYTHONPATH": str(REPO),
                "HOME": "/root",
                # Its own: the per-user directory under /tmp is root's, which other tests use.
                "XDG_RUNTIME_DIR": str(self.base),
            },
            timeout=300,
        )

    def ok(self, *args: str, wrap: tuple[str, ...] = ()) -> str:
        proc = self(*args, wrap=wrap)
        assert proc.returncode == 0, f"buildah-py {' '.join(args)}: {proc.stderr}"
        return proc.stdout.strip()


def _pod(tmp_path: Path, root_range: bool, masks: bool = True) -> PodRoot:
    pod = PodRoot(tmp_path, root_range, masks)
    write_rootfs_tar(str(tmp_path / "busybox.tar"))
    pod.ok("import", str(tmp_path / "busybox.tar"), "localhost/busybox:latest", "--timestamp", "0")
    (tmp_path / "Dockerfile").write_text(DOCKERFILE)
    return pod


def _build_and_owners(pod: PodRoot) -> tuple[dict[str, tuple[int, int, int]], str]:
    """Build the Dockerfile, `run` a chown and `commit`, export: /srv's owners and modes, and
    the step's uid_map."""
    pod.ok("build", "-q", "-t", "localhost/out:latest", "-f", "Dockerfile", ".")
    work = pod.ok("from", "localhost/out:latest")
    pod.ok("run", work, "--", "sh", "-c", "touch /srv/h && chown 4000:4001 /srv/h")
    pod.ok("commit", work, "localhost/out:latest")
    archive = pod.base / "out.tar"
    pod.ok("push", "localhost/out:latest", f"oci-archive:{archive}:latest")
    owners = {}
    for layer in _layers(archive):
        for name, m in layer.items():
            if name.startswith("srv/"):
                owners[name] = (m.uid, m.gid, m.mode & 0o7777)
    ctr = pod.ok("from", "localhost/out:latest")
    return owners, pod.ok("run", ctr, "--", "cat", "/srv/map")


def _maps(text: str) -> list[list[str]]:
    return [line.split() for line in text.splitlines()]


def test_without_a_range_every_id_maps_to_itself(tmp_path: Path) -> None:
    pod = _pod(tmp_path, root_range=False)
    owners, step_map = _build_and_owners(pod)
    assert owners["srv/f"] == (1000, 1000, 0o644)
    assert owners["srv/g"] == (2000, 3000, 0o640)
    assert owners["srv/h"][:2] == (4000, 4001)
    assert _maps(step_map) == [["0", "0", "4294967294"]]
    assert pod.ok("info", "--format", "{{.host.user_namespaces.inside_buildah_py_namespace}}") == (
        "identity"
    )
    # The store holds the IDs themselves: the step's files are the host's 1000 and 2000.
    snap = sorted((tmp_path / "store").glob("snapshots/*/fs/srv/g"))
    assert snap and all((p.stat().st_uid, p.stat().st_gid) == (2000, 3000) for p in snap)


def test_with_a_range_root_maps_it_after_itself(tmp_path: Path) -> None:
    pod = _pod(tmp_path, root_range=True)
    owners, step_map = _build_and_owners(pod)
    assert owners["srv/f"] == (1000, 1000, 0o644)
    assert owners["srv/g"] == (2000, 3000, 0o640)
    assert owners["srv/h"][:2] == (4000, 4001)
    assert _maps(step_map) == [["0", "0", "1"], ["1", "300000", "65536"]]
    ns = json.loads(pod.ok("info", "--format", "{{.host.user_namespaces}}"))
    assert ns["inside_buildah_py_namespace"] == "full"
    assert ns["uid_map"] == ns["gid_map"] == [[0, 0, 1], [1, 300000, 65536]]
    snap = sorted((tmp_path / "store").glob("snapshots/*/fs/srv/g"))
    assert snap and all((p.stat().st_uid, p.stat().st_gid) == (301999, 302999) for p in snap)


def test_steps_see_the_pods_masks_through_the_bound_proc(tmp_path: Path) -> None:
    """A new proc is refused where the outer one has masked entries: the step gets the bound
    /proc, with the mask still over /proc/keys, and a read-only /sys."""
    pod = _pod(tmp_path, root_range=False)
    ctr = pod.ok("from", "localhost/busybox:latest")
    script = "stat -c %t:%T /proc/keys; cat /proc/self/comm; touch /sys/x 2>&1 || true"
    out = pod.ok("run", ctr, "--", "sh", "-c", script).splitlines()
    assert out[0] == "1:3"  # /dev/null's major:minor: still masked
    assert out[1] == "cat"
    assert "Read-only file system" in out[2]


def test_oci_isolation_sees_a_user_namespace(tmp_path: Path) -> None:
    """The identity map leaves out the last ID: runc takes "0 0 4294967295" for the initial
    namespace and would then want cgroups it may not write."""
    pod = _pod(tmp_path, root_range=False, masks=False)
    ctr = pod.ok("from", "localhost/busybox:latest")
    out = pod.ok("run", "--isolation", "oci", ctr, "--", "cat", "/proc/self/uid_map")
    assert _maps(out) == [["0", "0", "4294967294"]]


def test_under_the_pods_default_seccomp_profile(tmp_path: Path) -> None:
    """containers' profile allows unshare and mount but refuses sethostname without
    CAP_SYS_ADMIN of the host: the build works, with the hostname warning."""
    pod = _pod(tmp_path, root_range=False)
    wrap = (sys.executable, "-c", POD_SECCOMP)
    proc = pod("build", "-t", "localhost/out:latest", "-f", "Dockerfile", ".", wrap=wrap)
    assert proc.returncode == 0, proc.stderr
    assert "hostname not set" in proc.stderr
    ctr = pod.ok("from", "localhost/out:latest", wrap=wrap)
    assert _maps(pod.ok("run", ctr, "--", "cat", "/srv/map", wrap=wrap)) == [
        ["0", "0", "4294967294"]
    ]


def test_no_user_namespace_is_one_line_naming_what_is_missing(tmp_path: Path) -> None:
    pod = PodRoot(tmp_path, root_range=False)
    proc = pod("images", wrap=(sys.executable, "-c", NO_UNSHARE))
    assert proc.returncode == 125
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("Error: cannot create a user namespace (Operation not permitted)")
    assert "CAP_SYS_ADMIN is not held" in lines[0] and "seccomp filter" in lines[0]
