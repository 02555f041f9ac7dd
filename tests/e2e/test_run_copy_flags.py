"""run's --add-history, --contextdir, --no-pivot; copy/add's --add-history, --contextdir,
--ignorefile; rename; the manifest flags buildah has."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.e2e.cliutil import Cli


def _history(cli: Cli, image: str) -> list[str]:
    cfg = json.loads(cli.out("inspect", "--type", "image", image))["Config"]
    return [h.get("created_by", "") for h in cfg["history"]]


def test_add_history_gives_run_and_copy_their_own_entries(
    cli: Cli, busybox: str, tmp_path: Path
) -> None:
    (tmp_path / "f").write_text("x")
    ctr = cli.out("from", "-q", busybox)
    cli("run", ctr, "--", "touch", "/quiet")
    cli("run", "--add-history", ctr, "--", "sh", "-c", "touch /b")
    assert cli("run", "--add-history", ctr, "--", "false", check=False).returncode == 1
    cli("copy", "--add-history", ctr, str(tmp_path / "f"), "/f")
    cli("add", ctr, str(tmp_path / "f"), "/g")
    base = len(_history(cli, busybox))
    notes = _history(cli, cli.out("commit", "-q", ctr, "localhost/hist:1"))[base:]
    assert notes[:2] == ["/bin/sh -c sh -c touch /b", f"/bin/sh -c #(nop) COPY {tmp_path}/f /f"]
    assert len(notes) == 3 and "/bin/sh -c false" not in notes  # a failed command: no entry
    env = dict(cli.env)
    cli.env["BUILDAH_HISTORY"] = "true"
    try:
        ctr2 = cli.out("from", "-q", busybox)
        cli("run", ctr2, "--", "true")
    finally:
        cli.env = env
    assert "/bin/sh -c true" in _history(cli, cli.out("commit", "-q", ctr2, "localhost/hist:2"))


def test_run_contextdir_confines_bind_sources(cli: Cli, busybox: str, tmp_path: Path) -> None:
    ctx = tmp_path / "ctx"
    (ctx / "sub").mkdir(parents=True)
    (ctx / "sub" / "data").write_text("in context\n")
    (tmp_path / "secret").write_text("outside\n")
    ctr = cli.out("from", "-q", busybox)
    mount = "type=bind,source=sub,target=/m"
    seen = cli.out("run", "--contextdir", str(ctx), "--mount", mount, ctr, "--", "cat", "/m/data")
    assert seen == "in context"
    out = cli("run", "--contextdir", str(ctx), "--mount", "type=bind,source=../secret,target=/s",
              ctr, "--", "cat", "/s", check=False)  # fmt: skip
    assert out.returncode == 125 and "outside" not in out.stdout  # `..` stays inside the context
    refused = cli("run", "--no-pivot", ctr, "--", "true", check=False)
    assert refused.returncode == 125 and "pivot_root" in refused.stderr


def test_copy_ignorefile_and_contextdir(cli: Cli, busybox: str, tmp_path: Path) -> None:
    ctx = tmp_path / "ctx"
    (ctx / "d").mkdir(parents=True)
    for name in ("d/a", "d/b.log", "keep", "drop"):
        (ctx / name).write_text(name)
    (ctx / ".dockerignore").write_text("drop\n")
    ignore = tmp_path / "ignore"
    ignore.write_text("d/*.log\n")
    ctr = cli.out("from", "-q", busybox)
    cli("copy", "--contextdir", str(ctx), "--ignorefile", str(ignore), ctr, str(ctx / "d"), "/x")
    assert cli.out("run", ctr, "--", "ls", "/x").split() == ["a"]
    cli("copy", "--contextdir", str(ctx), ctr, ".", "/y")  # the context's own ignore file
    listed = cli.out("run", ctr, "--", "ls", "-A", "/y").split()
    assert "keep" in listed and "drop" not in listed and "d" in listed
    alone = cli("copy", "--ignorefile", str(ignore), ctr, str(ctx / "keep"), "/z", check=False)
    assert alone.returncode == 125 and "--contextdir" in alone.stderr


def test_rename(cli: Cli, busybox: str) -> None:
    first = cli.out("from", "-q", "--name", "first", busybox)
    cli.out("from", "-q", "--name", "second", busybox)
    cli("rename", first, "renamed")
    names = cli.out("containers", "--format", "{{.ContainerName}}").split()
    assert "renamed" in names and "first" not in names
    taken = cli("rename", "renamed", "second", check=False)
    assert taken.returncode == 125 and "already in use" in taken.stderr
    same = cli("rename", "renamed", "renamed", check=False)
    assert same.returncode == 125 and "already has the name" in same.stderr
    assert cli("rename", "absent", "x", check=False).returncode == 125


def _entry(cli: Cli, lst: str) -> dict[str, Any]:
    return json.loads(cli.out("manifest", "inspect", lst))["manifests"][0]  # type: ignore[no-any-return]


def test_manifest_flags(cli: Cli, busybox: str, tmp_path: Path) -> None:
    cli("manifest", "create", "ml")
    again = cli("manifest", "create", "ml", check=False)
    assert again.returncode == 125
    cli("manifest", "create", "--amend", "ml", busybox)  # adds to the list that exists
    entry = _entry(cli, "ml")
    cli("manifest", "rm", "ml")
    cli("manifest", "create", "ml")
    cli("manifest", "add", "--os-features", "feat1", "ml", busybox)
    assert _entry(cli, "ml")["platform"]["os.features"] == ["feat1"]
    digest = entry["digest"]
    cli("manifest", "annotate", "--os-version", "10.1", "--os-features", "f2", "ml", digest)
    platform = _entry(cli, "ml")["platform"]
    assert platform["os.version"] == "10.1" and platform["os.features"] == ["f2"]
    for args in (
        ("annotate", "--features", "x", "ml", digest),
        ("add", "--features", "x", "ml", busybox),
        ("push", "--sign-by", "K", "ml", f"oci:{tmp_path / 'o'}"),
    ):
        proc = cli("manifest", *args, check=False)
        assert proc.returncode == 125 and len(proc.stderr.splitlines()) == 1, proc.stderr
