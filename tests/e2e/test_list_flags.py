"""images and containers: --filter, --format, --no-trunc/--notruncate, --all; images --history refused."""

from __future__ import annotations

from tests.e2e.cliutil import Cli


def test_images_filter_format_no_trunc(cli: Cli, busybox: str) -> None:
    full = cli.out("inspect", "--type", "image", "--format", ".Id", busybox)
    ctr = cli.out("from", busybox)
    cli("commit", ctr, "other:2")
    dangling = cli.out("commit", ctr)
    assert cli.out("images", "--format", "{{.Name}}:{{.Tag}}", "--filter", "reference=busybox") == (
        "localhost/busybox:latest"
    )
    assert cli.out("images", "-q", "--no-trunc", "--filter", f"id={full[:8]}") == full
    assert cli.out("images", "-q", "--no-trunc", "-f", "dangling=true") == dangling
    assert dangling not in cli.out("images", "-q", "--no-trunc", "-a", "-f", "dangling=false")
    assert cli.out("images", "--format", "{{.ID}}\\t{{.Tag}}", "-f", "reference=other*") == (
        f"{cli.out('images', '-q', '-f', 'reference=other')}\t2"
    )
    bad = cli("images", "--filter", "color=red", check=False)
    assert bad.returncode == 125 and bad.stderr.startswith("Error: --filter 'color=red'")
    hist = cli("images", "--history", check=False)
    assert hist.returncode == 125 and "--history" in hist.stderr


def test_containers_filter_format_notruncate(cli: Cli, busybox: str) -> None:
    one = cli.out("from", "--name", "alpha", busybox)
    cli("from", "--name", "beta", "scratch")
    assert cli.out("containers", "-a", "--format", "{{.ContainerName}}", "-f", "name=^al") == one
    assert cli.out("containers", "--format", "{{.ContainerName}}", "-f", f"ancestor={busybox}") == (
        "alpha"
    )
    full = cli.out("containers", "-q", "--notruncate", "-f", "name=beta")
    assert len(full) == 64 and cli.out("containers", "-q", "-f", f"id={full[:6]}") == full[:12]
    bad = cli("containers", "--format", "{{.Nope}}", check=False)
    assert bad.returncode == 125 and "no field .Nope" in bad.stderr
