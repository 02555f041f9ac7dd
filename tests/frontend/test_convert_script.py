"""`buildah-py convert` writes the script a person would: plain strings, one call an instruction,
RUN lines and comments as written, secrets only where mounted, stages chosen when it runs; and
building it gives what building the Dockerfile gives."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from buildah_py.container import Image
from buildah_py.frontend.convert_words import template
from buildah_py.storage import Store
from dockerfile_parser import expand_word
from tests.differential.cases import CASES
from tests.differential.context import Case, write_context
from tests.frontend.conftest import BASE, Builder

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent

DOCKERFILE = f"""# syntax=docker/dockerfile:1
# the base, chosen by a build arg
ARG BASE={BASE}
FROM $BASE AS build
ARG WHO=world
ENV GREETING="hello $WHO" PLAIN='single $quoted' MIXED=a"b c"d
LABEL org.example.title="the title" other=plain
# make the files
RUN echo "$GREETING" > /greeting && \\
    # a comment inside the command
    echo "$PLAIN" > /plain && \\
    echo "${{WHO}}x" > /who
RUN --mount=type=secret,id=tok cat /run/secrets/tok > /tok
RUN --mount=type=cache,target=/var/cache/x ls /var/cache > /cache-ls
WORKDIR /work
FROM {BASE}
COPY --from=build /greeting /plain /who /tok /out/
COPY "a.txt" /srv/
EXPOSE 8080 9090/udp
VOLUME /data /logs
USER nobody
ENTRYPOINT ["/bin/cat"]
CMD ["/out/greeting"]
"""


def _cli(root: Path, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, BUILDAH_PY_ROOT=str(root / "root"), BUILDAH_PY_RUNROOT=str(root / "run"))
    return subprocess.run(
        [sys.executable, "-m", "buildah_py.cli.main", *args],
        env=env,
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
    )


def _convert(b: Builder, tmp_path: Path, dockerfile: str) -> str:
    (b.ctx / "Dockerfile").write_text(dockerfile)
    proc = _cli(tmp_path, "convert", str(b.ctx / "Dockerfile"))
    assert proc.returncode == 0, proc.stderr
    (b.ctx / "build.py").write_text(proc.stdout)
    return proc.stdout


def _lint(path: Path) -> None:
    """ruff (check and format) and mypy --strict accept the script as it is."""
    cache = path.parents[2] / "mypy-cache"  # one a test worker: buildah_py is checked once
    for argv in (
        [str(VENV_BIN / "ruff"), "check", "--config", str(REPO / "pyproject.toml"), str(path)],
        [str(VENV_BIN / "ruff"), "format", "--check", "--config", str(REPO / "pyproject.toml"),
         str(path)],
        [sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(cache), str(path)],
    ):  # fmt: skip
        proc = subprocess.run(
            argv, capture_output=True, text=True, env=dict(os.environ, PYTHONPATH=str(REPO))
        )
        assert proc.returncode == 0, (argv[1:3], proc.stdout, proc.stderr)


def test_the_script_reads_as_written(b: Builder, tmp_path: Path) -> None:
    script = _convert(b, tmp_path, DOCKERFILE)
    # plain strings: no quote characters left inside a string (a RUN's shell quotes stay)
    for line in script.splitlines():
        if "config(" in line or "ctx.expand(" in line:
            assert '\\"' not in line and "'" not in line, line
    assert '"GREETING": ctx.expand("hello $WHO", c, args)' in script
    assert '"PLAIN": "single $quoted"' in script and '"MIXED": "ab cd"' in script
    assert 'c.config(labels={"org.example.title": "the title", "other": "plain"})' in script
    # one call an instruction, with all its values
    assert 'c.config(ports=["8080", "9090/udp"])' in script
    assert 'c.config(volumes=["/data", "/logs"])' in script
    assert 'c.config(entrypoint=["/bin/cat"], clear_cmd=True)' in script
    # the RUN keeps its lines and its comment; the Dockerfile's comments are kept
    assert (
        "        'echo \"$GREETING\" > /greeting && '\n"
        "        # a comment inside the command\n"
        "        '    echo \"$PLAIN\" > /plain && '\n"
        "        '    echo \"${WHO}x\" > /who',\n"
    ) in script
    assert "    # make the files\n    c.run(" in script and "# the base" in script
    assert "syntax=" not in script
    # secrets reach only the step that mounts one
    assert script.count("secrets=ctx.secrets") == 1
    assert re.search(r"/run/secrets/tok[^)]*\n.*\n.*mounts=.*\n\s*secrets=ctx.secrets", script)
    _lint(b.ctx / "build.py")


def test_the_script_builds_what_the_dockerfile_builds(b: Builder, tmp_path: Path) -> None:
    b.files(**{"a.txt": "A\n"})
    (tmp_path / "tok").write_text("s3cret")
    _convert(b, tmp_path, DOCKERFILE)
    kw: dict[str, object] = {
        "build_args": {"WHO": "there"},
        "secrets": [f"id=tok,src={tmp_path / 'tok'}"],
    }
    from_df = b(None, **kw)
    from_py = b(None, dockerfile=str(b.ctx / "build.py"), **kw)
    assert from_py.config.config == from_df.config.config
    tree = b.tree(from_df)
    assert b.tree(from_py) == tree
    assert tree["/out/greeting"][3] == "hello there\n" and tree["/out/who"][3] == "therex\n"
    assert tree["/out/plain"][3] == "single $quoted\n" and tree["/out/tok"][3] == "s3cret"


STAGES = f"""ARG BASE=first
FROM {BASE} AS broken
RUN exit 3
FROM {BASE} AS first
RUN echo first > /which
FROM {BASE} AS second
RUN echo second > /which
FROM $BASE
RUN cat /which > /chosen
"""


def test_from_arg_chooses_the_stage_when_the_script_runs(b: Builder, tmp_path: Path) -> None:
    script = _convert(b, tmp_path, STAGES)
    _lint(b.ctx / "build.py")
    assert 'stages.base(ctx.expand("$BASE", None, stages.header), 3)' in script
    for given in ([], ["--build-arg", "BASE=second"]):
        ids = []
        for dockerfile in ("Dockerfile", "build.py"):
            proc = _cli(tmp_path, "build", "-q", "-f", str(b.ctx / dockerfile), *given, str(b.ctx))
            assert proc.returncode == 0, proc.stderr
            ids.append(proc.stdout.strip())
        trees = [b.tree(Image.get(i, b.store)) for i in ids]
        assert trees[0] == trees[1]
        assert trees[1]["/chosen"][3] == ("second\n" if given else "first\n")
    # only the stages needed are built (never "broken"); --target picks one too
    proc = _cli(tmp_path, "build", "-f", str(b.ctx / "build.py"), "--target", "second", str(b.ctx))
    assert proc.returncode == 0, proc.stderr
    image = Image.get(proc.stdout.strip(), b.store)
    assert b.tree(image)["/which"][3] == "second\n" and "/chosen" not in b.tree(image)
    bad = _cli(tmp_path, "build", "-f", str(b.ctx / "build.py"), "--target", "nope", str(b.ctx))
    assert bad.returncode != 0 and "--target: no stage named 'nope'" in bad.stderr


def test_words_become_templates_that_expand_alike() -> None:
    env = {"A": "x y", "B": "'q'", "EMPTY": ""}
    words = [
        "plain", '"quoted $A"', "'single $A'", "a\\$A", 'mix"ed $B"\\"', "${A}b", "$A$B",
        "${A:-d}", "${NOPE:-def ault}", "'it''s'", '"\\\\"', "$EMPTY-", "tab\\\tx", "${A}_",
    ]  # fmt: skip
    for word in words:
        value, variable = template(word)
        got = expand_word(value, env) if variable else value
        assert got == expand_word(word, env), (word, value)
        if variable and "${" not in word.replace("${A}", ""):
            assert "'" not in value.replace("\\'", "") and '"' not in value.replace('\\"', "")
    assert json.dumps(template('"hello $WHO"')) == json.dumps(["hello $WHO", True])


def _options(case: Case) -> dict[str, object]:
    """The case's --build-arg and --target as BuildOptions fields."""
    args, kw = list(case.args), {"format": case.format, "build_args": {}}
    while args:
        flag, value = args.pop(0), args.pop(0)
        if flag == "--build-arg":
            key, _, val = value.partition("=")
            kw["build_args"][key] = val  # type: ignore[index]
        else:
            kw["target"] = value
    return kw


@pytest.mark.parametrize("case", [c for c in CASES if "@URL@" not in c.text], ids=lambda c: c.name)
def test_every_differential_case_converts_to_the_same_image(
    store: Store, tmp_path: Path, case: Case
) -> None:
    ctx = write_context(case, tmp_path / "ctx")
    b = Builder(store, ctx)
    proc = _cli(tmp_path, "convert", str(ctx / case.dockerfile))
    if proc.returncode != 0:  # what convert refuses, it names with the line
        assert "is not converted; build the Dockerfile instead" in proc.stderr, proc.stderr
        return
    # outside the context (a COPY . would take it in), with the ignore file beside it if any
    script = tmp_path / "script" / (Path(case.dockerfile).name + ".py")
    script.parent.mkdir()
    script.write_text(proc.stdout)
    for ignore in ctx.glob(case.dockerfile + ".*ignore"):
        (script.parent / (script.name + ignore.suffix)).write_bytes(ignore.read_bytes())
    kw = _options(case)
    from_df = b(None, dockerfile=str(ctx / case.dockerfile), **kw)
    from_py = b(None, dockerfile=str(script), **kw)
    assert from_py.config.config == from_df.config.config
    assert b.tree(from_py) == b.tree(from_df)
    _lint(script)


def test_platform_args_in_from_lines(b: Builder, tmp_path: Path) -> None:
    df = f"""FROM --platform=$BUILDPLATFORM {BASE} AS tools
ARG TARGETARCH
RUN echo "$TARGETARCH" > /arch
FROM $TARGETOS-skip-me AS unused
FROM tools
"""
    script = _convert(b, tmp_path, df)
    assert 'platform=ctx.expand("$BUILDPLATFORM", None, stages.header)' in script
    kw: dict[str, object] = {"platform": "linux/arm64"}
    from_df = b(None, **kw)
    from_py = b(None, dockerfile=str(b.ctx / "build.py"), **kw)
    assert from_py.config.config == from_df.config.config
    assert b.tree(from_py) == b.tree(from_df) and b.tree(from_py)["/arch"][3] == "arm64\n"
