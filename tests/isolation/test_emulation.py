"""binfmt_misc entries read as values, and the check a foreign-architecture step makes first."""

from __future__ import annotations

from pathlib import Path

import pytest

from buildah_py.errors import EmulationUnavailable, RunError
from buildah_py.isolation.binfmt import Binfmt, BinfmtEntry, elf_header, kernel_runs, parse_entry
from buildah_py.isolation.emulation import BINFMT_CONF_DIR, require_platform
from buildah_py.oci.descriptor import Platform
from tests.prereq import require

AMD64 = Platform("linux", "amd64")
ARM64 = Platform("linux", "arm64")
AARCH64_MAGIC = "7f454c460201010000000000000000000200b700"
PROC_TEXT = f"""enabled
interpreter /usr/libexec/qemu-binfmt/aarch64-binfmt-P
flags: POF
offset 0
magic {AARCH64_MAGIC}
mask ffffffffffffff00fffffffffffffffffeffffff
"""
#: Debian's qemu-user-static entries -> the OCI architecture of the binaries they run
#: (None: no OCI name, or an ABI that is not the architecture's usual one).
CONF_ARCH = {
    "qemu-aarch64": "arm64",
    "qemu-arm": "arm",
    "qemu-armeb": None,
    "qemu-mips": "mips",
    "qemu-mipsel": "mipsle",
    "qemu-mips64": "mips64",
    "qemu-mips64el": "mips64le",
    "qemu-mipsn32": None,
    "qemu-mipsn32el": None,
    "qemu-ppc64": "ppc64",
    "qemu-ppc64le": "ppc64le",
    "qemu-riscv64": "riscv64",
    "qemu-riscv32": None,
    "qemu-s390x": "s390x",
    "qemu-loongarch64": "loong64",
    "qemu-m68k": None,
}


def _conf_entry(conf: Path, enabled: bool = True) -> BinfmtEntry:
    """The entry a /usr/lib/binfmt.d line registers, as the kernel would show it."""
    _, name, _, offset, magic, _, interp, flags = conf.read_text().strip().split(":")
    raw = magic.encode().decode("unicode_escape").encode("latin-1")
    return BinfmtEntry(name, enabled, interp, flags, int(offset or 0), raw)


def _entry(name: str = "qemu-aarch64", enabled: bool = True, flags: str = "POF") -> BinfmtEntry:
    text = PROC_TEXT.replace("flags: POF", f"flags: {flags}")
    return parse_entry(name, text if enabled else text.replace("enabled", "disabled", 1))


def _fails(binfmt: Binfmt, rootfs: Path, platform: Platform = ARM64) -> str:
    with pytest.raises(EmulationUnavailable) as info:
        require_platform(platform, rootfs, binfmt=binfmt, host=AMD64)
    err = info.value
    assert isinstance(err, RunError) and "\n" not in str(err)
    assert (err.platform, err.package) == (str(platform), "qemu-user-static")
    assert err.entry in str(err)
    return str(err)


def test_proc_entry_parsed() -> None:
    e = parse_entry("qemu-aarch64", PROC_TEXT)
    assert (e.enabled, e.fix_binary, e.architecture) == (True, True, "arm64")
    assert e.interpreter == "/usr/libexec/qemu-binfmt/aarch64-binfmt-P"
    assert not parse_entry("x", PROC_TEXT.replace("enabled", "disabled", 1)).enabled
    assert parse_entry("python3.11", "enabled\ninterpreter /usr/bin/python3.11\nflags: \n"
                       "offset 0\nmagic a70d0d0a\n").architecture is None  # fmt: skip


@pytest.mark.parametrize("name", sorted(CONF_ARCH))
def test_debian_entries_map_to_oci_architectures(name: str) -> None:
    conf = BINFMT_CONF_DIR / f"{name}.conf"
    require(conf.exists(), f"{conf} is missing (qemu-user-static)")
    entry = _conf_entry(conf)
    assert entry.architecture == CONF_ARCH[name]
    assert entry.fix_binary  # Debian registers with F: the tests rely on it in a chroot


def test_emulated_lists_enabled_fix_binary_foreign_entries() -> None:
    fmt = Binfmt(True, True, (_entry(), _entry("qemu-x86_64"), _entry("old", flags="OC")))
    assert [str(p) for p in fmt.emulated(AMD64)] == ["linux/arm64"]
    assert Binfmt(True, True, (_entry(flags="P"),)).emulated(AMD64) == []
    assert Binfmt(True, False, (_entry(),)).emulated(AMD64) == []


def test_native_and_registered_platforms_pass(tmp_path: Path) -> None:
    nothing = Binfmt(False, False, ())
    for plat in (AMD64, Platform("linux", "386"), Platform("linux", ""), Platform("windows", "x")):
        require_platform(plat, tmp_path, binfmt=nothing, host=AMD64)
    require_platform(ARM64, tmp_path, binfmt=Binfmt(True, True, (_entry(),)), host=AMD64)


def test_missing_entry_names_package_entry_and_command(tmp_path: Path) -> None:
    msg = _fails(Binfmt(True, True, ()), tmp_path, Platform("linux", "ppc64le"))
    assert "linux/ppc64le" in msg and "qemu-user-static" in msg
    assert "binfmt_misc entry qemu-ppc64le is not registered" in msg
    assert "make system-deps" in msg and "/proc/sys/fs/binfmt_misc/register" in msg


def test_unmounted_asks_the_kernel(tmp_path: Path) -> None:
    # Not mounted (as in most containers): the host's entries still apply, so the kernel is asked.
    unmounted = Binfmt(False, False, ())
    for answer in (True, None):  # it runs, or it cannot be told: the step is tried
        require_platform(ARM64, tmp_path, binfmt=unmounted, host=AMD64, probe=lambda a, x=answer: x)
    with pytest.raises(EmulationUnavailable) as info:
        require_platform(ARM64, tmp_path, binfmt=unmounted, host=AMD64, probe=lambda a: False)
    msg = str(info.value)
    assert "the kernel runs no arm64 program" in msg and "qemu-user-static" in msg
    assert "binfmt_misc entry qemu-aarch64 is missing on the host" in msg


def test_kernel_probe_matches_the_registered_entries() -> None:
    fmt = Binfmt.read()
    require(fmt.mounted, "binfmt_misc is not mounted")
    for arch in ("arm64", "s390x"):  # not ppc64le: tests/e2e/test_emulation.py turns it off
        entries = [e for e in fmt.for_architecture(arch) if e.enabled]
        assert kernel_runs(arch) is bool(entries and fmt.enabled), arch
    assert elf_header("wasm") is None and kernel_runs("wasm") is None


def test_disabled_and_off_say_which(tmp_path: Path) -> None:
    msg = _fails(Binfmt(True, False, (_entry(),)), tmp_path)
    assert "binfmt_misc is disabled" in msg and "echo 1 > /proc/sys/fs/binfmt_misc/status" in msg
    msg = _fails(Binfmt(True, True, (_entry(enabled=False),)), tmp_path)
    assert "entry qemu-aarch64 is disabled" in msg and "qemu-user-static" in msg


def test_entry_without_fix_binary_needs_the_interpreter_in_the_root(tmp_path: Path) -> None:
    fmt = Binfmt(True, True, (_entry(flags="OC"),))
    msg = _fails(fmt, tmp_path)
    assert "lacks the fix-binary flag (F)" in msg
    assert "/usr/libexec/qemu-binfmt/aarch64-binfmt-P must be inside the container" in msg
    interp = tmp_path / "usr/libexec/qemu-binfmt/aarch64-binfmt-P"
    interp.parent.mkdir(parents=True)
    interp.write_bytes(b"")
    require_platform(ARM64, tmp_path, binfmt=fmt, host=AMD64)


def test_reads_this_hosts_binfmt_misc() -> None:
    fmt = Binfmt.read()
    require(fmt.mounted, "binfmt_misc is not mounted")
    names = {e.name for e in fmt.entries}
    assert "status" not in names and "register" not in names
