"""A store kept between CI jobs: `check` finds one copied without its owners and `check --repair`
unpacks it again; `store export` / `store import` keep owners, xattrs, whiteouts, hard links."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import tarfile
from pathlib import Path

import pytest

from tests.e2e.cliutil import Cli as StoreCli

REPO = Path(__file__).resolve().parents[2]
BASE = """FROM localhost/bb
RUN mkdir -p /home/app /opq && echo x > /home/app/f && ln /home/app/f /home/app/hard \
 && chown -R 1000:1001 /home/app && chmod 4750 /home/app/f && touch /opq/a /bin/gone
RUN rm -rf /opq && mkdir /opq && rm /bin/gone
"""
Header = tuple[str, int, int, int, bytes]


class Cli(StoreCli):
    """The CLI on the store under `base` with `driver`; a traceback fails the test."""

    def __init__(self, base: Path, driver: str) -> None:
        super().__init__(base / "root", base / "run")
        self.base, self.driver = base, driver
        self.env.update(PYTHONPATH=str(REPO), TMPDIR=str(base.parent))

    def __call__(  # type: ignore[override]
        self, *args: str, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        proc = super().__call__("--storage-driver", self.driver, *args, check=check, timeout=300)
        assert "Traceback" not in proc.stderr
        return proc


def _store(tmp: Path, driver: str, busybox_tar: Path) -> Cli:
    cli = Cli(tmp / "a", driver)
    (tmp / "ctx").mkdir(exist_ok=True)
    (tmp / "ctx" / "Containerfile").write_text(BASE)
    cli("import", str(busybox_tar), "localhost/bb", "--timestamp", "0")
    cli("build", "-q", "-t", "base", str(tmp / "ctx"))
    return cli


def _top(cli: Cli, name: str) -> list[Header]:
    """Build on the base (a step that copies /home/app up) and push: the new layer's headers."""
    ctr = cli("from", "localhost/base").stdout.strip()
    cli("run", ctr, "--", "sh", "-c", "touch /home/app/g && chmod 640 /home/app/f")
    cli("commit", "--rm", "--timestamp", "0", ctr, name)
    return _pushed(cli, name)[-1]


def _pushed(cli: Cli, name: str) -> list[list[Header]]:
    """Push `name` to an OCI layout; every layer's tar headers (the manifest digest first)."""
    dest = cli.base / f"oci-{name}"
    cli("push", "--digestfile", str(dest) + ".digest", name, f"oci:{dest}:x")
    blobs = dest / "blobs" / "sha256"
    index = json.loads((dest / "index.json").read_text())
    manifest = json.loads((blobs / index["manifests"][0]["digest"][7:]).read_bytes())
    out = []
    for layer in manifest["layers"]:
        with tarfile.open(fileobj=gzip.open(blobs / layer["digest"][7:])) as tar:
            out.append([(m.name, m.uid, m.gid, m.mode, m.type) for m in tar])
    return out


@pytest.mark.parametrize("driver", ["overlay", "fuse-overlayfs", "vfs"])
def test_a_store_copied_without_owners_is_found_and_repaired(
    driver: str, tmp_path: Path, busybox_tar: Path
) -> None:
    cli = _store(tmp_path, driver, busybox_tar)
    want = _top(cli, "ref")
    assert ("home/app", 1000, 1001, 0o755, tarfile.DIRTYPE) in want
    assert cli("check").returncode == 0
    # What `cp -a` by the CI user leaves: everything owned by the copier, whiteouts gone.
    subprocess.run(["chown", "-R", "4242:4242", str(cli.base / "root" / "snapshots")], check=True)
    if driver != "vfs":
        gone = list((cli.base / "root" / "snapshots").glob("*/fs/bin/gone"))
        assert gone
        for whiteout in gone:
            whiteout.unlink()
    broken = _top(cli, "broken")  # without repair the next layer ships the copier's owners
    assert ("home/app", 4242, 4242, 0o755, tarfile.DIRTYPE) in broken
    found = cli("check", check=False)
    assert found.returncode == 1 and "was the store copied without its owners?" in found.stdout
    assert "home/app owned by 4242:4242, the layer says 1000:1001" in found.stdout
    if driver != "vfs":
        assert "bin/gone whiteout lost" in found.stdout
    assert cli("check", "--repair").returncode == 0
    assert cli("check").stdout.strip() == "store is consistent"
    assert _top(cli, "fixed") == want


@pytest.mark.parametrize("driver", ["overlay", "fuse-overlayfs", "vfs"])
def test_export_import_round_trip(driver: str, tmp_path: Path, busybox_tar: Path) -> None:
    cli = _store(tmp_path, driver, busybox_tar)
    ctr = cli("from", "--name", "work", "localhost/base").stdout.strip()
    cli("run", ctr, "--", "sh", "-c", "rm -rf /opq && mkdir /opq && chown 7:8 /opq")
    archive = tmp_path / "store.tar.zst"
    assert cli("store", "export", str(archive)).returncode == 0
    other = Cli(tmp_path / "b", driver)
    assert other("store", "import", str(archive)).returncode == 0
    assert other("check").stdout.strip() == "store is consistent"
    for name in ("localhost/bb", "localhost/base"):
        assert _pushed(other, name) == _pushed(cli, name)
        assert (other.base / f"oci-{name}.digest").read_text() == (
            cli.base / f"oci-{name}.digest"
        ).read_text()
    # the working container came along too: its commit is the same image
    a = cli("commit", "--timestamp", "0", "work", "w1").stdout.strip()
    b = other("commit", "--timestamp", "0", "work", "w1").stdout.strip()
    assert a == b
    # hard links stay links; a second import into that store is refused, the store untouched
    apps = list((other.base / "root").glob("snapshots/*/fs/home/app"))
    assert apps and all(os.path.samefile(d / "f", d / "hard") for d in apps)
    again = other("store", "import", str(archive), check=False)
    assert again.returncode != 0 and "the store is not empty" in again.stderr
    bad = tmp_path / "bad.tar"
    with tarfile.open(bad, "w") as tar:
        tar.add(busybox_tar, "x")
    fresh = Cli(tmp_path / "c", driver)
    wrong = fresh("store", "import", str(bad), check=False)
    assert "not a buildah-py store export" in wrong.stderr and not (fresh.base / "root").exists()


def test_export_refuses_mounted_containers(tmp_path: Path, busybox_tar: Path) -> None:
    cli = Cli(tmp_path / "a", "vfs")
    cli("import", str(busybox_tar), "localhost/bb", "--timestamp", "0")
    ctr = cli("from", "localhost/bb").stdout.strip()
    cli("mount", ctr)
    out = cli("store", "export", str(tmp_path / "s.tar"), check=False)
    assert out.returncode != 0 and "are mounted; unmount them first" in out.stderr
    assert not list(tmp_path.glob("*s.tar"))
