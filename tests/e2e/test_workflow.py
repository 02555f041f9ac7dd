"""The working-container workflow through the CLI: from, run, copy, add, config, commit, inspect."""

from __future__ import annotations

import json
import tarfile
from pathlib import Path

from tests.e2e.cliutil import Cli


def test_from_run_commit_and_run_the_image(cli: Cli, busybox: str, tmp_path: Path) -> None:
    ctr = cli.out("from", busybox)
    assert ctr == "busybox-working-container"
    cli(
        "run",
        ctr,
        "--",
        "sh",
        "-c",
        "echo built > /built.txt && echo app:x:1000:1000::/home/app:/bin/sh >> /etc/passwd && echo app:x:1000: >> /etc/group",
    )
    (tmp_path / "ctx").mkdir()
    (tmp_path / "ctx" / "hello.txt").write_text("hello\n")
    cli("copy", "--chown", "app", ctr, str(tmp_path / "ctx" / "hello.txt"), "/srv/")
    cli(
        "config",
        "--cmd",
        '["cat", "/srv/hello.txt"]',
        "--env",
        "A=1",
        "--label",
        "x=y",
        "--port",
        "8080",
        "--workingdir",
        "/srv",
        ctr,
    )
    image_id = cli.out("commit", "--rm", ctr, "demo:1")
    assert len(image_id) == 64
    listed = json.loads(cli.out("images", "--json"))
    assert any("localhost/demo:1" in img["names"] and img["id"] == image_id for img in listed)
    data = json.loads(cli.out("inspect", "--type", "image", "demo:1"))
    cfg = data["Config"]["config"]
    assert cfg["Cmd"] == ["cat", "/srv/hello.txt"]
    assert "A=1" in cfg["Env"] and cfg["Labels"]["x"] == "y" and "8080/tcp" in cfg["ExposedPorts"]
    assert cfg["WorkingDir"] == "/srv"
    ctr2 = cli.out("from", "demo:1")
    run = cli("run", ctr2, "--", "sh", "-c", "cat /built.txt; stat -c '%u:%g' /srv/hello.txt; pwd")
    assert run.stdout.split() == ["built", "1000:1000", "/srv"]


def test_run_exit_status_passes_through(cli: Cli, busybox: str) -> None:
    ctr = cli.out("from", busybox)
    proc = cli("run", ctr, "--", "sh", "-c", "exit 42", check=False)
    assert proc.returncode == 42


def test_add_unpacks_archives(cli: Cli, busybox: str, tmp_path: Path) -> None:
    src = tmp_path / "payload"
    src.mkdir()
    (src / "a.txt").write_text("A")
    archive = tmp_path / "payload.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(src, arcname="payload")
    ctr = cli.out("from", busybox)
    cli("add", ctr, str(archive), "/opt/")
    assert cli.out("run", ctr, "--", "cat", "/opt/payload/a.txt") == "A"


def test_scratch_copy_and_mount(cli: Cli, tmp_path: Path) -> None:
    f = tmp_path / "file"
    f.write_text("data")
    ctr = cli.out("from", "scratch")
    cli("copy", ctr, str(f), "/dir/file")
    mnt = Path(cli.out("mount", ctr))
    assert (mnt / "dir" / "file").read_text() == "data"
    cli("umount", ctr)
    img = cli.out("commit", ctr, "scratchy")
    manifest = json.loads(cli.out("inspect", "--type", "image", img))["Manifest"]
    assert len(manifest["layers"]) == 1


def test_import_with_changes(cli: Cli, busybox_tar: Path) -> None:
    cli(
        "import",
        "--change",
        'CMD ["/bin/sh", "-c", "echo hi"]',
        "--change",
        "ENV A=1 B='two words'",
        "--change",
        "EXPOSE 80/udp",
        "--change",
        "WORKDIR /srv",
        "--change",
        "LABEL k=v",
        str(busybox_tar),
        "changed",
    )
    cfg = json.loads(cli.out("inspect", "--type", "image", "changed"))["Config"]["config"]
    assert cfg["Cmd"] == ["/bin/sh", "-c", "echo hi"]
    assert {"A=1", "B=two words"} <= set(cfg["Env"])
    assert (
        cfg["ExposedPorts"] == {"80/udp": {}}
        and cfg["WorkingDir"] == "/srv"
        and cfg["Labels"] == {"k": "v"}
    )
    bad = cli("import", "--change", "RUN rm -rf /", str(busybox_tar), "nope", check=False)
    assert bad.returncode != 0 and "RUN cannot be used here" in bad.stderr
