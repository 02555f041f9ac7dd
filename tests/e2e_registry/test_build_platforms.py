"""``build --platform a,b --manifest``, ``--all-platforms``: a real amd64 and a real arm64 busybox
(the arm64 one runs under qemu-user emulation), the list checked by skopeo and pushed whole."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests import signalkids
from tests.e2e.cliutil import Cli, context_with
from tests.e2e.test_cancel import assert_nothing_left
from tests.e2e_registry.support import one_error_line
from tests.registry_fixtures import Registry

INSECURE = "--tls-verify=false"
TWO = "linux/amd64,linux/arm64"


@pytest.fixture
def bases(cli: Cli, busybox: str, busybox_arm64_tar: Path) -> str:
    """The local manifest list localhost/bb: busybox for amd64 and for arm64."""
    raw = cli.out("import", str(busybox_arm64_tar), "localhost/bb-arm64-files", "--timestamp", "0")
    ctr = cli.out("from", raw)
    cli("config", "--arch", "arm64", ctr)
    cli("commit", "-q", "--rm", ctr, "localhost/bb:arm64")
    cli("tag", busybox, "localhost/bb:amd64")
    cli("manifest", "create", "localhost/bb", "localhost/bb:amd64", "localhost/bb:arm64")
    return "localhost/bb"


def _file(cli: Cli, image: str, path: str, platform: str) -> str:
    ctr = cli.out("from", "--platform", platform, image)
    try:
        return cli.out("run", ctr, "--", "cat", path)
    finally:
        cli("rm", ctr)


def _skopeo_raw(ref: str) -> bytes:
    return subprocess.run(
        ["skopeo", "inspect", "--raw", INSECURE, ref], capture_output=True, check=True
    ).stdout


def test_two_platforms_into_one_list_pushed_whole(
    cli: Cli, bases: str, registry: Registry, tmp_path: Path
) -> None:
    ctx = context_with(
        tmp_path,
        f"FROM {bases}\n"
        "ARG TARGETPLATFORM TARGETARCH BUILDPLATFORM\n"
        "RUN uname -m > /arch && echo $TARGETPLATFORM $TARGETARCH $BUILDPLATFORM > /args\n",
    )
    proc = cli("build", "--platform", TWO, "--manifest", "localhost/app", ctx)
    list_id = proc.stdout.strip()
    assert "[linux/arm64] " in proc.stderr and "[linux/amd64] " in proc.stderr
    index = json.loads(cli.out("manifest", "inspect", "localhost/app"))
    assert [m["platform"] for m in index["manifests"]] == [
        {"architecture": "amd64", "os": "linux"},
        {"architecture": "arm64", "os": "linux"},
    ]
    assert _file(cli, "localhost/app", "/arch", "linux/amd64") == "x86_64"
    assert _file(cli, "localhost/app", "/arch", "linux/arm64") == "aarch64"
    assert _file(cli, "localhost/app", "/args", "linux/arm64") == ("linux/arm64 arm64 linux/amd64")
    digest_file = tmp_path / "digest"
    ref = f"docker://{registry.ref('platforms/app:1')}"
    cli("manifest", "push", "-q", "--all", INSECURE, "--digestfile", str(digest_file), list_id, ref)
    raw = _skopeo_raw(ref)
    assert json.loads(raw) == index
    listed = json.loads(cli.out("manifest", "inspect", list_id))
    assert digest_file.read_text().strip() == _digest(raw)
    assert listed == index
    # a rebuild replaces each platform's entry rather than adding a second one
    cli("build", "--no-cache", "--platform", TWO, "--manifest", "localhost/app", ctx)
    again = json.loads(cli.out("manifest", "inspect", "localhost/app"))
    assert len(again["manifests"]) == 2


def _digest(raw: bytes) -> str:
    import hashlib

    return "sha256:" + hashlib.sha256(raw).hexdigest()


def test_bases_pulled_from_a_registry_per_platform(
    cli: Cli, other_cli: Cli, bases: str, registry: Registry, tmp_path: Path
) -> None:
    ref = registry.ref("platforms/bb:1")
    cli("manifest", "push", "-q", "--all", INSECURE, bases, f"docker://{ref}")
    ctx = context_with(tmp_path, f"FROM {ref}\nRUN uname -m > /arch\n")
    other_cli("build", INSECURE, "--platform", TWO, "--manifest", "localhost/app", ctx)
    assert _file(other_cli, "localhost/app", "/arch", "linux/arm64") == "aarch64"
    assert _file(other_cli, "localhost/app", "/arch", "linux/amd64") == "x86_64"
    # built again with the name now on one platform's image, each platform still gets its own
    other_cli("build", INSECURE, "--platform", "linux/arm64,linux/amd64", "-t", "two", ctx)
    assert _file(other_cli, "localhost/two", "/arch", "linux/arm64") == "aarch64"
    assert _file(other_cli, "localhost/two", "/arch", "linux/amd64") == "x86_64"
    # --all-platforms reads the registry's index
    other_cli("build", INSECURE, "--all-platforms", "--manifest", "localhost/all", ctx)
    index = json.loads(other_cli.out("manifest", "inspect", "localhost/all"))
    assert [m["platform"]["architecture"] for m in index["manifests"]] == ["amd64", "arm64"]


BUILDER = """\
FROM --platform=$BUILDPLATFORM {base} AS builder
RUN cat /proc/sys/kernel/random/uuid > /made-once && uname -m > /builder-arch
FROM {base}
COPY --from=builder /made-once /builder-arch /
RUN uname -m > /arch
"""


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_buildplatform_stage_is_built_once(
    cli: Cli, bases: str, tmp_path: Path, jobs: str
) -> None:
    ctx = context_with(tmp_path, BUILDER.format(base=bases))
    proc = cli("build", "--jobs", jobs, "--platform", TWO, "--manifest", "localhost/app", ctx)
    outcomes = []
    for plat in TWO.split(","):  # each platform's lines, read apart from the other's
        lines = [ln for ln in proc.stderr.splitlines() if ln.startswith(f"[{plat}] [1/2]")]
        at = next(i for i, ln in enumerate(lines) if "RUN cat /proc" in ln)
        outcomes.append(lines[at + 1])
    assert sum("cache miss" in o for o in outcomes) == 1, proc.stderr
    assert sum("Using cache" in o for o in outcomes) == 1, proc.stderr
    amd = _file(cli, "localhost/app", "/made-once", "linux/amd64")
    arm = _file(cli, "localhost/app", "/made-once", "linux/arm64")
    assert amd == arm
    assert _file(cli, "localhost/app", "/builder-arch", "linux/arm64") == "x86_64"
    assert _file(cli, "localhost/app", "/arch", "linux/arm64") == "aarch64"


def test_all_platforms_takes_what_the_bases_offer(cli: Cli, bases: str, tmp_path: Path) -> None:
    ctx = context_with(tmp_path, f"FROM {bases}\nRUN uname -m > /arch\n")
    cli("build", "--all-platforms", "--manifest", "localhost/all", ctx)
    index = json.loads(cli.out("manifest", "inspect", "localhost/all"))
    assert sorted(m["platform"]["architecture"] for m in index["manifests"]) == ["amd64", "arm64"]
    single = context_with(tmp_path, "FROM localhost/bb:amd64\nRUN true\n")
    proc = cli("build", "--all-platforms", "--manifest", "localhost/x", single, check=False)
    assert proc.returncode != 0
    assert "localhost/bb:amd64 is a single image, not a manifest list" in one_error_line(proc)


def test_names_ids_outputs_and_logs(cli: Cli, bases: str, tmp_path: Path) -> None:
    ctx = context_with(tmp_path, f"FROM {bases}\nRUN uname -m > /arch\n")
    # -t names the list (as docker buildx names the index)
    list_id = cli.out("build", "-q", "--platform", TWO, "-t", "named", ctx)
    assert cli.out("manifest", "exists", "localhost/named") == ""
    assert json.loads(cli.out("manifest", "inspect", list_id))["manifests"]
    # no name: the images alone; the first platform's ID is printed, as buildah does
    first = cli.out("build", "-q", "--platform", "linux/arm64,linux/amd64", ctx)
    arch = cli.out("inspect", "--type", "image", "--format", ".Config.architecture", first)
    assert arch == "arm64"
    # type=local: a directory per platform
    out = tmp_path / "out"
    cli("build", "-q", "--platform", TWO, "-o", f"type=local,dest={out}", ctx)
    assert (out / "linux_arm64" / "arch").read_text() == "aarch64\n"
    assert (out / "linux_amd64" / "arch").read_text() == "x86_64\n"
    # --logsplit: LOGFILE_os_arch per platform
    log = tmp_path / "build.log"
    cli("build", "--platform", TWO, "--logfile", str(log), "--logsplit", ctx)
    assert "RUN uname -m" in (tmp_path / "build.log_linux_arm64").read_text()
    assert "RUN uname -m" in (tmp_path / "build.log_linux_amd64").read_text()
    # what cannot be honoured is refused before anything runs
    for args, says in [
        (["--iidfile", str(tmp_path / "iid")], "the file holds one image ID"),
        (["-t", "a", "-t", "b"], "give the manifest list one name"),
        (["-o", f"type=tar,dest={tmp_path / 'x.tar'}"], "use type=local"),
        (["--platform", "linux"], "--platform linux"),
    ]:
        proc = cli("build", "--platform", TWO, *args, ctx, check=False)
        assert proc.returncode != 0 and says in one_error_line(proc), proc.stderr


def test_the_api_loop_example(cli: Cli, bases: str) -> None:
    example = Path(__file__).resolve().parents[2] / "examples" / "buildscripts" / "multiplatform.py"
    env = dict(cli.env, DEMO_BASE=bases)
    proc = subprocess.run(
        [sys.executable, str(example), "localhost/mp"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[0].startswith("linux/amd64: ")
    assert proc.stdout.splitlines()[1].startswith("linux/arm64: ")
    assert _file(cli, "localhost/mp", "/etc/built-on", "linux/arm64") == "aarch64"
    assert _file(cli, "localhost/mp", "/etc/built-for", "linux/arm64") == "built for linux/arm64"
    assert _file(cli, "localhost/mp", "/etc/built-on", "linux/amd64") == "x86_64"
    assert cli.out("containers", "-q") == ""


def test_build_platforms_from_python(cli: Cli, bases: str, tmp_path: Path) -> None:
    from buildah_py.frontend import BuildOptions, build, build_platforms
    from buildah_py.storage import Store

    ctx = context_with(tmp_path, f"FROM {bases}\nRUN uname -m > /arch\n")
    store = Store.open(cli.root, cli.runroot)
    opts = BuildOptions(context=ctx, platform=TWO, manifest="localhost/py", quiet=True)
    result = build_platforms(opts, store)
    assert [str(i.platform) for i in result.images] == TWO.split(",")
    assert result.manifest is not None and result.id == result.manifest.id
    assert [e.architecture for e in result.manifest.entries] == ["amd64", "arm64"]
    with pytest.raises(Exception, match="use build_platforms"):
        build(opts, store)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_multi_platform_build_is_cancelled_whole(
    cli: Cli, bases: str, tmp_path: Path, sig: int
) -> None:
    ctx = context_with(tmp_path, f"FROM {bases}\nRUN echo started-$(uname -m); sleep 30\n")
    argv = [sys.executable, "-m", "buildah_py.cli.main", "build", "--platform", TWO]
    proc = signalkids.start([*argv, "--manifest", "localhost/cancelled", ctx], env=cli.env)
    signalkids.wait_for(proc, "started-x86_64", "started-aarch64")  # both platforms running
    code, _, err, took = signalkids.signal_and_wait(proc, sig)
    assert code == 128 + sig and err.strip().splitlines()[-1] == "Error: interrupted", err
    assert "Traceback" not in err and took < 15
    assert_nothing_left(cli)
    assert cli("manifest", "exists", "localhost/cancelled", check=False).returncode == 1
