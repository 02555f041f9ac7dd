"""Naming why newuidmap failed, reading capabilities and no_new_privs, and choosing the maps:
against real copies of the helper (plain, setuid root, with a file capability) and real
processes started by setpriv."""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from buildah_py.linux.caps import (
    CAP_SETGID,
    CAP_SETUID,
    CAP_SYS_ADMIN,
    file_permitted_capabilities,
    has_effective,
    no_new_privs,
    process_status,
)
from buildah_py.linux.namespaces import id_map
from buildah_py.userns.idmap import IDENTITY, SINGLE
from buildah_py.userns.plan import CHILD, PARENT, choose
from buildah_py.userns.why import newidmap_cause

pytestmark = pytest.mark.needs_root

HELPER = shutil.which("newuidmap") or "/usr/bin/newuidmap"
REFUSED = "newuidmap: write to uid_map failed: Operation not permitted\n"
REPO = Path(__file__).resolve().parents[2]


def _copy(tmp_path: Path, mode: int) -> str:
    path = tmp_path / "newuidmap"
    shutil.copyfile(HELPER, path)
    path.chmod(mode)
    return str(path)


def test_no_new_privs_is_named_first(tmp_path: Path) -> None:
    cause = newidmap_cause("newuidmap", _copy(tmp_path, 0o4755), REFUSED, no_new_privs=True)
    assert "no_new_privs is set" in cause and "allowPrivilegeEscalation: false" in cause


def test_helper_without_setuid_or_capability(tmp_path: Path) -> None:
    path = _copy(tmp_path, 0o755)
    assert file_permitted_capabilities(path) is None
    cause = newidmap_cause("newuidmap", path, REFUSED, no_new_privs=False)
    assert cause == f"{path} is neither setuid root nor has the cap_setuid file capability"
    gid_cause = newidmap_cause("newgidmap", path, REFUSED, no_new_privs=False)
    assert "cap_setgid" in gid_cause


def test_setuid_root_helper_is_quoted(tmp_path: Path) -> None:
    cause = newidmap_cause("newuidmap", _copy(tmp_path, 0o4755), REFUSED, no_new_privs=False)
    assert cause == "newuidmap failed: " + REFUSED.strip()


def test_helper_with_the_file_capability_is_quoted(tmp_path: Path) -> None:
    path = _copy(tmp_path, 0o755)
    # VFS_CAP_REVISION_2 with the effective flag: permitted cap_setuid, nothing inheritable.
    os.setxattr(
        path, "security.capability", struct.pack("<5I", 0x02000001, 1 << CAP_SETUID, 0, 0, 0)
    )
    assert file_permitted_capabilities(path) == 1 << CAP_SETUID
    # The tool that shows file capabilities agrees on what was written.
    shown = subprocess.run(["getcap", path], capture_output=True, text=True, check=True)
    assert "cap_setuid=ep" in shown.stdout
    cause = newidmap_cause("newuidmap", path, "", no_new_privs=False)
    assert cause == "newuidmap failed: no message"
    assert "neither" in newidmap_cause("newgidmap", path, "", no_new_privs=False)


def _status_under(*setpriv: str) -> dict[str, str]:
    code = "from buildah_py.linux.caps import process_status; print(repr(process_status()))"
    out = subprocess.run(
        ["setpriv", *setpriv, sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": str(REPO)},
    ).stdout
    value: dict[str, str] = eval(out)
    return value


def test_no_new_privs_and_capabilities_are_read_from_the_process() -> None:
    plain = _status_under()
    assert not no_new_privs(plain) and has_effective(CAP_SYS_ADMIN, plain)
    locked = _status_under("--no-new-privs", "--inh-caps=-sys_admin", "--bounding-set=-sys_admin")
    assert no_new_privs(locked) and not has_effective(CAP_SYS_ADMIN, locked)
    assert has_effective(CAP_SETUID, locked) and has_effective(CAP_SETGID, locked)


def test_root_plans() -> None:
    status = process_status()
    plan = choose(0, 0, "root-without-range-" + "x" * 8, status)
    assert plan.writer == PARENT and plan.maps.kind == IDENTITY and plan.warning is None
    # Each ID to itself, but the last one (4294967294), so runc sees a user namespace.
    assert [(m.container, m.host, m.size) for m in plan.maps.uids] == [
        (inside, inside, min(size, 4294967294 - inside)) for inside, _, size in id_map("uid")
    ]
    assert plan.maps.uids[-1].container + plan.maps.uids[-1].size <= 4294967294
    no_setid = _status_under(
        "--inh-caps=-sys_admin,-setuid,-setgid", "--bounding-set=-sys_admin,-setuid,-setgid"
    )
    plan = choose(0, 0, "root", no_setid)
    assert plan.writer == CHILD and plan.maps.kind == SINGLE
    assert plan.warning is not None and "CAP_SETUID" in plan.warning
    assert "only root is mapped" in plan.warning
    plan = choose(54321, 54321, "nobody-has-this-name", status)
    assert plan.writer == CHILD and plan.maps.kind == SINGLE
    assert plan.warning is not None and "no subordinate ID range" in plan.warning
