"""A CI job in a pod (a runc container with a pod's capabilities, masked paths, read-only /sys
and the default seccomp profile; no XDG_RUNTIME_DIR, read-only HOME): a multi-step Dockerfile
with `chown`, built with chroot isolation and pushed to the loopback registry, then its owners
read back from the pushed layers; or the one line that says what the pod lacks."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.pod.ci_job import OWNERS, build_and_push, error_lines, pushed_owners
from tests.pod.conftest import CiUser, PodFactory
from tests.registry_fixtures import Registry

pytestmark = pytest.mark.needs_root


def test_user_with_subordinate_ids(
    make_pod: PodFactory,
    ci_user: CiUser,
    idmap_file_caps: dict[str, str],
    base_image: str,
    registry: Registry,
    tmp_path: Path,
) -> None:
    pod = make_pod(ci_user.uid, ci_user.gid, volumes=dict(idmap_file_caps))
    ref = registry.ref(f"pod/app-sub-{ci_user.uid}:1")
    built = build_and_push(pod, base_image, ref, tmp_path)
    assert built.returncode == 0, built.stderr
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
        "only your own IDs are mapped (as root), so images with files owned by other users "
        f"cannot be used. Add a line such as {bare_user.name}:100000:65536 to both files."
    ]
    assert "chown: /home/app: Invalid argument" in lines
    assert error_lines(built) == ["Error: Dockerfile:2: RUN: command exited with status 1"]
