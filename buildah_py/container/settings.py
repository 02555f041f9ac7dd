"""``Container.config()``: every image-config field buildah's ``config`` verb can set."""

from __future__ import annotations

import shlex
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from buildah_py.container import validate
from buildah_py.container.cache_steps import config_step
from buildah_py.errors import ContainerError
from buildah_py.oci.config import ImageConfig

if TYPE_CHECKING:
    from buildah_py.container.working import Container

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


def command_list(
    value: str | Iterable[str] | None, shell: Sequence[str] | None
) -> list[str] | None:
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
    proto = proto.lower()  # `80/TCP` is `80/tcp`, as Docker and BuildKit write it
    if not (num.isdigit() or ("-" in num and all(p.isdigit() for p in num.split("-", 1)))):
        raise ContainerError(f"invalid port {port!r}")
    if proto not in ("tcp", "udp", "sctp"):
        raise ContainerError(f"invalid protocol in port {port!r}")
    return f"{num}/{proto}"


#: healthcheck keys: ours, and docker's spelling of each.
_HEALTH_KEYS = {
    "test": "Test",
    "interval": "Interval",
    "timeout": "Timeout",
    "start_period": "StartPeriod",
    "start_interval": "StartInterval",
    "retries": "Retries",
}


def healthcheck(
    spec: Mapping[str, Any] | str | None, shell: Sequence[str] | None
) -> dict[str, Any] | None:
    """Docker's Healthcheck object from a dict (test, interval, timeout, start_period,
    start_interval, retries, or docker's Test, Interval ...) or 'NONE'; other keys: ValueError."""
    if spec is None:
        return None
    if isinstance(spec, str):
        if spec.upper() == "NONE":
            return {"Test": ["NONE"]}
        return {"Test": ["CMD-SHELL", spec]}
    if not isinstance(spec, Mapping):
        raise TypeError(f"healthcheck: want a mapping or a string, got {type(spec).__name__}")
    docker = {v: k for k, v in _HEALTH_KEYS.items()}
    given: dict[str, Any] = {}
    for key, value in spec.items():
        name = key if key in _HEALTH_KEYS else docker.get(key)
        if name is None:
            known = ", ".join(_HEALTH_KEYS)
            raise ValueError(f"healthcheck: unknown key {key!r} (use {known})")
        given[name] = value
    test = given.get("test")
    if isinstance(test, str):
        test = ["CMD-SHELL", test]
    elif isinstance(test, list | tuple) and test and test[0] not in ("CMD", "CMD-SHELL", "NONE"):
        test = ["CMD", *test]
    if not test:
        raise ContainerError("healthcheck needs a test command")
    out: dict[str, Any] = {"Test": list(test)}
    for key in ("interval", "timeout", "start_period", "start_interval"):
        if given.get(key) is not None:
            out[_HEALTH_KEYS[key]] = _duration(key, given[key])
    retries = given.get("retries")
    if retries is not None:
        if isinstance(retries, bool) or not isinstance(retries, int | str):
            raise TypeError("healthcheck: retries: want an integer")
        if isinstance(retries, str) and not retries.isdigit():
            raise ValueError(f"healthcheck: retries: {retries!r} is not a number")
        out["Retries"] = int(retries)
    return out


def _duration(key: str, value: object) -> int:
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise TypeError(f"healthcheck: {key}: want a duration ('30s') or seconds")
    return duration_ns(value)


Words = str | Iterable[str]
KeyValues = Mapping[str, str] | Iterable[str]


@dataclass(frozen=True)
class ConfigSettings:
    """What one ``Container.config()`` call changes; None leaves a field as it is.

    Fields apply in this order, and their history notes follow it."""

    cmd: str | Sequence[str] | None = None
    entrypoint: str | Sequence[str] | None = None
    clear_cmd: bool = False  # drop the inherited Cmd (an ENTRYPOINT with no CMD in the stage)
    env: KeyValues | None = None
    unset_env: Words | None = None
    labels: KeyValues | None = None
    unset_labels: Words | None = None
    annotations: KeyValues | None = None
    ports: str | int | Iterable[str | int] | None = None
    volumes: Words | None = None
    user: str | None = None
    workingdir: str | None = None
    stop_signal: str | None = None
    shell: Sequence[str] | None = None
    healthcheck: Mapping[str, Any] | str | None = None
    onbuild: Words | None = None
    author: str | None = None
    clear_onbuild: bool = False
    arch: str | None = None
    os: str | None = None
    variant: str | None = None
    domainname: str | None = None
    hostname: str | None = None
    comment: str | None = None
    os_version: str | None = None  # the OS version the image needs (``os.version``)
    os_features: Words | None = None  # OS features the image needs (``os.features``)

    def __post_init__(self) -> None:
        """A TypeError naming the keyword for a value of the wrong type."""
        for name in _TEXT_FIELDS:
            validate.opt_str(name, getattr(self, name))
        for name in ("unset_env", "unset_labels", "volumes", "onbuild", "os_features"):
            validate.words(name, getattr(self, name))
        for name in ("cmd", "entrypoint"):
            validate.words(name, getattr(self, name))
        if isinstance(self.shell, str):
            raise TypeError("shell: want a list of strings, like ['/bin/sh', '-c']")


_TEXT_FIELDS = (
    "user", "workingdir", "stop_signal", "author", "arch", "os", "variant", "domainname",
    "hostname", "comment", "os_version",
)  # fmt: skip


def _words(value: Words) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def apply_settings(cfg: ImageConfig, annotations: dict[str, str], s: ConfigSettings) -> list[str]:
    """Apply `s` to `cfg` (and `annotations`); returns history notes (``ENV A=b``...) for it.

    Changes are made in place, so a step costs what it changes, not what the config holds."""
    notes: list[str] = []
    shell = list(s.shell or []) or cfg.get("Shell")
    if s.cmd is not None:
        cfg.config["Cmd"] = command_list(s.cmd, shell) if s.cmd != [] else []
        notes.append(f"CMD {cfg.config['Cmd']}")
    if s.entrypoint is not None:
        ep = command_list(s.entrypoint, shell) if s.entrypoint not in ("", []) else None
        cfg.set("Entrypoint", ep)
        notes.append(f"ENTRYPOINT {ep}")
    if s.clear_cmd:
        cfg.set("Cmd", None)
    if s.env is not None:
        for k, v in _kv(s.env).items():
            cfg.set_env(k, v)
            notes.append(f"ENV {k}={v}")
    if s.unset_env is not None:
        for k in _words(s.unset_env):
            cfg.unset_env(k)
    if s.labels is not None:
        new = _kv(s.labels)
        labels = cfg.config.get("Labels")
        if not isinstance(labels, dict):
            labels = cfg.config["Labels"] = {}
        labels.update(new)
        if not labels:
            cfg.set("Labels", None)
        notes.append("LABEL " + " ".join(f"{k}={shlex.quote(v)}" for k, v in new.items()))
    if s.unset_labels is not None:
        labels = dict(cfg.get("Labels") or {})
        for k in _words(s.unset_labels):
            labels.pop(k, None)
        cfg.set("Labels", labels)
    if s.annotations is not None:
        annotations.update(_kv(s.annotations))
    if s.ports is not None:
        ports = dict(cfg.get("ExposedPorts") or {})
        for p in [s.ports] if isinstance(s.ports, str | int) else s.ports:
            ports[normalize_port(p)] = {}
        cfg.set("ExposedPorts", ports)
        notes.append("EXPOSE " + " ".join(sorted(ports)))
    if s.volumes is not None:
        vols = dict(cfg.get("Volumes") or {})
        for v in _words(s.volumes):
            vols[v] = {}
        cfg.set("Volumes", vols)
        notes.append("VOLUME " + " ".join(sorted(vols)))
    if s.user is not None:
        cfg.set("User", str(s.user))
        notes.append(f"USER {s.user}")
    if s.workingdir is not None:
        cfg.set("WorkingDir", str(s.workingdir))
        notes.append(f"WORKDIR {s.workingdir}")
    if s.stop_signal is not None:
        cfg.set("StopSignal", str(s.stop_signal))
    if s.shell is not None:
        cfg.set("Shell", list(s.shell))
        notes.append(f"SHELL {list(s.shell)}")
    if s.healthcheck is not None:
        cfg.set("Healthcheck", healthcheck(s.healthcheck, shell))
        notes.append("HEALTHCHECK")
    if s.onbuild is not None:
        cfg.set("OnBuild", [*(cfg.get("OnBuild") or []), *_words(s.onbuild)])
    if s.clear_onbuild:
        cfg.set("OnBuild", None)
    _apply_top_level(cfg, s)
    return notes


def _apply_top_level(cfg: ImageConfig, s: ConfigSettings) -> None:
    if s.author is not None:
        cfg.data["author"] = str(s.author)
    if s.arch is not None:
        cfg.set_platform(arch=str(s.arch))
    if s.os is not None:
        cfg.set_platform(os=str(s.os))
    if s.variant is not None:
        cfg.set_platform(variant=str(s.variant))
    if s.domainname is not None:
        cfg.set("Domainname", str(s.domainname))
    if s.hostname is not None:
        cfg.set("Hostname", str(s.hostname))
    if s.comment is not None:
        cfg.data["comment"] = str(s.comment)
    if s.os_version is not None:
        cfg.data["os.version"] = str(s.os_version)
    if s.os_features is not None:
        features = list(cfg.data.get("os.features") or [])
        features += [f for f in _words(s.os_features) if f not in features]
        cfg.data["os.features"] = features


def configure(
    ctr: Container,
    settings: ConfigSettings,
    created_by: str | None,
    history_comment: str | None,
    add_history: bool,
) -> None:
    """``Container.config``: apply `settings`, note the next commit's history, save (autosave)."""
    notes = apply_settings(ctr.image_config, ctr.work.annotations, settings)
    work = ctr.work
    work.created_by = work.created_by if created_by is None else created_by
    work.history_comment = work.history_comment if history_comment is None else history_comment
    if add_history:  # without it the change leaves no history note
        config_step(ctr, notes)
    if ctr.autosave:
        ctr.save()
