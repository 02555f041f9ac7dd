"""Which run options an isolation can honour: the rest is refused, before any step runs."""

from __future__ import annotations

from pathlib import Path

from buildah_py.errors import RunError
from buildah_py.isolation.runopts import RunOptions

_OCI = "needs --isolation oci"


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
    for dev in options.devices:
        if not {"r", "w"} <= set(dev.permissions):
            # A read-only mount does not stop writes to a device node: only a cgroup does.
            out.append(f"--device {dev.host}:{dev.permissions} {_OCI} (device cgroup)")
    if options.runtime_flags:
        out.append(f"--runtime-flag {_OCI} (chroot runs no OCI runtime)")
    if runtime:
        out.append(f"--runtime {_OCI} (chroot runs no OCI runtime)")
    return out


def check_options(options: RunOptions, isolation: str, runtime: str | None = None) -> None:
    """RunError with the first option `isolation` cannot honour (oci and rootless honour all)."""
    if isolation != "chroot":
        return
    refused = chroot_refusals(options, runtime)
    if refused:
        raise RunError(refused[0])


def security_notes(options: RunOptions, sys_dir: Path = Path("/sys")) -> list[str]:
    """What a host with SELinux or AppArmor on should hear: buildah-py applies neither labels
    (``label=``, ``-v ...:z``/``Z``) nor profiles (``apparmor=``). Nothing where they are off."""
    notes = []
    relabel = options.labels or any(v.relabel for v in options.volumes)
    if relabel and (sys_dir / "fs/selinux/enforce").exists():
        notes.append("SELinux labels (label=, -v :z/:Z) are not applied by buildah-py")
    try:
        apparmor = (sys_dir / "module/apparmor/parameters/enabled").read_text().strip() == "Y"
    except OSError:
        apparmor = False
    if options.apparmor and apparmor:
        notes.append(f"AppArmor profile {options.apparmor!r} is not applied by buildah-py")
    return notes
