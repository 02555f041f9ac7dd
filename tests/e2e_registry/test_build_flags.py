"""``build`` flags through the CLI: registry access, image metadata, flow, refusals, exit status."""

from __future__ import annotations

import json
from pathlib import Path

from tests.e2e.cliutil import Cli, context_with
from tests.registry_fixtures import PASSWORD, USER, Registry


def test_registry_flags_pull_the_base(
    cli: Cli, busybox: str, registry: Registry, htpasswd_registry: Registry, tmp_path: Path
) -> None:
    plain = registry.ref("build/base:1")
    cli("push", "-q", "--tls-verify=false", busybox, f"docker://{plain}")
    ctx = context_with(tmp_path, f"FROM {plain}\nRUN echo ok > /ok\n")
    refused = cli("build", "-q", "--pull-always", ctx, check=False)
    assert refused.returncode == 125
    cli("build", "-q", "--pull-always", "--tls-verify=false", "--retry", "0", ctx)
    auth = htpasswd_registry.ref("build/base:1")
    creds = f"{USER}:{PASSWORD}"
    cli("push", "-q", "--tls-verify=false", "--creds", creds, busybox, f"docker://{auth}")
    ctx = context_with(tmp_path, f"FROM {auth}\n")
    anonymous = cli("build", "-q", "--pull=always", "--tls-verify=false", ctx, check=False)
    assert anonymous.returncode == 125 and "401" in anonymous.stderr
    cli("build", "-q", "--pull", "--tls-verify=false", "--creds", creds, ctx)
    never = cli(
        "build", "-q", "--pull-never", context_with(tmp_path, "FROM localhost/none\n"), check=False
    )
    assert "not found in the local store" in never.stderr


def test_metadata_flags_reach_the_config(cli: Cli, busybox: str, tmp_path: Path) -> None:
    ctx = context_with(
        tmp_path, "FROM scratch-replaced\nENV KEEP=1 DROP=2\nRUN echo a > /a\nRUN echo b > /b\n"
    )
    image_id = cli.out(
        "bud", "-q", "--from", busybox, "--label", "a=1", "--label", "b=2",
        "--env", "E=v", "--unsetenv", "DROP",
        "--identity-label", "--os", "linux", "--arch", "arm64", "--variant", "v8",
        "--squash", "-D", "--omit-history", "--timestamp", "0", "--format", "docker", ctx,
    )  # fmt: skip
    info = json.loads(cli.out("inspect", image_id))
    cfg, manifest = info["Config"], info["Manifest"]
    assert cfg["config"]["Labels"]["a"] == "1" and cfg["config"]["Labels"]["b"] == "2"
    assert "io.buildah.version" in cfg["config"]["Labels"]
    env = cfg["config"]["Env"]
    assert "E=v" in env and "KEEP=1" in env and not any(e.startswith("DROP=") for e in env)
    assert (cfg["architecture"], cfg["variant"], cfg["os"]) == ("arm64", "v8", "linux")
    assert cfg["history"] == [] and cfg["created"].startswith("1970-01-01")
    assert len(cfg["rootfs"]["diff_ids"]) == 1  # squashed: base and both RUNs in one layer
    assert manifest["mediaType"].startswith("application/vnd.docker.distribution")
    assert manifest["layers"][0]["mediaType"].endswith("diff.tar")  # -D: not compressed
    plain_id = cli.out("build", "-q", "--from", busybox, "--annotation", "note=x", ctx)
    plain = json.loads(cli.out("inspect", plain_id))
    assert plain["Manifest"]["annotations"]["note"] == "x"
    assert len(plain["Config"]["rootfs"]["diff_ids"]) == 3
    assert "io.buildah.version" not in plain["Config"]["config"].get("Labels", {})
    assert plain["Manifest"]["layers"][-1]["mediaType"].endswith("tar+gzip")


def test_failing_run_sets_the_exit_status(cli: Cli, busybox: str, tmp_path: Path) -> None:
    ctx = context_with(tmp_path, f"FROM {busybox}\nRUN exit 7\n")
    log = tmp_path / "build.log"
    failed = cli("build", "--logfile", str(log), ctx, check=False)
    assert failed.returncode == 7 and "status 7" in failed.stderr
    assert "RUN exit 7" in log.read_text()


def test_add_host_is_seen_by_run(cli: Cli, busybox: str, tmp_path: Path) -> None:
    ctx = context_with(tmp_path, f"FROM {busybox}\nRUN grep registry.test /etc/hosts > /seen\n")
    image_id = cli.out("build", "-q", "--add-host", "registry.test:10.1.2.3", ctx)
    ctr = cli.out("from", "-q", image_id)
    assert cli.out("run", ctr, "--", "cat", "/seen").split() == ["10.1.2.3", "registry.test"]
    assert "registry.test" not in cli.out("run", ctr, "--", "cat", "/etc/hosts")
    bad = cli("build", "--add-host", "nocolon", ctx, check=False)
    assert bad.returncode != 0 and "want HOST:IP" in bad.stderr


def test_refused_flags_say_what_would_honour_them(cli: Cli, tmp_path: Path) -> None:
    ctx = context_with(tmp_path, "FROM scratch\n")
    for args, needs in (
        (("-m", "1g"), "--isolation oci"),
        (("-c", "2"), "--isolation oci"),
        (("--decryption-key", "k.pem"), "skopeo copy --decryption-key"),
        (("--hooks-dir", "/tmp"), "OCI hooks"),
    ):
        proc = cli("build", *args, ctx, check=False)
        assert proc.returncode != 0 and needs in proc.stderr, proc.stderr
        assert "Traceback" not in proc.stderr
