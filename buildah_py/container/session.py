"""``store = open_store(...)``: a store whose own methods make containers, images and lists on it.

A script that goes through ``store.from_image(...)``, ``store.get_image(...)`` and
``store.manifest_list(...)`` can never fall back to the default store by forgetting a
``store=``. A StoreSession is a Store: every call that takes ``store=`` takes it too.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping

from buildah_py.container import validate as check_arg
from buildah_py.container.apidoc import OTHER, PUSH, documented
from buildah_py.container.cache import BuildCache
from buildah_py.container.image import Image
from buildah_py.container.list_entry import LIST
from buildah_py.container.manifest_list import PUBLISH, ManifestList
from buildah_py.container.working import Container
from buildah_py.defaults import store_location
from buildah_py.isolation.runopts import RunOptions
from buildah_py.oci.descriptor import Platform
from buildah_py.storage import Store
from buildah_py.transports.options import PushOptions, RegistryOptions
from buildah_py.transports.verify import ProgressFn


class StoreSession(Store):
    """A store opened by ``open_store``; its methods always work on it."""

    @documented()
    def from_image(
        self,
        image: str,
        *,
        name: str | None = None,
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
        """``Container.from_image(..., store=this store)``."""
        return Container.from_image(
            image, name=name, store=self, pull_policy=pull_policy, cache=cache,
            platform=platform, progress=progress, tls_verify=tls_verify, authfile=authfile,
            creds=creds, cert_dir=cert_dir, registry=registry, run_options=run_options,
        )  # fmt: skip

    @documented()
    def from_scratch(
        self,
        *,
        name: str | None = None,
        cache: BuildCache | bool | None = None,
        run_options: RunOptions | None = None,
    ) -> Container:
        """``Container.from_scratch(..., store=this store)``."""
        return Container.from_scratch(name=name, store=self, cache=cache, run_options=run_options)

    @documented({"name": "the container's name or ID."})
    def get_container(self, name: str, *, cache: BuildCache | bool | None = None) -> Container:
        """``Container.get(name, store=this store)``: an existing working container."""
        return Container.get(name, self, cache)

    @documented(OTHER)
    def get_image(self, ref: str) -> Image:
        """``Image.get(ref, store=this store)``: an image by name, short name, ID or digest."""
        return Image.get(ref, self)

    @documented(LIST)
    def manifest_list(self, ref: str) -> ManifestList:
        """``ManifestList.get(ref, store=this store)``: an existing manifest list."""
        return ManifestList.get(ref, self)

    @documented(LIST)
    def create_manifest_list(
        self,
        name: str,
        *,
        images: Iterable[Image | str] = (),
        annotations: Mapping[str, str] | Iterable[str] | None = None,
        amend: bool = False,
    ) -> ManifestList:
        """``ManifestList.create(name, store=this store, ...)``: a new manifest list."""
        return ManifestList.create(
            name, store=self, images=images, annotations=annotations, amend=amend
        )

    def manifest_lists(self) -> list[ManifestList]:
        """``ManifestList.list(this store)``: every manifest list, oldest first."""
        return ManifestList.list(self)

    @documented({**PUSH, **LIST, **PUBLISH})
    def publish(
        self,
        destination: str,
        images: Mapping[str, Image | str] | Iterable[Image | str],
        *,
        name: str | None = None,
        format: str | None = None,
        annotations: Mapping[str, str] | Iterable[str] | None = None,
        options: PushOptions | None = None,
        progress: ProgressFn | None = None,
        tls_verify: bool | None = None,
        authfile: str | os.PathLike[str] | None = None,
        creds: str | None = None,
        cert_dir: str | os.PathLike[str] | None = None,
    ) -> str:
        """``ManifestList.publish(destination, images, store=this store, ...)``: one list of
        `images` pushed with them; returns the index digest."""
        return ManifestList.publish(
            destination, images, name=name, store=self, format=format, annotations=annotations,
            options=options, progress=progress, tls_verify=tls_verify, authfile=authfile,
            creds=creds, cert_dir=cert_dir,
        )  # fmt: skip


def open_store(
    root: str | os.PathLike[str] | None = None,
    runroot: str | os.PathLike[str] | None = None,
    driver: str | None = None,
) -> StoreSession:
    """Open (creating if needed) the store at `root`, or the default one, as a StoreSession.

    Args:
        root: the store's directory (default: ``$BUILDAH_PY_ROOT``, else /var/lib/buildah-py
            for root, ``$XDG_DATA_HOME/buildah-py`` otherwise).
        runroot: its run-time directory (mounts, locks; default as root: /run/buildah-py).
        driver: ``"overlay"``, ``"fuse-overlayfs"`` or ``"vfs"`` (default:
            ``$BUILDAH_PY_STORAGE_DRIVER``, else the best the host allows)."""
    where = check_arg.host_path("root", root), check_arg.host_path("runroot", runroot)
    return StoreSession.open(*store_location(*where, check_arg.opt_str("driver", driver)))
