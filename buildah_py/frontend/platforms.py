"""One build for several platforms (``--platform a,b``, ``--all-platforms``) into one manifest list.

Each platform is a whole build of its own (its own bases, pulled for that platform, and its own
TARGET* arguments), run side by side up to ``jobs`` at once over one context opened once. Steps
that do not depend on the platform (a ``FROM --platform=$BUILDPLATFORM`` stage) have the same
cache key in every platform's build; the cache runs such a step once and the other builds wait
for it and reuse it (cache_steps.one_at_a_time). The images go into the list ``--manifest``
names (or the ``-t`` name), an entry per platform, replacing that platform's older entry.
"""

from __future__ import annotations

import io
import logging
import os
import sys
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import IO, TYPE_CHECKING, Any

from buildah_py.container import Image
from buildah_py.container.outputspec import OutputSpec, checked_output
from buildah_py.errors import BuildahPyError, DockerfileError
from buildah_py.frontend.args import ArgScope, platform_args
from buildah_py.frontend.context import find_dockerfile, open_context, use_dockerfile_ignore
from buildah_py.frontend.executor import Build
from buildah_py.frontend.named_contexts import close_named, open_named
from buildah_py.frontend.options import (
    BuildOptions,
    binary_stdin,
    normal_platform,
    platforms_of,
)
from buildah_py.frontend.stages import split_stages
from buildah_py.manifests.lists import ManifestLists
from buildah_py.oci.descriptor import Platform
from buildah_py.storage import Store
from buildah_py.transports.options import RegistryOptions
from dockerfile_parser import DockerfileSyntaxError, parse

if TYPE_CHECKING:
    from buildah_py.container.manifest_list import ManifestList

log = logging.getLogger("buildah_py.build")


@dataclass(frozen=True)
class PlatformImage:
    """The image one platform of a multi-platform build made."""

    platform: Platform
    image: Image


@dataclass(frozen=True)
class PlatformBuilds:
    """What a multi-platform build made: an image per platform, in the order asked, and the
    manifest list holding them (None when the build named none)."""

    images: list[PlatformImage]
    manifest: ManifestList | None

    @property
    def id(self) -> str:
        """What ``build`` prints: the list's ID, else the first platform's image ID (as buildah)."""
        return self.manifest.id if self.manifest is not None else self.images[0].image.id


def build_platforms(options: BuildOptions, store: Store) -> PlatformBuilds:
    """Build `options` once per platform and gather the images into the manifest list."""
    if options.iidfile:
        raise DockerfileError(
            f"--iidfile {options.iidfile}: a build for several platforms makes several images; "
            "the file holds one image ID"
        )
    list_name = _list_name(options)
    outputs = [checked_output(o) for o in options.outputs]
    for spec in outputs:
        if spec.type != "local":
            raise DockerfileError(
                f"--output type={spec.type} for several platforms: use type=local (a directory "
                "per platform under dest), or --manifest and `manifest push --all` to an archive"
            )
    if options.context == "-" and options.dockerfile == "-":
        raise DockerfileError("the build context and the Dockerfile cannot both come from stdin")
    context = open_context(
        options.context,
        options.ignorefile,
        stdin=binary_stdin(options) if options.context == "-" else None,
        limits=options.fetch_limits,
    )
    named: dict[str, Any] = {}
    try:
        named = open_named(options.build_contexts, options.fetch_limits)
        path = find_dockerfile(context, options.dockerfile)
        use_dockerfile_ignore(context, path, options.ignorefile)
        text = _dockerfile_bytes(path, options)
        if options.all_platforms:
            platforms = _base_platforms(text, path, options, store)
        else:
            platforms = platforms_of(options.platform)
        log.info("building for %s", ", ".join(str(p) for p in platforms))
        shared = (context, named)
        base_out = options.out or sys.stderr
        lock = threading.Lock()
        started: list[Build] = []

        def one(plat: Platform) -> Image:
            opts = replace(
                options,
                platform=str(plat),
                all_platforms=False,
                manifest=None,
                tags=(),
                iidfile=None,
                outputs=[_per_platform(o, plat) for o in outputs],
                stdin=io.TextIOWrapper(io.BytesIO(text)) if path is None else None,
                out=None,
                log_split=None,
                # the image records the platform it was built for, whatever its base said
                os=options.os or plat.os,
                arch=options.arch or plat.architecture,
                variant=options.variant or plat.variant or None,
            )
            split = _split_log(options.log_split, plat)
            try:
                opts.out = split or _Prefixed(base_out, f"[{plat}] ", lock)  # type: ignore[assignment]
                one_build = Build(store, opts)
                with lock:
                    started.append(one_build)
                return one_build.run(shared=shared)
            finally:
                if split is not None:
                    split.close()

        try:
            images = _run_all(platforms, one, options.jobs)
        except KeyboardInterrupt:
            # Cancelled: the signal stopped each platform's steps, which those builds saw
            # as failures and kept their containers for; a cancelled build leaves nothing.
            for b in started:
                b.discard()
            raise
    finally:
        context.cleanup()
        close_named(named)
    built = [PlatformImage(p, img) for p, img in zip(platforms, images, strict=True)]
    manifest = _gather(store, list_name, built, options) if list_name else None
    return PlatformBuilds(built, manifest)


def _list_name(options: BuildOptions) -> str | None:
    """The list the images go into: ``--manifest``, else the one ``-t`` name (docker buildx names
    the index so); several names for several platforms say nothing clear and are refused."""
    tags = list(options.tags)
    if options.manifest and tags:
        raise DockerfileError(
            "--manifest and --tag together with several platforms: the list is the one name "
            "(tag the list later with `buildah-py tag`, or push it under any name)"
        )
    if len(tags) > 1:
        raise DockerfileError(
            f"{len(tags)} --tag names with several platforms: give the manifest list one name "
            "(--manifest NAME)"
        )
    return options.manifest or (tags[0] if tags else None)


def _run_all(platforms: list[Platform], one: Any, jobs: int) -> list[Image]:
    """`one(platform)` for each platform, up to `jobs` at once; the first failure (named by its
    platform) once every build has stopped."""
    pool = ThreadPoolExecutor(max_workers=max(1, min(jobs, len(platforms))))
    futures: list[Future[Image]] = []
    try:
        futures = [pool.submit(one, plat) for plat in platforms]
        pool.shutdown(wait=True)
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    for plat, fut in zip(platforms, futures, strict=True):
        err = fut.exception()
        if isinstance(err, BuildahPyError):
            err.args = (f"{plat}: {err.args[0]}" if err.args else str(plat), *err.args[1:])
            raise err
        if err is not None:
            raise err
    return [f.result() for f in futures]


def _gather(
    store: Store, name: str, built: list[PlatformImage], options: BuildOptions
) -> ManifestList:
    """Put each platform's image in the list `name` (made when missing), replacing an older
    entry of the same platform so a rebuild does not leave the old image beside the new."""
    # the list operations bring the pull and push path: loaded for multi-platform builds only
    from buildah_py.container import manifest_ops as ops
    from buildah_py.container.manifest_list import ManifestList

    lists = ManifestLists(store)
    if not lists.exists(name):
        ops.create_list(store, name)
    record = lists.get(name)
    for item in built:
        stale = [
            e.digest
            for e in record.manifests
            if e.platform is not None and normal_platform(e.platform) == item.platform
        ]
        for digest in stale:
            with lists.editing(record.id) as rec:
                rec.drop(digest)
        ops.add_images(store, record.id, item.image.record, platform=_entry(item.platform))
        record = lists.get(record.id)
    lst = ManifestList(store, lists.get(record.id))
    log.info("manifest list %s: %s", lst.name, ", ".join(str(p.platform) for p in built))
    return lst


def _entry(plat: Platform) -> Any:
    from buildah_py.container.manifest_ops import EntryPlatform

    return EntryPlatform(os=plat.os, arch=plat.architecture, variant=plat.variant or None)


def _per_platform(spec: OutputSpec, plat: Platform) -> OutputSpec:
    """type=local for several platforms: a directory per platform under dest (as BuildKit)."""
    sub = "_".join(p for p in (plat.os, plat.architecture, plat.variant) if p)
    return replace(spec, dest=os.path.join(spec.dest, sub))


def _split_log(path: str | None, plat: Platform) -> IO[str] | None:
    """--logsplit: each platform's progress in LOGFILE_os_arch (buildah's naming)."""
    if not path:
        return None
    name = f"{path}_{plat.os}_{plat.architecture}"
    try:
        return open(name, "w")  # closed by the caller
    except OSError as err:
        raise DockerfileError(f"--logfile {name}: {err.strerror}") from None


def _dockerfile_bytes(path: str | None, options: BuildOptions) -> bytes:
    if path is None:  # stdin: read once, handed to each platform's build
        return bytes(binary_stdin(options).read())
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as err:
        raise DockerfileError(f"cannot read {path}: {err.strerror}") from err


def _base_platforms(
    text: bytes, path: str | None, options: BuildOptions, store: Store
) -> list[Platform]:
    """--all-platforms: the platforms every base image offers (the FROM images that are neither
    stages, contexts nor scratch), in the order of the first one's list."""
    if path is not None and path.endswith(".py"):
        raise DockerfileError("--all-platforms needs a Dockerfile: a build script names its own")
    try:
        df = parse(text, path or "Dockerfile")
    except DockerfileSyntaxError as err:
        raise DockerfileError(err.message, where=f"{path or 'Dockerfile'}:{err.line}") from None
    host = Platform.host()
    scope = ArgScope(options.build_args, platform_args(host, host))
    stages = split_stages(df, scope, {})
    bases: list[str] = []
    for st in stages:
        if st.base_stage is not None or st.context is not None or st.base.lower() == "scratch":
            continue
        if st.from_inst.platform and "TARGET" not in st.from_inst.platform:
            continue  # pinned to one platform (--platform=$BUILDPLATFORM): not a target's base
        if st.base not in bases:
            bases.append(st.base)
    if options.from_image:
        bases = [options.from_image, *bases[1:]]
    if not bases:
        raise DockerfileError("--all-platforms: the build uses no base image but scratch")
    common: list[Platform] | None = None
    for base in bases:
        offered = _offered(base, store, options.registry)
        common = offered if common is None else [p for p in common if p in offered]
    if not common:
        raise DockerfileError(
            "--all-platforms: the base images " + ", ".join(bases) + " share no platform"
        )
    return common


def _offered(base: str, store: Store, registry: RegistryOptions | None) -> list[Platform]:
    """The platforms a base image is offered for: a local manifest list's entries, else the
    registry's index; an image that is no list is refused (there is nothing to choose from)."""
    from buildah_py.container.index_pull import remote_platforms
    from buildah_py.container.resolve import find_image
    from buildah_py.defaults import user_registry_options
    from buildah_py.errors import ImageNotFound
    from buildah_py.transports.registry.regconf import looks_qualified

    lists = ManifestLists(store)
    single = DockerfileError(
        f"--all-platforms: base image {base} is a single image, not a manifest list"
    )
    remote_name = looks_qualified(base) and base.split("/", 1)[0] != "localhost"
    if lists.exists(base):
        found = [normal_platform(e.platform) for e in lists.get(base).manifests if e.platform]
    else:
        if not remote_name:  # a name built here: the local image, if any, is all there is
            try:
                find_image(store, base)
            except ImageNotFound:
                pass
            else:
                raise single
        ref = base if looks_qualified(base) else f"docker.io/{base}"
        try:
            remote = remote_platforms(f"docker://{ref}", store, user_registry_options(registry))
        except (BuildahPyError, ValueError) as err:
            raise DockerfileError(f"--all-platforms: base image {base}: {err}") from None
        if remote is None:
            raise single
        found = [normal_platform(p) for p in remote]
    return list(dict.fromkeys(found))


class _Prefixed(io.TextIOBase):
    """Progress of one platform: whole lines, each starting with ``[os/arch] ``, on a stream
    the other platforms share (a lock keeps their lines whole)."""

    def __init__(self, out: IO[str], prefix: str, lock: threading.Lock) -> None:
        self._out, self._prefix, self._lock, self._part = out, prefix, lock, ""

    def write(self, text: str) -> int:
        self._part += text.replace("\r", "\n")
        *lines, self._part = self._part.split("\n")
        if lines:
            with self._lock:
                self._out.write("".join(f"{self._prefix}{line}\n" for line in lines if line))
                self._out.flush()
        return len(text)

    def isatty(self) -> bool:
        return False  # no in-place progress bars between other platforms' lines
