"""A step's run environment beyond its command, as buildah's `--volume`, `--ulimit`, `--cap-add`,
`--dns`, `--security-opt`, `--pid`, `--memory` ... set it: typed, parsed once from buildah's syntax.

`from` records these on the working container and every later `run` starts from them; a `run`
(or a build's RUN) lays its own over them with :meth:`RunOptions.merged`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from buildah_py.errors import RunError

#: ``-v`` options buildah accepts; ``O`` (overlay), ``U`` (chown) and ``z``/``Z`` have fields.
VOLUME_FLAGS = frozenset(
    {"ro", "rw", "bind", "rbind", "exec", "noexec", "dev", "nodev", "suid", "nosuid"}
    | {p for base in ("shared", "slave", "private") for p in (base, "r" + base)}
)
#: rlimit names as ``--ulimit`` spells them.
ULIMITS = frozenset(
    "as core cpu data fsize locks memlock msgqueue nice nofile nproc rss rtprio rttime "
    "sigpending stack".split()
)
NAMESPACE_FLAGS = ("pid", "ipc", "uts", "cgroupns", "userns")


@dataclass(frozen=True)
class Volume:
    """``-v SOURCE:TARGET[:OPTIONS]``: a host path bound in for the step only."""

    source: str
    target: str
    flags: tuple[str, ...] = ()  # from VOLUME_FLAGS, as given
    relabel: str | None = None  # "z" or "Z": SELinux relabelling (a no-op without SELinux)
    chown: bool = False  # "U": the source is chowned to the step's user
    overlay: bool = False  # "O": an overlay on the source; the step's writes are thrown away

    @property
    def readonly(self) -> bool:
        return "ro" in self.flags


@dataclass(frozen=True)
class Ulimit:
    """``--ulimit NAME=SOFT[:HARD]``; -1 is unlimited."""

    name: str
    soft: int
    hard: int


@dataclass(frozen=True)
class Device:
    """``--device HOST[:CONTAINER][:PERMISSIONS]``."""

    host: str
    container: str
    permissions: str = "rwm"


@dataclass(frozen=True)
class Resources:
    """cgroup limits: only an OCI runtime (``--isolation oci``) applies them."""

    memory: int | None = None
    memory_swap: int | None = None
    cpu_shares: int | None = None
    cpu_period: int | None = None
    cpu_quota: int | None = None
    cpuset_cpus: str | None = None
    cpuset_mems: str | None = None
    cgroup_parent: str | None = None

    def given(self) -> list[str]:
        """The flags set, as the CLI spells them (for refusals)."""
        return [
            "--" + f.name.replace("_", "-")
            for f in dataclasses.fields(self)
            if getattr(self, f.name) is not None
        ]


@dataclass(frozen=True)
class RunOptions:
    """Everything about how a step runs that is not its command, user, env or working dir."""

    volumes: tuple[Volume, ...] = ()
    ulimits: tuple[Ulimit, ...] = ()
    devices: tuple[Device, ...] = ()
    cap_add: tuple[str, ...] = ()  # CAP_* names, or "ALL"
    cap_drop: tuple[str, ...] = ()
    dns: tuple[str, ...] = ()  # ("none",): no /etc/resolv.conf is generated
    dns_search: tuple[str, ...] = ()
    dns_option: tuple[str, ...] = ()
    no_hosts: bool = False  # no generated /etc/hosts: the image's own stays
    shm_size: int | None = None  # bytes of /dev/shm
    seccomp: str | None = None  # a profile path, or "unconfined"; None: the default profile
    no_new_privileges: bool = False
    labels: tuple[str, ...] = ()  # security-opt label=...: SELinux, a no-op without it
    apparmor: str | None = None  # security-opt apparmor=...: a no-op without AppArmor
    #: pid/ipc/uts/cgroupns/userns: "host", "private" (or "container"), or a namespace path.
    namespaces: tuple[tuple[str, str], ...] = ()
    uid_map: tuple[tuple[int, int, int], ...] = ()  # (container, host, size)
    gid_map: tuple[tuple[int, int, int], ...] = ()
    resources: Resources = field(default_factory=Resources)
    runtime_flags: tuple[str, ...] = ()  # passed to the OCI runtime as --FLAG
    http_proxy: bool = True  # the host's proxy variables reach the step

    def namespace(self, kind: str) -> str | None:
        return dict(self.namespaces).get(kind)

    def merged(self, over: RunOptions | None) -> RunOptions:
        """`self` with `over` laid on it: lists add up, values set in `over` win."""
        if over is None:
            return self
        out: dict[str, Any] = {}
        base = RunOptions()
        for f in dataclasses.fields(self):
            mine, theirs = getattr(self, f.name), getattr(over, f.name)
            if f.name == "namespaces":
                out[f.name] = tuple({**dict(mine), **dict(theirs)}.items())
            elif f.name == "resources":
                out[f.name] = Resources(
                    **{
                        r.name: getattr(theirs, r.name)
                        if getattr(theirs, r.name) is not None
                        else getattr(mine, r.name)
                        for r in dataclasses.fields(Resources)
                    }
                )
            elif isinstance(mine, tuple):
                out[f.name] = mine + tuple(x for x in theirs if x not in mine)
            else:
                out[f.name] = theirs if theirs != getattr(base, f.name) else mine
        return RunOptions(**out)

    def to_json(self) -> dict[str, Any]:
        """A JSON object for the container record; only what differs from the defaults."""
        return {k: v for k, v in dataclasses.asdict(self).items() if v != _DEFAULT_JSON.get(k)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RunOptions:
        def tuples(name: str, make: Any) -> tuple[Any, ...]:
            return tuple(make(x) for x in data.get(name, ()))

        return cls(
            volumes=tuples("volumes", lambda v: Volume(**{**v, "flags": tuple(v["flags"])})),
            ulimits=tuples("ulimits", lambda u: Ulimit(**u)),
            devices=tuples("devices", lambda d: Device(**d)),
            cap_add=tuples("cap_add", str),
            cap_drop=tuples("cap_drop", str),
            dns=tuples("dns", str),
            dns_search=tuples("dns_search", str),
            dns_option=tuples("dns_option", str),
            no_hosts=bool(data.get("no_hosts", False)),
            shm_size=data.get("shm_size"),
            seccomp=data.get("seccomp"),
            no_new_privileges=bool(data.get("no_new_privileges", False)),
            labels=tuples("labels", str),
            apparmor=data.get("apparmor"),
            namespaces=tuples("namespaces", lambda n: (str(n[0]), str(n[1]))),
            uid_map=tuples("uid_map", lambda m: (int(m[0]), int(m[1]), int(m[2]))),
            gid_map=tuples("gid_map", lambda m: (int(m[0]), int(m[1]), int(m[2]))),
            resources=Resources(**data.get("resources", {})),
            runtime_flags=tuples("runtime_flags", str),
            http_proxy=bool(data.get("http_proxy", True)),
        )


_DEFAULT_JSON = dataclasses.asdict(RunOptions())


# --- buildah's syntax ---------------------------------------------------------------------
def parse_volume(text: str) -> Volume:
    """``SOURCE:TARGET[:OPT,...]``; SOURCE must be an absolute host path."""
    parts = text.split(":")
    if len(parts) not in (2, 3) or not parts[0] or not parts[1]:
        raise RunError(f"--volume {text!r}: want HOST-DIR:CONTAINER-DIR[:OPTIONS]")
    source, target = parts[0], parts[1]
    if not source.startswith("/") or not target.startswith("/"):
        raise RunError(f"--volume {text!r}: both paths must be absolute")
    flags: list[str] = []
    relabel, chown, overlay = None, False, False
    for opt in parts[2].split(",") if len(parts) == 3 else []:
        if opt in ("z", "Z"):
            relabel = opt
        elif opt == "U":
            chown = True
        elif opt == "O":
            overlay = True
        elif opt in VOLUME_FLAGS:
            flags.append(opt)
        else:
            raise RunError(f"--volume {text!r}: unknown option {opt!r}")
    if "ro" in flags and "rw" in flags:
        raise RunError(f"--volume {text!r}: ro and rw both given")
    return Volume(source, target, tuple(flags), relabel, chown, overlay)


def parse_ulimit(text: str) -> Ulimit:
    """``NAME=SOFT[:HARD]`` (``-1``: unlimited)."""
    name, sep, value = text.partition("=")
    if not sep or name not in ULIMITS:
        raise RunError(f"--ulimit {text!r}: want NAME=SOFT[:HARD], NAME one of {sorted(ULIMITS)}")
    soft_s, _, hard_s = value.partition(":")
    try:
        soft = int(soft_s)
        hard = int(hard_s) if hard_s else soft
    except ValueError:
        raise RunError(f"--ulimit {text!r}: limits must be integers") from None
    if soft < -1 or hard < -1 or (hard != -1 and (soft == -1 or soft > hard)):
        raise RunError(f"--ulimit {text!r}: the soft limit must not exceed the hard one")
    return Ulimit(name, soft, hard)


def parse_device(text: str) -> Device:
    """``HOST[:CONTAINER][:PERMISSIONS]`` (permissions from ``rwm``)."""
    parts = text.split(":")
    if not 1 <= len(parts) <= 3 or not parts[0].startswith("/"):
        raise RunError(f"--device {text!r}: want /dev/HOST[:/dev/CONTAINER][:rwm]")
    host, container, perms = parts[0], parts[0], "rwm"
    if len(parts) == 2:
        if parts[1].startswith("/"):
            container = parts[1]
        else:
            perms = parts[1]
    elif len(parts) == 3:
        container, perms = parts[1], parts[2]
    if not container.startswith("/") or not perms or set(perms) - set("rwm"):
        raise RunError(f"--device {text!r}: want /dev/HOST[:/dev/CONTAINER][:rwm]")
    return Device(host, container, perms)


def parse_capability(text: str, flag: str) -> str:
    """``net_admin``, ``CAP_NET_ADMIN`` or ``ALL`` -> ``CAP_NET_ADMIN`` / ``ALL``."""
    name = text.strip().upper()
    if name == "ALL":
        return name
    if not name.startswith("CAP_"):
        name = "CAP_" + name
    if not name[4:] or not name[4:].replace("_", "").isalnum():
        raise RunError(f"{flag} {text!r}: not a capability name")
    return name


_SIZE_UNITS = {"": 1, "b": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}


def parse_size(text: str, flag: str) -> int:
    """``64m``, ``1g``, ``1024`` (bytes) as docker and buildah take sizes."""
    t = text.strip().lower()
    t = t[:-1] if t.endswith("b") else t  # 64mb is 64m; a bare "b" leaves no number
    num, unit = (t[:-1], t[-1]) if t and t[-1] in _SIZE_UNITS else (t, "")
    try:
        value = float(num) * _SIZE_UNITS[unit]
    except ValueError:
        raise RunError(f"{flag} {text!r}: want a size such as 64m or 1g") from None
    if value < 0:
        raise RunError(f"{flag} {text!r}: a size cannot be negative")
    return int(value)


def parse_security_opt(text: str) -> dict[str, Any]:
    """One ``--security-opt``: the RunOptions fields it sets."""
    if text in ("no-new-privileges", "no-new-privileges=true", "no-new-privileges:true"):
        return {"no_new_privileges": True}
    if text in ("no-new-privileges=false", "no-new-privileges:false"):
        return {"no_new_privileges": False}
    key, sep, value = text.replace(":", "=", 1).partition("=")
    if sep and value:
        if key == "seccomp":
            return {"seccomp": value}
        if key == "label":
            return {"labels": (value,)}
        if key == "apparmor":
            return {"apparmor": value}
    raise RunError(
        f"--security-opt {text!r}: want seccomp=PROFILE|unconfined, no-new-privileges, "
        "label=..., or apparmor=..."
    )


def parse_id_map(text: str, flag: str) -> tuple[tuple[int, int, int], ...]:
    """``CONTAINER:HOST:SIZE[,...]`` (buildah's --userns-uid-map syntax)."""
    out = []
    for item in text.split(","):
        try:
            c, h, n = (int(x) for x in item.split(":"))
        except ValueError:
            raise RunError(f"{flag} {text!r}: want CONTAINER-ID:HOST-ID:SIZE[,...]") from None
        if c < 0 or h < 0 or n <= 0:
            raise RunError(f"{flag} {text!r}: IDs must be >= 0 and sizes > 0")
        out.append((c, h, n))
    return tuple(out)


def parse_namespace(kind: str, text: str) -> tuple[str, str]:
    """``--pid``/``--ipc``/``--uts``/``--cgroupns``/``--userns``: host, private or a path."""
    value = "private" if text == "container" else text
    if value not in ("host", "private") and not value.startswith("/"):
        raise RunError(f"--{kind} {text!r}: want host, private, or a namespace path")
    return (kind, value)


def parse_options(
    *,
    volume: Iterable[str] = (),
    ulimit: Iterable[str] = (),
    device: Iterable[str] = (),
    cap_add: Iterable[str] = (),
    cap_drop: Iterable[str] = (),
    dns: Iterable[str] = (),
    dns_search: Iterable[str] = (),
    dns_option: Iterable[str] = (),
    no_hosts: bool = False,
    shm_size: str | None = None,
    security_opt: Iterable[str] = (),
    namespaces: Iterable[tuple[str, str]] = (),
    userns_uid_map: str | None = None,
    userns_gid_map: str | None = None,
    resources: Resources | None = None,
    runtime_flag: Iterable[str] = (),
    http_proxy: bool = True,
) -> RunOptions:
    """RunOptions from values in buildah's CLI syntax (RunError names the bad one)."""
    security: dict[str, Any] = {}
    labels: list[str] = []
    for opt in security_opt:
        parsed = parse_security_opt(opt)
        labels.extend(parsed.pop("labels", ()))
        security.update(parsed)
    dns = tuple(dns)
    if "none" in dns and len(dns) > 1:
        raise RunError("--dns none cannot be combined with DNS servers")
    return RunOptions(
        volumes=tuple(parse_volume(v) for v in volume),
        ulimits=tuple(parse_ulimit(u) for u in ulimit),
        devices=tuple(parse_device(d) for d in device),
        cap_add=tuple(parse_capability(c, "--cap-add") for c in cap_add),
        cap_drop=tuple(parse_capability(c, "--cap-drop") for c in cap_drop),
        dns=dns,
        dns_search=tuple(dns_search),
        dns_option=tuple(dns_option),
        no_hosts=no_hosts,
        shm_size=parse_size(shm_size, "--shm-size") if shm_size else None,
        labels=tuple(labels),
        namespaces=tuple(parse_namespace(k, v) for k, v in namespaces),
        uid_map=parse_id_map(userns_uid_map, "--userns-uid-map") if userns_uid_map else (),
        gid_map=parse_id_map(userns_gid_map, "--userns-gid-map") if userns_gid_map else (),
        resources=resources or Resources(),
        runtime_flags=tuple(runtime_flag),
        http_proxy=http_proxy,
        **security,
    )
