"""Turning ``buildah-py config`` flags into ``Container.config()`` settings (buildah's flag semantics)."""

from __future__ import annotations

import json
from typing import Any

from buildah_py.cli.common import parse_bool
from buildah_py.container import Container
from buildah_py.errors import ContainerError


def _command(value: str) -> list[str] | str:
    """A JSON array is exec form; anything else is a shell string (buildah does the same)."""
    text = value.strip()
    if text.startswith("["):
        try:
            parsed = json.loads(text)
        except ValueError:
            return value
        if isinstance(parsed, list) and all(isinstance(x, str) for x in parsed):
            return parsed
    return value


def _split_removals(items: tuple[str, ...]) -> tuple[dict[str, str], list[str]]:
    """``KEY=VALUE`` sets; ``KEY-`` removes (buildah's convention)."""
    sets: dict[str, str] = {}
    removes: list[str] = []
    for item in items:
        if "=" not in item and item.endswith("-"):
            removes.append(item[:-1])
            continue
        key, sep, value = item.partition("=")
        if not key:
            raise ContainerError(f"invalid KEY=VALUE {item!r}")
        sets[key] = value
    return sets, removes


def settings_from_flags(ctr: Container, kw: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
    s: dict[str, Any] = {}
    if kw.get("cmd") is not None:
        s["cmd"] = _command(kw["cmd"]) if kw["cmd"] else []
    if kw.get("entrypoint") is not None:
        s["entrypoint"] = _command(kw["entrypoint"]) if kw["entrypoint"] else []
    env, unset_env = _split_removals(kw.get("env") or ())
    if env:
        # Values may refer to the current environment ($PATH), as buildah expands them.
        current = ctr.image_config.env_dict()
        s["env"] = {k: _expand(v, current) for k, v in env.items()}
    if unset_env:
        s["unset_env"] = unset_env
    labels, unset_labels = _split_removals(kw.get("label") or ())
    if labels:
        s["labels"] = labels
    if unset_labels:
        s["unset_labels"] = unset_labels
    anns, _ = _split_removals(kw.get("annotation") or ())
    if anns:
        s["annotations"] = anns
    if kw.get("port"):
        s["ports"] = list(kw["port"])
    if kw.get("volume"):
        s["volumes"] = list(kw["volume"])
    for flag, key in (
        ("user", "user"),
        ("workingdir", "workingdir"),
        ("stop_signal", "stop_signal"),
        ("author", "author"),
        ("comment", "comment"),
        ("arch", "arch"),
        ("os_", "os"),
        ("variant", "variant"),
        ("hostname", "hostname"),
        ("domainname", "domainname"),
    ):
        if kw.get(flag) is not None:
            s[key] = kw[flag]
    if kw.get("shell"):
        shell = _command(kw["shell"])
        if not isinstance(shell, list):
            raise ContainerError('--shell wants a JSON array, like \'["/bin/bash", "-c"]\'')
        s["shell"] = shell
    if kw.get("healthcheck"):
        hc: dict[str, Any] | str = kw["healthcheck"]
        if isinstance(hc, str) and hc.upper() != "NONE":
            cmd = _command(hc)
            hc = {
                "test": cmd if isinstance(cmd, list) else ["CMD-SHELL", cmd],
                "interval": kw.get("healthcheck_interval"),
                "timeout": kw.get("healthcheck_timeout"),
                "start_period": kw.get("healthcheck_start_period"),
                "retries": kw.get("healthcheck_retries"),
            }
        s["healthcheck"] = hc
    if kw.get("onbuild"):
        s["onbuild"] = list(kw["onbuild"])
    if kw.get("os_version") is not None:
        s["os_version"] = kw["os_version"]
    if kw.get("os_feature"):
        s["os_features"] = list(kw["os_feature"])
    if kw.get("history_comment") is not None:
        s["history_comment"] = kw["history_comment"]
    if kw.get("add_history") is not None:
        s["add_history"] = parse_bool(kw["add_history"])
    return s, kw.get("created_by")


def _expand(value: str, env: dict[str, str]) -> str:
    import os
    import re

    def sub(m: re.Match[str]) -> str:
        name = m.group(1) or m.group(2)
        return env.get(name, os.environ.get(name, ""))

    return re.sub(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))", sub, value)
