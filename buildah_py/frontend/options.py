"""What a build is asked to do: the options `buildah-py build` and the Python API share."""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, BinaryIO, TextIO, cast

from buildah_py.container import RunOptions
from buildah_py.container.outputspec import OutputSpec
from buildah_py.defaults import environment_value
from buildah_py.errors import DockerfileError
from buildah_py.frontend.remote_context import FetchLimits
from buildah_py.oci.descriptor import Platform
from buildah_py.transports.options import RegistryOptions

PULL_POLICIES = ("missing", "always", "never")


@dataclass
class BuildOptions:
    """One build. `dockerfile` None means CONTEXT/Containerfile, then CONTEXT/Dockerfile; "-" is stdin."""

    context: str = "."
    dockerfile: str | None = None
    tags: Sequence[str] = ()
    build_args: Mapping[str, str] = field(default_factory=dict)
    target: str | None = None
    cache: bool = True
    #: Registry repositories cached steps come from (on a local miss) and go to; how old an
    #: entry taken from one may be, in seconds (0: no cache at all, as buildah's --cache-ttl=0).
    cache_from: Sequence[str] = ()
    cache_to: Sequence[str] = ()
    cache_ttl: float | None = None
    format: str = "oci"
    isolation: str | None = None
    #: os/arch[/variant]; several, comma-separated, build one image each (build_platforms).
    platform: str | None = None
    #: Every platform the base images are all offered for (a build per platform).
    all_platforms: bool = False
    #: The manifest list a multi-platform build's images go into (made when missing).
    manifest: str | None = None
    #: With several platforms: each platform's progress to the file PATH_os_arch (--logsplit).
    log_split: str | None = None
    secrets: Sequence[str] = ()
    iidfile: str | None = None
    #: --output: the final stage also written as a directory, tar, oci or docker archive
    #: (an OutputSpec, or text as ``--output`` takes it); the image is committed as well.
    outputs: Sequence[OutputSpec | str] = ()
    stdout: BinaryIO | None = None  # where an output to "-" goes; default sys.stdout
    timestamp: int | None = None
    quiet: bool = False
    pull: str = "missing"
    ignorefile: str | None = None
    network: str | None = None
    jobs: int = 4
    #: How base images are pulled (--tls-verify, --creds, --authfile, --cert-dir, --retry).
    registry: RegistryOptions | None = None
    # What the final image carries besides the Dockerfile's own settings.
    labels: Mapping[str, str] = field(default_factory=dict)
    annotations: Mapping[str, str] = field(default_factory=dict)
    env: Sequence[str] = ()  # K=V, set in the final image
    unsetenv: Sequence[str] = ()
    identity_label: bool = False  # io.buildah.version=<buildah-py version>
    omit_history: bool = False
    os: str | None = None
    arch: str | None = None
    variant: str | None = None
    squash: bool = False
    compression: str = "gzip"  # or "none" (--disable-compression)
    #: Remove the build's containers after success; `force_rm` also after a failure.
    rm: bool = True
    force_rm: bool = True
    from_image: str | None = None  # replaces the image of the first FROM
    skip_unused_stages: bool = True
    add_host: Sequence[str] = ()  # HOST:IP lines in every RUN's /etc/hosts
    #: How every RUN runs (-v, --cap-add, --dns, --ulimit ...); not part of the cache key.
    run_options: RunOptions = field(default_factory=RunOptions)
    runtime: str | None = None  # the OCI runtime of --isolation oci (default runc)
    #: NAME=DIR|URL|docker-image://REF|oci-layout://DIR[:tag|@digest] (``--build-context``).
    build_contexts: Sequence[str] = ()
    #: Size and time limits of a context fetched from a URL (git or tarball).
    fetch_limits: FetchLimits = field(default_factory=FetchLimits)
    stdin: TextIO | None = None  # for "-" (Dockerfile or context); default sys.stdin
    out: TextIO | None = None  # progress; default sys.stderr (the image ID goes to stdout)


def platforms_of(spec: str | Sequence[str] | None) -> list[Platform]:
    """``--platform`` values (repeatable, each comma-separated) as platforms, in order, once each."""
    texts = [spec] if isinstance(spec, str) else list(spec or ())
    out: list[Platform] = []
    for text in texts:
        for part in (p.strip() for p in text.split(",")):
            if not part:
                continue
            try:
                plat = normal_platform(Platform.parse(part))
            except ValueError as err:
                raise DockerfileError(f"--platform {part}: {err}") from None
            if plat not in out:
                out.append(plat)
    return out


def normal_platform(plat: Platform) -> Platform:
    """`plat` as a list entry names it."""
    # arm64's only variant is v8: linux/arm64 and linux/arm64/v8 are one platform
    if plat.architecture == "arm64" and plat.variant == "v8":
        return replace(plat, variant="")
    return plat


def several(options: BuildOptions) -> bool:
    """Whether `options` ask for more than one platform (the work of build_platforms)."""
    return options.all_platforms or len(platforms_of(options.platform)) > 1


def binary_stdin(options: BuildOptions) -> BinaryIO:
    """Where "-" (the Dockerfile or the context tar) is read from, as bytes: `options.stdin`
    (default sys.stdin) through its buffer, or as it is when it is a binary stream already."""
    stream: Any = options.stdin or sys.stdin
    return cast(BinaryIO, getattr(stream, "buffer", stream))


def parse_build_args(
    items: Sequence[str],
    files: Sequence[str] = (),
    environ: Callable[[str], str | None] = environment_value,
) -> dict[str, str]:
    """``K=V`` sets K; ``K`` alone takes K from `environ` (by default the process environment;
    skipped when unset, as docker does).

    Files hold one ``K=V`` per line (``#`` comments, blank lines ignored); the command line wins.
    """
    out: dict[str, str] = {}
    for name in files:
        try:
            lines = Path(name).read_text().splitlines()
        except OSError as err:
            raise DockerfileError(f"--build-arg-file {name}: {err.strerror}") from err
        for n, line in enumerate(lines, 1):
            text = line.strip()
            if not text or text.startswith("#"):
                continue
            _put(out, text, f"{name}:{n}", environ)
    for item in items:
        _put(out, item, "--build-arg", environ)
    return out


def _put(out: dict[str, str], item: str, where: str, environ: Callable[[str], str | None]) -> None:
    key, sep, value = item.partition("=")
    key = key.strip()
    if not key:
        raise DockerfileError(f"{where}: build argument {item!r} has no name (want KEY=VALUE)")
    if sep:
        out[key] = value
    elif (found := environ(key)) is not None:
        out[key] = found
