"""Pull and push of a 512 MiB layer from the CLI, store to registry, buildah-py beside buildah.

Run: python bench/bench_registry_cli.py [--size-mib 512]
Each tool pulls the same image from one local registry into its own store, then pushes it to a
second, empty registry of its own (so no blob can be mounted or skipped). buildah stores layers unpacked and
recompresses on push; buildah-py keeps the pulled blobs and pushes them as they are.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.registry_fixtures import start_registry

_MIB = 1 << 20


def _timed(label: str, size_mib: int, cmd: list[str], env: dict[str, str] | None = None) -> None:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    took = time.perf_counter() - start
    print(f"{label:<38}{took:>8.2f} s{size_mib / took:>8.0f} MiB/s", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size-mib", type=int, default=512)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-reg-", dir="/var/tmp"))
    src_reg = start_registry(work / "reg-a")
    # Each tool pushes into its own empty registry: nothing can be skipped or mounted.
    dst = {tool: start_registry(work / f"reg-{tool}") for tool in ("ours", "buildah", "skopeo")}
    env = dict(os.environ, BUILDAH_PY_ROOT=str(work / "root"), BUILDAH_PY_RUNROOT=str(work / "run"))
    ours = [sys.executable, "-m", "buildah_py.cli.main"]
    try:
        payload = work / "payload"
        with open(payload, "wb") as f:
            block = os.urandom(_MIB)
            for i in range(args.size_mib):
                f.write(block[i % 7 :] + block[: i % 7])
        tar_path = work / "rootfs.tar"
        with tarfile.open(tar_path, "w") as tar:
            tar.add(payload, arcname="payload")
        subprocess.run(
            [*ours, "import", str(tar_path), "big"], check=True, env=env, capture_output=True
        )
        subprocess.run(
            [*ours, "push", "--tls-verify=false", "big", f"docker://{src_reg.host}/bench/big:1"],
            check=True,
            env=env,
            capture_output=True,
        )
        shutil.rmtree(work / "root")
        print(f"image with one {args.size_mib} MiB layer (incompressible), two local registries")

        _timed(
            "buildah-py pull",
            args.size_mib,
            [*ours, "pull", "-q", "--tls-verify=false", f"docker://{src_reg.host}/bench/big:1"],
            env,
        )
        _timed(
            "buildah-py from (unpacks the layer)",
            args.size_mib,
            [*ours, "from", f"{src_reg.host}/bench/big:1"],
            env,
        )
        _timed(
            "buildah-py push",
            args.size_mib,
            [
                *ours,
                "push",
                "-q",
                "--tls-verify=false",
                f"{src_reg.host}/bench/big:1",
                f"docker://{dst['ours'].host}/ours/big:1",
            ],
            env,
        )
        if shutil.which("buildah"):
            b = [
                "buildah",
                "--root",
                str(work / "broot"),
                "--runroot",
                str(work / "brun"),
                "--storage-driver",
                "overlay",
            ]
            _timed(
                "buildah    pull",
                args.size_mib,
                [*b, "pull", "-q", "--tls-verify=false", f"docker://{src_reg.host}/bench/big:1"],
            )
            _timed(
                "buildah    push",
                args.size_mib,
                [
                    *b,
                    "push",
                    "-q",
                    "--tls-verify=false",
                    f"{src_reg.host}/bench/big:1",
                    f"docker://{dst['buildah'].host}/buildah/big:1",
                ],
            )
            subprocess.run([*b, "rmi", "--all", "--force"], capture_output=True)
        if shutil.which("skopeo"):
            _timed(
                "skopeo     copy registry->dir",
                args.size_mib,
                [
                    "skopeo",
                    "copy",
                    "-q",
                    "--src-tls-verify=false",
                    f"docker://{src_reg.host}/bench/big:1",
                    f"dir:{work / 'skopeo-dir'}",
                ],
            )
            _timed(
                "skopeo     copy dir->registry",
                args.size_mib,
                [
                    "skopeo",
                    "copy",
                    "-q",
                    "--dest-tls-verify=false",
                    f"dir:{work / 'skopeo-dir'}",
                    f"docker://{dst['skopeo'].host}/skopeo/big:1",
                ],
            )
    finally:
        for reg in (src_reg, *dst.values()):
            reg.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
