"""A whole build: the context, the Dockerfile's stages (independent ones in parallel), the commit."""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from buildah_py import __version__
from buildah_py.container import Container, Image
from buildah_py.container.cache import BuildCache
from buildah_py.container.outputspec import checked_output
from buildah_py.container.resolve import pull
from buildah_py.container.runmounts import SecretSource, parse_secret
from buildah_py.container.running import check_run_options
from buildah_py.errors import BuildahPyError, ContainerError, DockerfileError
from buildah_py.frontend.args import ArgScope, platform_args
from buildah_py.frontend.context import (
    BuildContextDir,
    find_dockerfile,
    open_context,
    use_dockerfile_ignore,
)
from buildah_py.frontend.errors import at
from buildah_py.frontend.instructions import HANDLERS
from buildah_py.frontend.named_contexts import Named, close_named, open_named
from buildah_py.frontend.options import PULL_POLICIES, BuildOptions, binary_stdin, several
from buildah_py.frontend.precheck import check_dockerfile
from buildah_py.frontend.progress import Progress
from buildah_py.frontend.script import run_script
from buildah_py.frontend.stage import StageBuilder
from buildah_py.frontend.stages import Stage, needed, split_stages
from buildah_py.oci.descriptor import Platform
from buildah_py.oci.reference import local_name
from buildah_py.storage import Store
from buildah_py.transports.options import PullOptions, RegistryOptions
from dockerfile_parser import Dockerfile, DockerfileSyntaxError, expand_word, parse
from dockerfile_parser.semantic import unknown_instruction

log = logging.getLogger("buildah_py.build")


class _Cancelled(Exception):
    """Another stage failed: this one stops at its next step."""


class Build:
    """One build of a Dockerfile or a Python build script against `store`."""

    def __init__(
        self, store: Store, options: BuildOptions, progress: Progress | None = None
    ) -> None:
        if options.pull not in PULL_POLICIES:
            raise DockerfileError(f"--pull={options.pull}: use missing, always or never")
        if options.format not in ("oci", "docker"):
            raise DockerfileError(f"--format={options.format}: use oci or docker")
        # Before any step runs: what the isolation cannot honour is refused.
        check_run_options(options.run_options, options.isolation, options.runtime)
        self.outputs = [checked_output(o) for o in options.outputs]
        self.store = store
        self.options = options
        self.progress = progress or Progress(options.out, options.quiet)
        try:
            self.cache = BuildCache(
                store,
                enabled=options.cache,
                report=self.progress.cache,
                cache_from=options.cache_from,
                cache_to=options.cache_to,
                cache_ttl=options.cache_ttl,
                registry=options.registry,
            )
        except ValueError as err:  # a malformed --cache-from/--cache-to repository
            raise DockerfileError(str(err)) from None
        try:
            self.target_platform = Platform.parse(options.platform) if options.platform else None
        except ValueError as err:
            raise DockerfileError(f"--platform: {err}") from err
        self.scope = ArgScope(
            options.build_args,
            platform_args(self.target_platform or Platform.host(), Platform.host()),
        )
        self.secrets: dict[str, SecretSource] = {}
        for spec in options.secrets:
            secret = parse_secret(spec)
            self.secrets[secret.id] = secret
        self.filename = "Dockerfile"
        self.escape = "\\"
        self.stages: list[Stage] = []
        self._containers: list[Container] = []
        self._results: dict[int, Future[Container]] = {}
        self.final_index = -1  # the stage the build commits (set once the stages are known)
        self._lock = threading.Lock()
        self._failed = threading.Event()
        self._fetched_stages: set[int] = set()  # stages whose FROM image was pulled up front
        self._fetched_refs: set[str] = set()  # --from images pulled up front
        #: stage -> the ID of its FROM image, chosen for the stage's platform up front (the
        #: name alone may stand for another platform's image, or a manifest list)
        self.resolved: dict[int, str] = {}
        self.context: BuildContextDir
        self.named: dict[str, Named] = {}  # --build-context

    # --- services for stages ---------------------------------------------------------
    def discard(self) -> None:
        """Remove the build's containers (a build stopped from outside, mid-step)."""
        with self._lock:
            containers, self._containers = self._containers, []
        for ctr in containers:
            try:
                ctr.rm()
            except BuildahPyError as err:
                log.debug("removing %s: %s", ctr.name, err)

    def register(self, ctr: Container) -> None:
        with self._lock:
            self._containers.append(ctr)

    def stage_result(self, index: int) -> Container:
        return self._results[index].result()

    def check_cancelled(self) -> None:
        if self._failed.is_set():
            raise _Cancelled()

    def pull_options(self, stage: Stage) -> dict[str, Any]:
        # an image pulled before the build's first step is not pulled again
        fetched = stage.index in self._fetched_stages
        opts: dict[str, Any] = {"pull_policy": "missing" if fetched else self.options.pull}
        if self.options.registry is not None:
            opts["registry"] = self.options.registry
        plat = stage.from_inst.platform
        if plat:
            plat = expand_word(plat, self.scope.for_from(), self.escape)
        if plat or self.target_platform:
            opts["platform"] = Platform.parse(plat) if plat else self.target_platform
        return opts

    def image(self, ref: str) -> Image:
        """An image named by COPY --from or RUN --mount from=, brought in per the pull policy."""
        policy = "missing" if ref in self._fetched_refs else self.options.pull
        return Image(self.store, pull(self.store, ref, PullOptions(self._registry(), policy)))

    def _resolve_images(self, todo: list[Stage]) -> None:
        """Find or pull every image the stages in `todo` name, before any step runs: a misspelt
        or unreachable name fails the build before its first RUN."""
        for st in todo:
            if st.base_stage is None and st.context is None and st.base.lower() != "scratch":
                opts = self.pull_options(st)
                pulling = PullOptions(
                    self._registry(), opts["pull_policy"], platform=opts.get("platform")
                )
                try:
                    found = pull(self.store, st.base, pulling, other_platform_ok=True)
                except (BuildahPyError, ValueError) as err:
                    raise at(self.filename, st.from_inst, f"FROM {st.base}: {err}") from None
                self._fetched_stages.add(st.index)
                self.resolved[st.index] = found.id
            for inst, ref in st.images:
                if not any(c in ref for c in "/:@.") and not self._is_local(ref):
                    # a bare word is a stage name more often than a Docker Hub image
                    raise at(self.filename, inst, f"{inst.name}: no stage or image named {ref!r}")
                try:
                    pull(self.store, ref, PullOptions(self._registry(), self.options.pull))
                except (BuildahPyError, ValueError) as err:
                    raise at(self.filename, inst, f"{inst.name}: image {ref}: {err}") from None
                self._fetched_refs.add(ref)

    def _is_local(self, ref: str) -> bool:
        try:
            pull(self.store, ref, PullOptions(self._registry(), "never"))
        except (BuildahPyError, ValueError):
            return False
        return True

    def _registry(self) -> RegistryOptions:
        return self.options.registry or RegistryOptions()

    # --- the build ------------------------------------------------------------------
    def run(self, shared: tuple[BuildContextDir, dict[str, Named]] | None = None) -> Image:
        """The build; `shared`: a context and named contexts opened already (one platform of a
        multi-platform build), left open for the others."""
        opts = self.options
        if shared is None and opts.context == "-" and opts.dockerfile == "-":
            raise DockerfileError(
                "the build context and the Dockerfile cannot both come from stdin"
            )
        self.context = (
            shared[0]
            if shared is not None
            else open_context(
                opts.context,
                opts.ignorefile,
                stdin=binary_stdin(opts) if opts.context == "-" else None,
                limits=opts.fetch_limits,
            )
        )
        done = cancelled = False
        try:
            if shared is not None:
                self.named = shared[1]
            else:
                self.named = open_named(opts.build_contexts, opts.fetch_limits)
            path = find_dockerfile(self.context, opts.dockerfile)
            use_dockerfile_ignore(self.context, path, opts.ignorefile)
            if path is not None and path.endswith(".py"):
                image: Image = run_script(self, path)
            else:
                image = self._dockerfile(self._load(path))
            self._write_outputs(image)
            done = True
            return image
        except KeyboardInterrupt:  # Ctrl-C, or SIGTERM through cleanup_on_signals
            cancelled = True
            raise
        finally:
            for ctr in self._containers:  # no layer renders on past the build
                if ctr.layers_ahead is not None:
                    ctr.layers_ahead.stop()
            # A failed build keeps its containers to look into (unless --force-rm); a
            # cancelled one was meant to stop, and leaves nothing behind.
            if opts.force_rm or ((done or cancelled) and opts.rm):
                for ctr in self._containers:
                    ctr.rm()
            self.cache.flush()
            self.cache.close()
            if shared is None:
                self.context.cleanup()
                close_named(self.named)

    def _write_outputs(self, image: Image) -> None:
        """--output: the built image written out as well (a script's own Image too)."""
        opts = self.options
        if not self.outputs:
            return
        from buildah_py.container.export import export_image  # the layer applier and tar code

        named = [local_name(t) for t in opts.tags]
        for spec in self.outputs:
            self.progress.line(f"Writing output {spec}")
            export_image(image, spec, names=named, stream=opts.stdout, timestamp=opts.timestamp)

    def _load(self, path: str | None) -> Dockerfile:
        if path is None:
            data = binary_stdin(self.options).read()
            name = "Dockerfile"
        else:
            try:
                with open(path, "rb") as f:
                    data = f.read()
            except OSError as err:
                raise DockerfileError(f"cannot read {path}: {err.strerror}") from err
            name = path
        try:
            df = parse(data, name)
        except DockerfileSyntaxError as err:
            lines = data.decode("utf-8", "replace").splitlines()
            source = lines[err.line - 1] if 0 < err.line <= len(lines) else ""
            where = f"{name.rsplit('/', 1)[-1]}:{err.line}"
            raise DockerfileError(
                err.message + (f"\n >>> {source}" if source else ""), where=where
            ) from None
        self.filename = name
        self.escape = df.escape
        log.debug("%s: %d instructions, escape %r", name, len(df.instructions), df.escape)
        return df

    def _dockerfile(self, df: Dockerfile) -> Image:
        check_dockerfile(self.filename, df)  # every instruction, before any step runs
        self.stages = split_stages(df, self.scope, self.named)
        if self.options.from_image and self.stages:
            first = self.stages[0]
            first.base, first.base_stage = self.options.from_image, None
        for inst in (i for st in self.stages for i in st.instructions):
            if inst.name not in HANDLERS:  # an instruction the parser knows and the build lacks
                raise at(self.filename, inst, unknown_instruction(inst.keyword, HANDLERS))
        final, todo = needed(self.stages, self.options.target)
        self.final_index = final.index
        if not self.options.skip_unused_stages:
            todo = self.stages[: final.index + 1]
        log.debug("stages to build: %s", ", ".join(st.name or str(st.index) for st in todo))
        self._resolve_images(todo)
        multi = len(todo) > 1
        pool = ThreadPoolExecutor(max_workers=max(1, min(self.options.jobs, len(todo))))
        try:
            for n, st in enumerate(todo, 1):
                prefix = f"[{n}/{len(todo)}] " if multi else ""
                self._results[st.index] = pool.submit(self._stage, st, prefix)
            pool.shutdown(wait=True)
        except BaseException:
            # Cancelled while waiting: the signal stopped the stages' steps (linux/signals.py);
            # the others stop at their next step. Their containers go only once they are done.
            self._failed.set()
            pool.shutdown(wait=True, cancel_futures=True)
            raise
        errors = [f.exception() for f in self._results.values() if f.exception() is not None]
        real = [e for e in errors if not isinstance(e, _Cancelled)]
        if real:
            raise real[0]  # type: ignore[misc]
        unused = self.scope.unused()
        if unused:
            self.progress.line(f"[Warning] one or more build args were not consumed: {unused}")
        return self.commit(self._results[final.index].result())

    def _stage(self, st: Stage, prefix: str) -> Container:
        try:
            for dep in st.deps:
                self._results[dep].result()
            return StageBuilder(self, st, prefix).run()
        except BaseException:
            self._failed.set()
            raise

    def render_ahead(self, ctr: Container, index: int) -> None:
        """Stage `index`, if it is the one committed with a layer per step, has each step's
        layer rendered while the steps after it run (container/prerender.py)."""
        opts = self.options
        if index != self.final_index or opts.squash:
            return
        from buildah_py.container.commit import layer_format
        from buildah_py.container.prerender import LayersAhead

        try:
            _, comp = layer_format(opts.format, opts.compression)
        except ContainerError:
            return  # the commit says what is wrong

        ctr.layers_ahead = LayersAhead(self.store, comp, opts.timestamp)

    def commit(self, ctr: Container) -> Image:
        opts = self.options
        tags = list(opts.tags)
        self.progress.line(f"COMMIT {tags[0] if tags else ''}".rstrip())
        apply_image_settings(ctr, opts)
        image = ctr.commit(
            tags[0] if tags else None,
            format=opts.format,
            timestamp=opts.timestamp,
            iidfile=opts.iidfile,
            squash=opts.squash,
            compression=opts.compression,
            omit_history=opts.omit_history,
            progress=self.progress.for_layers(),
        )
        for tag in tags[1:]:
            image.tag(tag)
        self.progress.line(f"--> {image.id[:12]}")
        for tag in tags:
            self.progress.line(f"Successfully tagged {image.names[0] if len(tags) == 1 else tag}")
        return image


def apply_image_settings(ctr: Container, opts: BuildOptions) -> None:
    """--label, --annotation, --env, --unsetenv, --identity-label, --os/--arch/--variant."""
    labels = dict(opts.labels)
    if opts.identity_label:
        labels.setdefault("io.buildah.version", __version__)
    if not any(
        (labels, opts.annotations, opts.env, opts.unsetenv, opts.os, opts.arch, opts.variant)
    ):
        return
    ctr.config(
        labels=labels or None,
        annotations=dict(opts.annotations) or None,
        env=list(opts.env) or None,
        unset_env=list(opts.unsetenv) or None,
        os=opts.os,
        arch=opts.arch,
        variant=opts.variant,
    )


def build(options: BuildOptions, store: Store) -> Image:
    """Build `options.context` with its Dockerfile (or Python build script); returns the image.
    A build for several platforms makes several images: ``build_platforms`` returns them."""
    if several(options):
        raise DockerfileError(
            "several platforms make several images: use build_platforms(), which returns them"
        )
    return Build(store, options).run()
