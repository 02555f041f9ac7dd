"""Checks on the values build scripts pass to the API: each error names the parameter at fault.

The public calls run their arguments through these before doing anything, so a wrong type is
a ``TypeError`` and a wrong value a ``ValueError`` naming the parameter, never an
``AttributeError`` from deep inside or a value silently dropped.
"""

from __future__ import annotations

import os
import re
from collections.abc import Collection, Iterable, Mapping
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:  # loaded by the checks that take them: listing images needs neither
    from buildah_py.oci.descriptor import Platform
    from buildah_py.transports.options import RegistryOptions

_ENV_NAME = re.compile(r"[A-Za-z_][^=\s\x00]*")
T = TypeVar("T")

#: A host path as scripts give it.
HostPath = str | os.PathLike[str]


def _type_name(value: object) -> str:
    return type(value).__name__


def of_type(param: str, value: object, kinds: type[T] | tuple[type[T], ...], want: str) -> T:
    """`value` if it is one of `kinds`, else a TypeError naming `param` and what it wants."""
    if isinstance(value, bool) and bool not in (kinds if isinstance(kinds, tuple) else (kinds,)):
        raise TypeError(f"{param}: want {want}, got bool")
    if not isinstance(value, kinds):
        raise TypeError(f"{param}: want {want}, got {_type_name(value)}")
    return value


def opt_str(param: str, value: str | None) -> str | None:
    """None or a string."""
    return None if value is None else of_type(param, value, str, "a string")


def opt_bool(param: str, value: bool | None) -> bool | None:
    """None or a bool."""
    return None if value is None else of_type(param, value, bool, "True or False")


def opt_int(param: str, value: int | None) -> int | None:
    """None or an int (not a bool)."""
    return None if value is None else of_type(param, value, int, "an integer")


def choice(param: str, value: str | None, allowed: Collection[str]) -> str | None:
    """None or one of `allowed`."""
    if value is None:
        return None
    of_type(param, value, str, "a string")
    if value not in allowed:
        raise ValueError(f"{param}: {value!r} is not one of {', '.join(sorted(allowed))}")
    return value


def host_path(param: str, value: HostPath | None) -> str | None:
    """None, or a host path given as a str or an os.PathLike, as a str."""
    if value is None:
        return None
    if isinstance(value, str | os.PathLike):
        path = os.fspath(value)
        if isinstance(path, str):
            return path
    raise TypeError(f"{param}: want a path (str or os.PathLike), got {_type_name(value)}")


def path(param: str, value: HostPath) -> str:
    """A path given as a str or an os.PathLike, as a str."""
    out = host_path(param, value)
    if not out:
        raise (
            ValueError(f"{param}: empty path") if out == "" else TypeError(f"{param}: want a path")
        )
    return out


def paths(param: str, value: HostPath | Iterable[HostPath]) -> tuple[str, ...]:
    """One path or a list of them (str or os.PathLike), as strings; at least one."""
    if isinstance(value, str | os.PathLike):
        items: list[object] = [value]
    elif isinstance(value, Iterable) and not isinstance(value, bytes | Mapping):
        items = list(value)
    else:
        raise TypeError(f"{param}: want a path or a list of paths, got {_type_name(value)}")
    out = tuple(host_path(param, p) or "" for p in items)  # type: ignore[arg-type]
    if not out or not all(out):
        raise ValueError(f"{param}: no path given")
    return out


def platform(param: str, value: Platform | str | None) -> Platform | None:
    """None, a Platform, or ``os/arch[/variant]`` parsed into one."""
    from buildah_py.oci.descriptor import Platform

    if value is None or isinstance(value, Platform):
        return value
    if not isinstance(value, str):
        raise TypeError(f"{param}: want 'os/arch[/variant]' or a Platform, got {_type_name(value)}")
    try:
        return Platform.parse(value)
    except ValueError as err:
        raise ValueError(f"{param}: {err}") from err


def env_name(param: str, name: str) -> str:
    """An environment variable name: a letter or ``_`` first, then no ``=``, space or NUL."""
    if not isinstance(name, str):
        raise TypeError(f"{param}: want string names, got {_type_name(name)}")
    if not _ENV_NAME.fullmatch(name):
        raise ValueError(f"{param}: {name!r} is not a valid environment variable name")
    return name


def key_values(
    param: str, value: Mapping[str, str] | Iterable[str] | None, *, env: bool = False
) -> Mapping[str, str] | tuple[str, ...] | None:
    """None, a mapping of strings, or ``KEY=VALUE`` strings; `env`: keys are variable names."""
    if value is None:
        return None
    if isinstance(value, Mapping):
        for k, v in value.items():
            if env:
                env_name(param, k)
            elif not isinstance(k, str):
                raise TypeError(f"{param}: want string keys, got {_type_name(k)}")
            if not isinstance(v, str | int | float) or isinstance(v, bool):
                raise TypeError(f"{param}: value of {k!r}: want a string, got {_type_name(v)}")
        return value
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise TypeError(
            f"{param}: want a mapping or a list of KEY=VALUE strings, got {_type_name(value)}"
        )
    items = tuple(value)
    for item in items:
        if not isinstance(item, str):
            raise TypeError(f"{param}: want KEY=VALUE strings, got {_type_name(item)}")
        key, sep, _ = item.partition("=")
        if not key:
            raise ValueError(f"{param}: {item!r} is not KEY=VALUE")
        if env:
            env_name(param, key)
    return items


def words(param: str, value: str | Iterable[str] | None) -> str | tuple[str, ...] | None:
    """None, one string, or a list of strings."""
    if value is None or isinstance(value, str):
        return value
    if not isinstance(value, Iterable) or isinstance(value, bytes | Mapping):
        raise TypeError(f"{param}: want a string or a list of strings, got {_type_name(value)}")
    items = tuple(value)
    for item in items:
        of_type(param, item, str, "strings")
    return items


def command(param: str, value: str | Iterable[str]) -> str | tuple[str, ...]:
    """A shell string, or a non-empty argv list (strings; ints and paths run as their text)."""
    if isinstance(value, str):
        if not value.strip():
            raise ValueError(f"{param}: empty command")
        return value
    if not isinstance(value, Iterable) or isinstance(value, bytes | Mapping):
        raise TypeError(f"{param}: want a string or a list of strings, got {_type_name(value)}")
    items: list[str] = []
    for item in value:
        if isinstance(item, os.PathLike):
            item = os.fspath(item)
        if isinstance(item, bool) or not isinstance(item, str | int):
            raise TypeError(f"{param}: want a list of strings, got {_type_name(item)} in it")
        items.append(str(item))
    if not items:
        raise ValueError(f"{param}: empty command")
    return tuple(items)


def registry_flags(
    registry: RegistryOptions | None,
    tls_verify: bool | None,
    authfile: HostPath | None,
    creds: str | None,
    cert_dir: HostPath | None,
) -> RegistryOptions:
    """`registry` (default: none set) with the flags given beside it laid over it."""
    from buildah_py.transports.options import RegistryOptions

    if registry is not None:
        of_type("registry", registry, RegistryOptions, "a RegistryOptions")
    return (registry or RegistryOptions()).with_flags(
        tls_verify=opt_bool("tls_verify", tls_verify),
        authfile=host_path("authfile", authfile),
        creds=opt_str("creds", creds),
        cert_dir=host_path("cert_dir", cert_dir),
    )
