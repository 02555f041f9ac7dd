"""A CI job as a real unprivileged user: no XDG_RUNTIME_DIR, a read-only HOME, the default
runroot under /tmp; pull, a two-step build with `chown`, push, login and an authenticated pull,
against loopback registries. Once with subordinate IDs, once for a user without them."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.registry_fixtures import PASSWORD, USER, Registry, htpasswd_registry, registry
from tests.rootless.conftest import User, _ids, add_user, remove_user
from tests.rootless.test_rootless import _layers

__all__ = ["htpasswd_registry", "registry"]

NOTLS = "--tls-verify=false"
DOCKERFILE = """FROM {base}
RUN mkdir -p /srv && echo hi > /srv/f && chown 1000:1000 /srv/f
RUN touch /srv/g && chown 2000:3000 /srv/g && chmod 640 /srv/g
"""


class Job:
    """`buildah-py` as `user` the way a CI runner starts it: only a store root is given."""

    def __init__(self, user: User, base: Path, conf: Path) -> None:
        self.user = user
        self.uid = _ids(user.name)[0]
        self.home = base / "home"  # root's, 0755: read-only for the user
        (self.home / ".docker").mkdir(parents=True)
        # A default credentials file the user may not read: no error for anonymous access.
        (self.home / ".docker" / "config.json").write_text('{"auths": {}}')
        (self.home / ".docker" / "config.json").chmod(0o600)
        self.store = Path(tempfile.mkdtemp(prefix="ci-store-", dir=user.work))
        os.chown(self.store, *_ids(user.name))
        self.env = user.env(
            HOME=str(self.home),
            BUILDAH_PY_ROOT=str(self.store),
            CONTAINERS_REGISTRIES_CONF=str(conf),
        )
        self.runroot = Path(f"/tmp/buildah-py-run-{self.uid}")

    def __call__(
        self, *args: str, stdin: str | None = None, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        argv = [sys.executable, "-m", "buildah_py.cli.main", *args]
        with self.user.popen(
            argv,
            self.env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        ) as proc:
            out, err = proc.communicate(stdin, timeout=300)
        done = subprocess.CompletedProcess(argv, proc.returncode, out, err)
        if check and proc.returncode != 0:
            raise AssertionError(f"buildah-py {' '.join(args)} failed:\n{err}")
        return done

    def cleanup(self) -> None:
        shutil.rmtree(self.store, ignore_errors=True)
        shutil.rmtree(self.runroot, ignore_errors=True)


@pytest.fixture
def public() -> Iterator[Path]:
    """A directory of root's that every user may read (the pytest base directory is 0700)."""
    path = Path(tempfile.mkdtemp(prefix="buildah-py-ci-", dir="/tmp"))
    path.chmod(0o755)
    (path / "registries.conf").write_text("")
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def job(user: User, public: Path) -> Iterator[Job]:
    j = Job(user, public, public / "registries.conf")
    yield j
    j.cleanup()


@pytest.fixture(scope="module")
def bare_user() -> Iterator[User]:
    """A second user, with no line in /etc/subuid or /etc/subgid."""
    name = f"buildbare-{os.getpid() % 100000}"
    add_user(name)
    work = Path(tempfile.mkdtemp(prefix="buildah-py-bare-", dir="/tmp"))
    os.chown(work, *_ids(name))
    try:
        yield User(name, Path(f"/home/{name}"), work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(f"/tmp/buildah-py-run-{_ids(name)[0]}", ignore_errors=True)
        remove_user(name)


@pytest.fixture
def bare_job(bare_user: User, public: Path) -> Iterator[Job]:
    j = Job(bare_user, public, public / "registries.conf")
    yield j
    j.cleanup()


def _pushed_owners(ref: str, tmp: Path) -> dict[str, tuple[int, int, int]]:
    """Owners and modes of /srv/* in the image at `ref`, as skopeo (root) fetches it."""
    archive = tmp / "fetched.tar"
    subprocess.run(
        ["skopeo", "copy", "--src-tls-verify=false", f"docker://{ref}", f"oci-archive:{archive}"],
        check=True,
        capture_output=True,
    )
    found = {}
    for layer in _layers(archive):
        for path, m in layer.items():
            name = path.rstrip("/")  # a directory's entry ends in "/"
            if name == "srv" or name.startswith("srv/"):
                found[name] = (m.uid, m.gid, m.mode & 0o7777)
    return found


def _seed(job: Job, rl_busybox: Path, reg: Registry) -> str:
    """The base image, pushed anonymously, dropped, and pulled back."""
    base = reg.ref(f"ci/busybox-{job.uid}:1")
    job("import", str(rl_busybox), "localhost/busybox:latest", "--timestamp", "0")
    job("push", "-q", NOTLS, "localhost/busybox:latest", f"docker://{base}")
    job("rmi", "localhost/busybox:latest")
    job("pull", "-q", NOTLS, base)
    return base


def _info(job: Job, mapping: str, subuid: list[list[int]]) -> None:
    """What `info` tells the CI log: the real user, their ranges, the paths and why."""
    data = json.loads(job("info").stdout)
    host = data["host"]
    assert host["rootless"] is True
    assert host["id_ranges"] == {
        "user": job.user.name,
        "uid": job.uid,
        "subuid": subuid,
        "subgid": subuid,
    }
    assert host["user_namespaces"]["inside_buildah_py_namespace"] == mapping
    assert host["overlay"]["kind"] in ("userxattr", "fuse-overlayfs", "none (vfs only)")
    assert data["paths"]["runroot"] == {
        "path": str(job.runroot),
        "why": "$XDG_RUNTIME_DIR is unset: a private directory under /tmp",
    }
    assert data["paths"]["auth_file"]["path"] == f"{job.runroot}/containers/auth.json"
    assert f"/run/containers/{job.uid} is not yours" in data["paths"]["auth_file"]["why"]


def _login_push_pull(job: Job, image: str, auth_reg: Registry) -> str:
    ref = auth_reg.ref(f"ci/private-{job.uid}:1")
    done = job("login", NOTLS, "-u", USER, "--password-stdin", auth_reg.host, stdin=PASSWORD)
    assert done.stdout.strip() == "Login Succeeded!"
    auth = job.runroot / "containers" / "auth.json"
    assert stat.S_IMODE(auth.stat().st_mode) == 0o600 and auth.stat().st_uid == job.uid
    assert stat.S_IMODE(job.runroot.stat().st_mode) == 0o700
    job("push", "-q", NOTLS, image, f"docker://{ref}")
    job("rmi", "-f", image)
    job("pull", "-q", NOTLS, ref)  # reads the file login wrote
    return ref


def test_ci_job_with_subordinate_ids(
    job: Job, rl_busybox: Path, registry: Registry, htpasswd_registry: Registry, tmp_path: Path
) -> None:
    base = _seed(job, rl_busybox, registry)
    assert job.runroot.is_dir() and job.runroot.stat().st_uid == job.uid
    _info(job, "full", [[200000, 65536]])
    # In an `unshare` session (root there, no re-exec) the paths still name the real user.
    inner = f"{sys.executable} -m buildah_py.cli.main info --format '{{{{.paths.auth_file.path}}}}'"
    assert job("unshare", "sh", "-c", inner).stdout.strip() == f"{job.runroot}/containers/auth.json"
    context = Path(tempfile.mkdtemp(prefix="ctx-", dir=job.user.work))
    (context / "Dockerfile").write_text(DOCKERFILE.format(base=base))
    os.chown(context, job.uid, job.uid)
    app = registry.ref(f"ci/app-{job.uid}:1")
    job("build", "-q", NOTLS, "-t", app, str(context))
    job("push", "-q", NOTLS, app, f"docker://{app}")
    assert _pushed_owners(app, tmp_path) == {
        "srv": (0, 0, 0o755),
        "srv/f": (1000, 1000, 0o644),
        "srv/g": (2000, 3000, 0o640),
    }
    private = _login_push_pull(job, app, htpasswd_registry)
    # A credentials file the user names is used as given: unreadable is an error.
    job("rmi", "-f", private)
    job.env["REGISTRY_AUTH_FILE"] = str(job.home / ".docker" / "config.json")
    refused = job("pull", "-q", NOTLS, private, check=False)
    assert refused.returncode != 0
    assert (
        refused.stderr.strip()
        .splitlines()[-1]
        .startswith(f"Error: cannot read credentials file {job.home}/.docker/config.json")
    )


def test_ci_job_without_subordinate_ids(
    bare_job: Job,
    rl_busybox: Path,
    registry: Registry,
    htpasswd_registry: Registry,
) -> None:
    job = bare_job
    tar = job.home / "busybox.tar"  # the first user's copy is in a directory only they enter
    shutil.copy(rl_busybox, tar)
    tar.chmod(0o644)
    base = _seed(job, tar, registry)
    _info(job, "single", [])
    context = Path(tempfile.mkdtemp(prefix="ctx-", dir=job.user.work))
    (context / "Dockerfile").write_text(DOCKERFILE.format(base=base))
    os.chown(context, job.uid, job.uid)
    failed = job("build", "-q", NOTLS, "-t", "app", str(context), check=False)
    assert failed.returncode != 0
    # One line names what is missing (the `chown` to an unmapped ID is what fails).
    missing = [line for line in failed.stderr.splitlines() if "no subordinate ID range" in line]
    assert len(missing) == 1 and "/etc/subuid" in missing[0] and "Add a line" in missing[0]
    assert "chown" in failed.stderr and "Error: Dockerfile:2: RUN" in failed.stderr
    _login_push_pull(job, base, htpasswd_registry)


def test_runroot_takeover_is_refused(user: User, bare_user: User, public: Path) -> None:
    job = Job(user, public, public / "registries.conf")
    try:
        # Another user made the runroot first, open to everyone (after any left by a test
        # of the same user: a store's auth and temporary files default there too).
        shutil.rmtree(job.runroot, ignore_errors=True)
        job.runroot.mkdir()
        os.chown(job.runroot, *_ids(bare_user.name))
        job.runroot.chmod(0o777)
        proc = job("images", check=False)
        assert proc.returncode != 0
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1, proc.stderr
        assert f"refusing the runroot {job.runroot}: it belongs to another user" in lines[0]
        assert f"rm -rf {job.runroot}" in lines[0] and "--runroot" in lines[0]
        login = job(
            "login", NOTLS, "-u", "u", "--password-stdin", "127.0.0.1:1", stdin="p", check=False
        )
        assert login.returncode != 0  # nor are credentials written there
        assert login.stderr.strip().splitlines() == [
            f"Error: refusing the per-user directory {job.runroot}: it belongs to another user "
            f"(uid 65534 here), not to you; run `rm -rf {job.runroot}` or set $XDG_RUNTIME_DIR"
        ]
        assert not (job.runroot / "containers").exists()
        shutil.rmtree(job.runroot)
        job("images")
        assert stat.S_IMODE(job.runroot.stat().st_mode) == 0o700
        assert job.runroot.stat().st_uid == job.uid
    finally:
        job.cleanup()
