"""Python API steps print ``STEP n: ...`` lines and each cache outcome, through the one printer
Dockerfile builds use; quiet when asked, and never into captured output."""

from __future__ import annotations

import io
import logging
import re

import pytest

from buildah_py import Container
from buildah_py.container.cache import BuildCache
from buildah_py.container.progress import Progress
from buildah_py.storage import Store

BASE = "localhost/busybox:latest"


def _steps(store: Store, cache: BuildCache) -> bytes:
    with Container.from_image(BASE, store=store, cache=cache) as c:
        c.run("echo hi > /hi")
        c.run(["echo", "exec form"], no_cache=True)
        c.copy("/etc/hostname", "/copied")
        return c.run("cat /hi", capture=True).stdout


def test_steps_print_their_line_and_cache_outcome(store: Store) -> None:
    out = io.StringIO()
    _steps(store, BuildCache(store, progress=Progress(out)))
    first = out.getvalue()
    assert "STEP 1: RUN echo hi > /hi\n--> cache miss: no earlier build of this step\n" in first
    assert (
        'STEP 2: RUN ["echo", "exec form"]\n--> cache miss: no_cache=True on this step\n' in first
    )
    assert (
        "STEP 3: COPY /etc/hostname /copied\n--> cache miss: an earlier step was rebuilt" in first
    )
    assert "STEP 4: RUN cat /hi\n" in first
    out = io.StringIO()
    captured = _steps(store, BuildCache(store, progress=Progress(out)))
    assert captured == b"hi\n"  # the step lines never reach captured output
    second = out.getvalue()
    assert re.search(r"STEP 1: RUN echo hi > /hi\n--> Using cache [0-9a-f]{12}\n", second)
    assert "STEP 2: RUN" in second and "--> cache miss: no_cache=True on this step" in second


def test_the_default_printer_writes_to_stderr(
    store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    captured = _steps(store, BuildCache(store))
    err = capsys.readouterr()
    assert captured == b"hi\n" and "STEP 1: RUN echo hi > /hi" in err.err
    assert "STEP" not in err.out  # stdout is the script's own


def test_quiet_and_logging_levels_silence_the_steps(
    store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    _steps(store, BuildCache(store, quiet=True))
    assert "STEP" not in capsys.readouterr().err
    for name in ("buildah_py.build", "buildah_py"):
        log = logging.getLogger(name)
        log.setLevel(logging.WARNING)
        try:
            _steps(store, BuildCache(store))
        finally:
            log.setLevel(logging.NOTSET)
        assert "STEP" not in capsys.readouterr().err, name
    logging.getLogger("buildah_py.build").setLevel(logging.INFO)
    try:
        _steps(store, BuildCache(store))
    finally:
        logging.getLogger("buildah_py.build").setLevel(logging.NOTSET)
    assert "STEP 1: RUN echo hi" in capsys.readouterr().err


def test_a_build_that_prints_its_own_steps_gets_outcomes_only(store: Store) -> None:
    out = io.StringIO()
    progress = Progress(out)
    _steps(store, BuildCache(store, report=progress.cache))  # as the Dockerfile build does
    assert "STEP" not in out.getvalue() and "--> cache miss" in out.getvalue()
