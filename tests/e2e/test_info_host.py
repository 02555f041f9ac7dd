"""`info` reports what the host allows: user namespaces, ID ranges, overlay, fuse, seccomp,
cgroup, runtimes, and which auth file and runroot are in use and why."""

from __future__ import annotations

import json
import os
import platform
import shutil
import struct
import subprocess
import sys
from pathlib import Path

from buildah_py.linux.seccomp import Filter
from tests.e2e.cliutil import Cli

#: seccomp(2) by architecture, for a one-instruction "allow everything" filter.
SECCOMP_NR = {"x86_64": 317, "aarch64": 277}
ALLOW_ALL = struct.pack("HBBI", 0x06, 0, 0, 0x7FFF0000)  # BPF_RET|BPF_K, SECCOMP_RET_ALLOW


def test_info_reports_the_host(cli: Cli) -> None:
    data = json.loads(cli.out("info"))
    host = data["host"]
    assert {"kernel", "arch", "python"} <= host.keys() and "driver" in data["store"]
    ns = host["user_namespaces"]
    assert ns["unprivileged_possible"] is True and ns["inside_buildah_py_namespace"] is None
    assert ns["max_user_namespaces"] == int(Path("/proc/sys/user/max_user_namespaces").read_text())
    assert host["rootless"] is False and host["id_ranges"]["user"] == "root"
    assert host["overlay"]["kind"] == "kernel" and host["overlay"]["store_driver"] == "overlay"
    assert host["overlay"]["dev_fuse"]["exists"] == os.path.exists("/dev/fuse")
    assert host["seccomp"] == {"mode": "disabled", "filters": 0, "no_new_privs": False}
    cgroup_v2 = os.path.exists("/sys/fs/cgroup/cgroup.controllers")
    assert host["cgroup"]["version"] == (2 if cgroup_v2 else 1)
    assert host["cgroup"]["writable"] is True  # root of the host
    runc = host["runtimes"]["runc"]
    assert runc["path"] == shutil.which("runc") and runc["version"].startswith("runc version")
    assert data["paths"]["runroot"] == {"path": str(cli.runroot), "why": "$BUILDAH_PY_RUNROOT"}
    assert data["paths"]["auth_file"]["path"] == "/run/containers/0/auth.json"


def test_info_names_the_given_auth_file_and_runroot(cli: Cli, tmp_path: Path) -> None:
    env = dict(cli.env, REGISTRY_AUTH_FILE=str(tmp_path / "a.json"))
    env.pop("BUILDAH_PY_RUNROOT")
    argv = [sys.executable, "-m", "buildah_py.cli.main", "--runroot", str(tmp_path / "r"), "info"]
    data = json.loads(subprocess.run(argv, env=env, capture_output=True, check=True).stdout)
    assert data["paths"]["auth_file"] == {
        "path": str(tmp_path / "a.json"),
        "why": "$REGISTRY_AUTH_FILE",
    }
    assert data["paths"]["runroot"] == {"path": str(tmp_path / "r"), "why": "--runroot"}


def test_info_sees_a_seccomp_filter(cli: Cli) -> None:
    allow = Filter(ALLOW_ALL, 0, SECCOMP_NR[platform.machine()])
    proc = subprocess.run(
        [sys.executable, "-m", "buildah_py.cli.main", "info", "--format", "{{.host.seccomp}}"],
        env=cli.env,
        capture_output=True,
        text=True,
        check=True,
        preexec_fn=allow.install,
    )
    assert json.loads(proc.stdout.replace("'", '"').replace("False", "false")) == {
        "mode": "filter",
        "filters": 1,
        "no_new_privs": False,
    }


def test_info_still_reports_the_host_when_the_runroot_is_refused(cli: Cli) -> None:
    cli.runroot.mkdir(mode=0o777)
    cli.runroot.chmod(0o777)
    proc = cli("info", check=False)
    assert proc.returncode != 0
    data = json.loads(proc.stdout)
    assert "writable by others" in data["store"]["error"] and "seccomp" in data["host"]
    assert proc.stderr.strip().splitlines() == [f"Error: {data['store']['error']}"]
