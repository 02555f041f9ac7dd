"""The working container: a writable filesystem on top of an image, and the config it will commit."""

from __future__ import annotations

import os
import posixpath
import shlex
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any

from buildah_py.container import cache as steps
from buildah_py.container import cached_ops
from buildah_py.container.cache import BuildCache, as_cache
from buildah_py.container.copying import CopyOptions, apply_copy, parse_mode
from buildah_py.container.image import Image
from buildah_py.container.resolve import pull
from buildah_py.container.runmounts import RunMount, SecretSource, materialize
from buildah_py.container.settings import apply_settings
from buildah_py.container.sourceroot import source_root
from buildah_py.container.sources import Source, find_sources
from buildah_py.container.users import lookup_user
from buildah_py.defaults import open_store
from buildah_py.errors import ContainerError, ContainerNotFound, StepFailed
from buildah_py.isolation import run as isolated_run
from buildah_py.isolation.spec import Mount, RunSpec
from buildah_py.linux import resolve as paths
from buildah_py.oci.config import ImageConfig
from buildah_py.oci.digest import chain_ids
from buildah_py.oci.manifest import Manifest
from buildah_py.storage import Store
from buildah_py.storage.records import ContainerRecord

DEFAULT_ISOLATION = "chroot"


class Container:
    """A working container. Methods that change it return it, so calls chain."""

    def __init__(self, store: Store, record: ContainerRecord) -> None:
        self.store = store
        self.record = record
        #: Exit status of the last ``run`` (also when it failed with ``check=False``).
        self.last_status: int | None = None
        #: The layer cache run/copy/add consult (``cache=`` when made); None: no cache.
        self.cache: BuildCache | None = None
        self._stepping = False  # inside a cached step's action: do the work itself
        self._step_note: str | None = None
        #: Where copy/add read when no ``context=`` is given (None: the current directory), and
        #: which of its paths they leave out when no ``ignored=`` is given (build frontends set these).
        self.context: Path | None = None
        self.ignored: Callable[[str], bool] | None = None

    # --- creating and finding ------------------------------------------------
    @classmethod
    def from_image(
        cls,
        image: str,
        *,
        name: str | None = None,
        store: Store | None = None,
        pull_policy: str = "missing",
        cache: BuildCache | bool | None = None,
        **pull_options: Any,
    ) -> Container:
        """A new working container on `image` (local store first, then transports/registries).

        With ``cache`` (a BuildCache, or True for a new one) each run/copy/add step is cached."""
        if image == "scratch":
            return cls.from_scratch(name=name, store=store, cache=cache)
        store = store or open_store()
        record = pull(store, image, pull_policy, **pull_options)
        img = Image(store, record)
        manifest, config = img.manifest, img.config
        layers = _layer_table(manifest, config)
        # One locked step: another process removing the image cannot take the snapshots in between.
        with store.writing():
            chain = store.prepare_snapshots([(c, d, b["digest"]) for c, d, b in layers])
            extra = {
                "layers": [dict(b, diff_id=d) for _, d, b in layers],
                "format": manifest.format,
                "image_name": record.names[0] if record.names else record.id,
                "annotations": {},
                "pending": [],
            }
            rec = store.create_container(name, record.id, chain, config.data, extra)
        return cls(store, rec)._with_cache(cache)

    @classmethod
    def from_scratch(
        cls,
        *,
        name: str | None = None,
        store: Store | None = None,
        cache: BuildCache | bool | None = None,
    ) -> Container:
        """A new, empty working container (``FROM scratch``)."""
        store = store or open_store()
        extra = {
            "layers": [],
            "format": "oci",
            "image_name": "scratch",
            "annotations": {},
            "pending": [],
        }
        rec = store.create_container(name, "", [], ImageConfig.new().data, extra)
        return cls(store, rec)._with_cache(cache)

    @classmethod
    def from_container(
        cls, src: Container, *, name: str | None = None, cache: BuildCache | bool | None = None
    ) -> Container:
        """A new working container continuing from `src`'s current state (``FROM <stage>``):
        same layers, config and history, no copying (loose changes of `src` are frozen first)."""
        steps.freeze_dirty(src)
        rec = src.store.create_container(
            name, src.record.image_id, src.record.chain, src.record.config, src.record.extra
        )
        return cls(src.store, rec)._with_cache(cache)

    @classmethod
    def get(
        cls, name: str, store: Store | None = None, cache: BuildCache | bool | None = None
    ) -> Container:
        """An existing working container by name or ID."""
        store = store or open_store()
        return cls(store, store.container(name))._with_cache(cache)

    def _with_cache(self, cache: BuildCache | bool | None) -> Container:
        self.cache = as_cache(self.store, cache)
        return self

    @contextmanager
    def noting(self, text: str) -> Iterator[Container]:
        """Record `text` as the history of the steps made inside the block (e.g. an instruction)."""
        before, self._step_note = self._step_note, text
        try:
            yield self
        finally:
            self._step_note = before

    @property
    def name(self) -> str:
        return self.record.name

    @property
    def id(self) -> str:
        return self.record.id

    @property
    def image_config(self) -> ImageConfig:
        """The config that ``commit`` will write (a live view; call ``save`` after changing it)."""
        return ImageConfig(self.record.config)

    def __enter__(self) -> Container:
        return self

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.rm()

    def __repr__(self) -> str:
        return f"Container({self.name!r})"

    def save(self) -> None:
        """Write the container's record (config and notes) back to the store."""
        self.store.update_container(self.record)

    def _note(self, text: str) -> None:
        self.record.extra.setdefault("pending", []).append(text)

    # --- filesystem ------------------------------------------------------------
    def mount(self) -> Path:
        """Mount the container's filesystem and return where; pairs with ``umount``."""
        return self.store.mount(self.id)

    def umount(self) -> None:
        self.store.unmount(self.id)

    def rm(self) -> None:
        """Remove the working container (never the images it came from or made)."""
        try:
            self.store.remove_container(self.id)
        except ContainerNotFound:
            pass

    # --- run ---------------------------------------------------------------------
    def run(
        self,
        command: str | Sequence[str],
        *,
        env: dict[str, str] | Iterable[str] | None = None,
        user: str | None = None,
        workdir: str | None = None,
        isolation: str | None = None,
        runtime: str | None = None,
        mounts: Sequence[Mount | RunMount | str] = (),
        secrets: Mapping[str, SecretSource] | None = None,
        ssh: Mapping[str, str] | None = None,
        network: str | None = None,
        hostname: str | None = None,
        terminal: bool = False,
        stdin: bool = False,
        check: bool = True,
    ) -> Container:
        """Run a command in the container: a list is exec form, a string goes to the shell.

        Raises StepFailed for a non-zero exit unless ``check=False``; ``last_status`` keeps it.
        ``mounts`` take RUN --mount specs (``"type=cache,target=/root/.cache"``); ``secrets``
        supply the values ``type=secret`` mounts ask for by id, ``ssh`` the agent sockets
        ``type=ssh`` mounts ask for by id (``default``: ``$SSH_AUTH_SOCK`` when not given).
        """
        if self.cache is not None and not self._stepping and check:
            kwargs = dict(locals())
            del kwargs["self"]
            return cached_ops.cached_run(self, kwargs)
        cfg = self.image_config
        if isinstance(command, str):
            argv = [*(cfg.get("Shell") or ["/bin/sh", "-c"]), command]
        else:
            argv = [str(a) for a in command]
        if not argv:
            raise ContainerError("run: no command given")
        envl = cfg.env
        if env is not None:
            extra = [f"{k}={v}" for k, v in env.items()] if isinstance(env, dict) else list(env)
            keys = {e.partition("=")[0] for e in extra}
            envl = [e for e in envl if e.partition("=")[0] not in keys] + extra
        mode = isolation or os.environ.get("BUILDAH_ISOLATION") or DEFAULT_ISOLATION
        rootfs = self.mount()
        try:
            with materialize(self.store, mounts, secrets, ssh) as made:
                spec = RunSpec(
                    rootfs=rootfs,
                    argv=argv,
                    env=envl + made.env,
                    cwd=paths.join("/", workdir or cfg.get("WorkingDir") or "/"),
                    user=user if user is not None else (cfg.get("User") or ""),
                    hostname=hostname or self.id[:12],
                    mounts=tuple(made.mounts),
                    network=network or "host",  # type: ignore[arg-type]  # isolation checks it
                    terminal=terminal,
                    stdin=stdin,
                )
                status = isolated_run(spec, isolation=mode, runtime=runtime)
        finally:
            self.umount()
        self.store.trim_upper(self.id)  # mount points the step needed leave no copied-up dirs
        self.last_status = status
        self._note(shlex.join(argv))
        self.save()
        if status != 0 and check:
            raise StepFailed(argv, status)
        return self

    # --- copy / add ---------------------------------------------------------------
    def copy(
        self,
        src: str | Sequence[str],
        dest: str,
        *,
        chown: str | None = None,
        chmod: str | int | None = None,
        from_: Container | Image | str | None = None,
        context: str | os.PathLike[str] | None = None,
        ignored: Callable[[str], bool] | None = None,
    ) -> Container:
        """Copy files from the context directory (or another container or image) into the container."""
        if self.cache is not None and not self._stepping:
            kwargs = dict(locals())
            del kwargs["self"]
            return cached_ops.cached_copy(self, "copy", kwargs)
        specs = [src] if isinstance(src, str) else list(src)
        if not specs:
            raise ContainerError("copy: no source given")
        if from_ is None:
            root = Path(context or self.context or os.getcwd()).resolve()
            ignored = ignored or self.ignored
            sources = find_sources(root, specs, ignored=ignored)
            self._copy_sources(sources, dest, chown, chmod, owner_default=(0, 0), ignored=ignored)
        else:
            with source_root(self.store, from_) as root:
                sources = find_sources(root, specs, what=f"container {from_}")
                self._copy_sources(sources, dest, chown, chmod, owner_default=None)
        self._note(f"COPY {' '.join(specs)} {dest}")
        self.save()
        return self

    def _copy_sources(
        self,
        sources: list[Source],
        dest: str,
        chown: str | None,
        chmod: str | int | None,
        owner_default: tuple[int, int] | None,
        ignored: Callable[[str], bool] | None = None,
    ) -> None:
        if not sources:
            return
        workdir = self.image_config.get("WorkingDir") or "/"
        rootfs = self.mount()
        try:
            target = paths.join(workdir, dest)
            explicit_dir = dest.endswith("/") or dest in (".", "") or dest.endswith("/.")
            want_dir = explicit_dir or len(sources) > 1 or paths.is_dir(rootfs, target)
            if len(sources) > 1 and not explicit_dir and not paths.is_dir(rootfs, target):
                raise ContainerError(
                    f"copying {len(sources)} sources: the destination {dest!r} must be a directory ending in /"
                )
            owner = lookup_user(rootfs, chown) if chown else owner_default
            mode = parse_mode(chmod)
            new_dirs = paths.missing_dirs(
                rootfs, target if (want_dir or sources[0].is_dir) else posixpath.dirname(target)
            )
            opts = CopyOptions(
                owner=owner, chmod=mode, new_dir_owner=owner or (0, 0), ignored=ignored
            )
            apply_copy(rootfs, sources, target, want_dir, new_dirs, opts)
        finally:
            self.umount()

    def add(
        self,
        src: str | Sequence[str],
        dest: str,
        *,
        chown: str | None = None,
        chmod: str | int | None = None,
        checksum: str | None = None,
        extract: bool = True,
        context: str | os.PathLike[str] | None = None,
        ignored: Callable[[str], bool] | None = None,
    ) -> Container:
        """Like ``copy``, but local archives are unpacked and URLs are downloaded."""
        if self.cache is not None and not self._stepping:
            kwargs = dict(locals())
            del kwargs["self"]
            return cached_ops.cached_copy(self, "add", kwargs)
        from buildah_py.container.adding import add_sources

        specs = [src] if isinstance(src, str) else list(src)
        add_sources(
            self,
            specs,
            dest,
            chown=chown,
            chmod=chmod,
            checksum=checksum,
            extract=extract,
            context=Path(context or self.context or os.getcwd()).resolve(),
            ignored=ignored or self.ignored,
        )
        self._note(f"ADD {' '.join(specs)} {dest}")
        self.save()
        return self

    # --- config and commit -------------------------------------------------------------
    def config(self, **settings: Any) -> Container:
        """Set image-config fields: cmd, entrypoint, env, labels, annotations, ports, user, workingdir,
        volumes, stop_signal, shell, healthcheck, onbuild, author, arch, os, variant, comment, ..."""
        cfg = self.image_config
        anns = self.record.extra.setdefault("annotations", {})
        notes = apply_settings(cfg, anns, **settings)
        self.record.config = cfg.data
        if self.cache is not None:  # a config-only step: history, no layer
            steps.config_step(self, [self._step_note] if self._step_note else notes)
        else:
            for note in notes:
                self._note(note)
        self.save()
        return self

    def commit(self, name: str | None = None, **options: Any) -> Image:
        """Write the container's changes as a new layer and record an image; returns it.

        Options: format ('oci'|'docker'), compression ('gzip'|'zstd'|'none'), squash, timestamp,
        rm, created_by, author, comment, iidfile.
        """
        from buildah_py.container.commit import commit_container

        return commit_container(self, name, **options)


def _layer_table(manifest: Manifest, config: ImageConfig) -> list[tuple[str, str, dict[str, Any]]]:
    diff_ids = config.diff_ids
    if len(diff_ids) != len(manifest.layers):
        raise ContainerError(
            f"image has {len(manifest.layers)} layers but its config lists {len(diff_ids)} diff IDs"
        )
    return [
        (chain, diff, desc.to_json())
        for chain, diff, desc in zip(chain_ids(diff_ids), diff_ids, manifest.layers, strict=True)
    ]
