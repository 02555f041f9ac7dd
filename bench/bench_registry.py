"""Push and pull throughput of one large layer against a local docker-registry, ours vs skopeo.

Run: /tmp/v/bin/python bench/bench_registry.py [--size-mib 512] [--chunk-mib 64]
Both tools copy between an OCI layout on disk and the registry (``oci:`` <-> ``docker://``),
ours through the shared copy routine, so each figure includes reading or writing the layout
and hashing. The registry runs on loopback over plain HTTP with filesystem storage in a temp
dir, so push figures are bounded by the registry's own hashing and disk writes.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from buildah_py.oci import mediatypes as mt
from buildah_py.oci.descriptor import Descriptor
from buildah_py.oci.manifest import Manifest
from buildah_py.transports.copy import copy_image
from buildah_py.transports.docker import docker_destination, docker_source
from buildah_py.transports.oci_layout import LayoutWriter, open_oci_source
from buildah_py.transports.options import RegistryOptions
from tests.registry_fixtures import start_registry

_MIB = 1 << 20


def _write_layer(path: Path, size_mib: int) -> Descriptor:
    blocks = [os.urandom(_MIB) for _ in range(8)]  # incompressible, like a gzip layer
    h = hashlib.sha256()
    with open(path, "wb") as f:
        for i in range(size_mib):
            f.write(blocks[i % 8])
            h.update(blocks[i % 8])
    return Descriptor(mt.OCI_LAYER_GZIP, "sha256:" + h.hexdigest(), size_mib * _MIB)


def _oci_layout(root: Path, layer_file: Path, layer: Descriptor, config: bytes) -> None:
    """A one-image OCI layout skopeo can push (the layer is hard-linked, not copied)."""
    blobs = root / "blobs" / "sha256"
    blobs.mkdir(parents=True)
    os.link(layer_file, blobs / layer.digest.split(":")[1])
    cdesc = Descriptor(mt.OCI_CONFIG, "sha256:" + hashlib.sha256(config).hexdigest(), len(config))
    (blobs / cdesc.digest.split(":")[1]).write_bytes(config)
    manifest = Manifest(cdesc, (layer,)).to_bytes()
    mdigest = "sha256:" + hashlib.sha256(manifest).hexdigest()
    (blobs / mdigest.split(":")[1]).write_bytes(manifest)
    (root / "oci-layout").write_text('{"imageLayoutVersion":"1.0.0"}')
    index = {
        "schemaVersion": 2,
        "manifests": [
            {
                "mediaType": mt.OCI_MANIFEST,
                "digest": mdigest,
                "size": len(manifest),
                "annotations": {"org.opencontainers.image.ref.name": "bench"},
            }
        ],
    }
    (root / "index.json").write_text(json.dumps(index))


def _timed(label: str, nbytes: int, fn: object) -> float:
    start = time.perf_counter()
    fn()  # type: ignore[operator]
    took = time.perf_counter() - start
    rate = nbytes / _MIB / took
    print(f"{label:<28}{took:>8.2f} s{rate:>10.0f} MiB/s", flush=True)
    return rate


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size-mib", type=int, default=512)
    parser.add_argument("--chunk-mib", type=int, default=64)
    parser.add_argument("--dir", default=None, help="scratch directory (default: a temp dir)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(dir=args.dir))
    reg = start_registry(work / "registry")
    try:
        layer_file = work / "layer.bin"
        layer = _write_layer(layer_file, args.size_mib)
        config = json.dumps(
            {
                "architecture": "amd64",
                "os": "linux",
                "rootfs": {"type": "layers", "diff_ids": [layer.digest]},
            }
        ).encode()
        nbytes = layer.size
        print(f"layer {args.size_mib} MiB, registry {reg.host}, chunk {args.chunk_mib} MiB")

        layout = work / "layout"
        _oci_layout(layout, layer_file, layer, config)

        def our_push() -> None:
            dst = docker_destination(
                f"{reg.host}/bench/ours:1",
                registry=RegistryOptions(tls_verify=False),
                chunk_size=args.chunk_mib * _MIB,
            )
            copy_image(open_oci_source(str(layout), "bench"), dst)
            dst.close()

        def our_pull() -> None:
            dst = LayoutWriter(str(work / "pulled-ours"), "x")
            copy_image(
                docker_source(
                    f"{reg.host}/bench/ours:1", registry=RegistryOptions(tls_verify=False)
                ),
                dst,
            )
            dst.close()

        def stream_only() -> None:
            src = docker_source(
                f"{reg.host}/bench/ours:1",
                registry=RegistryOptions(tls_verify=False),
                verify_blobs=True,
            )
            src.get_manifest()
            with src.get_blob(layer) as stream:
                while stream.read(_MIB):
                    pass
            src.close()

        _timed("buildah-py push", nbytes, our_push)
        _timed("buildah-py pull", nbytes, our_pull)
        _timed("  blob stream + sha256 only", nbytes, stream_only)

        skopeo = ["skopeo", "copy", "--quiet"]
        _timed(
            "skopeo push",
            nbytes,
            lambda: subprocess.run(
                [
                    *skopeo,
                    "--dest-tls-verify=false",
                    f"oci:{layout}:bench",
                    f"docker://{reg.host}/bench/skopeo:1",
                ],
                check=True,
            ),
        )
        pulled = work / "pulled"
        _timed(
            "skopeo pull",
            nbytes,
            lambda: subprocess.run(
                [
                    *skopeo,
                    "--src-tls-verify=false",
                    f"docker://{reg.host}/bench/skopeo:1",
                    f"oci:{pulled}:x",
                ],
                check=True,
            ),
        )
    finally:
        reg.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
