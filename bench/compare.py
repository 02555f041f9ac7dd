"""buildah-py side by side with buildah and skopeo over the whole product, one function per case.

Every case runs each tool `--runs` times, alternating which tool goes first, with `sync` before
each timed command. As root, every store is a fresh ext4 of its own (see Bench.fresh). A timed
command runs under ``/usr/bin/time -f %M`` in a fresh child, so its peak RSS is that of the
whole process tree. Both tools use overlay storage in their own store
(``--root/--runroot``), chroot isolation and ``--layers``; cold cases start from a fresh store
holding only the base image. The base is one busybox image (busybox_base.py's rootfs) pushed to a
loopback registry and pulled into every store, so both tools build on the identical image. The
inputs are made from a fixed seed. Without buildah (or skopeo) only our figures are printed.

Usage: python bench/compare.py [--quick] [--runs N] [--cases a,b] [--shared-fs] [--out FILE]
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "examples" / "buildscripts"))

from busybox_base import write_rootfs_tar  # noqa: E402

from tests.registry_fixtures import Registry, start_registry  # noqa: E402

MIB = 1 << 20
SEED = 16
SETTLE = 65.0  # seconds between one tool's timed run and the other's (see Bench.settle)
SCRATCH_BYTES = 16 << 30  # each store's filesystem: a sparse file, mostly never written
OURS_BIN = Path(sys.executable).parent / "buildah-py"
ARM_DEB_GLOB = "/tmp/arm/busybox-static_*_arm64.deb"

MANY_DOCKERFILE = """FROM localhost/busybox
COPY src/ /app/src/
RUN find /app/src -type f | wc -l > /app/count
ENV APP=/app
CMD ["cat", "/app/count"]
"""
BIG_DOCKERFILE = """FROM localhost/busybox
COPY big.bin /data/
RUN sha256sum /data/big.bin > /data/big.sha256
"""
# The many-files build through the Python API: `buildah-py build -f build.py CONTEXT`.
MANY_SCRIPT = '''"""The many-files build as a Python build script."""


def build(ctx):
    c = ctx.from_image("localhost/busybox")
    c.copy("src/", "/app/src/")
    c.run("find /app/src -type f | wc -l > /app/count")
    c.config(env={"APP": "/app"}, cmd=["cat", "/app/count"])
    return c
'''

# Wall-time targets, as ratios to the reference tool (and seconds where one is given).
TARGETS: dict[str, str] = {
    "big-file": "<= 0.5x",
    "many-files": "<= 0.5x",
    "rebuild": "<= 0.1x, < 0.5 s",
    "rebuild-one-change": "<= 0.5x",
    "push": "<= 0.5x",
    "pull": "<= 0.5x",
    "copy": "<= 0.5x",
    "images (root)": "< 0.15 s",
    "--help (root)": "< 0.15 s",
    "images (rootless)": "< 0.25 s",
    "--help (rootless)": "< 0.25 s",
}
RSS_TARGET_MB = 200


class CaseError(Exception):
    """A command of a case failed; the case is reported as failed and the others go on."""


@dataclass
class Sample:
    wall: float  # seconds
    rss_kb: int  # peak RSS of the process tree


def timed(argv: list[str], env: dict[str, str] | None = None, cwd: Path | None = None) -> Sample:
    """Run `argv` in a fresh child after `sync`; its wall time and the tree's peak RSS."""
    subprocess.run(["sync"], check=True)
    with tempfile.NamedTemporaryFile("r", prefix="bench-rss-") as out:
        cmd = ["/usr/bin/time", "-f", "%M", "-o", out.name, *argv]
        start = time.perf_counter()
        proc = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True)
        wall = time.perf_counter() - start
        if proc.returncode != 0:
            raise CaseError(f"{' '.join(argv)} failed ({proc.returncode}): {proc.stderr[-1500:]}")
        rss = int(Path(out.name).read_text().split()[-1])
    return Sample(wall, rss)


def run(argv: list[str], env: dict[str, str] | None = None, cwd: Path | None = None) -> str:
    """An untimed set-up command; its stdout."""
    proc = subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise CaseError(f"{' '.join(argv)} failed ({proc.returncode}): {proc.stderr[-1500:]}")
    return proc.stdout.strip()


def drop(path: Path) -> None:
    """Unmount everything under `path` (overlay stores leave mounts), then remove it."""
    if not path.exists():
        return
    unmount_below(path)
    shutil.rmtree(path, ignore_errors=True)


def scratch_fs(image: Path, mnt: Path) -> str:
    """Mount a fresh ext4 at `mnt`, on a loop device over the sparse file `image`; returns the
    device. mkfs.ext4's defaults (a journal, as most hosts' filesystems have); direct I/O, so
    the bytes are cached once; noinit_itable, so no background zeroing runs beside a build."""
    with open(image, "wb") as f:
        f.truncate(SCRATCH_BYTES)
    run(["mkfs.ext4", "-q", "-F", str(image)])
    dev = run(["losetup", "--direct-io=on", "--find", "--show", str(image)])
    mnt.mkdir()
    try:
        run(["mount", "-o", "noinit_itable", dev, str(mnt)])
    except CaseError:
        subprocess.run(["losetup", "--detach", dev], capture_output=True)
        raise
    return dev


def can_scratch(tmp: Path) -> bool:
    """Whether this run can give each store a filesystem of its own (root, mkfs.ext4, losetup)."""
    if os.geteuid() != 0 or not (shutil.which("mkfs.ext4") and shutil.which("losetup")):
        return False
    try:
        dev = scratch_fs(tmp / "probe.img", tmp / "probe")
    except (CaseError, OSError):
        return False
    scratch_gone(tmp / "probe", dev, tmp / "probe.img")
    return True


def scratch_gone(mnt: Path, dev: str, image: Path) -> None:
    """Undo scratch_fs: unmount all at `mnt`, detach `dev` and remove `image`."""
    unmount_below(mnt)
    subprocess.run(["losetup", "--detach", dev], capture_output=True)
    image.unlink(missing_ok=True)


def unmount_below(path: Path) -> None:
    """Unmount everything under `path`, leaving its files."""
    prefix = str(path.resolve())
    with open("/proc/self/mounts") as f:
        points = [line.split()[1] for line in f]
    for point in sorted(points, key=len, reverse=True):
        if point == prefix or point.startswith(prefix + "/"):
            subprocess.run(["umount", "-l", point], capture_output=True)


# -- the tools -----------------------------------------------------------------------------------


@dataclass
class Tool:
    """One builder, run as its CLI against a store of its own."""

    name: str
    exe: str

    def g(self, store: Path) -> list[str]:
        return [
            self.exe,
            "--root",
            str(store / "root"),
            "--runroot",
            str(store / "run"),
            "--storage-driver",
            "overlay",
        ]

    def build(self, store: Path, tag: str, file: Path, ctx: Path, *extra: str) -> list[str]:
        return [
            *self.g(store),
            "build",
            "--layers",
            "--isolation",
            "chroot",
            "-q",
            "-t",
            tag,
            "-f",
            str(file),
            *extra,
            str(ctx),
        ]

    def push(self, store: Path, image: str, dest: str) -> list[str]:
        return [*self.g(store), "push", "--tls-verify=false", image, dest]

    def pull(self, store: Path, ref: str) -> list[str]:
        return [*self.g(store), "pull", "--tls-verify=false", ref]


OURS = Tool("buildah-py", str(OURS_BIN))
BUILDAH = Tool("buildah", "buildah")


@dataclass
class Bench:
    """Inputs, registries and figures shared by the cases."""

    tmp: Path
    runs: int
    tools: list[Tool]
    base_reg: Registry
    big_ctx: Path
    many_ctx: Path
    big_mib: int
    n_files: int
    results: dict[str, dict[str, list[Sample]]] = field(default_factory=dict)
    refs: dict[str, str] = field(default_factory=dict)  # case -> reference tool's name
    notes: dict[str, str] = field(default_factory=dict)  # case -> why it has no figures
    kept: dict[str, Path] = field(default_factory=dict)  # "big/<tool>": a store to reuse
    reference: bool = True  # False: buildah-py alone (no buildah, or --no-reference)
    scratch: bool = False  # each store on a fresh ext4 of its own (see fresh)
    _n: int = 0
    _fs: dict[Path, tuple[str, Path]] = field(default_factory=dict)  # mount -> (device, image)
    _ended: dict[str, float] = field(default_factory=dict)  # tool -> end of its last timed run

    def record(self, case: str, tool: str, sample: Sample) -> None:
        self.results.setdefault(case, {}).setdefault(tool, []).append(sample)
        self._ended[tool] = time.monotonic()

    def settle(self, tool: str) -> None:
        """Without fresh filesystems: wait until SETTLE seconds have passed since another
        tool's last timed run. A build may remove its working containers (buildah removes
        20,000 files at the end of a many-files build), and an ext4 without a journal skips
        inodes freed in the last 60 s (300 s while their inode table block is dirty) when it
        allocates one, scanning past every such inode on each file it creates, which slows
        the next tool's run by several times. The wait is not enough for the 300 s case,
        hence the fresh filesystem for each store (see fresh) whenever this runs as root."""
        if self.scratch:
            return
        others = [t for name, t in self._ended.items() if name != tool]
        if others:
            wait = SETTLE - (time.monotonic() - max(others))
            if wait > 0:
                time.sleep(wait)

    @contextmanager
    def guard(self, case: str, tool: str) -> Iterator[None]:
        """One tool's failure in one run: noted in the table; the other tool goes on."""
        try:
            yield
        except CaseError as err:
            print(f"   {case}: {tool} failed: {err}", flush=True)
            self.notes[case] = f"{tool} failed"

    def order(self, i: int, tools: list[Tool] | None = None, settle: bool = True) -> Iterator[Tool]:
        """Run i's order: the first tool goes first on even runs, last on odd ones; with
        `settle`, each tool's turn starts only once the other's clean-up has settled."""
        tools = self.tools if tools is None else tools
        for tool in tools if i % 2 == 0 else tools[::-1]:
            if settle:
                self.settle(tool.name)
            yield tool

    def retire(self, store: Path) -> None:
        """Done with `store`: unmounted now. Its own filesystem goes away whole (one sparse
        file removed); a plain directory stays until the end, since removing 20,000 files
        would slow the next run's inode allocation (see settle)."""
        if store in self._fs:
            scratch_gone(store, *self._fs.pop(store))
        else:
            unmount_below(store)

    def close(self) -> None:
        for store in list(self._fs):
            self.retire(store)

    def path(self, what: str) -> Path:
        self._n += 1
        return self.tmp / f"{what}-{self._n}"

    def fresh(self, what: str) -> Path:
        """An empty directory for a store or a floor's output: as root, the root of a fresh
        ext4 of its own, so no run inherits the inode and block state (freed inodes above
        all, see settle) that an earlier run of either tool left; give it back with retire."""
        path = self.path(what)
        if not self.scratch:
            path.mkdir()
            return path
        image = path.with_name(path.name + ".img")
        self._fs[path] = (scratch_fs(image, path), image)
        return path

    def store(self, tool: Tool, base: bool = True) -> Path:
        """A fresh store for `tool`, holding only the base image (as localhost/busybox)."""
        store = self.fresh(f"store-{tool.name}")
        if base:
            ref = self.base_reg.ref("busybox:latest")
            run(tool.pull(store, ref))
            run([*tool.g(store), "tag", ref, "localhost/busybox:latest"])
        return store

    @contextmanager
    def registry(self) -> Iterator[Registry]:
        """A fresh, empty loopback registry."""
        root = self.path("registry")
        reg = start_registry(root)
        try:
            yield reg
        finally:
            reg.stop()
            shutil.rmtree(root, ignore_errors=True)

    def big_store(self, tool: Tool) -> Path:
        """A store holding the big-file image as localhost/big (the big-file case's last one)."""
        key = f"big/{tool.name}"
        if key not in self.kept:
            store = self.store(tool)
            run(tool.build(store, "localhost/big", self.big_ctx / "Dockerfile", self.big_ctx))
            self.kept[key] = store
        return self.kept[key]


# -- inputs --------------------------------------------------------------------------------------


def make_big(ctx: Path, mib: int) -> None:
    rng = random.Random(SEED)
    ctx.mkdir(parents=True)
    with open(ctx / "big.bin", "wb") as f:
        for _ in range(mib):
            f.write(rng.randbytes(MIB))
    (ctx / "Dockerfile").write_text(BIG_DOCKERFILE)


def make_many(ctx: Path, n_files: int) -> None:
    """`n_files` files of 1-7 KiB (4 KiB on average) in 100 directories."""
    rng = random.Random(SEED + 1)
    for i in range(n_files):
        d = ctx / "src" / f"d{i % 100:02d}"
        if i < 100:
            d.mkdir(parents=True)
        (d / f"f{i:05d}.txt").write_bytes(rng.randbytes(rng.randint(1024, 7 * 1024)))
    (ctx / "Dockerfile").write_text(MANY_DOCKERFILE)


def one_file(ctx: Path) -> Path:
    return ctx / "src" / "d07" / "f00007.txt"


def arm64_busybox(tmp: Path) -> Path | None:
    """Debian's busybox-static arm64 binary, from /tmp/arm or `apt-get download`."""
    import glob

    debs = glob.glob(ARM_DEB_GLOB)
    if not debs:
        dl = tmp / "deb"
        dl.mkdir()
        proc = subprocess.run(
            ["apt-get", "download", "busybox-static:arm64"], cwd=dl, capture_output=True
        )
        debs = glob.glob(str(dl / "*.deb"))
        if proc.returncode != 0 or not debs:
            return None
    out = tmp / "arm64-deb"
    run(["dpkg-deb", "-x", debs[0], str(out)])
    binary = out / "bin" / "busybox"
    return binary if binary.exists() else None


def publish_base(tmp: Path, reg: Registry) -> bool:
    """Push busybox (amd64) and busybox-multi (amd64 + arm64 list) to `reg` with our CLI;
    False when there is no arm64 busybox (the two-platform case is then skipped)."""
    store = tmp / "base-store"
    store.mkdir()
    g = OURS.g(store)
    amd = tmp / "busybox-amd64.tar"
    write_rootfs_tar(str(amd))
    run([*g, "import", "--timestamp", "0", str(amd), "localhost/busybox-amd64"])
    run([*g, "push", "--tls-verify=false", "localhost/busybox-amd64", f"docker://{reg.host}/busybox:latest"])  # fmt: skip
    binary = arm64_busybox(tmp)
    if binary is None:
        return False
    arm = tmp / "busybox-arm64.tar"
    write_rootfs_tar(str(arm), busybox=str(binary))  # `busybox --list-full` runs under qemu
    run([*g, "import", "--timestamp", "0", str(arm), "localhost/busybox-arm64-raw"])
    ctr = run([*g, "from", "localhost/busybox-arm64-raw"])
    run([*g, "config", "--arch", "arm64", ctr])
    run([*g, "commit", "--rm", "--timestamp", "0", ctr, "localhost/busybox-arm64"])
    run([*g, "manifest", "create", "localhost/busybox-multi"])
    for image in ("localhost/busybox-amd64", "localhost/busybox-arm64"):
        run([*g, "manifest", "add", "localhost/busybox-multi", image])
    run([*g, "manifest", "push", "--all", "--tls-verify=false", "localhost/busybox-multi", f"docker://{reg.host}/busybox-multi:latest"])  # fmt: skip
    drop(store)
    return True


# -- the cases -----------------------------------------------------------------------------------


def case_floor(b: Bench) -> None:
    """The machine's floor: plain cp, sha256sum and tar of the same bytes."""
    big = b.big_ctx / "big.bin"
    src = b.many_ctx / "src"
    for _ in range(b.runs):
        out = b.fresh("floor")
        for label, argv in (
            ("cp big.bin", ["cp", str(big), str(out / "floor.bin")]),
            ("sha256sum big.bin", ["sha256sum", str(big)]),
            ("tar big.bin", ["tar", "-cf", str(out / "big.tar"), "-C", str(big.parent), big.name]),
            ("cp -r src/", ["cp", "-r", str(src), str(out / "floor-src")]),
            ("sha256sum src/", ["sh", "-c", f"find {src} -type f -print0 | xargs -0 sha256sum"]),
            ("tar src/", ["tar", "-cf", str(out / "src.tar"), "-C", str(src.parent), "src"]),
        ):
            b.record(f"floor: {label}", "floor", timed(argv))
        b.retire(out)


def case_big_file(b: Bench) -> None:
    """COPY a big random file, RUN sha256sum over it, commit; cold (a fresh store each run)."""
    for i in range(b.runs):
        for tool in b.order(i):
            with b.guard("big-file", tool.name):
                store = b.store(tool)
                argv = tool.build(store, "localhost/big", b.big_ctx / "Dockerfile", b.big_ctx)
                b.record("big-file", tool.name, timed(argv))
                old = b.kept.pop(f"big/{tool.name}", None)
                if old is not None:
                    b.retire(old)
                b.kept[f"big/{tool.name}"] = store  # push reuses it


def case_many_files(b: Bench) -> None:
    """many-files cold, then rebuild (nothing changed), then rebuild-one-change, in one store."""
    changed = one_file(b.many_ctx)
    original = changed.read_bytes()
    file = b.many_ctx / "Dockerfile"
    for i in range(b.runs):
        for tool in b.order(i):
            changed.write_bytes(original)
            store = b.store(tool)
            argv = tool.build(store, "localhost/many", file, b.many_ctx)
            with b.guard("many-files", tool.name):
                b.record("many-files", tool.name, timed(argv))
                with b.guard("rebuild", tool.name):
                    b.record("rebuild", tool.name, timed(argv))
                changed.write_bytes(original + b"one change\n")
                with b.guard("rebuild-one-change", tool.name):
                    b.record("rebuild-one-change", tool.name, timed(argv))
            changed.write_bytes(original)
            b.retire(store)


def case_script(b: Bench) -> None:
    """The many-files build as a Python build script (buildah: the Dockerfile); cold."""
    script = b.tmp / "build.py"
    script.write_text(MANY_SCRIPT)
    for i in range(b.runs):
        for tool in b.order(i):
            store = b.store(tool)
            file = script if tool is OURS else b.many_ctx / "Dockerfile"
            with b.guard("script", tool.name):
                argv = tool.build(store, "localhost/s", file, b.many_ctx)
                b.record("script", tool.name, timed(argv))
            b.retire(store)
    b.notes["script"] = "buildah: the same build from the Dockerfile"


def case_push(b: Bench) -> None:
    """The big-file image into a fresh, empty registry."""
    for i in range(b.runs):
        for tool in b.order(i, settle=False):
            with b.guard("push", tool.name), b.registry() as reg:
                store = b.big_store(tool)
                dest = f"docker://{reg.ref('big:latest')}"
                b.record("push", tool.name, timed(tool.push(store, "localhost/big", dest)))
    blob = _largest_blob(b.big_store(OURS))
    for _ in range(b.runs):  # the registry's own floor: one monolithic upload by curl
        with b.registry() as reg:
            argv = ["sh", "-c", UPLOAD_FLOOR, "floor", reg.host, f"sha256:{blob.name}", str(blob)]
            b.record("floor: registry upload of the big layer (curl PUT)", "floor", timed(argv))


# $1 registry, $2 digest, $3 file or "-" (stdin); $4 a registry to stream the blob from
UPLOAD_FLOOR = """set -e
loc=$(curl -sf -D - -o /dev/null -X POST "http://$1/v2/floor/blobs/uploads/" |
      tr -d '\\r' | sed -n 's/^[Ll]ocation: //p')
case "$loc" in http*) ;; *) loc="http://$1$loc" ;; esac
if [ "$3" = - ]; then
  curl -sfL "http://$4/v2/big/blobs/$2" |
    curl -sf -o /dev/null -T - -H 'Content-Type: application/octet-stream' "$loc&digest=$2"
else
  curl -sf -o /dev/null -T "$3" -H 'Content-Type: application/octet-stream' "$loc&digest=$2"
fi
"""


def _largest_blob(store: Path) -> Path:
    """The big layer's blob file in a buildah-py store."""
    blobs = store / "root" / "content" / "blobs" / "sha256"
    return max(blobs.iterdir(), key=lambda p: p.stat().st_size)


@contextmanager
def big_in_registry(b: Bench) -> Iterator[Registry]:
    """A registry holding our big-file image (the same bytes for every tool that reads it)."""
    with b.registry() as reg:
        run(OURS.push(b.big_store(OURS), "localhost/big", f"docker://{reg.ref('big:latest')}"))
        yield reg


def case_pull(b: Bench) -> None:
    """The big-file image from the loopback registry into a fresh, empty store."""
    with big_in_registry(b) as src:
        for i in range(b.runs):
            for tool in b.order(i, settle=False):
                store = b.store(tool, base=False)
                with b.guard("pull", tool.name):
                    b.record("pull", tool.name, timed(tool.pull(store, src.ref("big:latest"))))
                b.retire(store)


def _has_image_copy() -> bool:
    proc = subprocess.run([str(OURS_BIN), "image", "copy", "--help"], capture_output=True)
    return proc.returncode == 0


def case_copy(b: Bench) -> None:
    """`buildah-py image copy` of the big-file image between two registries, vs `skopeo copy`."""
    b.refs["copy"] = "skopeo"
    tools: list[str] = []
    if _has_image_copy():
        tools.append("buildah-py")
    else:
        b.notes["copy"] = "n/a (no image copy)"
    if b.reference and shutil.which("skopeo"):
        tools.append("skopeo")
    if not tools:
        return
    tls = ["--src-tls-verify=false", "--dest-tls-verify=false"]
    with big_in_registry(b) as src:
        for i in range(b.runs):
            for name in tools if i % 2 == 0 else tools[::-1]:
                exe = [str(OURS_BIN), "image"] if name == "buildah-py" else ["skopeo"]
                with b.guard("copy", name), b.registry() as dst:
                    argv = [*exe, "copy", *tls, f"docker://{src.ref('big:latest')}"]
                    argv.append(f"docker://{dst.ref('big:latest')}")
                    b.record("copy", name, timed(argv))
        digest = f"sha256:{_largest_blob(b.big_store(OURS)).name}"
        for _ in range(b.runs):  # the two registries' floor: curl GET piped into curl PUT
            with b.registry() as dst:
                argv = ["sh", "-c", UPLOAD_FLOOR, "floor", dst.host, digest, "-", src.host]
                b.record("floor: registry to registry, big layer (curl GET | PUT)", "floor", timed(argv))  # fmt: skip


def case_ci_warm(b: Bench) -> None:
    """many-files in a store with only the base, every step from the registry cache."""
    file = b.many_ctx / "Dockerfile"
    tls = "--tls-verify=false"
    caches: dict[str, str] = {}
    for tool in b.tools:  # each tool fills a cache repository of its own
        caches[tool.name] = b.base_reg.ref(f"cache-{tool.name}")
        store = b.store(tool)
        with b.guard("ci-warm", tool.name):
            run(tool.build(store, "localhost/many", file, b.many_ctx, tls, "--cache-to", caches[tool.name]))  # fmt: skip
        b.retire(store)
    for i in range(b.runs):
        for tool in b.order(i):
            store = b.store(tool)
            argv = tool.build(store, "localhost/many", file, b.many_ctx, tls, "--cache-from", caches[tool.name])  # fmt: skip
            with b.guard("ci-warm", tool.name):
                b.record("ci-warm", tool.name, timed(argv))
            b.retire(store)


def case_two_platform(b: Bench) -> None:
    """many-files for linux/amd64 and linux/arm64 (RUN under qemu) into one manifest list;
    an empty store: the build pulls both variants of the base."""
    if "two-platform" in b.notes:
        return
    text = MANY_DOCKERFILE.replace("localhost/busybox", b.base_reg.ref("busybox-multi:latest"))
    file = b.tmp / "Dockerfile.multi"
    file.write_text(text)
    plat = ["--tls-verify=false", "--platform", "linux/amd64,linux/arm64"]
    for i in range(b.runs):
        for tool in b.order(i):
            store = b.store(tool, base=False)
            argv = tool.build(store, "localhost/m", file, b.many_ctx, *plat, "--manifest", "localhost/multi")  # fmt: skip
            # -t and --manifest: both tools tag the list with --manifest, -t is not needed
            argv.remove("-t")
            argv.remove("localhost/m")
            with b.guard("two-platform", tool.name):
                b.record("two-platform", tool.name, timed(argv))
            b.retire(store)


def case_startup(b: Bench) -> None:
    """`images` and `--help`, as root (a store holding the base) and as an unprivileged user."""
    runs = max(b.runs, 5)
    stores = {tool.name: b.store(tool) for tool in b.tools}
    for i in range(runs):
        for tool in b.order(i, settle=False):
            g = tool.g(stores[tool.name])
            b.record("images (root)", tool.name, timed([*g, "images"]))
            b.record("--help (root)", tool.name, timed([tool.exe, "--help"]))
    for store in stores.values():
        b.retire(store)
    if os.geteuid() != 0:
        b.notes["images (rootless)"] = b.notes["--help (rootless)"] = (
            "n/a (needs root to add a user)"
        )
        return
    with rootless_user(b.tmp) as (setpriv, env, work):
        for tool in b.tools:
            store = work / f"store-{tool.name}"
            run([*setpriv, "mkdir", str(store)], env=env)
            run([*setpriv, *tool.g(store), "images"], env=env)  # warm: the store made once
        for i in range(runs):
            for tool in b.order(i, settle=False):
                g = tool.g(work / f"store-{tool.name}")
                b.record("images (rootless)", tool.name, timed([*setpriv, *g, "images"], env=env))
                b.record("--help (rootless)", tool.name, timed([*setpriv, tool.exe, "--help"], env=env))  # fmt: skip


@contextmanager
def rootless_user(tmp: Path) -> Iterator[tuple[list[str], dict[str, str], Path]]:
    """A user with a subordinate ID range (as tests/rootless makes it), removed afterwards."""
    import secrets
    import stat

    from tests.rootless.conftest import RANGE, _ancestors, _ids, add_user, remove_user, set_range

    name = f"bench-{secrets.token_hex(4)}"
    setpriv = ["setpriv", f"--reuid={name}", f"--regid={name}", "--init-groups"]
    add_user(name)
    changed: list[tuple[Path, int]] = []
    work = tmp / "rootless"
    try:
        set_range(name, RANGE)
        # The user must reach the interpreter, the venv and the checkout.
        for path in {*_ancestors(Path(sys.executable).resolve().parent), *_ancestors(OURS_BIN.parent), *_ancestors(REPO), *_ancestors(tmp)}:  # fmt: skip
            mode = path.stat().st_mode
            if not mode & stat.S_IXOTH:
                changed.append((path, mode))
                path.chmod(mode | stat.S_IXOTH)
        work.mkdir()
        os.chown(work, *_ids(name))
        env = {
            "HOME": f"/home/{name}",
            "USER": name,
            "LOGNAME": name,
            "PATH": "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin",
            "LANG": "C.UTF-8",
            "XDG_RUNTIME_DIR": str(work / "xdg"),
        }
        run([*setpriv, "mkdir", "-m", "0700", str(work / "xdg")], env=env)
        yield setpriv, env, work
    finally:
        for path, mode in changed:
            path.chmod(stat.S_IMODE(mode))
        subprocess.run([*setpriv, "sh", "-c", f"rm -rf {work}/store-*"], capture_output=True)
        drop(work)
        remove_user(name)


CASES: dict[str, Callable[[Bench], None]] = {
    "floor": case_floor,
    "big-file": case_big_file,
    "many-files": case_many_files,  # with rebuild and rebuild-one-change
    "script": case_script,
    "push": case_push,
    "pull": case_pull,
    "ci-warm": case_ci_warm,
    "copy": case_copy,
    "two-platform": case_two_platform,
    "start-up": case_startup,
}
ROWS_OF = {
    "many-files": ["many-files", "rebuild", "rebuild-one-change"],
    "start-up": ["images (root)", "--help (root)", "images (rootless)", "--help (rootless)"],
}
ROW_ORDER = [
    "big-file",
    "many-files",
    "rebuild",
    "rebuild-one-change",
    "script",
    "push",
    "pull",
    "ci-warm",
    "copy",
    "two-platform",
    "images (root)",
    "--help (root)",
    "images (rootless)",
    "--help (rootless)",
]


# -- the table -----------------------------------------------------------------------------------


def _median(samples: list[Sample]) -> float:
    return statistics.median(s.wall for s in samples)


def _peak_mb(samples: list[Sample]) -> float:
    return max(s.rss_kb for s in samples) / 1024


def _meets(case: str, ours: float | None, ratio: float | None, rss: float | None) -> str:
    target = TARGETS.get(case)
    if ours is None or target is None:
        return ""
    ok = rss is None or rss < RSS_TARGET_MB
    for part in target.split(", "):
        value = float(part.split()[1].rstrip("x"))
        if part.endswith("x"):
            if ratio is None:
                return ""  # no reference figure to compare with
            ok = ok and ratio <= value
        else:
            ok = ok and ours < value
    return "yes" if ok else "no"


def table(b: Bench) -> list[str]:
    lines = [
        "| case | buildah-py (s) | reference (s) | buildah-py / reference "
        "| target (wall) | met | peak RSS buildah-py (MB) | peak RSS reference (MB) |",
        "|---|---:|---:|---:|---|---|---:|---:|",
    ]
    for case in ROW_ORDER:
        by_tool = b.results.get(case, {})
        ref_name = b.refs.get(case, "buildah")
        ours, ref = by_tool.get("buildah-py"), by_tool.get(ref_name)
        if not ours and not ref and case not in b.notes:
            continue
        om = _median(ours) if ours else None
        rm = _median(ref) if ref else None
        ratio = om / rm if om is not None and rm else None
        o_rss = _peak_mb(ours) if ours else None
        label = case if ref_name == "buildah" else f"{case} (vs {ref_name})"
        note = b.notes.get(case, "")
        cells = [
            label + (f" [{note}]" if note else ""),
            f"{om:.2f}" if om is not None else "n/a",
            f"{rm:.2f}" if rm is not None else "n/a",
            f"{ratio:.2f}" if ratio is not None else "",
            TARGETS.get(case, ""),
            _meets(case, om, ratio, o_rss),
            f"{o_rss:.0f}" if o_rss is not None else "",
            f"{_peak_mb(ref):.0f}" if ref else "",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "| case | each run, buildah-py (s) | each run, reference (s) |", "|---|---|---|"]
    for case in ROW_ORDER:  # the spread behind each median, in the order they ran
        by_tool = b.results.get(case, {})
        ours, ref = by_tool.get("buildah-py"), by_tool.get(b.refs.get(case, "buildah"))
        if ours or ref:
            each = [
                ", ".join(f"{s.wall:.2f}" for s in runs) if runs else "" for runs in (ours, ref)
            ]
            lines.append(f"| {case} | {each[0]} | {each[1]} |")
    floors = sorted(c for c in b.results if c.startswith("floor: "))
    if floors:
        lines += ["", "| machine floor | median (s) |", "|---|---:|"]
        for case in floors:
            lines.append(f"| {case[7:]} | {_median(b.results[case]['floor']):.2f} |")
    return lines


def machine(b: Bench) -> list[str]:
    cpu = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    fs = run(["findmnt", "-n", "-o", "FSTYPE", "-T", str(b.tmp)])
    if b.scratch:
        where = (
            f"a fresh ext4 for each store (mkfs.ext4 defaults, with a journal), on a loop "
            f"device with direct I/O over a sparse file on the host's {fs} ({b.tmp.parent})"
        )
    else:
        where = f"{fs} ({b.tmp.parent}), one directory per store"
    versions = [run([str(OURS_BIN), "--version"])]
    for tool in ("buildah", "skopeo"):
        if shutil.which(tool):
            versions.append(run([tool, "--version"]))
    return [
        f"- date: {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC",
        f"- CPU: {cpu}, {os.cpu_count()} cores; kernel {platform.release()}; load average at "
        f"the end {os.getloadavg()[0]:.1f} (other work on the machine makes the figures noisy)",
        f"- stores: {where}; storage driver overlay, chroot isolation; inputs and registries "
        f"on the host's {fs}",
        f"- tools: {'; '.join(versions)}; Python {platform.python_version()}",
    ]


def write_doc(path: Path, b: Bench, args: argparse.Namespace, lines: list[str]) -> None:
    scale = (
        f"{b.runs} run(s) per tool per case (median), big file {b.big_mib} MiB, "
        f"{b.n_files:,} small files"
    )
    text = [
        "# Benchmarks",
        "",
        "Written by `make bench` (`bench/compare.py`): buildah-py beside Debian's buildah (and",
        "skopeo for copy) on the same machine in the same run. Wall time is the median of the runs,",
        "each after `sync`, alternating which tool goes first; peak RSS is the largest of the runs,",
        "for the whole process tree. Cold cases start from a fresh store holding only the shared",
        "busybox base; pushes go to a fresh, empty loopback registry. The ratio is buildah-py /",
        "reference: below 1 is faster than the reference. As root (without `--shared-fs`), each",
        "store and each floor's output is a fresh ext4 of its own on a loop device, so no run",
        "inherits what an earlier run left on the disk. On one shared ext4 without a journal, a",
        "run that creates 20,000 files within 300 s of another run removing 20,000 (buildah",
        "removes its working container at the end of a build) spends seconds of kernel time",
        "skipping the freed inodes (`recently_deleted` in ext4's inode allocator): which tool",
        "came before decided the figure. Figures are only comparable between runs on an",
        "otherwise idle machine: regenerate with `make bench` before quoting them.",
        "",
        *machine(b),
        f"- scale: {scale}" + (" (--quick)" if args.quick else ""),
        "",
        *lines,
        "",
        "Cases: **big-file** `COPY big.bin` (seeded random) + `RUN sha256sum`; **many-files** `COPY",
        "src/` (small seeded files in 100 directories) + `RUN find | wc -l` + `ENV` + `CMD`;",
        "**rebuild** the same again, all cached; **rebuild-one-change** after changing one file;",
        "**script** the many-files build as a Python build script (`build -f build.py`); **push**",
        "/ **pull** the big-file image; **ci-warm** many-files in a fresh store with `--cache-from`",
        "a registry cache the tool filled; **copy** registry to registry; **two-platform**",
        "many-files for linux/amd64 and linux/arm64 (under qemu-user) into one manifest list, the",
        "base pulled by the build; **start-up** `images` on a store with the base and `--help`, as",
        "root and as an unprivileged user (rootless store: empty).",
        "",
    ]
    path.write_text("\n".join(text))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="32 MiB, 2,000 files, 1 run")
    parser.add_argument("--runs", type=int, help="runs per tool per case (default 3; quick 1)")
    parser.add_argument("--big-mib", type=int, help="size of big.bin (default 512; quick 32)")
    parser.add_argument("--files", type=int, help="small files (default 20000; quick 2000)")
    parser.add_argument("--cases", help=f"comma-separated, of: {','.join(CASES)}")
    parser.add_argument("--no-reference", action="store_true", help="only buildah-py")
    parser.add_argument("--out", help="Markdown table (default docs/benchmarks.md; quick: none)")
    parser.add_argument("--tmp", default="/var/tmp", help="where stores and inputs go")
    parser.add_argument(
        "--shared-fs",
        action="store_true",
        help="stores as directories on --tmp's filesystem, not each on a fresh ext4",
    )
    args = parser.parse_args(argv)
    runs = args.runs or (1 if args.quick else 3)
    big_mib = args.big_mib or (32 if args.quick else 512)
    n_files = args.files or (2000 if args.quick else 20000)
    selected = args.cases.split(",") if args.cases else list(CASES)
    unknown = [c for c in selected if c not in CASES]
    if unknown:
        parser.error(f"--cases: unknown case {', '.join(unknown)}")
    out = args.out or (None if args.quick else str(REPO / "docs" / "benchmarks.md"))

    tools = [OURS]
    if not args.no_reference and shutil.which("buildah"):
        tools.append(BUILDAH)
    else:
        print("buildah: not installed (or --no-reference): buildah-py's figures alone")
    # As installed: byte-compiled modules, even when the caller sets PYTHONDONTWRITEBYTECODE.
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    run([str(OURS_BIN), "--version"])
    tmp = Path(tempfile.mkdtemp(prefix="bench-", dir=args.tmp))
    tmp.chmod(0o755)
    base_reg = start_registry(tmp / "base-registry")
    b: Bench | None = None
    try:
        print(f"inputs in {tmp}: {big_mib} MiB big file, {n_files:,} files", flush=True)
        make_big(tmp / "big", big_mib)
        make_many(tmp / "many", n_files)
        multi = publish_base(tmp, base_reg)
        b = Bench(tmp, runs, tools, base_reg, tmp / "big", tmp / "many", big_mib, n_files)
        b.reference = not args.no_reference
        b.scratch = not args.shared_fs and can_scratch(tmp)
        if not b.scratch:
            why = "--shared-fs" if args.shared_fs else "not root, or no mkfs.ext4/losetup"
            print(f"{why}: stores are directories in {tmp}, with waits between tools")
        if not multi:
            b.notes["two-platform"] = "n/a (no arm64 busybox)"
        for name in selected:
            print(f"== {name}", flush=True)
            start = time.perf_counter()
            try:
                CASES[name](b)
            except CaseError as err:
                print(f"   failed: {err}", flush=True)
                for case in ROWS_OF.get(name, [name]):
                    b.notes.setdefault(case, "failed")
            print(f"   {time.perf_counter() - start:.0f} s", flush=True)
        lines = table(b)
        print("\n".join(machine(b)))
        print("\n".join(lines))
        if out:
            write_doc(Path(out), b, args, lines)
            print(f"wrote {out}")
    finally:
        if b is not None:
            b.close()
        base_reg.stop()
        drop(tmp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
