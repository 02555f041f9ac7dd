"""The allowed values of each RUN `--mount` option, checked before anything is mounted."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from buildah_py.errors import ContainerError

SHARING = ("shared", "private", "locked")
PROPAGATION = ("shared", "rshared", "private", "rprivate", "slave", "rslave")
TRUE_WORDS = ("true", "1", "yes", "t")
FALSE_WORDS = ("false", "0", "no", "f")
MAX_ID = 4096  # ids and paths: PATH_MAX, long enough for any real use
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_SIZE = re.compile(r"(\d+(?:\.\d+)?) ?([kmgtp]?)(i?)b?\Z", re.IGNORECASE)
_UNITS = {"": 0, "k": 1, "m": 2, "g": 3, "t": 4, "p": 5}
_MAX_ID_NUMBER = 2**32 - 2  # (uid_t)-1 means "no change" to the kernel


def parse_bool(value: str) -> bool | None:
    """A boolean option's value (`ro`, `ro=true`, `required=0`); None when it is not one."""
    word = value.lower()
    return True if word in TRUE_WORDS else False if word in FALSE_WORDS else None


def size_bytes(value: str) -> int | None:
    """A size as docker reads it (`1024`, `64m`, `1.5GiB`, powers of 1024); None when malformed."""
    m = _SIZE.match(value.strip())
    if not m:
        return None
    return int(float(m.group(1)) * 1024 ** _UNITS[m.group(2).lower()])


def mount_readonly(kind: str, options: Mapping[str, str]) -> bool:
    """Binds are read-only unless rw/readwrite; other kinds writable unless ro/readonly."""
    for key, flip in (("ro", False), ("readonly", False), ("rw", True), ("readwrite", True)):
        if key in options:
            return parse_bool(options[key]) is not flip
    return kind == "bind"


def _octal_mode(value: str) -> bool:
    try:
        return 0 <= int(value, 8) <= 0o7777
    except ValueError:
        return False


def _number(value: str) -> bool:
    return value.isdigit() and int(value) <= _MAX_ID_NUMBER


def _plain(value: str) -> bool:
    return 0 < len(value) <= MAX_ID and value.isprintable()


def _path(value: str) -> bool:
    return 0 < len(value) <= MAX_ID and "\0" not in value


def _size(value: str) -> bool:
    return size_bytes(value) is not None


# Each option's check and, for the error, what it allows.
_CHECKS: dict[str, tuple[Callable[[str], bool], str]] = {
    "ro": (lambda v: parse_bool(v) is not None, "true or false"),
    "readonly": (lambda v: parse_bool(v) is not None, "true or false"),
    "rw": (lambda v: parse_bool(v) is not None, "true or false"),
    "readwrite": (lambda v: parse_bool(v) is not None, "true or false"),
    "required": (lambda v: parse_bool(v) is not None, "true or false"),
    "sharing": (lambda v: v in SHARING, "one of " + ", ".join(SHARING)),
    "bind-propagation": (lambda v: v in PROPAGATION, "one of " + ", ".join(PROPAGATION)),
    "mode": (_octal_mode, "an octal mode from 0 to 7777"),
    "uid": (_number, f"a number from 0 to {_MAX_ID_NUMBER}"),
    "gid": (_number, f"a number from 0 to {_MAX_ID_NUMBER}"),
    "size": (_size, "a size in bytes, with an optional k, m, g, t or p suffix"),
    "env": (lambda v: bool(_ENV_NAME.match(v)), "a variable name ([A-Za-z_][A-Za-z0-9_]*)"),
    "id": (_plain, f"a non-empty printable name of at most {MAX_ID} characters"),
    "from": (_plain, "a stage, container or image name"),
    # z and Z (keys are lowercased) ask for an SELinux relabel: nothing to do where it is off
    "z": (lambda v: v == "true", "no value (z or Z, an SELinux relabel)"),
    "source": (_path, f"a path of at most {MAX_ID} bytes without NUL"),
}


def check_options(spec: str, target: str, options: Mapping[str, str]) -> None:
    """Refuse any option whose value is not in its allowed set or format."""
    if target and not _path(target):
        raise ContainerError(f"--mount {spec!r}: target= is not a valid path")
    for key, value in options.items():
        check, allowed = _CHECKS[key]
        if not check(value):
            raise ContainerError(f"--mount {spec!r}: {key}={value}: want {allowed}")
    writable = [k for k in ("rw", "readwrite") if k in options and parse_bool(options[k])]
    readonly = [k for k in ("ro", "readonly") if k in options and parse_bool(options[k])]
    if writable and readonly:
        raise ContainerError(f"--mount {spec!r}: both {readonly[0]} and {writable[0]} given")
