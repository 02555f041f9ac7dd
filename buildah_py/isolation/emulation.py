"""Which foreign architectures this host runs through qemu-user and binfmt_misc, and the check
made before a step runs in a container of another architecture.

The kernel hands an ELF binary of a foreign machine to the interpreter of the first enabled
binfmt_misc entry whose magic matches it. With the fix-binary flag (``F``) the interpreter was
opened when the entry was registered, so it works inside a chroot or a user namespace whose
root lacks it; without it the kernel opens the interpreter's path in the step's own root.
Debian's ``qemu-user-static`` ships the entries in /usr/lib/binfmt.d with ``F`` set.
"""

from __future__ import annotations

import errno
import os
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from buildah_py.errors import EmulationUnavailable
from buildah_py.linux import resolve as paths
from buildah_py.oci.descriptor import Platform

BINFMT_DIR = Path("/proc/sys/fs/binfmt_misc")
BINFMT_CONF_DIR = Path("/usr/lib/binfmt.d")
PACKAGE = "qemu-user-static"

# ELF e_machine, class (1: 32-bit, 2: 64-bit) and data (1: little, 2: big endian) -> OCI
# architecture, for the architectures Go (and so OCI image indexes) has names for.
_ELF_ARCH: dict[tuple[int, int, int], str] = {
    (3, 1, 1): "386",
    (62, 2, 1): "amd64",
    (40, 1, 1): "arm",
    (183, 2, 1): "arm64",
    (8, 1, 2): "mips",
    (8, 1, 1): "mipsle",
    (8, 2, 2): "mips64",
    (8, 2, 1): "mips64le",
    (21, 2, 2): "ppc64",
    (21, 2, 1): "ppc64le",
    (243, 2, 1): "riscv64",
    (22, 2, 2): "s390x",
    (258, 2, 1): "loong64",
}
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
# What a host CPU runs without emulation besides its own architecture.
_NATIVE_TOO = {"amd64": ("386",), "arm64": ("arm",)}
_EF_MIPS_ABI2 = 0x20  # e_flags bit of the n32 ABI: its entry runs n32 binaries, not o32


@dataclass(frozen=True)
class BinfmtEntry:
    """One registered binfmt_misc entry, as /proc/sys/fs/binfmt_misc/NAME shows it."""

    name: str
    enabled: bool
    interpreter: str
    flags: str
    offset: int
    magic: bytes

    @property
    def fix_binary(self) -> bool:
        """The interpreter was opened at registration: it runs in any root or namespace."""
        return "F" in self.flags

    @property
    def architecture(self) -> str | None:
        """The OCI architecture of the ELF binaries the magic matches (None: not ELF, or an
        architecture with no OCI name)."""
        m = self.magic
        if self.offset != 0 or len(m) < 20 or m[:4] != b"\x7fELF":
            return None
        order: Literal["little", "big"] = "little" if m[5] == 1 else "big"
        machine = int.from_bytes(m[18:20], order)
        flags = int.from_bytes(m[36:40].ljust(4, b"\0"), order)  # e_flags, as far as matched
        if machine == 8 and flags & _EF_MIPS_ABI2:
            return None  # the n32 ABI's entry
        return _ELF_ARCH.get((machine, m[4], m[5]))


def parse_entry(name: str, text: str) -> BinfmtEntry:
    """An entry from the text of its /proc file."""
    fields: dict[str, str] = {}
    enabled = False
    for line in text.splitlines():
        if line.strip() in ("enabled", "disabled"):
            enabled = line.strip() == "enabled"
            continue
        key, _, value = line.partition(" ")
        fields[key.rstrip(":")] = value.strip()
    try:
        magic = bytes.fromhex(fields.get("magic", ""))
        offset = int(fields.get("offset", "0"))
    except ValueError:
        magic, offset = b"", 0
    return BinfmtEntry(
        name=name,
        enabled=enabled,
        interpreter=fields.get("interpreter", ""),
        flags=fields.get("flags", ""),
        offset=offset,
        magic=magic,
    )


@dataclass(frozen=True)
class Binfmt:
    """binfmt_misc as this process sees it: whether it is mounted and on, and its entries."""

    mounted: bool
    enabled: bool
    entries: tuple[BinfmtEntry, ...]

    @classmethod
    def read(cls, directory: Path = BINFMT_DIR) -> Binfmt:
        """The entries under `directory`; unreadable ones are left out."""
        status = _read(directory / "status")
        if status is None:
            return cls(mounted=False, enabled=False, entries=())
        entries = []
        for name in sorted(os.listdir(directory)):
            if name in ("status", "register"):
                continue
            text = _read(directory / name)
            if text is not None:
                entries.append(parse_entry(name, text))
        return cls(mounted=True, enabled=status == "enabled", entries=tuple(entries))

    def for_architecture(self, arch: str) -> list[BinfmtEntry]:
        """The entries for `arch`'s ELF binaries, enabled ones first."""
        found = [e for e in self.entries if e.architecture == arch]
        return sorted(found, key=lambda e: not e.enabled)

    def emulated(self, host: Platform | None = None) -> list[Platform]:
        """The foreign platforms a step can run on through an enabled fix-binary entry."""
        native = native_architectures(host or Platform.host())
        if not self.enabled:
            return []
        archs = {e.architecture for e in self.entries if e.enabled and e.fix_binary}
        return [Platform("linux", a) for a in sorted(a for a in archs if a and a not in native)]


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return None


def native_architectures(host: Platform) -> tuple[str, ...]:
    """The architectures `host`'s CPU runs itself."""
    return (host.architecture, *_NATIVE_TOO.get(host.architecture, ()))


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


def elf_header(arch: str) -> bytes | None:
    """A bare ELF header of `arch` (no program to load): what binfmt_misc matches entries on."""
    for (machine, cls, data), name in _ELF_ARCH.items():
        if name == arch:
            order: Literal["little", "big"] = "little" if data == 1 else "big"
            head = b"\x7fELF" + bytes([cls, data, 1]) + bytes(9)
            head += (2).to_bytes(2, order) + machine.to_bytes(2, order) + (1).to_bytes(4, order)
            return head.ljust(64, b"\0")
    return None


def kernel_runs(arch: str) -> bool | None:
    """Whether the kernel hands `arch`'s ELF binaries to some handler, told by executing a bare
    header of that architecture from memory: ENOEXEC means none does; an interpreter that
    starts (and fails on the empty program) means one does. None: it cannot be told."""
    head = elf_header(arch)
    if head is None:
        return None
    try:
        fd = os.memfd_create("buildah-py-probe", 0)
    except OSError:
        return None
    try:
        os.write(fd, head)
        os.fchmod(fd, 0o755)
        subprocess.run(
            [f"/proc/self/fd/{fd}"], pass_fds=(fd,), capture_output=True, timeout=30, check=False
        )
        return True
    except OSError as err:
        return False if err.errno == errno.ENOEXEC else None
    except subprocess.TimeoutExpired:
        return True
    finally:
        os.close(fd)


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
