"""User resolution from the image's passwd/group, as data."""

from __future__ import annotations

import pytest

from buildah_py.errors import RunError
from buildah_py.isolation.users import ResolvedUser, resolve_user

FILES = {
    "/etc/passwd": b"root:x:0:0:root:/root:/bin/sh\n# comment\nbad line\napp:x:1000:1000::/home/app:/bin/sh\nnohome:x:1001:1001:::\n",
    "/etc/group": b"root:x:0:\nwheel:x:10:root,app\nextra:x:2000:app\napp:x:1000:\n",
}


def read(path: str) -> bytes | None:
    return FILES.get(path)


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("", ResolvedUser(0, 0, (10,), "/root")),
        ("root", ResolvedUser(0, 0, (10,), "/root")),
        ("app", ResolvedUser(1000, 1000, (10, 2000), "/home/app")),
        ("1000", ResolvedUser(1000, 1000, (10, 2000), "/home/app")),
        ("1000:2000", ResolvedUser(1000, 2000, (10, 2000), "/home/app")),
        ("app:wheel", ResolvedUser(1000, 10, (10, 2000), "/home/app")),
        ("nohome", ResolvedUser(1001, 1001, (), "/")),
        ("5000", ResolvedUser(5000, 0, (), "/")),
        ("5000:5000", ResolvedUser(5000, 5000, (), "/")),
    ],
)
def test_resolve(spec: str, expected: ResolvedUser) -> None:
    assert resolve_user(spec, read) == expected


@pytest.mark.parametrize("spec", ["nobody", "app:nogroup", "x:y"])
def test_unknown(spec: str) -> None:
    with pytest.raises(RunError, match="not found"):
        resolve_user(spec, read)


def test_no_files_numeric_only() -> None:
    assert resolve_user("7:8", lambda p: None) == ResolvedUser(7, 8, (), "/")
    with pytest.raises(RunError):
        resolve_user("app", lambda p: None)
