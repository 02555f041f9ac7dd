"""binfmt_misc as the kernel shows it: the registered entries, the ELF machine each one's magic
matches (as an OCI architecture), and a probe that asks the kernel where it is not mounted."""

from __future__ import annotations

import errno
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from buildah_py.oci.descriptor import Platform

BINFMT_DIR = Path("/proc/sys/fs/binfmt_misc")

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
