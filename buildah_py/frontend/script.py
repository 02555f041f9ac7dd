"""Python build scripts as a frontend: ``buildah-py build -f build.py CONTEXT``.

The script defines ``build(ctx)`` and returns a Container (committed for it with the build's
tags, format and timestamp) or an Image. A script is code: it runs with the caller's
privileges, in this process, so build only scripts you trust (a Dockerfile is data instead).
"""

from __future__ import annotations

import importlib.util
import secrets
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from buildah_py.container import Container, Image, RunOptions
from buildah_py.container.cache import BuildCache
from buildah_py.container.runmounts import RunMount, SecretSource
from buildah_py.errors import DockerfileError
from buildah_py.frontend.config_steps import set_workdir
from buildah_py.frontend.run_step import rewrite_mount
from buildah_py.frontend.stage import default_path
from buildah_py.oci.descriptor import Platform
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
    platform: str | None = None
    pull: str = "missing"
    log: Callable[[str], None] = print
    #: The build's -v, --cap-add, --dns ...: every container made here runs with them.
    run_options: RunOptions = field(default_factory=RunOptions)
    _build: Build | None = None
    _containers: list[Container] = field(default_factory=list)
    _temps: list[Path] = field(default_factory=list)

    def _adopt(self, ctr: Container) -> Container:
        ctr.autosave = False  # config changes are written by the next step or the commit
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
        """A cached working container on `image` (pulled per the build's policy unless
        `pull_policy` says otherwise); copy/add read from the build context."""
        plat = Platform.parse(platform) if isinstance(platform, str) else platform
        ctr = Container.from_image(
            image,
            name=name,
            store=self.store,
            cache=self.cache,
            pull_policy=pull_policy or self.pull,
            platform=plat,
            run_options=self.run_options,
        )
        default_path(ctr)
        return self._adopt(ctr)

    def from_scratch(self) -> Container:
        ctr = Container.from_scratch(
            store=self.store, cache=self.cache, run_options=self.run_options
        )
        default_path(ctr)
        return self._adopt(ctr)

    def from_container(self, ctr: Container) -> Container:
        """A new container continuing from another one (a later stage on an earlier one)."""
        return self._adopt(Container.from_container(ctr, cache=self.cache))

    def commit(self, ctr: Container) -> Image:
        """Commit `ctr` with the build's tags, format and timestamp."""
        if self._build is not None:
            return self._build.commit(ctr)
        return ctr.commit(self.tags[0] if self.tags else None, format=self.format)

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
        self, specs: list[str], stages: dict[str, Container] | None = None
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
    spec = importlib.util.spec_from_file_location(f"buildah_py_script_{secrets.token_hex(4)}", path)
    if spec is None or spec.loader is None:
        raise DockerfileError(f"{path}: cannot load the build script")
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except OSError as err:
        raise DockerfileError(f"{path}: {err.strerror}") from err
    fn = getattr(module, "build", None)
    if not callable(fn):
        raise DockerfileError(
            f"{path}: a build script defines build(ctx) returning a Container or an Image"
        )
    return fn  # type: ignore[no-any-return]


def run_script(b: Build, path: str) -> Image:
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
        _build=b,
    )
    b.progress.line(f"STEP 1/1: {Path(path).name}")
    try:
        result = fn(ctx)
    finally:
        ctx.cleanup()
    if isinstance(result, Container):
        return b.commit(result)
    if isinstance(result, Image):
        for tag in opts.tags:
            result.tag(tag)
        return result
    raise DockerfileError(
        f"{path}: build(ctx) returned {type(result).__name__}, not a Container or an Image"
    )
