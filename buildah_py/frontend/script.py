"""Python build scripts as a frontend: ``buildah-py build -f build.py CONTEXT``.

The script defines ``build(ctx)`` and returns a Container (committed for it with the build's
tags, format, timestamp, labels ...) or an Image. ``ctx``'s methods carry the build's options
(store, cache, pull policy, platform, registry, isolation, network, ``-v`` ...) into the
containers they make. A script is code: it runs with the caller's privileges, in this process,
so build only scripts you trust (a Dockerfile is data instead).
"""

from __future__ import annotations

import importlib.util
import secrets
import shutil
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from buildah_py.container import Container, Image, RunOptions
from buildah_py.container.cache import BuildCache
from buildah_py.container.resolve import pull
from buildah_py.container.runmounts import RunMount, SecretSource
from buildah_py.errors import DockerfileError
from buildah_py.frontend.args import platform_args
from buildah_py.frontend.config_steps import set_workdir
from buildah_py.frontend.run_step import rewrite_mount
from buildah_py.frontend.script_errors import script_failed
from buildah_py.frontend.stage import default_path, set_platform
from buildah_py.oci.descriptor import Platform
from buildah_py.transports.options import PullOptions, RegistryOptions
from dockerfile_parser import expand_word

if TYPE_CHECKING:
    from buildah_py.frontend.executor import Build
    from buildah_py.storage import Store


@dataclass
class BuildContext:
    """What a build script gets: the context, the build args, the store, the cache, the options."""

    context: Path
    args: dict[str, str]
    store: Store
    cache: BuildCache | None
    tags: list[str] = field(default_factory=list)
    format: str = "oci"
    #: ``--platform``: what ``from_image`` pulls and what every container made here records.
    platform: str | None = None
    pull: str = "missing"
    log: Callable[[str], None] = print
    #: The build's -v, --cap-add, --dns ...: every container made here runs with them.
    run_options: RunOptions = field(default_factory=RunOptions)
    #: ``--target``: the stage a script with stages returns (None: its last).
    target: str | None = None
    #: ``--timestamp``: the creation time ``commit`` gives (None: now).
    timestamp: int | None = None
    #: --tls-verify, --creds, --authfile ...: how ``from_image`` reaches registries.
    registry: RegistryOptions | None = None
    #: ``--isolation`` and ``--network``: how every ``run`` of a container made here runs.
    isolation: str | None = None
    network: str | None = None
    _build: Build | None = None
    _containers: list[Container] = field(default_factory=list)
    _temps: list[Path] = field(default_factory=list)

    def _adopt(self, ctr: Container) -> Container:
        ctr.autosave = False  # config changes are written by the next step or the commit
        ctr.work.isolation = self.isolation or ctr.work.isolation
        if self._build is not None:
            ctr.work.runtime = self._build.options.runtime or ctr.work.runtime
        ctr.work.network = self.network or ctr.work.network
        if self._build is not None:
            ctr.work.add_host = [*ctr.work.add_host, *self._build.options.add_host]
        if self._build is not None:
            ctr.context = self._build.context.path
            ctr.ignored = self._build.context.ignored
            self._build.register(ctr)
        else:
            ctr.context = self.context
            self._containers.append(ctr)
        return ctr

    def from_image(
        self,
        image: str,
        *,
        name: str | None = None,
        pull_policy: str | None = None,
        platform: Platform | str | None = None,
    ) -> Container:
        """A cached working container on `image` for `platform` (default ``--platform``), pulled
        per the build's policy unless `pull_policy` says otherwise; copy/add read from the
        build context. A local image of another platform is used as it is, as a Dockerfile
        build does, and the container records the platform asked for."""
        plat = self._platform(platform)
        policy = pull_policy or self.pull
        if plat is not None:
            options = PullOptions(self.registry or RegistryOptions(), policy, platform=plat)
            pull(self.store, image, options, other_platform_ok=True)
            policy = "missing"  # found or pulled just now, whatever its platform
        ctr = Container.from_image(
            image,
            name=name,
            store=self.store,
            cache=self.cache,
            pull_policy=policy,
            registry=self.registry,
            run_options=self.run_options,
        )
        default_path(ctr)
        if plat is not None:
            set_platform(ctr, plat)
        return self._adopt(ctr)

    def from_scratch(self) -> Container:
        """An empty cached working container (for ``--platform`` when given)."""
        ctr = Container.from_scratch(
            store=self.store, cache=self.cache, run_options=self.run_options
        )
        default_path(ctr)
        plat = self._platform(None)
        if plat is not None:
            set_platform(ctr, plat)
        return self._adopt(ctr)

    def _platform(self, platform: Platform | str | None) -> Platform | None:
        wanted = platform if platform is not None else self.platform
        try:
            return Platform.parse(wanted) if isinstance(wanted, str) else wanted
        except ValueError as err:
            raise ValueError(f"platform: {err}") from None

    def from_container(self, ctr: Container) -> Container:
        """A new container continuing from another one (a later stage on an earlier one)."""
        return self._adopt(Container.from_container(ctr, cache=self.cache))

    def commit(self, ctr: Container) -> Image:
        """Commit `ctr` with the build's tags, format, timestamp, labels and annotations."""
        if self._build is not None:
            return self._build.commit(ctr)
        return ctr.commit(
            self.tags[0] if self.tags else None, format=self.format, timestamp=self.timestamp
        )

    # --- helpers that ``buildah-py convert`` output uses ------------------------------------
    def declare(
        self,
        scope: dict[str, str],
        name: str,
        default: str | None = None,
        header: dict[str, str] | None = None,
    ) -> None:
        """An ARG: the build arg if given, else `default`, else the header ARG or platform value."""
        if name in self.args:
            scope[name] = self.args[name]
            if self._build is not None:
                self._build.scope.consumed.add(name)
        elif default is not None:
            scope[name] = default
        elif header and name in header:
            scope[name] = header[name]
        elif self._build is not None and name in self._build.scope.automatic:
            scope[name] = self._build.scope.automatic[name]

    def automatic_args(self) -> dict[str, str]:
        """TARGETPLATFORM, TARGETARCH, BUILDPLATFORM ...: for ``--platform`` (else the host)."""
        if self._build is not None:
            return dict(self._build.scope.automatic)
        return platform_args(self._platform(None) or Platform.host(), Platform.host())

    def clear_cmd(self, ctr: Container) -> None:
        """An ENTRYPOINT without a CMD in the same stage drops the inherited CMD, as docker does."""
        ctr.config(clear_cmd=True)

    def expand(
        self, word: str, ctr: Container | None = None, scope: dict[str, str] | None = None
    ) -> str:
        """Dockerfile variable expansion: ``scope`` (ARGs) overridden by the container's ENV."""
        env = dict(scope or {})
        if ctr is not None:
            env.update(ctr.image_config.env_dict())
        return expand_word(word, env)

    def run_env(self, ctr: Container, scope: dict[str, str]) -> dict[str, str]:
        """What RUN adds to the environment: ARGs that ENV does not set."""
        env = ctr.image_config.env_dict()
        return {k: v for k, v in scope.items() if k not in env}

    @property
    def secrets(self) -> dict[str, SecretSource]:
        """The build's ``--secret`` values, for ``run(..., secrets=ctx.secrets)``."""
        return dict(self._build.secrets) if self._build is not None else {}

    def mounts(
        self, specs: list[str], stages: Mapping[str, Container] | None = None
    ) -> list[str | RunMount]:
        """RUN --mount specs as ``Container.run(mounts=...)`` takes them: bind sources are paths in
        the build context, ``from=`` names one of `stages` (by name or index) or an image."""

        def resolve(ref: str) -> Container | Image | str:
            if stages and ref in stages:
                return stages[ref]
            if self._build is not None:
                return self._build.image(ref)
            return ref

        try:
            ignores = self._build.context.matcher if self._build is not None else None
            root = self.context.resolve()
            return [rewrite_mount(spec, root, resolve, ignores) for spec in specs]
        except ValueError as err:
            raise DockerfileError(f"RUN {err}") from None

    def heredocs(self, files: dict[str, str]) -> Path:
        """A directory holding `files` (name -> text, mode 0644) to copy from, as COPY heredocs
        do; removed when the build ends."""
        tmp = Path(tempfile.mkdtemp(prefix="buildah-py-heredoc-"))
        self._temps.append(tmp)
        for name, text in files.items():
            path = tmp / name
            if path.parent != tmp:
                raise DockerfileError(f"heredoc file name {name!r} must be a plain name")
            path.write_text(text)
            path.chmod(0o644)
        return tmp

    def cleanup(self) -> None:
        """Remove the directories ``heredocs`` made."""
        while self._temps:
            shutil.rmtree(self._temps.pop(), ignore_errors=True)

    def workdir(self, ctr: Container, path: str) -> None:
        """WORKDIR: make the directory when missing (owned by the USER), then set it."""
        set_workdir(ctr, path)


def load_script(path: str) -> Callable[[BuildContext], Any]:
    """The ``build`` function of the script at `path`; what its top level raises comes back
    as a DockerfileError holding the script's traceback."""
    try:
        Path(path).read_bytes()
    except OSError as err:
        raise DockerfileError(f"{path}: {err.strerror}") from err
    spec = importlib.util.spec_from_file_location(f"buildah_py_script_{secrets.token_hex(4)}", path)
    if spec is None or spec.loader is None:
        raise DockerfileError(f"{path}: cannot load the build script")
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as err:  # the script's own code: a bug there is reported as the script's
        raise script_failed(path, err) from None
    fn = getattr(module, "build", None)
    if not callable(fn):
        raise DockerfileError(
            f"{path}: a build script defines build(ctx) returning a Container or an Image"
        )
    return fn  # type: ignore[no-any-return]


def run_script(b: Build, path: str) -> Image:
    """Run the script at `path` with the options of `b`; commit or tag what it returns."""
    fn = load_script(path)
    opts = b.options
    ctx = BuildContext(
        context=b.context.path,
        args=dict(opts.build_args),
        store=b.store,
        cache=b.cache,
        tags=list(opts.tags),
        format=opts.format,
        platform=opts.platform,
        pull=opts.pull,
        log=b.progress.line,
        run_options=opts.run_options,
        target=opts.target,
        timestamp=opts.timestamp,
        registry=opts.registry,
        isolation=opts.isolation,
        network=opts.network,
        _build=b,
    )
    b.progress.line(f"STEP 1/1: {Path(path).name}")
    if b.cache is not None and b.cache.progress is None:
        b.cache.progress = b.progress  # each of the script's steps gets its STEP line too
    try:
        result = fn(ctx)
    except Exception as err:
        raise script_failed(path, err) from None
    finally:
        ctx.cleanup()
    if isinstance(result, Container):
        return b.commit(result)
    if isinstance(result, Image):
        for tag in opts.tags:
            result.tag(tag)
        if opts.iidfile:
            Path(opts.iidfile).write_text(f"sha256:{result.id}")
        return result
    raise DockerfileError(
        f"{path}: build(ctx) returned {type(result).__name__}, not a Container or an Image"
    )
