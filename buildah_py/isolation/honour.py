"""Which run options an isolation can honour: the rest is refused, before any step runs."""

from __future__ import annotations

from pathlib import Path

from buildah_py.errors import RunError
from buildah_py.isolation.ocioptions import HostSecurity
from buildah_py.isolation.runopts import RunOptions

_OCI = "needs --isolation oci"
_ROOT = "needs buildah-py run as root: an OCI runtime in a user namespace cannot make cgroups"


def _device_cgroup_flags(options: RunOptions) -> list[str]:
    """The ``--device``s whose permissions only a device cgroup enforces: a read-only mount
    does not stop writes to a device node."""
    return [
        f"--device {dev.host}:{dev.permissions}"
        for dev in options.devices
        if not {"r", "w"} <= set(dev.permissions)
    ]


def chroot_refusals(options: RunOptions, runtime: str | None = None) -> list[str]:
    """One line per option `chroot` isolation cannot honour, naming what would."""
    out = [f"{flag} {_OCI} (cgroup limits)" for flag in options.resources.given()]
    for kind, value in options.namespaces:
        if kind in ("pid", "ipc", "uts") and value.startswith("/"):
            out.append(f"--{kind} {value} {_OCI} (joining a namespace by path)")
        elif kind in ("cgroupns", "userns") and value != "host":
            out.append(f"--{kind} {value} {_OCI} (chroot makes no {kind[:-2]} namespace)")
    if options.uid_map or options.gid_map:
        out.append(f"--userns-uid-map/--userns-gid-map {_OCI} or rootless")
    out += [f"{flag} {_OCI} (device cgroup)" for flag in _device_cgroup_flags(options)]
    if options.runtime_flags:
        out.append(f"--runtime-flag {_OCI} (chroot runs no OCI runtime)")
    if runtime:
        out.append(f"--runtime {_OCI} (chroot runs no OCI runtime)")
    return out


def user_namespace_refusals(options: RunOptions) -> list[str]:
    """One line per option an OCI runtime run from buildah-py's own user namespace cannot
    honour: it runs rootless there and skips, silently, every cgroup setting it cannot make."""
    out = [f"{flag} {_ROOT}" for flag in options.resources.given()]
    return out + [f"{flag} {_ROOT} (device cgroup)" for flag in _device_cgroup_flags(options)]


def check_options(options: RunOptions, isolation: str, runtime: str | None = None) -> None:
    """RunError with the first option `isolation` cannot honour (oci and rootless honour all
    but, from a user namespace, the cgroup ones: see `user_namespace_refusals`)."""
    if isolation != "chroot":
        return
    refused = chroot_refusals(options, runtime)
    if refused:
        raise RunError(refused[0])


def host_security(sys_dir: Path = Path("/sys")) -> HostSecurity:
    """Which Linux security modules the host enforces, from `sys_dir`."""
    try:
        apparmor = (sys_dir / "module/apparmor/parameters/enabled").read_text().strip() == "Y"
    except OSError:
        apparmor = False
    return HostSecurity(selinux=(sys_dir / "fs/selinux/enforce").exists(), apparmor=apparmor)


def security_notes(options: RunOptions, sys_dir: Path = Path("/sys")) -> list[str]:
    """What a host with SELinux or AppArmor on should hear: buildah-py applies neither labels
    (``label=``, ``-v ...:z``/``Z``) nor profiles (``apparmor=``). Nothing where they are off."""
    notes = []
    host = host_security(sys_dir)
    if (options.labels or any(v.relabel for v in options.volumes)) and host.selinux:
        notes.append("SELinux labels (label=, -v :z/:Z) are not applied by buildah-py")
    if options.apparmor and host.apparmor:
        notes.append(f"AppArmor profile {options.apparmor!r} is not applied by buildah-py")
    return notes
