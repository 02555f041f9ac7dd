"""Checks made before a build's first step, so a typo on line 40 fails the build at once, not
after the 39 steps before it: the parser's semantic step (unknown flags, argument counts, bad
HEALTHCHECK forms, unclosed quotes) and the values of every flag the build understands
(COPY/ADD ``--chown``/``--chmod``/``--checksum``/``--exclude``/``--keep-git-dir``, FROM
``--platform``, RUN ``--network``/``--security``/``--device``/``--mount``). A value holding ``$``
is checked when its step expands it."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from buildah_py.container.runmounts import parse_mount, parse_spec
from buildah_py.container.sources import is_url, parse_mode
from buildah_py.errors import ContainerError
from buildah_py.frontend.errors import at
from buildah_py.frontend.run_step import network_mode, security_mode
from buildah_py.oci.descriptor import Platform
from dockerfile_parser import (
    AddInstruction,
    Dockerfile,
    IgnoreFileError,
    IgnoreMatcher,
    Instruction,
    instruction_problems,
)

_DIGEST_LENGTHS = {"sha256": 64, "sha384": 96, "sha512": 128}
_HEX = re.compile(r"^[0-9a-f]+$")

# (instruction, flag value) -> messages about the value; the flag's name is put in front.
ValueCheck = Callable[[Instruction, str], Iterator[str]]


def check_dockerfile(filename: str, df: Dockerfile) -> None:
    """Raise a DockerfileError for the first problem of any instruction, in file order."""
    for inst in df.instructions:
        check_instruction(filename, inst, df.escape)


def check_instruction(filename: str, inst: Instruction, escape: str = "\\") -> None:
    """Raise a DockerfileError, at ``FILE:LINE:COLUMN``, if `inst` cannot be built as written."""
    found = first_problem(inst, filename, escape)
    if found is not None:
        raise at(filename, inst, found[0], found[1])


def first_problem(
    inst: Instruction, filename: str = "Dockerfile", escape: str = "\\"
) -> tuple[str, tuple[int, int]] | None:
    """The first reason `inst` cannot be built (``INSTR: message``) and its (line, column)."""
    problems = instruction_problems(inst, filename, escape)
    if problems:
        return problems[0].message, (problems[0].line, problems[0].column)
    for index, flag in enumerate(inst.flags):
        check = _CHECKS.get((inst.name, flag.name))
        if check is None or flag.value is None or "$" in flag.value:
            continue
        for message in check(inst, flag.value):
            return f"{inst.name}: --{flag.name}={flag.value}: {message}", inst.spans.flag(index)
    return None


def _chown(inst: Instruction, value: str) -> Iterator[str]:
    user, _, group = value.partition(":")
    if not user or ":" in group or (":" in value and not group):
        yield "want USER, USER:GROUP, UID or UID:GID"


def _chmod(inst: Instruction, value: str) -> Iterator[str]:
    try:
        parse_mode(value)
    except ContainerError:
        yield "want an octal mode such as 0755"


def _checksum(inst: Instruction, value: str) -> Iterator[str]:
    algo, _, digest = value.partition(":")
    if algo not in _DIGEST_LENGTHS:
        yield "want sha256:HEX, sha384:HEX or sha512:HEX"
    elif len(digest) != _DIGEST_LENGTHS[algo] or not _HEX.match(digest):
        yield f"want {_DIGEST_LENGTHS[algo]} lower-case hex digits after {algo}:"
    elif isinstance(inst, AddInstruction) and (
        len(inst.sources) != 1 or not is_url(inst.sources[0])
    ):
        yield "works with a single http(s) URL source"


def _exclude(inst: Instruction, value: str) -> Iterator[str]:
    try:
        IgnoreMatcher([value], source="--exclude")
    except IgnoreFileError as err:
        yield err.message


def _keep_git_dir(inst: Instruction, value: str) -> Iterator[str]:
    if value.lower() == "true":
        yield "buildah-py does not fetch git sources, so there is no .git directory to keep"


def _refused_by(parse: Callable[[str], object]) -> ValueCheck:
    """A check saying what `parse` (which raises ValueError on a bad value) says, after its
    ``--flag=value: `` lead."""

    def check(inst: Instruction, value: str) -> Iterator[str]:
        try:
            parse(value)
        except ValueError as err:
            yield str(err).split(": ", 1)[-1]

    return check


def _device(inst: Instruction, value: str) -> Iterator[str]:
    yield "RUN --device is not supported"


def _mount(inst: Instruction, spec: str) -> Iterator[str]:
    checked = spec
    try:
        opts = parse_spec(spec)
        # where a source comes from is resolved when the step runs; the rest is checked now
        if "from" in opts:
            opts["from"] = "x"
        if opts.get("type", "bind") == "bind" and "from" not in opts:
            opts.pop("src", None)
            opts["source"] = "/"  # the context, as the step makes it
        elif "source" in opts or "src" in opts:
            opts["source" if "source" in opts else "src"] = "/"
        checked = ",".join(f"{k}={v}" for k, v in opts.items())
        parse_mount(checked)
    except ContainerError as err:
        # the spec is in the message already: keep what follows it
        yield str(err).replace(repr(checked), repr(spec)).split(f"{spec!r}: ", 1)[-1]


_CHECKS: dict[tuple[str, str], ValueCheck] = {
    ("COPY", "chown"): _chown,
    ("COPY", "chmod"): _chmod,
    ("COPY", "exclude"): _exclude,
    ("ADD", "chown"): _chown,
    ("ADD", "chmod"): _chmod,
    ("ADD", "checksum"): _checksum,
    ("ADD", "exclude"): _exclude,
    ("ADD", "keep-git-dir"): _keep_git_dir,
    ("FROM", "platform"): _refused_by(Platform.parse),
    ("RUN", "network"): _refused_by(network_mode),
    ("RUN", "security"): _refused_by(security_mode),
    ("RUN", "device"): _device,
    ("RUN", "mount"): _mount,
}
