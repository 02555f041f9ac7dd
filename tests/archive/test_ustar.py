"""The fast header block is tarfile's PAX_FORMAT block, byte for byte, or None."""

from __future__ import annotations

import tarfile

from hypothesis import given, settings
from hypothesis import strategies as st

from buildah_py.archive.ustar import ustar_header

_TYPES = [tarfile.REGTYPE, tarfile.DIRTYPE, tarfile.SYMTYPE, tarfile.LNKTYPE]
_TYPES += [tarfile.CHRTYPE, tarfile.BLKTYPE, tarfile.FIFOTYPE]


@st.composite
def members(draw: st.DrawFn) -> tarfile.TarInfo:
    text = st.text(st.characters(min_codepoint=1, max_codepoint=0x2FF), max_size=110)
    info = tarfile.TarInfo(draw(st.one_of(text, st.sampled_from(["a" * 100, "b/" * 50]))))
    info.type = draw(st.sampled_from(_TYPES))
    info.mode = draw(st.integers(0, 0o17777))
    big = st.integers(0, 8**12)
    info.uid, info.gid = draw(st.one_of(st.integers(0, 70000), big)), draw(st.integers(0, 8**8))
    info.size = draw(st.one_of(st.integers(0, 1 << 20), big))
    info.mtime = draw(st.one_of(st.integers(-5, 8**11 + 5), st.floats(0, 2e9)))
    info.linkname = draw(text)
    info.uname = info.gname = draw(st.sampled_from(["", "", "root"]))
    info.devmajor, info.devminor = draw(st.integers(0, 8**7 + 1)), draw(st.integers(0, 300))
    if draw(st.booleans()) and draw(st.booleans()):
        info.pax_headers = {"SCHILY.xattr.user.a": "b"}
    return info


@settings(max_examples=3000, deadline=None)
@given(members())
def test_same_block_as_tarfile(info: tarfile.TarInfo) -> None:
    fast = ustar_header(info)
    if fast is None:
        return
    assert fast == info.tobuf(tarfile.PAX_FORMAT, "utf-8", "surrogateescape")


def test_the_common_entries_take_the_fast_form() -> None:
    for kind, name, link in (
        (tarfile.REGTYPE, "app/src/d07/f00007.txt", ""),
        (tarfile.DIRTYPE, "app/src", ""),
        (tarfile.SYMTYPE, "bin/sh", "busybox"),
        (tarfile.LNKTYPE, "bin/ls", "bin/busybox"),
    ):
        info = tarfile.TarInfo(name)
        info.type, info.linkname, info.mode, info.mtime = kind, link, 0o755, 1_700_000_000
        info.uname = info.gname = ""
        assert ustar_header(info) == info.tobuf(tarfile.PAX_FORMAT, "utf-8", "surrogateescape")


def test_what_needs_a_pax_header_is_left_to_tarfile() -> None:
    for change in (
        {"name": "n" * 101},
        {"name": "é"},
        {"linkname": "l" * 101},
        {"mtime": 1.5},
        {"size": 8**11},
        {"uid": 8**7},
        {"pax_headers": {"SCHILY.xattr.security.capability": "x"}},
    ):
        info = tarfile.TarInfo("a")
        info.uname = info.gname = ""
        for key, value in change.items():
            setattr(info, key, value)
        assert ustar_header(info) is None, change
