"""The working container: a writable filesystem on top of an image, and the config it will commit."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, overload

from buildah_py import defaults
from buildah_py.archive.layerblob import LayerProgress
from buildah_py.container import cache_steps as steps
from buildah_py.container import copy_methods, listing, rootfs
from buildah_py.container import validate as check_arg
from buildah_py.container.apidoc import COMMIT, CONFIG, OTHER, RECORDS, RUN, documented
from buildah_py.container.cache import BuildCache, as_cache
from buildah_py.container.commit import CommitOptions, commit_container
from buildah_py.container.create import record_on_image, record_on_scratch
from buildah_py.container.image import Image
from buildah_py.container.output import RunResult
from buildah_py.container.owned import OwnedStore, store_or_own
from buildah_py.container.record import WorkingRecord, from_extra, to_extra
from buildah_py.container.resolve import pull
from buildah_py.container.runmounts import SecretSource
from buildah_py.container.running import Env, Mounts, perform_run, run_step
from buildah_py.container.settings import ConfigSettings, KeyValues, Words, configure
from buildah_py.errors import ContainerNotFound
from buildah_py.isolation.runopts import RunOptions
from buildah_py.oci.config import ImageConfig
from buildah_py.oci.descriptor import Platform
from buildah_py.storage import Store
from buildah_py.storage.records import ContainerRecord, ImageRecord
from buildah_py.transports.options import PULL_POLICIES, PullOptions, RegistryOptions
from buildah_py.transports.verify import ProgressFn

if TYPE_CHECKING:
    from buildah_py.container.prerender import LayersAhead


class Container:
    """A working container. Methods that change it return it, so calls chain."""

    @documented(RECORDS)
    def __init__(
        self, store: Store, record: ContainerRecord, *, owner: OwnedStore | None = None
    ) -> None:
        self.store = store
        self.record = record
        #: The container's own state (base layers, history, cache state), saved in ``record``.
        self.work: WorkingRecord = from_extra(record.extra)
        #: Exit status of the last ``run`` (also when it failed with ``check=False``).
        self.last_status: int | None = None
        #: The layer cache run/copy/add consult (``cache=`` when made); None: no cache.
        self.cache: BuildCache | None = None
        #: Set by ``no_cache_from_here()``: each later step runs and replaces its cache entry.
        self.rebuilding = False
        #: The history text of the steps made now (set by ``noting``); None: each step's own.
        self.step_note: str | None = None
        self.step_mark = 0  # len(work.steps) when the ``noting`` block began: one entry a block
        #: copy/add's default context (None: the current directory) and ignore test (frontends).
        self.context: Path | None = None
        self.ignored: Callable[[str], bool] | None = None
        #: Renders each step's layer while later steps run (a frontend sets it; None: at commit).
        self.layers_ahead: LayersAhead | None = None
        #: False (builds): config changes wait for the next step, commit or ``save``.
        self.autosave = True
        self._owner = owner  # a store opened for this container, closed when it is removed

    # --- creating and finding ------------------------------------------------
    @classmethod
    @documented()
    def from_image(
        cls,
        image: str,
        *,
        name: str | None = None,
        store: Store | None = None,
        pull_policy: str = "missing",
        cache: BuildCache | bool | None = None,
        platform: Platform | str | None = None,
        progress: ProgressFn | None = None,
        tls_verify: bool | None = None,
        authfile: str | os.PathLike[str] | None = None,
        creds: str | None = None,
        cert_dir: str | os.PathLike[str] | None = None,
        registry: RegistryOptions | None = None,
        run_options: RunOptions | None = None,
    ) -> Container:
        """A new working container on `image` (local store first, then transports/registries)."""
        check_arg.of_type("image", image, str, "an image name or reference")
        check_arg.choice("pull_policy", pull_policy, PULL_POLICIES)
        wanted, _ = check_arg.platform("platform", platform), check_arg.opt_str("name", name)
        if image == "scratch":
            return cls.from_scratch(name=name, store=store, cache=cache, run_options=run_options)
        reg = check_arg.registry_flags(registry, tls_verify, authfile, creds, cert_dir)
        store, owner = store_or_own(store)
        record = pull(store, image, PullOptions(reg, pull_policy, wanted, progress))
        rec = record_on_image(store, record, name, run_options)
        return cls(store, rec, owner=owner)._with_cache(cache)

    @classmethod
    @documented()
    def from_scratch(
        cls,
        *,
        name: str | None = None,
        store: Store | None = None,
        cache: BuildCache | bool | None = None,
        run_options: RunOptions | None = None,
    ) -> Container:
        """A new, empty working container (``FROM scratch``); ``run_options`` as for from_image."""
        store, owner = store_or_own(store)
        rec = record_on_scratch(store, name, run_options)
        return cls(store, rec, owner=owner)._with_cache(cache)

    @classmethod
    @documented({"src": "the container whose state the new one starts from."})
    def from_container(
        cls, src: Container, *, name: str | None = None, cache: BuildCache | bool | None = None
    ) -> Container:
        """A new working container on `src`'s state, sharing its layers (``FROM <stage>``)."""
        steps.freeze_dirty(src)
        rec = src.store.create_container(
            name, src.record.image_id, src.record.chain, src.record.config, to_extra(src.work)
        )
        return cls(src.store, rec, owner=src._owner)._with_cache(cache)

    @classmethod
    @documented({"name": "the container's name or ID."})
    def get(
        cls, name: str, store: Store | None = None, cache: BuildCache | bool | None = None
    ) -> Container:
        """An existing working container by name or ID."""
        store, owner = store_or_own(store)
        return cls(store, store.container(name), owner=owner)._with_cache(cache)

    def _with_cache(self, cache: BuildCache | bool | None) -> Container:
        self.cache = as_cache(self.store, cache)
        return self

    @documented({"record": "an image record in this container's store."})
    def image(self, record: ImageRecord) -> Image:
        """`record` as an Image on this container's store (kept open while the image is used)."""
        return Image(self.store, record, owner=self._owner)

    @contextmanager
    @documented(OTHER)
    def noting(self, text: str) -> Iterator[Container]:
        """Record `text` as the history of the steps made inside the block (e.g. an instruction)."""
        before = self.step_note, self.step_mark
        self.step_note, self.step_mark = text, len(self.work.steps)
        try:
            yield self
        finally:
            self.step_note, self.step_mark = before

    @property
    def name(self) -> str:
        """The container's name."""
        return self.record.name

    @property
    def id(self) -> str:
        """The container's ID."""
        return self.record.id

    @property
    def image_config(self) -> ImageConfig:
        """The config that ``commit`` will write (a live view; change it with ``config``)."""
        return ImageConfig(self.record.config)

    @property
    def annotations(self) -> dict[str, str]:
        """The manifest annotations ``commit`` will write (OCI format)."""
        return dict(self.work.annotations)

    def __enter__(self) -> Container:
        return self

    def __exit__(self, *exc: object) -> None:
        self.rm()

    def __repr__(self) -> str:
        return f"Container({self.name!r})"

    def save(self) -> None:
        """Write the container's record (config and history) back to the store."""
        self.record.extra = to_extra(self.work)
        self.store.update_container(self.record)

    # --- filesystem (container/rootfs.py), listing (container/listing.py) ------------
    mount = rootfs.mount
    umount = rootfs.umount
    mounted = rootfs.mounted
    read_file = rootfs.read_file
    write_file = rootfs.write_file
    copy_out = rootfs.copy_out
    list = staticmethod(listing.list_containers)

    def rm(self) -> None:
        """Remove the working container (never its images); a store it opened closes when unused."""
        try:
            self.store.remove_container(self.id)
        except ContainerNotFound:
            pass
        finally:
            self._owner = None

    # --- run ---------------------------------------------------------------------
    # fmt: off
    @overload
    def run(
        self, command: str | Sequence[str], *, env: Env = None, user: str | None = None,
        workdir: str | None = None, isolation: str | None = None, runtime: str | None = None,
        mounts: Mounts = (), secrets: Mapping[str, SecretSource] | None = None,
        ssh: Mapping[str, str] | None = None, network: str | None = None,
        hostname: str | None = None, terminal: bool = False, stdin: bool = False,
        check: bool = True, capture: Literal[False] = False, add_host: Sequence[str] = (),
        options: RunOptions | None = None, no_cache: bool = False,
    ) -> Container: ...
    @overload
    def run(
        self, command: str | Sequence[str], *, env: Env = None, user: str | None = None,
        workdir: str | None = None, isolation: str | None = None, runtime: str | None = None,
        mounts: Mounts = (), secrets: Mapping[str, SecretSource] | None = None,
        ssh: Mapping[str, str] | None = None, network: str | None = None,
        hostname: str | None = None, terminal: bool = False, stdin: bool = False,
        check: bool = True, capture: Literal[True], add_host: Sequence[str] = (),
        options: RunOptions | None = None, no_cache: bool = False,
    ) -> RunResult: ...
    # fmt: on
    @documented(RUN)
    def run(
        self,
        command: str | Sequence[str],
        *,
        env: Env = None,
        user: str | None = None,
        workdir: str | None = None,
        isolation: str | None = None,
        runtime: str | None = None,
        mounts: Mounts = (),
        secrets: Mapping[str, SecretSource] | None = None,
        ssh: Mapping[str, str] | None = None,
        network: str | None = None,
        hostname: str | None = None,
        terminal: bool = False,
        stdin: bool = False,
        check: bool = True,
        capture: bool = False,
        add_host: Sequence[str] = (),
        options: RunOptions | None = None,
        no_cache: bool = False,
    ) -> Container | RunResult:
        """Run a command in the container; returns the container (to chain), or with
        ``capture=True`` a RunResult. A non-zero exit raises StepFailed unless ``check=False``."""
        step = run_step(
            self, command, env=env, user=user, workdir=workdir, isolation=isolation, runtime=runtime,
            mounts=mounts, secrets=secrets, ssh=ssh, network=network, hostname=hostname,
            terminal=terminal, stdin=stdin, add_host=add_host, options=options,
        )  # fmt: skip
        result = perform_run(self, step, check, capture, bool(no_cache))
        return result if capture else self

    def no_cache_from_here(self) -> Container:
        """Run every later run/copy/add of this container again, whatever the cache holds; their
        results replace the cached ones, so the next build reuses them."""
        self.rebuilding = True
        return self

    # --- copy / add (container/copy_methods.py) -------------------------------------
    copy = copy_methods.copy
    add = copy_methods.add

    # --- config and commit -------------------------------------------------------------
    @documented(CONFIG)
    def config(
        self,
        *,
        cmd: str | Sequence[str] | None = None,
        entrypoint: str | Sequence[str] | None = None,
        clear_cmd: bool = False,
        env: KeyValues | None = None,
        unset_env: Words | None = None,
        labels: KeyValues | None = None,
        unset_labels: Words | None = None,
        annotations: KeyValues | None = None,
        ports: str | int | Iterable[str | int] | None = None,
        volumes: Words | None = None,
        user: str | None = None,
        workingdir: str | None = None,
        stop_signal: str | None = None,
        shell: Sequence[str] | None = None,
        healthcheck: Mapping[str, Any] | str | None = None,
        onbuild: Words | None = None,
        clear_onbuild: bool = False,
        author: str | None = None,
        arch: str | None = None,
        os: str | None = None,
        variant: str | None = None,
        domainname: str | None = None,
        hostname: str | None = None,
        comment: str | None = None,
        os_version: str | None = None,
        os_features: Words | None = None,
        created_by: str | None = None,
        history_comment: str | None = None,
        add_history: bool = True,
    ) -> Container:
        """Set image-config fields; a keyword left at its default changes nothing."""
        env = check_arg.key_values("env", env, env=True)
        labels = check_arg.key_values("labels", labels)
        annotations = check_arg.key_values("annotations", annotations)
        settings = ConfigSettings(
            cmd, entrypoint, clear_cmd, env, unset_env, labels, unset_labels, annotations,
            ports, volumes, user, workingdir, stop_signal, shell, healthcheck, onbuild, author,
            clear_onbuild, arch, os, variant, domainname, hostname, comment, os_version, os_features,
        )  # fmt: skip
        configure(self, settings, created_by, history_comment, add_history)
        return self

    @contextmanager
    def deferring(self) -> Iterator[Container]:
        """``config`` changes made inside the block are written once, at its end (or by a step)."""
        before, self.autosave = self.autosave, False
        try:
            yield self
        finally:
            self.autosave = before
            self.save()

    @documented(COMMIT)
    def commit(
        self,
        name: str | None = None,
        *,
        format: str | None = None,
        compression: str = "gzip",
        squash: bool = False,
        timestamp: int | None = None,
        rm: bool = False,
        created_by: str | None = None,
        author: str | None = None,
        comment: str | None = None,
        iidfile: str | os.PathLike[str] | None = None,
        omit_history: bool = False,
        unsetenv: Sequence[str] = (),
        identity_label: bool = False,
        progress: LayerProgress | None = None,
    ) -> Image:
        """The changes as a new image (format $BUILDAH_FORMAT, time $SOURCE_DATE_EPOCH, `progress`)."""
        opts = CommitOptions(
            check_arg.opt_str("format", format) or defaults.default_format(),
            check_arg.opt_str("compression", compression) or "gzip", squash,
            defaults.source_date_epoch() if timestamp is None else check_arg.opt_int("timestamp", timestamp),
            rm, self.work.created_by if created_by is None else created_by, author,
            self.work.history_comment if comment is None else comment,
            check_arg.host_path("iidfile", iidfile), omit_history, tuple(unsetenv), identity_label,
        )  # fmt: skip
        return commit_container(self, name, opts, progress)
