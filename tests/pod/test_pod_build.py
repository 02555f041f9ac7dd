"""A CI job in a pod (a runc container with a pod's capabilities, masked paths, read-only /sys
and the default seccomp profile; no XDG_RUNTIME_DIR, read-only HOME): a multi-step Dockerfile
with `chown`, built with chroot isolation and pushed to the loopback registry, then its owners
read back from the pushed layers; or the one line that says what the pod lacks."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.pod.conftest import NOTLS, CiUser, PodFactory, context_dir, pushed_entries
from tests.pod.harness import Pod
from tests.registry_fixtures import Registry

pytestmark = pytest.mark.needs_root

DOCKERFILE = """FROM {base}
RUN echo app:x:1234:1234::/home/app:/bin/sh >> /etc/passwd && echo app:x:1234: >> /etc/group \
 && mkdir -p /home/app /srv && chown app:app /home/app && echo hi > /srv/f && chown 1234:1234 /srv/f
COPY --chown=2000:3000 data.txt /srv/data.txt
RUN touch /srv/g && chown app:app /srv/g && chmod 640 /srv/g
"""

OWNERS = {
    "srv": (0, 0, 0o755),
    "srv/f": (1234, 1234, 0o644),
    "srv/data.txt": (2000, 3000, 0o644),
    "srv/g": (1234, 1234, 0o640),
    "home/app": (1234, 1234, 0o755),
}


def _job(pod: Pod, base: str, ref: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """Build and push as a CI script would; the build's result (push only after success)."""
    ctx = context_dir(tmp_path, DOCKERFILE.format(base=base), {"data.txt": "data\n"})
    pod.volumes[str(ctx)] = "/ctx"
    built = pod.cli("build", "-q", NOTLS, "--isolation", "chroot", "-t", ref, "/ctx", check=False)
    if built.returncode == 0:
        pod.cli("push", "-q", NOTLS, ref, f"docker://{ref}")
    return built


def _owners(ref: str, tmp_path: Path) -> dict[str, tuple[int, int, int]]:
    found = pushed_entries(ref, tmp_path)
    return {name: found[name] for name in OWNERS}


def _error_lines(done: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in done.stderr.splitlines() if line.startswith("Error: ")]


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
    built = _job(pod, base_image, ref, tmp_path)
    assert built.returncode == 0, built.stderr
    assert _owners(ref, tmp_path) == OWNERS


def test_user_without_subordinate_ids(
    make_pod: PodFactory, bare_user: CiUser, base_image: str, registry: Registry, tmp_path: Path
) -> None:
    pod = make_pod(bare_user.uid, bare_user.gid)
    built = _job(pod, base_image, registry.ref("pod/app-bare:1"), tmp_path)
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
    assert _error_lines(built) == ["Error: Dockerfile:2: RUN: command exited with status 1"]
