"""A rootless store kept between CI jobs, as the unprivileged user: a plain `cp -a` (outside the
user namespace) loses the subordinate owners, `check` says so and `check --repair` restores
them; `store export` / `store import` keep them."""

from __future__ import annotations

import os
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

import pytest

from tests.rootless.conftest import RootlessCli, User, _ids
from tests.rootless.test_rootless import _layers

BASE = """FROM localhost/busybox:latest
RUN mkdir -p /home/app /opq && echo x > /home/app/f && chmod 600 /home/app/f \
 && ln /home/app/f /home/app/hard && chown -R 1000:1000 /home/app && touch /opq/a /bin/gone
RUN rm -rf /opq && mkdir /opq && rm /bin/gone
"""


def _new_store(user: User, rl_busybox: Path, name: str) -> RootlessCli:
    base = Path(tempfile.mkdtemp(prefix=f"{name}-", dir=user.work))
    os.chown(base, *_ids(user.name))
    return RootlessCli(user, base)


@pytest.fixture
def built(user: User, rl_busybox: Path) -> RootlessCli:
    cli = _new_store(user, rl_busybox, "kept")
    cli("import", str(rl_busybox), "localhost/busybox:latest", "--timestamp", "0")
    ctx = cli.root / "ctx"
    ctx.mkdir()
    (ctx / "Containerfile").write_text(BASE)
    os.chown(ctx, *_ids(user.name))
    cli("build", "-q", "-t", "base", str(ctx))
    return cli


def _top(cli: RootlessCli, name: str) -> dict[str, tuple[int, int, int]]:
    """Build a step on the base that copies /home/app up, push it: the new layer's owners."""
    ctr = cli.out("from", "localhost/base")
    cli("run", ctr, "--", "sh", "-c", "touch /home/app/g && chmod 640 /home/app/f")
    cli("commit", "--rm", "--timestamp", "0", ctr, name)
    out = cli.root / f"{name}.tar"
    cli("push", name, f"oci-archive:{out}:latest")
    top = _layers(out)[-1]
    return {n: (m.uid, m.gid, m.mode) for n, m in top.items()}


def test_plain_copy_is_found_and_repaired(built: RootlessCli, user: User, rl_busybox: Path) -> None:
    want = _top(built, "ref")
    assert want["home/app/f"] == (1000, 1000, 0o640) and want["home/app"][:2] == (1000, 1000)
    copy = _new_store(user, rl_busybox, "copied")
    # What a CI cache step does: cp -a as the user, outside the namespace. It cannot read the
    # subordinate-owned 0600 file, nor give files their owners (0/0 whiteouts it can make).
    cp = user.run(["cp", "-a", str(built.root / "root"), str(copy.root / "root")], user.env())
    assert cp.returncode != 0 and "Permission denied" in cp.stderr
    found = copy("check", check=False)
    assert found.returncode == 1, found.stdout + found.stderr
    assert "was the store copied without its owners?" in found.stdout
    assert "home/app owned by 0:0, the layer says 1000:1000" in found.stdout
    assert "home/app/f missing" in found.stdout
    copy("check", "--repair")
    assert copy.out("check") == "store is consistent"
    assert _top(copy, "fixed") == want


def test_export_import_keeps_subordinate_owners(
    built: RootlessCli, user: User, rl_busybox: Path
) -> None:
    archive = built.root / "store.tar.gz"
    built("store", "export", str(archive))
    with tarfile.open(archive) as tar:  # the namespace's IDs, as a rootful store would hold them
        owners = {(m.uid, m.gid) for m in tar if m.name.endswith("/fs/home/app/f")}
    assert owners == {(1000, 1000)}
    other = _new_store(user, rl_busybox, "imported")
    other("store", "import", str(archive))
    assert other.out("check") == "store is consistent"
    files = list((other.root / "root").glob("snapshots/*/fs/home/app/f"))
    assert files and {(p.stat().st_uid, p.stat().st_gid) for p in files} == {(200999, 200999)}
    for name in ("localhost/busybox:latest", "localhost/base"):
        for cli in (built, other):
            cli("push", "--digestfile", str(cli.root / "d"), name, f"oci:{cli.root / 'o'}:x")
        assert (other.root / "d").read_text() == (built.root / "d").read_text()
    assert _top(other, "after") == _top(built, "before")
    shutil.rmtree(other.root, ignore_errors=True)
    subprocess.run(["rm", "-rf", str(built.root)], check=False)
