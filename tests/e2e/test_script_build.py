"""`build -f script.py` through the CLI: the build's options reach the script, and a script that
raises is reported with its own file, line and traceback."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.e2e.cliutil import Cli, context_with

_SCRIPT = """def build(ctx):
    c = ctx.from_image("localhost/busybox:latest")
    c.run("echo " + ctx.args.get("WHO", "nobody") + " > /who")
    c.run(["/bin/sh", "-c", "cat /run/secrets/tok > /tok"], mounts=["type=secret,id=tok"],
          secrets=ctx.secrets)
    c.run("cat /proc/net/dev > /net; head -c 16 /dev/urandom | od -x > /random")
    return c
"""


def _image(cli: Cli, ref: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(cli.out("inspect", "--type", "image", ref))
    return data


def _cat(cli: Cli, ref: str, path: str) -> str:
    ctr = cli.out("from", ref)
    try:
        return cli.out("run", ctr, "--", "cat", path)
    finally:
        cli("rm", ctr)


def test_platform_is_recorded_as_for_a_dockerfile(cli: Cli, busybox: str, tmp_path: Path) -> None:
    ctx = context_with(tmp_path, f"FROM {busybox}\nRUN true\n")
    Path(ctx, "build.py").write_text(
        "def build(ctx):\n"
        "    base = ctx.from_image('localhost/busybox:latest')\n"
        "    base.run('true')\n"
        "    return ctx.from_scratch() if ctx.args.get('SCRATCH') else base\n"
    )
    for extra in ([], ["--build-arg", "SCRATCH=1"]):
        from_df = cli.out("build", "-q", "--platform", "linux/arm/v7", ctx)
        from_py = cli.out(
            "build", "-q", "--platform", "linux/arm/v7", "-f", f"{ctx}/build.py", *extra, ctx
        )
        for ref in (from_df, from_py):
            config = _image(cli, ref)["Config"]
            assert (config["os"], config["architecture"], config.get("variant")) == (
                "linux",
                "arm",
                "v7",
            )
    bad = cli("build", "--platform", "linux", "-f", f"{ctx}/build.py", ctx, check=False)
    assert bad.returncode != 0 and "internal error" not in bad.stderr


def test_build_options_reach_the_script(cli: Cli, busybox: str, tmp_path: Path) -> None:
    ctx = context_with(tmp_path, "")
    script = Path(ctx, "build.py")
    script.write_text(_SCRIPT)
    (tmp_path / "tok").write_text("s3cret\n")
    common = ["-f", str(script), "--secret", f"id=tok,src={tmp_path / 'tok'}"]
    proc = cli(
        "build", "-q", *common, "--build-arg", "WHO=alice", "-t", "localhost/s:1",
        "-t", "localhost/s:2", "--timestamp", "86400", "--label", "l=v", "--annotation", "a=b",
        "--format", "docker", "--network", "none", "--iidfile", str(tmp_path / "iid"), ctx,
    )  # fmt: skip
    image_id = proc.stdout.strip()
    assert proc.stderr == "" and len(image_id) == 64  # --quiet: the ID only
    assert (tmp_path / "iid").read_text() == f"sha256:{image_id}"
    data = _image(cli, "localhost/s:1")
    assert data["Id"] == image_id and _image(cli, "localhost/s:2")["Id"] == image_id
    assert data["ManifestType"] == "application/vnd.docker.distribution.manifest.v2+json"
    assert data["Config"]["created"].startswith("1970-01-02T00:00:00")
    assert data["Config"]["config"]["Labels"] == {"l": "v"}
    assert _cat(cli, image_id, "/who") == "alice" and _cat(cli, image_id, "/tok") == "s3cret"
    net = _cat(cli, image_id, "/net")
    assert "lo:" in net and "eth0" not in net and len(net.splitlines()) == 3  # --network none
    # cached steps: the same image again; --no-cache (and --layers=false) run every step anew
    again = cli.out("build", "-q", *common, "--build-arg", "WHO=alice", ctx)
    assert cli.out("build", "-q", *common, "--build-arg", "WHO=alice", ctx) == again
    for flag in ("--no-cache", "--no-layers"):
        fresh = cli.out("build", "-q", *common, "--build-arg", "WHO=alice", flag, ctx)
        assert _cat(cli, fresh, "/random") != _cat(cli, again, "/random")
    # --pull never: a missing base is not fetched
    script.write_text(_SCRIPT.replace("localhost/busybox:latest", "localhost/absent:1"))
    missing = cli("build", "--pull", "never", *common, ctx, check=False)
    assert missing.returncode != 0 and "localhost/absent:1" in missing.stderr


def test_isolation_reaches_the_scripts_steps(cli: Cli, busybox: str, tmp_path: Path) -> None:
    ctx = context_with(tmp_path, "")
    script = Path(ctx, "build.py")
    script.write_text(
        "def build(ctx):\n"
        "    return ctx.from_image('localhost/busybox:latest').run('echo ran > /ran')\n"
    )
    # a runc that notes each call, first on PATH: only --isolation oci runs the step through it
    fake, log = tmp_path / "bin", tmp_path / "runc.log"
    fake.mkdir()
    real = shutil.which("runc")
    (fake / "runc").write_text(f'#!/bin/sh\necho "$1" >> {log}\nexec {real} "$@"\n')
    (fake / "runc").chmod(0o755)
    env = dict(cli.env, PATH=f"{fake}:{os.environ['PATH']}")
    for isolation, used in (("chroot", False), ("oci", True)):
        proc = subprocess.run(
            [sys.executable, "-m", "buildah_py.cli.main", "build", "-q", "--no-cache",
             "--isolation", isolation, "-f", str(script), ctx],
            env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert proc.returncode == 0, proc.stderr
        assert log.exists() == used and _cat(cli, proc.stdout.strip(), "/ran") == "ran"
    # --runtime: the script's steps run through the runtime given
    mine, mine_log = tmp_path / "my-runtime", tmp_path / "my-runtime.log"
    mine.write_text(f'#!/bin/sh\necho "$1" >> {mine_log}\nexec {real} "$@"\n')
    mine.chmod(0o755)
    argv = ["build", "-q", "--no-cache", "--isolation", "oci", "--runtime", str(mine)]
    image = cli.out(*argv, "-f", str(script), ctx)
    assert mine_log.exists() and _cat(cli, image, "/ran") == "ran"


def test_target_and_an_image_returned(cli: Cli, busybox: str, tmp_path: Path) -> None:
    ctx = context_with(tmp_path, "")
    script = Path(ctx, "build.py")
    script.write_text(
        "def build(ctx):\n"
        "    c = ctx.from_image('localhost/busybox:latest')\n"
        "    c.run('echo ' + (ctx.target or 'last') + ' > /target')\n"
        "    return c.commit(None, format=ctx.format, timestamp=ctx.timestamp)\n"
    )
    image_id = cli.out(
        "build", "-q", "-f", str(script), "--target", "first", "-t", "localhost/img",
        "--timestamp", "0", "--iidfile", str(tmp_path / "iid"), ctx,
    )  # fmt: skip
    assert _image(cli, "localhost/img")["Id"] == image_id
    assert (tmp_path / "iid").read_text() == f"sha256:{image_id}"
    assert _cat(cli, image_id, "/target") == "first"
    assert _image(cli, image_id)["Config"]["created"].startswith("1970-01-01T00:00:00")


_FAILING = """import json


def helper(n):
    return json.loads("{" * n)


def build(ctx):
    c = ctx.from_image("localhost/busybox:latest")
    if ctx.args.get("FAIL") == "step":
        c.run("echo oops >&2; exit 7")
    return helper(int(ctx.args.get("N", "1")))
"""


def test_a_raising_script_shows_its_own_traceback(cli: Cli, busybox: str, tmp_path: Path) -> None:
    ctx = context_with(tmp_path, "")
    script = Path(ctx, "build.py")
    script.write_text(_FAILING)
    proc = cli("build", "-f", str(script), ctx, check=False)
    err = proc.stderr
    assert proc.returncode == 125, err
    assert "Error: build.py:5: the build script raised json.decoder.JSONDecodeError" in err
    assert "internal error" not in err
    # the script's frames (and json's, as Python shows them), none of buildah-py's
    assert f'File "{script}", line 12, in build' in err and f'File "{script}", line 5' in err
    assert 'return json.loads("{" * n)' in err and "json/decoder.py" in err
    assert "buildah_py/" not in err and "importlib" not in err
    # a failing step in the script: its status, its stderr, the script's line
    step = cli("build", "-f", str(script), "--build-arg", "FAIL=step", ctx, check=False)
    assert step.returncode == 7 and "Error: build.py:11: the build script raised" in step.stderr
    assert "exited with status 7: oops" in step.stderr and "buildah_py/" not in step.stderr
    # a bug at the top level, and a syntax error: located too
    script.write_text("import os\nos.no_such_thing()\n")
    top = cli("build", "-f", str(script), ctx, check=False)
    assert top.returncode == 125 and "Error: build.py:2: the build script raised Attr" in top.stderr
    assert "buildah_py/" not in top.stderr and "internal error" not in top.stderr
    script.write_text("def build(ctx):\n    return (\n")
    syntax = cli("build", "-f", str(script), ctx, check=False)
    assert syntax.returncode == 125 and "Error: build.py:2: the build script raised" in (
        syntax.stderr
    )
    assert "SyntaxError" in syntax.stderr and "Traceback" not in syntax.stderr


def test_the_scripts_steps_have_step_lines(cli: Cli, busybox: str, tmp_path: Path) -> None:
    ctx = context_with(tmp_path, "")
    script = Path(ctx, "build.py")
    script.write_text(_SCRIPT.split("    c.run([")[0] + "    return c\n")
    first = cli("build", "-f", str(script), "--build-arg", "WHO=bob", ctx)
    lines = (first.stdout + first.stderr).splitlines()
    assert "STEP 1/1: build.py" in lines and "STEP 1: RUN echo bob > /who" in lines
    again = cli("build", "-f", str(script), "--build-arg", "WHO=bob", ctx)
    assert any(
        ln.startswith("--> Using cache") for ln in (again.stdout + again.stderr).splitlines()
    )
