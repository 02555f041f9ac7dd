"""buildah's RUN-environment flags (-v, --ulimit, --cap-add, --dns, --security-opt, --memory ...)
for ``build``/``bud``, ``from`` and ``run``: each verb gets those buildah gives it, and the
command receives them as one ``run_options: RunOptions`` argument."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

import click

from buildah_py.cli.common import fail, parse_bool
from buildah_py.container.running import check_run_options
from buildah_py.errors import RunError
from buildah_py.isolation.runopts import Resources, RunOptions, parse_options, parse_size

F = TypeVar("F", bound=Callable[..., Any])

_NAMESPACES = ("pid", "ipc", "uts", "cgroupns", "userns")
_LISTS = "Repeatable; commas separate several."


def _flag(name: str, help: str, **kw: Any) -> tuple[str, Callable[[F], F]]:
    decls = ["--" + name.replace("_", "-"), name]
    if "short" in kw:
        decls.insert(0, kw.pop("short"))
    return name, click.option(*decls, help=help, **kw)


#: Every flag, by destination; `VERBS` says which verb has which (as `buildah VERB --help`).
_FLAGS: dict[str, Callable[[F], F]] = dict(
    [
        _flag("volume", "HOST:CONTAINER[:OPTIONS] bind mount for RUN.", short="-v", multiple=True),
        _flag("ulimit", "NAME=SOFT[:HARD] resource limit. " + _LISTS, multiple=True),
        _flag("device", "HOST[:CONTAINER][:PERMISSIONS] device node.", multiple=True),
        _flag("cap_add", "Capability to add (or ALL). " + _LISTS, multiple=True),
        _flag("cap_drop", "Capability to drop (or ALL). " + _LISTS, multiple=True),
        _flag("dns", "DNS server for /etc/resolv.conf, or none. " + _LISTS, multiple=True),
        _flag("dns_search", "DNS search domain. " + _LISTS, multiple=True),
        _flag("dns_option", "DNS option (ndots:2 ...). " + _LISTS, multiple=True),
        _flag("no_hosts", "Keep the image's /etc/hosts (generate none).", is_flag=True),
        _flag("shm_size", "Size of /dev/shm (default 65536k)."),
        _flag(
            "security_opt",
            "seccomp=PROFILE|unconfined, no-new-privileges, label=..., apparmor=...",
            multiple=True,
        ),
        _flag(
            "http_proxy",
            "Pass the host's proxy variables to RUN (default true; =false).",
            is_flag=False,
            flag_value="true",
            default="true",
        ),  # fmt: skip
        _flag("runtime", "OCI runtime for --isolation oci (default runc)."),
        _flag("runtime_flag", "Global flag for the OCI runtime. " + _LISTS, multiple=True),
        _flag("memory", "Memory limit (needs --isolation oci).", short="-m"),
        _flag("memory_swap", "Memory plus swap limit, -1 unlimited (needs --isolation oci)."),
        _flag("cpu_shares", "CPU shares (needs --isolation oci).", short="-c", type=int),
        _flag("cpu_period", "CPU CFS period (needs --isolation oci).", type=int),
        _flag("cpu_quota", "CPU CFS quota (needs --isolation oci).", type=int),
        _flag("cpuset_cpus", "CPUs to run on, 0-3,5 (needs --isolation oci)."),
        _flag("cpuset_mems", "Memory nodes to use (needs --isolation oci)."),
        _flag("cgroup_parent", "Parent cgroup (needs --isolation oci)."),
        _flag("pid", "PID namespace: private or host."),
        _flag("ipc", "IPC namespace: private or host."),
        _flag("uts", "UTS namespace: private or host."),
        _flag("cgroupns", "cgroup namespace: private or host."),
        _flag("userns", "User namespace: container or host."),
        _flag("userns_uid_map", "CONTAINER:HOST:SIZE UID mapping (needs --isolation oci)."),
        _flag("userns_gid_map", "CONTAINER:HOST:SIZE GID mapping (needs --isolation oci)."),
        _flag("userns_uid_map_user", "User whose /etc/subuid range maps UIDs."),
        _flag("userns_gid_map_group", "Group whose /etc/subgid range maps GIDs."),
    ]
)
_RUN = ("volume", "cap_add", "cap_drop", "no_hosts", "runtime_flag", "pid", "ipc", "uts")
VERBS: dict[str, tuple[str, ...]] = {
    "build": tuple(_FLAGS),
    "from": tuple(n for n in _FLAGS if n not in ("no_hosts", "runtime", "runtime_flag")),
    "run": (*_RUN, "cgroupns"),  # run has its own --runtime
}


def run_env_options(verb: str) -> Callable[[F], F]:
    """The RUN-environment flags `verb` has in buildah, handed to the command as one
    ``run_options`` argument (``runtime`` stays an argument of its own for build)."""

    def decorate(fn: F) -> F:
        names = VERBS[verb]

        @functools.wraps(fn)
        def collect(*args: Any, **kwargs: Any) -> Any:
            given = {n: kwargs.pop(n) for n in names if n in kwargs and n != "runtime"}
            try:
                options = run_options(given)
                if verb == "from":  # the container's later runs would refuse them anyway
                    check_run_options(options, kwargs.get("isolation"))
            except RunError as err:
                fail(str(err))
            return fn(*args, run_options=options, **kwargs)

        for name in reversed(names):
            collect = _FLAGS[name](collect)
        return collect  # type: ignore[return-value]

    return decorate


def _split(values: Iterable[str]) -> list[str]:
    """buildah's `strings` flags: repeatable, and commas separate several values."""
    return [part for value in values for part in value.split(",") if part]


def _subid_map(name: str, path: str, flag: str) -> str:
    """``0:START:COUNT`` from `name`'s first range in /etc/subuid or /etc/subgid."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as err:
        raise RunError(f"{flag} {name}: cannot read {path}: {err.strerror}") from err
    for line in lines:
        fields = line.strip().split(":")
        if len(fields) == 3 and fields[0] == name:
            return f"0:{fields[1]}:{fields[2]}"
    raise RunError(f"{flag} {name}: no range for {name!r} in {path}")


def _resources(kw: dict[str, Any]) -> Resources:
    memory, swap = kw.get("memory"), kw.get("memory_swap")
    return Resources(
        memory=parse_size(memory, "--memory") if memory else None,
        memory_swap=(-1 if swap == "-1" else parse_size(swap, "--memory-swap")) if swap else None,
        cpu_shares=kw.get("cpu_shares"),
        cpu_period=kw.get("cpu_period"),
        cpu_quota=kw.get("cpu_quota"),
        cpuset_cpus=kw.get("cpuset_cpus"),
        cpuset_mems=kw.get("cpuset_mems"),
        cgroup_parent=kw.get("cgroup_parent"),
    )


def run_options(kw: dict[str, Any]) -> RunOptions:
    """RunOptions from the click values of these flags (absent ones: defaults); RunError
    names the bad one."""
    proxy = kw.get("http_proxy", "true")
    try:
        http_proxy = parse_bool(proxy)
    except click.BadParameter:
        raise RunError(f"--http-proxy {proxy!r}: write --http-proxy=true or =false") from None
    uid_map, gid_map = kw.get("userns_uid_map"), kw.get("userns_gid_map")
    if kw.get("userns_uid_map_user"):
        uid_map = uid_map or _subid_map(
            kw["userns_uid_map_user"], "/etc/subuid", "--userns-uid-map-user"
        )
    if kw.get("userns_gid_map_group"):
        gid_map = gid_map or _subid_map(
            kw["userns_gid_map_group"], "/etc/subgid", "--userns-gid-map-group"
        )
    return parse_options(
        volume=kw.get("volume", ()),
        ulimit=_split(kw.get("ulimit", ())),
        device=kw.get("device", ()),
        cap_add=_split(kw.get("cap_add", ())),
        cap_drop=_split(kw.get("cap_drop", ())),
        dns=_split(kw.get("dns", ())),
        dns_search=_split(kw.get("dns_search", ())),
        dns_option=_split(kw.get("dns_option", ())),
        no_hosts=bool(kw.get("no_hosts", False)),
        shm_size=kw.get("shm_size"),
        security_opt=kw.get("security_opt", ()),
        namespaces=[(n, kw[n]) for n in _NAMESPACES if kw.get(n)],
        userns_uid_map=uid_map,
        userns_gid_map=gid_map,
        resources=_resources(kw),
        runtime_flag=_split(kw.get("runtime_flag", ())),
        http_proxy=http_proxy is not False,
    )
