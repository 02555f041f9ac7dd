"""New working-container records: on an image's layers, or on nothing (``scratch``)."""

from __future__ import annotations

from typing import Any

from buildah_py.container.image import Image
from buildah_py.container.record import WorkingRecord, to_extra
from buildah_py.errors import ContainerError
from buildah_py.isolation.runopts import RunOptions
from buildah_py.oci.config import ImageConfig
from buildah_py.oci.descriptor import Descriptor
from buildah_py.oci.digest import chain_ids
from buildah_py.oci.manifest import Manifest
from buildah_py.storage import Store
from buildah_py.storage.records import ContainerRecord, ImageRecord


def record_on_image(
    store: Store, image: ImageRecord, name: str | None, run_options: RunOptions | None = None
) -> ContainerRecord:
    """A new container record on `image`'s layers (stacked from the store's snapshots), with
    the run options every later ``run`` starts from."""
    img = Image(store, image)
    manifest, config = img.manifest, img.config
    layers = _layer_table(manifest, config)
    # One locked step: another process removing the image cannot take the snapshots in between.
    with store.writing():
        chain = store.prepare_snapshots([(c, d, b["digest"]) for c, d, b in layers])
        work = WorkingRecord(
            base_layers=[Descriptor.from_json(b) for _, _, b in layers],
            run_options=run_options or RunOptions(),
        )
        return store.create_container(name, image.id, chain, config.data, to_extra(work))


def record_on_scratch(
    store: Store, name: str | None, run_options: RunOptions | None = None
) -> ContainerRecord:
    """A new, empty container record (``FROM scratch``)."""
    work = WorkingRecord(run_options=run_options or RunOptions())
    return store.create_container(name, "", [], ImageConfig.new().data, to_extra(work))


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
