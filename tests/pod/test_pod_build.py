"""A CI job in a pod (a runc container with a pod's capabilities, masked paths, read-only /sys
and the default seccomp profile; no XDG_RUNTIME_DIR, read-only HOME): a multi-step Dockerfile
with `chown`, built with chroot isolation and pushed to the loopback registry, then its owners
read back from the pushed layers; or the one line that says what the pod lacks."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from tests.pod.ci_job import OWNERS, build_and_push, error_lines, pushed_owners
from tests.pod.conftest import CiUser, PodFactory
from tests.pod.podspec import DEFAULT_CAPS
from tests.registry_fixtures import Registry

pytestmark = pytest.mark.needs_root


@pytest.mark.parametrize(
    ("driver", "caps"),
    [
        ("overlay", DEFAULT_CAPS),
        ("fuse-overlayfs", DEFAULT_CAPS),
        ("overlay", ("CAP_SETUID", "CAP_SETGID")),
    ],
    ids=["overlay", "fuse-overlayfs", "drop-all-add-setuid-setgid"],
)
def test_user_with_subordinate_ids(
    driver: str,
    caps: tuple[str, ...],
    make_pod: PodFactory,
    ci_user: CiUser,
    idmap_file_caps: dict[str, str],
    base_image: str,
    registry: Registry,
    tmp_path: Path,
) -> None:
    """Kernel overlay (userxattr) needs nothing from the pod; fuse-overlayfs needs /dev/fuse.
    newuidmap's file capabilities need only CAP_SETUID and CAP_SETGID in the bounding set."""
    fuse = driver == "fuse-overlayfs"
    pod = make_pod(ci_user.uid, ci_user.gid, fuse=fuse, caps=caps, volumes=dict(idmap_file_caps))
    pod.extra_env["BUILDAH_PY_STORAGE_DRIVER"] = driver
    ref = registry.ref(f"pod/app-sub-{driver}-{len(caps)}:1")
    built = build_and_push(pod, base_image, ref, tmp_path)
    assert built.returncode == 0, built.stderr
    assert [line for line in built.stderr.splitlines() if "newuidmap" in line] == []
    assert pod.cli("info", "--format", "{{.store.driver}}").stdout.strip() == driver
    assert pushed_owners(ref, tmp_path) == OWNERS


def test_user_without_subordinate_ids(
    make_pod: PodFactory, bare_user: CiUser, base_image: str, registry: Registry, tmp_path: Path
) -> None:
    pod = make_pod(bare_user.uid, bare_user.gid)
    built = build_and_push(pod, base_image, registry.ref("pod/app-bare:1"), tmp_path)
    # Only the user's own ID is mapped: the first `chown` fails, and one line says why.
    assert built.returncode == 1
    lines = built.stderr.splitlines()
    missing = [line for line in lines if "subordinate" in line]
    assert missing == [
        f"WARNING: no subordinate ID range for {bare_user.name} in /etc/subuid and /etc/subgid: "
        "only your own IDs are mapped (a single-ID mapping, as root), so images with files owned by other users "
        f"cannot be used. Add a line such as {bare_user.name}:100000:65536 to both files."
    ]
    assert "chown: /home/app: Invalid argument" in lines
    assert error_lines(built) == ["Error: Dockerfile:2: RUN: command exited with status 1"]


def _subid_files(tmp_path: Path, line: str) -> dict[str, str]:
    """The pod's own /etc/subuid and /etc/subgid, holding `line` (the image's, not the host's)."""
    out = {}
    for name in ("subuid", "subgid"):
        path = Path(tempfile.mkdtemp(prefix="etc-", dir=tmp_path)) / name
        path.write_text(line)
        path.chmod(0o644)
        out[str(path)] = f"/etc/{name}"
    return out


@pytest.mark.parametrize(
    ("subids", "uid_map"),
    [("", "0 0 4294967294"), ("root:400000:65536\n", "0 0 1\n1 400000 65536")],
    ids=["no-range", "range"],
)
def test_root_without_sys_admin(
    subids: str,
    uid_map: str,
    make_pod: PodFactory,
    base_image: str,
    registry: Registry,
    tmp_path: Path,
) -> None:
    """Root in a pod lacks CAP_SYS_ADMIN: it makes a user namespace, mapped from root's range
    in /etc/subuid where there is one, else every ID to itself."""
    pod = make_pod(volumes=_subid_files(tmp_path, subids))
    seen = pod.cli("unshare", "cat", "/proc/self/uid_map").stdout
    assert [" ".join(row.split()) for row in seen.splitlines()] == uid_map.splitlines()
    ref = registry.ref(f"pod/app-root-{'range' if subids else 'none'}:1")
    built = build_and_push(pod, base_image, ref, tmp_path)
    assert built.returncode == 0, built.stderr
    assert pushed_owners(ref, tmp_path) == OWNERS


SINGLE = (
    ": only your own IDs are mapped (a single-ID mapping, as root), so images with files owned "
    "by other users cannot be used"
)


@pytest.mark.parametrize("shape", ["setuid-helper", "no-new-privs"])
def test_refused_newuidmap_falls_back(
    shape: str,
    make_pod: PodFactory,
    ci_user: CiUser,
    idmap_file_caps: dict[str, str],
    base_image: str,
    registry: Registry,
    tmp_path: Path,
) -> None:
    """The user has a range but the helper cannot act: Debian's setuid newuidmap needs
    CAP_SYS_ADMIN, which a pod lacks; no_new_privs (allowPrivilegeEscalation: false) voids even
    file capabilities. The build runs with a single-ID mapping, and one line says why."""
    if shape == "setuid-helper":
        pod = make_pod(ci_user.uid, ci_user.gid)
        why = (
            "WARNING: newuidmap failed: newuidmap: write to uid_map failed: Operation not permitted"
        )
    else:
        pod = make_pod(ci_user.uid, ci_user.gid, no_new_privs=True, volumes=dict(idmap_file_caps))
        why = (
            "WARNING: newuidmap cannot act: no_new_privs is set on this process (Kubernetes "
            "allowPrivilegeEscalation: false), so its setuid bit and file capability are ignored"
        )
    built = build_and_push(pod, base_image, registry.ref(f"pod/app-{shape}:1"), tmp_path)
    assert built.returncode == 1
    lines = built.stderr.splitlines()
    assert [line for line in lines if "newuidmap" in line] == [why + SINGLE]
    assert "chown: /home/app: Invalid argument" in lines
    assert error_lines(built) == ["Error: Dockerfile:2: RUN: command exited with status 1"]
