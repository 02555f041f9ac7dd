"""from's buildah flags: --os/--arch/--variant, -f/--format, --cidfile, --isolation, --add-host,
--pull values, --decryption-key refused."""

from __future__ import annotations

import json
from pathlib import Path

from tests.e2e.cliutil import Cli


def _config(cli: Cli, ctr: str) -> dict[str, object]:
    return json.loads(cli.out("inspect", "--type", "container", ctr))["OCIv1"]  # type: ignore[no-any-return]


def test_arch_os_variant_choose_from_a_list(cli: Cli, busybox: str, tmp_path: Path) -> None:
    arm = cli.out("from", "-q", busybox)
    cli("config", "--arch", "arm64", "--variant", "v8", arm)
    cli("commit", "-q", arm, "localhost/busybox:arm64")
    cli("manifest", "create", "plist", busybox, "localhost/busybox:arm64")
    layout = f"oci:{tmp_path / 'layout'}"
    cli("manifest", "push", "--all", "plist", layout)
    cli("rmi", "-a", "-f")
    ctr = cli.out("from", "-q", "--arch", "arm64", "--variant", "v8", layout)
    cfg = _config(cli, ctr)
    assert (cfg["architecture"], cfg["variant"]) == ("arm64", "v8")
    host = _config(cli, cli.out("from", "-q", "--os", "linux", "--arch", "amd64", layout))
    assert host["architecture"] == "amd64"
    wrong = cli("from", "-q", "--arch", "s390x", layout, check=False)
    assert wrong.returncode == 125 and "s390x" in wrong.stderr


def test_cidfile_and_pull_values(cli: Cli, busybox: str, tmp_path: Path) -> None:
    cidfile = tmp_path / "cid"
    cidfile.write_text("stale")
    name = cli.out("from", "--cidfile", str(cidfile), "--pull=false", busybox)
    assert cidfile.read_text() == cli.out("inspect", "--format", ".ContainerID", name)
    assert cli("from", "--pull", "never", busybox).returncode == 0
    gone = cli("from", "--pull=never", "localhost/absent:1", check=False)
    assert gone.returncode == 125 and len(gone.stderr.splitlines()) == 1


def test_isolation_is_what_run_uses(cli: Cli, busybox: str) -> None:
    cli.env.pop("BUILDAH_ISOLATION", None)
    read = ["--", "cat", "/proc/self/cgroup"]
    oci = cli.out("from", "-q", "--isolation", "oci", busybox)
    assert "buildah-py-" in cli.out("run", oci, *read)  # runc's own cgroup
    assert "buildah-py-" not in cli.out("run", "--isolation", "chroot", oci, *read)
    plain = cli.out("from", "-q", busybox)
    assert "buildah-py-" not in cli.out("run", plain, *read)
    info = json.loads(cli.out("inspect", oci))
    assert info["Isolation"] == "oci"


def test_add_host_reaches_every_run(cli: Cli, busybox: str) -> None:
    ctr = cli.out("from", "-q", "--add-host", "db.test:10.9.8.7", busybox)
    assert "10.9.8.7\tdb.test" in cli.out("run", ctr, "--", "cat", "/etc/hosts")
    image = cli.out("commit", "-q", ctr, "localhost/hosts:1")
    fresh = cli.out("from", "-q", image)
    assert "db.test" not in cli.out("run", fresh, "--", "cat", "/etc/hosts")
    bad = cli("from", "--add-host", "nocolon", busybox, check=False)
    assert bad.returncode != 0 and "want HOST:IP" in bad.stderr


def test_format_oci_warns_about_docker_only_settings(cli: Cli, busybox: str) -> None:
    oci = cli.out("from", "-q", "--format", "oci", busybox)
    warned = cli("config", "--healthcheck", "CMD true", "--label", "a=b", oci).stderr
    assert "HEALTHCHECK is not supported for OCI image format" in warned
    assert "label" not in warned.lower()
    docker = cli.out("from", "-q", "-f", "docker", busybox)
    assert cli("config", "--healthcheck", "CMD true", docker).stderr == ""
    # What commit writes is still commit's own --format (oci by default), as in buildah.
    image = cli.out("commit", "-q", docker, "localhost/fmt:1")
    manifest = json.loads(cli.out("inspect", "--type", "image", image))["Manifest"]
    assert manifest["mediaType"] == "application/vnd.oci.image.manifest.v1+json"


def test_decryption_key_is_refused_before_pulling(cli: Cli) -> None:
    proc = cli("from", "--decryption-key", "k.pem", "localhost/absent:1", check=False)
    assert proc.returncode != 0 and "skopeo copy --decryption-key" in proc.stderr
    assert len(proc.stderr.splitlines()) == 1


def test_network_is_what_run_uses(cli: Cli, busybox: str) -> None:
    links = ["--", "cat", "/proc/net/dev"]
    isolated = cli.out("from", "-q", "--network", "none", busybox)
    assert "eth" not in cli.out("run", isolated, *links).replace("ether", "")
    host = cli.out("from", "-q", "--net", "host", busybox)
    assert len(cli.out("run", host, *links).splitlines()) >= len(
        cli.out("run", isolated, *links).splitlines()
    )
    assert json.loads(cli.out("inspect", "--type", "container", isolated))
