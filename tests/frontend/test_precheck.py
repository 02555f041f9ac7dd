"""Fail fast: every instruction's flags and arguments are checked before the first step runs,
and the error says FILE:LINE:COLUMN: INSTRUCTION: what is wrong."""

from __future__ import annotations

import time

import pytest

from buildah_py.cli.changes import change_settings
from buildah_py.errors import ContainerError, DockerfileError

from .conftest import BASE, Builder

SHA = "sha256:" + "0" * 64

# (a line after a RUN that must never run, the error's first line)
BAD_LINES = [
    ("COPY --bogus=1 a /a", "Dockerfile:4:6: COPY: unknown flag --bogus; accepted: "),
    ("COPY --chown a /a", "Dockerfile:4:6: COPY: --chown needs a value (--chown=VALUE)"),
    ("COPY --chown=a:b:c a /a", "Dockerfile:4:6: COPY: --chown=a:b:c: want USER, USER:GROUP"),
    ("COPY --chmod=999 a /a", "Dockerfile:4:6: COPY: --chmod=999: want an octal mode"),
    ("COPY --link=perhaps a /a", "Dockerfile:4:6: COPY: --link expects true or false"),
    ("COPY --parents=often a /a", "Dockerfile:4:6: COPY: --parents expects true or false"),
    ("COPY --exclude=[ a /a", "Dockerfile:4:6: COPY: --exclude=[: bad pattern '['"),
    ("COPY --from=one --from=two a /a", "Dockerfile:4:17: COPY: repeated flag --from"),
    ("ADD --checksum=md5:ab http://x/y /a", "Dockerfile:4:5: ADD: --checksum=md5:ab: want sha256"),
    (f"ADD --checksum={SHA} a /a", "Dockerfile:4:5: ADD: --checksum=sha256:000"),
    ("ADD --keep-git-dir=true a /a", "Dockerfile:4:5: ADD: --keep-git-dir=true: buildah-py does"),
    ("ADD --unpack=sometimes a /a", "Dockerfile:4:5: ADD: --unpack expects true or false"),
    ("ADD --exclude a /a", "Dockerfile:4:5: ADD: --exclude needs a value"),
    ("HEALTHCHECK", "Dockerfile:4:1: HEALTHCHECK: requires CMD followed by a command, or NONE"),
    ("HEALTHCHECK NONE now", "Dockerfile:4:1: HEALTHCHECK: NONE takes no arguments"),
    ("HEALTHCHECK --interval=5 CMD true", "Dockerfile:4:13: HEALTHCHECK: --interval must be a"),
    ("HEALTHCHECK --retries=0 CMD true", "Dockerfile:4:13: HEALTHCHECK: --retries must be a whole"),
    ("HEALTHCHECK --timeout CMD true", "Dockerfile:4:13: HEALTHCHECK: --timeout needs a value"),
    (f"FROM --platform=nope {BASE}", "Dockerfile:4:6: FROM: --platform=nope: want os/arch"),
    (f"FROM --plat=linux/amd64 {BASE}", "Dockerfile:4:6: FROM: unknown flag --plat; did you mean"),
    ("RUN --network=bridgy true", "Dockerfile:4:5: RUN: --network=bridgy: use default, none or"),
    ("RUN --security=insecure true", "Dockerfile:4:5: RUN: --security=insecure: only sandbox"),
    ("RUN --device=/dev/fuse true", "Dockerfile:4:5: RUN: --device=/dev/fuse: RUN --device is not"),
    ("RUN --mount=type=bogus,target=/x true", "Dockerfile:4:5: RUN: --mount=type=bogus,target=/x"),
    ("RUN --mount=type=cache true", "Dockerfile:4:5: RUN: --mount=type=cache: "),
    ("RUN --moutn=type=cache,target=/c true", "Dockerfile:4:5: RUN: unknown flag --moutn; did you"),
    ('WORKDIR "/unclosed', "Dockerfile:4:9: WORKDIR: unexpected end of statement while looking"),
    ("ENV A=${B", "Dockerfile:4:7: ENV: syntax error: missing '}'"),
    ("USER", "Dockerfile:4:1: USER: requires exactly one argument"),
    ("ONBUILD COPY --chown a /a", "Dockerfile:4:14: ONBUILD COPY: --chown needs a value"),
    ("ONBUILD ONBUILD RUN true", "Dockerfile:4:1: ONBUILD: chaining ONBUILD"),
    ("RUNN true", "Dockerfile:4:1: RUNN: unknown instruction (did you mean RUN?)"),
    ("EXPOSE --proto=tcp 80", "Dockerfile:4:8: EXPOSE: unknown flag --proto; EXPOSE accepts no"),
]


@pytest.mark.parametrize(("line", "error"), BAD_LINES, ids=[b[0] for b in BAD_LINES])
def test_bad_instruction_fails_before_the_first_step(b: Builder, line: str, error: str) -> None:
    b.files(a="a\n")
    start = time.monotonic()
    with pytest.raises(DockerfileError) as caught:
        b(f"FROM {BASE}\nRUN echo ran > /ran\nCOPY a /a\n{line}\n")
    assert time.monotonic() - start < 5
    first, *rest = str(caught.value).splitlines()
    assert first.startswith(error), first
    assert rest == [f" >>> {line}"]
    assert "STEP" not in b.log.getvalue()  # not even the RUN before it ran


def test_flag_on_a_continuation_line_is_located_there(b: Builder) -> None:
    with pytest.raises(DockerfileError) as caught:
        b(
            f"FROM {BASE}\nRUN echo ran\nRUN \\\n    --mount=type=tmpfs,target=/t \\\n    --bogus true\n"
        )
    assert str(caught.value).startswith("Dockerfile:5:5: RUN: unknown flag --bogus")
    assert "STEP" not in b.log.getvalue()


def test_problem_in_an_unused_stage_still_fails(b: Builder) -> None:
    with pytest.raises(DockerfileError, match=r"^Dockerfile:4:6: COPY: unknown flag --nope"):
        b(
            f"FROM {BASE} AS used\nRUN true\nFROM {BASE} AS unused\nCOPY --nope=1 a /a\n",
            target="used",
        )


def test_values_with_variables_are_checked_when_expanded(b: Builder) -> None:
    b.files(a="a\n")
    with pytest.raises(DockerfileError) as caught:
        b(f"FROM {BASE}\nARG MODE=999\nRUN echo ran\nCOPY --chmod=$MODE a /a\n")
    assert "chmod" in str(caught.value)
    assert "STEP 3/4: RUN echo ran" in b.log.getvalue()  # the value was known only then


def test_good_flags_pass(b: Builder) -> None:
    b.files(a="a\n")
    image = b(
        f"FROM --platform=linux/amd64 {BASE}\nCOPY --chown=1:2 --chmod=0640 --link a /a\n"
        "COPY --exclude=*.txt --parents a /p/\n"
        "HEALTHCHECK --interval=1m30s --retries=3 CMD true\n"
        "RUN --network=none --security=sandbox --mount=type=tmpfs,target=/t true\n"
    )
    assert b.tree(image)["/a"][1:3] == (1, 2)


def test_change_instructions_get_the_semantic_step() -> None:
    with pytest.raises(ContainerError, match=r"--change:1:1: USER: requires exactly one argument"):
        change_settings(["USER"])
    with pytest.raises(ContainerError, match=r"--change:1:8: EXPOSE: unknown flag --x"):
        change_settings(["EXPOSE --x 80"])
    assert change_settings(["USER me"]) == {"user": "me"}
