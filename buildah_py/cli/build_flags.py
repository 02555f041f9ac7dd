"""The flags of ``build`` beyond the basics: image metadata, flow, and those refused with why."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, BinaryIO

import click

from buildah_py.cli.common import option_group
from buildah_py.cli.fromflags import DECRYPTION
from buildah_py.container.cache_entry import parse_duration
from buildah_py.container.outputspec import STDOUT, OutputError, OutputSpec, parse_output

#: Flags accepted by name and refused when given, with what would honour them.
REFUSED: dict[str, str] = {
    "decryption_key": DECRYPTION,
    "sign_by": "the built image stays in the local store, which keeps no signatures; sign it "
    "when pushing (push --sign-by or --sign-by-sigstore-private-key)",
    "cpp_flag": "Containerfile.in (C preprocessor) files are not supported",
    "hooks_dir": "OCI hooks are not run by buildah-py, under any isolation",
    "os_feature": "set os.features with `buildah-py config` is not supported either",
    "os_version": "set os.version with `buildah-py config` is not supported either",
    "stdin": "RUN steps of a build get no stdin; use `buildah-py run` for interactive steps",
    "ssh": "use RUN --mount=type=ssh with `buildah-py run --ssh`",
}
_SHORT: dict[str, str] = {}
_FLAGS = {
    "stdin",
}


def _refused_option(dest: str) -> Callable[[Any], Any]:
    name = "--" + dest.replace("_", "-")
    decls = [name, dest] if dest not in _SHORT else [_SHORT[dest], name, dest]
    if dest in _FLAGS:
        return click.option(*decls, is_flag=True, default=False, help=_refused(dest))
    return click.option(*decls, multiple=True, help=_refused(dest))


def _refused(dest: str) -> str:
    """Listed in --help as buildah lists it, with why it is refused here."""
    return f"Refused: {REFUSED[dest]}"


#: Every refused flag as an option (repeatable where buildah's is); see :func:`refuse`.
refused_options = option_group(*(_refused_option(dest) for dest in REFUSED))


def refuse(kw: dict[str, Any]) -> None:
    """The first refused flag given in `kw` ends the build with its reason."""
    for dest, reason in REFUSED.items():
        if kw.get(dest):
            raise click.UsageError(f"--{dest.replace('_', '-')}: {reason}")


#: --label, --annotation, --env, --unsetenv, --identity-label, --omit-history, --os, --arch,
#: --variant, --squash, -D/--disable-compression, --compress, --disable-content-trust.
metadata_options = option_group(
    click.option("--label", "labels", multiple=True, help="K=V label (repeatable)."),
    click.option("--annotation", "annotations", multiple=True, help="K=V annotation (repeatable)."),
    click.option("--env", "env", multiple=True, help="K=V set in the image (repeatable)."),
    click.option("--unsetenv", multiple=True, help="Variable removed from the image."),
    click.option(
        "--identity-label/--no-identity-label",
        default=False,
        help="Add io.buildah.version (off: keeps image IDs reproducible).",
    ),
    click.option("--omit-history", is_flag=True, help="Write no history into the image."),
    click.option("--os", "os_", help="OS recorded in the image."),
    click.option("--arch", help="Architecture recorded in the image."),
    click.option("--variant", help="Architecture variant recorded in the image."),
    click.option("--squash", is_flag=True, help="All new layers as one."),
    click.option(
        "-D",
        "--disable-compression",
        is_flag=True,
        help="Store layers uncompressed.",
    ),
    click.option("--compress", is_flag=True, help="Legacy; no effect."),
    click.option("--disable-content-trust", is_flag=True, help="Docker's; no effect."),
)


#: --rm, --force-rm, --logfile, --skip-unused-stages, --from, --pull-always, --pull-never,
#: --add-host.
flow_options = option_group(
    click.option(
        "--rm/--no-rm",
        "rm",
        default=True,
        help="Remove the build's containers after success (default on).",
    ),
    click.option(
        "--force-rm/--no-force-rm",
        default=True,
        help="Remove them after a failure too (default on).",
    ),
    click.option("--logfile", help="Write progress to this file instead of stderr."),
    click.option(
        "--skip-unused-stages/--no-skip-unused-stages",
        default=True,
        help="Skip stages the target does not need (default on).",
    ),
    click.option("--from", "from_image", help="Image used instead of the first FROM's."),
    click.option("--pull-always", is_flag=True, help="Same as --pull=always."),
    click.option("--pull-never", is_flag=True, help="Same as --pull=never."),
    click.option("--add-host", "add_host", multiple=True, help="HOST:IP for RUN's /etc/hosts."),
)


#: --cache-from, --cache-to, --cache-ttl: the build cache shared through registries.
cache_options = option_group(
    click.option(
        "--cache-from",
        "cache_from",
        multiple=True,
        help="Repository to take cached steps from on a local miss (repeatable).",
    ),
    click.option(
        "--cache-to",
        "cache_to",
        multiple=True,
        help="Repository each cached step is pushed to (repeatable).",
    ),
    click.option(
        "--cache-ttl",
        "cache_ttl",
        help="Ignore registry cache entries older than this (30m, 12h, 1h30m); 0: no cache.",
    ),
)


def cache_ttl_seconds(value: str | None) -> float | None:
    """--cache-ttl as seconds (None: not given)."""
    if value is None:
        return None
    try:
        return parse_duration(value)
    except ValueError as err:
        raise click.BadParameter(str(err), param_hint="--cache-ttl") from None


def key_value_map(items: tuple[str, ...], flag: str) -> dict[str, str]:
    """``K=V`` items (``K`` alone is an empty value), one error line for an empty name."""
    out: dict[str, str] = {}
    for item in items:
        key, _, value = item.partition("=")
        if not key:
            raise click.BadParameter(f"{item!r}: want KEY=VALUE", param_hint=flag)
        out[key] = value
    return out


#: -o/--output: the final stage written out besides the committed image (repeatable).
output_option = click.option(
    "-o",
    "--output",
    "outputs",
    multiple=True,
    help="Also write the result: DIR, -, or type=local|tar|oci|docker,dest=PATH[,name=NAME].",
)


def output_specs(values: tuple[str, ...], stdout_is_terminal: bool) -> list[OutputSpec]:
    """--output values parsed (OutputError, one line, for a bad one); stdout taken at most
    once and never when it is a terminal (a tar there helps nobody)."""
    specs = [parse_output(v) for v in values]
    to_stdout = [s for s in specs if s.dest == STDOUT]
    if len(to_stdout) > 1:
        raise OutputError("--output: only one output can go to stdout (-)")
    if to_stdout and stdout_is_terminal:
        raise OutputError(
            f"--output {to_stdout[0]}: stdout is a terminal; redirect it or give dest=FILE"
        )
    return specs


@contextmanager
def stdout_for_outputs(specs: list[OutputSpec]) -> Iterator[BinaryIO | None]:
    """With an output to stdout: the real stdout for it alone, while fd 1 goes to stderr for
    the block (RUN steps print there), so nothing else lands in the tar."""
    if not any(s.dest == STDOUT for s in specs):
        yield None
        return
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    try:
        with open(os.dup(saved), "wb") as out:
            yield out
    finally:
        os.dup2(saved, 1)
        os.close(saved)
