"""What ``build --output`` (``-o``) names, in buildah's and docker's syntax, checked before a build.

``DIR`` alone is ``type=local,dest=DIR`` and ``-`` is ``type=tar,dest=-`` (stdout); otherwise
comma-separated ``key=value`` pairs: ``type`` (local, tar, oci, docker), ``dest`` and, for the
image archives, ``name`` (the names the archive records; default: the build's tags).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from buildah_py.errors import BuildahPyError, ImageReferenceError
from buildah_py.oci.reference import parse_reference

#: Output types: a directory tree, a tar of it, an OCI image archive, a docker-archive.
OUTPUT_TYPES = ("local", "tar", "oci", "docker")
_KEYS = ("type", "dest", "name")
STDOUT = "-"


class OutputError(ValueError, BuildahPyError):
    """An output spec does not parse, or its destination cannot be written."""


@dataclass(frozen=True)
class OutputSpec:
    """One output: `type` (see OUTPUT_TYPES), `dest` (a path; ``-`` is stdout for the file
    types) and the `names` an oci/docker archive records (empty: the build's tags)."""

    type: str
    dest: str
    names: tuple[str, ...] = ()

    def __str__(self) -> str:
        text = f"type={self.type},dest={self.dest}"
        return text + "".join(f",name={n}" for n in self.names)


def parse_output(text: str) -> OutputSpec:
    """`text` as ``build --output`` reads it; raises OutputError naming what is wrong."""
    if not text:
        raise OutputError("empty output spec: want DIR, - or type=TYPE,dest=PATH")
    if "," not in text and "=" not in text:
        return OutputSpec("tar", STDOUT) if text == STDOUT else OutputSpec("local", text)
    found: dict[str, str] = {}
    names: list[str] = []
    for part in text.split(","):
        key, sep, value = part.partition("=")
        key = key.strip()
        if not sep:
            raise OutputError(f"output {text!r}: {part!r} is not key=value")
        if key not in _KEYS:
            raise OutputError(f"output {text!r}: unknown key {key!r} (use {', '.join(_KEYS)})")
        if key == "name":
            names.append(value)
            continue
        if key in found:
            raise OutputError(f"output {text!r}: {key} given twice")
        found[key] = value
    kind, dest = found.get("type", ""), found.get("dest", "")
    if not kind:
        raise OutputError(f"output {text!r}: no type= (use {', '.join(OUTPUT_TYPES)})")
    if kind not in OUTPUT_TYPES:
        raise OutputError(f"output {text!r}: unknown type {kind!r} (use {', '.join(OUTPUT_TYPES)})")
    if not dest:
        raise OutputError(f"output {text!r}: no dest= (a path, or - for stdout)")
    if kind == "local" and dest == STDOUT:
        raise OutputError(f"output {text!r}: type=local writes a directory, not stdout")
    if names and kind not in ("oci", "docker"):
        raise OutputError(f"output {text!r}: name= is for type=oci and type=docker only")
    for name in names:
        try:
            ref = parse_reference(name)
        except ImageReferenceError as err:
            raise OutputError(f"output {text!r}: name={name}: {err}") from None
        if ref.digest:
            raise OutputError(f"output {text!r}: name={name}: want a tag, not a digest")
    return OutputSpec(kind, dest, tuple(names))


def checked_output(output: OutputSpec | str) -> OutputSpec:
    """`output` (parsed first when text) with its destination checked (see check_output)."""
    return check_output(parse_output(output) if isinstance(output, str) else output)


def check_output(spec: OutputSpec) -> OutputSpec:
    """Refuse, before a build runs, a destination that cannot be written; returns `spec`."""
    if spec.dest == STDOUT:
        return spec
    path = Path(os.path.abspath(spec.dest))
    if spec.type == "local":
        if path.exists() and not path.is_dir():
            raise OutputError(f"output {spec}: {spec.dest} exists and is not a directory")
        _writable(spec, _nearest(path))
        return spec
    if path.is_dir():
        raise OutputError(f"output {spec}: {spec.dest} is a directory (want a file name)")
    parent = path.parent
    if not parent.is_dir():
        raise OutputError(f"output {spec}: directory {parent} does not exist")
    _writable(spec, parent)
    return spec


def _nearest(path: Path) -> Path:
    """`path` or its closest existing ancestor."""
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def _writable(spec: OutputSpec, directory: Path) -> None:
    if not directory.is_dir():
        raise OutputError(f"output {spec}: {directory} is not a directory")
    # access() also says EROFS for a read-only mount, where root's permissions do not help
    if not os.access(directory, os.W_OK | os.X_OK):
        raise OutputError(f"output {spec}: cannot write into {directory}")
