"""buildah's RUN-environment flags through the CLI (`build`, `from` + `run`), seen by the step and
absent from the image."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e.cliutil import Cli, context_with

pytestmark = pytest.mark.needs_root


def _build(cli: Cli, tmp_path: Path, dockerfile: str, *flags: str, tag: str = "t") -> str:
    return cli.out("build", "-q", "-t", tag, *flags, context_with(tmp_path, dockerfile))


def _host_dir(tmp_path: Path, name: str, text: str) -> Path:
    """A host directory holding one file, for -v."""
    host = tmp_path / "host"
    host.mkdir()
    (host / name).write_text(text)
    return host


def _image_files(cli: Cli, image: str, *paths: str) -> list[str | None]:
    """The text of `paths` in `image` (None where absent), read through a mounted container."""
    ctr = cli.out("from", image)
    root = Path(cli.out("mount", ctr))
    try:
        out = []
        for path in paths:
            f = root / path.lstrip("/")
            out.append(f.read_text() if f.is_file() else "<dir>" if f.exists() else None)
        return out
    finally:
        cli("umount", ctr)
        cli("rm", ctr)


def _caps(status: str, field: str) -> int:
    return int(next(x for x in status.splitlines() if x.startswith(field + ":")).split()[1], 16)


CAP_CHOWN, CAP_NET_ADMIN = 1 << 0, 1 << 12


def test_build_volume_read_in_run_and_absent_from_image(
    cli: Cli, busybox: str, tmp_path: Path
) -> None:
    host = _host_dir(tmp_path, "secret.txt", "from the host\n")
    df = f"FROM {busybox}\nRUN cat /data/secret.txt > /copied && (touch /data/x || true)\n"
    _build(cli, tmp_path, df, "-v", f"{host}:/data:ro")
    assert _image_files(cli, "t", "/copied", "/data") == ["from the host\n", None]
    assert sorted(p.name for p in host.iterdir()) == ["secret.txt"]


def test_build_overlay_volume_keeps_host_unchanged(cli: Cli, busybox: str, tmp_path: Path) -> None:
    host = _host_dir(tmp_path, "f", "lower\n")
    df = f"FROM {busybox}\nRUN echo changed > /w/f && echo new > /w/n && cat /w/f > /seen\n"
    _build(cli, tmp_path, df, "--volume", f"{host}:/w:O")
    assert _image_files(cli, "t", "/seen", "/w") == ["changed\n", None]
    assert sorted(p.name for p in host.iterdir()) == ["f"]
    assert (host / "f").read_text() == "lower\n"


def test_build_ulimit_dns_device_and_seccomp(cli: Cli, busybox: str, tmp_path: Path) -> None:
    profile = tmp_path / "deny-mkdir.json"
    deny = {"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}
    profile.write_text(json.dumps({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [deny]}))
    df = (
        f"FROM {busybox}\n"
        "RUN ulimit -n > /nofile; cat /etc/resolv.conf > /resolv; "
        "echo x > /dev/mynull && echo ok > /dev-ok; (mkdir /made 2>/dev/null && echo mkdir) > /mk; true\n"
    )
    flags = ["--ulimit", "nofile=512:512", "--dns", "9.9.9.9", "--dns-search", "x"]
    flags += ["--dns-option", "ndots:2", "--device", "/dev/null:/dev/mynull"]
    flags += ["--security-opt", f"seccomp={profile}"]
    _build(cli, tmp_path, df, *flags)
    nofile, resolv, ok, mk, made = _image_files(
        cli, "t", "/nofile", "/resolv", "/dev-ok", "/mk", "/made"
    )
    assert nofile == "512\n" and ok == "ok\n"
    assert resolv is not None
    assert {"nameserver 9.9.9.9", "search x", "options ndots:2"} <= set(resolv.splitlines())
    assert mk == "" and made is None  # the profile refused mkdir


def test_build_http_proxy_reaches_run_not_the_image(cli: Cli, busybox: str, tmp_path: Path) -> None:
    cli.env.update(HTTP_PROXY="http://proxy.example:3128", no_proxy="localhost")
    df = f'FROM {busybox}\nRUN echo "$HTTP_PROXY|$no_proxy" > /proxy\n'
    _build(cli, tmp_path, df, "--no-cache")
    assert _image_files(cli, "t", "/proxy") == ["http://proxy.example:3128|localhost\n"]
    _build(cli, tmp_path, df, "--no-cache", "--http-proxy=false", tag="u")
    assert _image_files(cli, "u", "/proxy") == ["|\n"]
    env = json.loads(cli.out("inspect", "--type", "image", "t"))["Config"]["config"].get("Env", [])
    assert not [e for e in env if "proxy" in e.lower()]


def test_from_records_run_options_and_run_adds_its_own(cli: Cli, busybox: str) -> None:
    ctr = cli.out(
        "from", "--cap-drop", "chown", "--security-opt", "no-new-privileges",
        "--shm-size", "2m", busybox,
    )  # fmt: skip
    status = cli.out("run", ctr, "--", "cat", "/proc/self/status")
    assert not _caps(status, "CapBnd") & CAP_CHOWN and not _caps(status, "CapEff") & CAP_CHOWN
    assert "NoNewPrivs:\t1" in status
    assert "size=2048k" in cli.out("run", ctr, "--", "grep", " /dev/shm ", "/proc/mounts")
    added = cli.out("run", "--cap-add", "net_admin", ctr, "--", "cat", "/proc/self/status")
    assert _caps(added, "CapEff") & CAP_NET_ADMIN and not _caps(added, "CapEff") & CAP_CHOWN


def test_run_no_hosts_keeps_the_image_file(cli: Cli, busybox: str, tmp_path: Path) -> None:
    ctr = cli.out("from", busybox)
    (tmp_path / "hosts").write_text("10.9.9.9 mine\n")
    cli("copy", ctr, str(tmp_path / "hosts"), "/etc/hosts")
    assert cli.out("run", "--no-hosts", ctr, "--", "cat", "/etc/hosts") == "10.9.9.9 mine"
    assert "localhost" in cli.out("run", ctr, "--", "cat", "/etc/hosts")


@pytest.mark.parametrize(
    ("verb", "flags", "message"),
    [
        ("build", ["--memory", "1g"], "--memory needs --isolation oci"),
        ("build", ["--cpu-shares", "2"], "--cpu-shares needs --isolation oci"),
        ("build", ["--cgroupns", "private"], "--cgroupns private needs --isolation oci"),
        ("build", ["--runtime-flag", "debug"], "--runtime-flag needs --isolation oci"),
        ("from", ["-m", "1g"], "--memory needs --isolation oci"),
        ("build", ["--ulimit", "bogus=1"], "--ulimit 'bogus=1'"),
        ("build", ["--http-proxy", "maybe"], "--http-proxy 'maybe'"),
    ],
)
def test_refused_before_anything_is_made(
    cli: Cli, busybox: str, tmp_path: Path, verb: str, flags: list[str], message: str
) -> None:
    before = cli.out("images", "--json"), cli.out("containers", "--json")
    ctx = context_with(tmp_path, f"FROM {busybox}\nRUN touch /x\n")
    args = [*flags, ctx] if verb == "build" else [*flags, busybox]
    proc = cli(verb, *args, check=False)
    assert proc.returncode == 125
    assert proc.stderr.strip().count("\n") == 0 and message in proc.stderr, proc.stderr
    assert (cli.out("images", "--json"), cli.out("containers", "--json")) == before


def test_run_refuses_what_chroot_cannot_honour(cli: Cli, busybox: str) -> None:
    ctr = cli.out("from", busybox)
    proc = cli("run", "--cgroupns", "private", ctr, "--", "touch", "/x", check=False)
    assert proc.returncode == 125 and "--cgroupns private needs --isolation oci" in proc.stderr


def test_python_build_script_runs_with_the_build_flags(
    cli: Cli, busybox: str, tmp_path: Path
) -> None:
    host = _host_dir(tmp_path, "x", "script saw it\n")
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (ctx / "build.py").write_text(
        "def build(ctx):\n"
        f"    c = ctx.from_image({busybox!r})\n"
        "    c.run('cat /data/x > /copied')\n"
        "    return c\n"
    )
    cli("build", "-q", "-t", "s", "-f", str(ctx / "build.py"), "-v", f"{host}:/data", str(ctx))
    assert _image_files(cli, "s", "/copied", "/data") == ["script saw it\n", None]
