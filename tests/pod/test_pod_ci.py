"""Whole CI scripts in one pod container: a login whose credentials file lands where a runner
without XDG_RUNTIME_DIR and with a read-only HOME can write it, and a store kept between two
jobs with `store export` / `store import`."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.pod.ci_job import DOCKERFILE, context_dir
from tests.pod.conftest import CiUser, PodFactory
from tests.registry_fixtures import PASSWORD, USER, Registry, htpasswd_registry

__all__ = ["htpasswd_registry"]

pytestmark = pytest.mark.needs_root

LOGIN = """
buildah-py login --tls-verify=false -u {user} -p {password} {auth}
buildah-py pull -q --tls-verify=false {base}
buildah-py push -q --tls-verify=false {base} docker://{private}
buildah-py rmi -f {base}
buildah-py pull -q --tls-verify=false {private} >/dev/null
buildah-py info --format '{{{{.paths.auth_file.path}}}}'
"""


@pytest.mark.parametrize("who", ["root", "user"])
def test_login_push_pull(
    who: str,
    make_pod: PodFactory,
    ci_user: CiUser,
    idmap_file_caps: dict[str, str],
    base_image: str,
    htpasswd_registry: Registry,
) -> None:
    if who == "root":
        pod, auth = make_pod(), "/run/containers/0/auth.json"
    else:
        # readOnlyRootFilesystem: the user writes only /tmp (a tmpfs) and the store's volume.
        pod = make_pod(
            ci_user.uid, ci_user.gid, readonly_rootfs=True, volumes=dict(idmap_file_caps)
        )
        auth = f"/tmp/buildah-py-run-{ci_user.uid}/containers/auth.json"
    private = htpasswd_registry.ref(f"pod/private-{who}:1")
    done = pod.script(
        LOGIN.format(
            user=USER,
            password=PASSWORD,
            auth=htpasswd_registry.host,
            base=base_image,
            private=private,
        )
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == "Login Succeeded!"
    assert done.stdout.splitlines()[-1] == auth


def test_store_kept_between_jobs(
    make_pod: PodFactory,
    ci_user: CiUser,
    idmap_file_caps: dict[str, str],
    base_image: str,
    tmp_path: Path,
) -> None:
    ctx = context_dir(tmp_path, DOCKERFILE.format(base=base_image), {"data.txt": "data\n"})
    build = "buildah-py build -q --tls-verify=false -t app /ctx"
    first = make_pod(ci_user.uid, ci_user.gid, volumes={**idmap_file_caps, str(ctx): "/ctx"})
    done = first.script(f"{build}\nbuildah-py store export /store/cache.tar.zst")
    assert done.returncode == 0, done.stderr
    image = done.stdout.strip()
    # The next job, on another runner: an empty store, the cache restored read-only.
    cache = {str(first.store / "cache.tar.zst"): "/cache/store.tar.zst"}
    second = make_pod(
        ci_user.uid, ci_user.gid, volumes={**idmap_file_caps, str(ctx): "/ctx", **cache}
    )
    # `info` first, as the recipes do: it may make the store's directories, which import allows.
    again = second.script(
        f"buildah-py info >/dev/null\nbuildah-py store import /cache/store.tar.zst\n{build}"
    )
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip().splitlines()[-1] == image  # every step from the restored cache
    assert "hostname not set" not in again.stderr  # no RUN ran
