"""Differences between two images: the config fields a Dockerfile decides, then path by path."""

from __future__ import annotations

from typing import Any

from tests.differential.imagetree import Entry, Image

CONFIG_FIELDS = (
    "Env", "Cmd", "Entrypoint", "WorkingDir", "User", "Labels", "ExposedPorts", "Volumes",
    "StopSignal", "Shell", "Healthcheck", "OnBuild",
)  # fmt: skip
# What buildah leaves behind a RUN: mount points that are empty files or directories.
MOUNT_POINTS = ("/etc/hosts", "/etc/hostname", "/etc/resolv.conf", "/dev", "/proc", "/sys", "/run")

Differences = dict[str, tuple[Any, Any]]  # key -> (ours, theirs)


def _config(image: Image) -> dict[str, Any]:
    inner = image.config.get("config") or {}
    fields = {f"config.{k}": inner.get(k) or None for k in CONFIG_FIELDS if k != "Labels"}
    for name, value in (inner.get("Labels") or {}).items():  # one by one: a label differs alone
        fields[f"config.Labels.{name}"] = value
    fields["os"] = image.config.get("os")
    fields["architecture"] = image.config.get("architecture")
    for i, h in enumerate(image.config.get("history") or []):
        fields[f"history[{i}].created_by"] = h.get("created_by", "")
        fields[f"history[{i}].empty_layer"] = bool(h.get("empty_layer"))
    return fields


def _left_by_run(path: str, entry: Entry | None, tree: dict[str, Entry]) -> bool:
    if entry is None or path not in MOUNT_POINTS:
        return False
    if entry.kind == "file":
        return entry.size == 0
    return entry.kind == "dir" and not any(p.startswith(path + "/") for p in tree)


def differences(ours: Image, theirs: Image) -> Differences:
    """Every config field and path where the two images differ, times left out."""
    found: Differences = {}
    a, b = _config(ours), _config(theirs)
    for key in sorted(a.keys() | b.keys()):
        if a.get(key) != b.get(key):
            found[key] = (a.get(key), b.get(key))
    for path in sorted(ours.tree.keys() | theirs.tree.keys()):
        x, y = ours.tree.get(path), theirs.tree.get(path)
        if x == y:
            continue
        if (x is None and _left_by_run(path, y, theirs.tree)) or (
            y is None and _left_by_run(path, x, ours.tree)
        ):
            continue
        found[path] = (x.show() if x else None, y.show() if y else None)
    return found
