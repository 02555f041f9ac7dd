"""``Container.config()``: every image-config field buildah's ``config`` verb can set."""

from __future__ import annotations

import shlex
from collections.abc import Iterable, Mapping
from typing import Any

from buildah_py.errors import ContainerError
from buildah_py.oci.config import ImageConfig

_NS = {
    "s": 1_000_000_000,
    "ms": 1_000_000,
    "us": 1_000,
    "m": 60_000_000_000,
    "h": 3_600_000_000_000,
}


def duration_ns(value: str | int | float) -> int:
    """``30s``, ``1m30s``, ``500ms`` or a number of seconds -> nanoseconds (docker's unit)."""
    if isinstance(value, int | float):
        return int(value * 1_000_000_000)
    text, total, num = value.strip(), 0, ""
    i = 0
    if not text:
        raise ContainerError("empty duration")
    while i < len(text):
        c = text[i]
        if c.isdigit() or c == ".":
            num += c
            i += 1
            continue
        unit = text[i : i + 2] if text[i : i + 2] in ("ms", "us") else c
        if unit not in _NS or not num:
            raise ContainerError(f"invalid duration {value!r}")
        total += int(float(num) * _NS[unit])
        num = ""
        i += len(unit)
    if num:
        if total:
            raise ContainerError(f"invalid duration {value!r}: missing unit")
        total = int(float(num) * 1_000_000_000)
    return total


def command_list(value: str | Iterable[str] | None, shell: list[str] | None) -> list[str] | None:
    """A list stays exec form; a string becomes ``shell + [string]`` (shell form)."""
    if value is None:
        return None
    if isinstance(value, str):
        return [*(shell or ["/bin/sh", "-c"]), value]
    return [str(v) for v in value]


def _kv(items: Mapping[str, str] | Iterable[str]) -> dict[str, str]:
    if isinstance(items, Mapping):
        return {str(k): str(v) for k, v in items.items()}
    out: dict[str, str] = {}
    for item in items:
        key, sep, val = item.partition("=")
        if not key:
            raise ContainerError(f"invalid KEY=VALUE {item!r}")
        out[key] = val
    return out


def normalize_port(port: str | int) -> str:
    text = str(port).strip()
    if "/" not in text:
        text += "/tcp"
    num, proto = text.split("/", 1)
    if not (num.isdigit() or ("-" in num and all(p.isdigit() for p in num.split("-", 1)))):
        raise ContainerError(f"invalid port {port!r}")
    if proto not in ("tcp", "udp", "sctp"):
        raise ContainerError(f"invalid protocol in port {port!r}")
    return f"{num}/{proto}"


def healthcheck(
    spec: Mapping[str, Any] | str | None, shell: list[str] | None
) -> dict[str, Any] | None:
    """Docker's Healthcheck object from a dict (test, interval, timeout, start_period, retries) or 'NONE'."""
    if spec is None:
        return None
    if isinstance(spec, str):
        if spec.upper() == "NONE":
            return {"Test": ["NONE"]}
        return {"Test": ["CMD-SHELL", spec]}
    test = spec.get("test") or spec.get("Test")
    if isinstance(test, str):
        test = ["CMD-SHELL", test]
    elif isinstance(test, list) and test and test[0] not in ("CMD", "CMD-SHELL", "NONE"):
        test = ["CMD", *test]
    if not test:
        raise ContainerError("healthcheck needs a test command")
    out: dict[str, Any] = {"Test": list(test)}
    for key, name in (
        ("interval", "Interval"),
        ("timeout", "Timeout"),
        ("start_period", "StartPeriod"),
        ("start_interval", "StartInterval"),
    ):
        if spec.get(key) is not None:
            out[name] = duration_ns(spec[key])
    if spec.get("retries") is not None:
        out["Retries"] = int(spec["retries"])
    return out


def apply_settings(cfg: ImageConfig, annotations: dict[str, str], **kw: Any) -> list[str]:
    """Apply ``config()`` keywords to `cfg`; returns history notes (``ENV A=b``...) for the change."""
    notes: list[str] = []
    shell = kw.get("shell") or cfg.get("Shell")
    for key, value in kw.items():
        if value is None:
            continue
        if key == "cmd":
            cfg.config["Cmd"] = command_list(value, shell) if value != [] else []
            notes.append(f"CMD {cfg.config['Cmd']}")
        elif key == "entrypoint":
            ep = command_list(value, shell) if value not in ("", []) else None
            cfg.set("Entrypoint", ep)
            notes.append(f"ENTRYPOINT {ep}")
        elif key == "env":
            for k, v in _kv(value).items():
                cfg.set_env(k, v)
                notes.append(f"ENV {k}={v}")
        elif key == "unset_env":
            for k in [value] if isinstance(value, str) else value:
                cfg.unset_env(k)
        elif key in ("labels", "label"):
            labels = dict(cfg.get("Labels") or {})
            labels.update(_kv(value))
            cfg.set("Labels", labels)
            notes.append(
                "LABEL " + " ".join(f"{k}={shlex.quote(v)}" for k, v in _kv(value).items())
            )
        elif key == "unset_labels":
            labels = dict(cfg.get("Labels") or {})
            for k in [value] if isinstance(value, str) else value:
                labels.pop(k, None)
            cfg.set("Labels", labels)
        elif key == "annotations":
            annotations.update(_kv(value))
        elif key == "ports":
            ports = dict(cfg.get("ExposedPorts") or {})
            for p in [value] if isinstance(value, str | int) else value:
                ports[normalize_port(p)] = {}
            cfg.set("ExposedPorts", ports)
            notes.append("EXPOSE " + " ".join(sorted(ports)))
        elif key == "volumes":
            vols = dict(cfg.get("Volumes") or {})
            for v in [value] if isinstance(value, str) else value:
                vols[v] = {}
            cfg.set("Volumes", vols)
            notes.append("VOLUME " + " ".join(sorted(vols)))
        elif key == "user":
            cfg.set("User", str(value))
            notes.append(f"USER {value}")
        elif key in ("workingdir", "workdir"):
            cfg.set("WorkingDir", str(value))
            notes.append(f"WORKDIR {value}")
        elif key == "stop_signal":
            cfg.set("StopSignal", str(value))
        elif key == "shell":
            cfg.set("Shell", list(value))
            notes.append(f"SHELL {list(value)}")
        elif key == "healthcheck":
            cfg.set("Healthcheck", healthcheck(value, shell))
            notes.append("HEALTHCHECK")
        elif key == "onbuild":
            cfg.set(
                "OnBuild",
                [*(cfg.get("OnBuild") or []), *([value] if isinstance(value, str) else value)],
            )
        elif key == "clear_onbuild":
            if value:
                cfg.set("OnBuild", None)
        elif key == "author":
            cfg.data["author"] = str(value)
        elif key in ("arch", "architecture"):
            cfg.set_platform(arch=str(value))
        elif key == "os":
            cfg.set_platform(os=str(value))
        elif key == "variant":
            cfg.set_platform(variant=str(value))
        elif key == "domainname":
            cfg.set("Domainname", str(value))
        elif key == "hostname":
            cfg.set("Hostname", str(value))
        elif key == "comment":
            cfg.data["comment"] = str(value)
        else:
            raise ContainerError(f"unknown config setting {key!r}")
    return notes
