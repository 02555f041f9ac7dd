"""Which foreign architectures this host runs through qemu-user and binfmt_misc, and the check
made before a step runs in a container of another architecture.

The kernel hands an ELF binary of a foreign machine to the interpreter of the first enabled
binfmt_misc entry whose magic matches it. With the fix-binary flag (``F``) the interpreter was
opened when the entry was registered, so it works inside a chroot or a user namespace whose
root lacks it; without it the kernel opens the interpreter's path in the step's own root.
Debian's ``qemu-user-static`` ships the entries in /usr/lib/binfmt.d with ``F`` set.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from buildah_py.errors import EmulationUnavailable
from buildah_py.isolation.binfmt import BINFMT_DIR, Binfmt, kernel_runs, native_architectures
from buildah_py.linux import resolve as paths
from buildah_py.oci.descriptor import Platform

BINFMT_CONF_DIR = Path("/usr/lib/binfmt.d")
PACKAGE = "qemu-user-static"

# OCI architecture -> the qemu name Debian's entries and interpreters use.
QEMU_NAMES = {
    "386": "i386",
    "amd64": "x86_64",
    "arm": "arm",
    "arm64": "aarch64",
    "mips": "mips",
    "mipsle": "mipsel",
    "mips64": "mips64",
    "mips64le": "mips64el",
    "ppc64": "ppc64",
    "ppc64le": "ppc64le",
    "riscv64": "riscv64",
    "s390x": "s390x",
    "loong64": "loongarch64",
}


def _refuse(platform: Platform, entry: str, why: str, fix: str) -> EmulationUnavailable:
    msg = (
        f"cannot run {platform} programs on this {Platform.host()} host without qemu-user "
        f"emulation (Debian package {PACKAGE}): {why}; {fix}"
    )
    return EmulationUnavailable(msg, str(platform), entry, PACKAGE)


def _register_hint(entry: str, conf_dir: Path) -> str:
    conf = conf_dir / f"{entry}.conf"
    register = f"cat {conf} > {BINFMT_DIR}/register"
    if not conf.exists():
        return (
            f"install Debian's {PACKAGE} and register it (`make system-deps` as root, "
            f"or as root: apt-get install {PACKAGE} && {register})"
        )
    return f"register it (`make system-deps` as root, or as root: {register})"


def require_platform(
    platform: Platform,
    rootfs: Path,
    *,
    binfmt: Binfmt | None = None,
    host: Platform | None = None,
    conf_dir: Path = BINFMT_CONF_DIR,
    probe: Callable[[str], bool | None] | None = None,
) -> None:
    """EmulationUnavailable (a RunError) when this host can run no binary of `platform` in
    `rootfs`: a foreign architecture with no enabled binfmt_misc entry, or one without the
    fix-binary flag whose interpreter `rootfs` lacks. The host's own architecture always
    passes. Where binfmt_misc is not mounted, `probe` (default `kernel_runs`) asks the kernel."""
    arch = platform.architecture
    if platform.os not in ("", "linux") or not arch:
        return
    if arch in native_architectures(host or Platform.host()):
        return
    entry = entry_name(arch)
    what = f"the binfmt_misc entry {entry}"
    fmt = binfmt or Binfmt.read()
    probe = probe or kernel_runs
    if not fmt.mounted:
        # As in most containers; the host's entries apply all the same, so ask the kernel.
        if probe(arch) is not False:
            return
        why = (
            f"the kernel runs no {arch} program, so {what} is missing on the host "
            f"({BINFMT_DIR} is not mounted here to show its entries)"
        )
        raise _refuse(platform, entry, why, f"on the host, {_register_hint(entry, conf_dir)}")
    if not fmt.enabled:
        why = f"binfmt_misc is disabled ({BINFMT_DIR}/status), so {what} is not used"
        raise _refuse(platform, entry, why, f"as root: echo 1 > {BINFMT_DIR}/status")
    found = fmt.for_architecture(arch)
    if not found:
        why = f"{what} is not registered"
        raise _refuse(platform, entry, why, _register_hint(entry, conf_dir))
    usable = [e for e in found if e.enabled]
    if not usable:
        name = found[0].name
        why = f"the binfmt_misc entry {name} is disabled"
        raise _refuse(platform, name, why, f"as root: echo 1 > {BINFMT_DIR}/{name}")
    if any(e.fix_binary for e in usable):
        return
    first = usable[0]
    if first.interpreter and paths.exists(rootfs, first.interpreter):
        return
    why = (
        f"the binfmt_misc entry {first.name} lacks the fix-binary flag (F), so its interpreter "
        f"{first.interpreter} must be inside the container, and it is not"
    )
    fix = (
        f"register it again with flags F, as Debian's {PACKAGE} does "
        f"(as root: echo -1 > {BINFMT_DIR}/{first.name}, then `make system-deps`)"
    )
    raise _refuse(platform, first.name, why, fix)


def entry_name(arch: str) -> str:
    """The binfmt_misc entry Debian's qemu-user-static registers for `arch`."""
    return f"qemu-{QEMU_NAMES.get(arch, arch)}"


def emulated_platforms(
    binfmt: Binfmt | None = None, host: Platform | None = None
) -> list[Platform]:
    """The foreign platforms RUN steps can use: from the binfmt_misc entries, or where
    binfmt_misc is not mounted, from asking the kernel about each architecture."""
    fmt = binfmt or Binfmt.read()
    if fmt.mounted:
        return fmt.emulated(host)
    native = native_architectures(host or Platform.host())
    return [Platform("linux", a) for a in sorted(QEMU_NAMES) if a not in native and kernel_runs(a)]
