"""What to run, as data: the contract between the working container and the isolation modes."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from buildah_py.isolation.runopts import RunOptions
from buildah_py.linux.mount import Mount

DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

# buildah's default capability set; every other capability leaves the bounding set.
DEFAULT_CAPABILITIES: tuple[str, ...] = (
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_NET_BIND_SERVICE",
    "CAP_SETFCAP",
    "CAP_SETGID",
    "CAP_SETPCAP",
    "CAP_SETUID",
    "CAP_SYS_CHROOT",
)

# Kernel interfaces a step has no business reading (files get /dev/null, directories an
# empty read-only tmpfs) or writing (re-mounted read-only); the lists runc users know.
MASKED_PATHS: tuple[str, ...] = (
    "/proc/acpi",
    "/proc/asound",
    "/proc/interrupts",
    "/proc/kcore",
    "/proc/keys",
    "/proc/latency_stats",
    "/proc/sched_debug",
    "/proc/scsi",
    "/proc/timer_list",
    "/proc/timer_stats",
    "/sys/dev/block",
    "/sys/devices/virtual/powercap",
    "/sys/firmware",
    "/sys/fs/selinux",
)
READONLY_PATHS: tuple[str, ...] = (
    "/proc/bus",
    "/proc/fs",
    "/proc/irq",
    "/proc/sys",
    "/proc/sysrq-trigger",
)

# Files every step gets, bind-mounted from generated copies outside the rootfs.
ETC_FILES: tuple[str, ...] = ("/etc/hosts", "/etc/resolv.conf", "/etc/hostname")


@dataclass(frozen=True)
class RunSpec:
    """One process to run inside a prepared root filesystem."""

    rootfs: Path
    argv: list[str]
    env: list[str]
    cwd: str = "/"
    user: str = ""
    hostname: str = "buildah-py"
    mounts: tuple[Mount, ...] = ()
    network: Literal["host", "none", "private"] = "host"
    terminal: bool = False
    stdin: bool = False
    etc_files: dict[str, str] = field(default_factory=dict)
    #: ``HOST:IP`` entries added to the generated /etc/hosts (``--add-host``).
    add_host: tuple[str, ...] = ()
    umask: int = 0o022
    # chroot isolation: True for containers' default profile, False for none, or a profile path.
    seccomp: bool | Path = True
    #: volumes, ulimits, capabilities, DNS, namespaces, cgroup limits ... (buildah's run flags).
    options: RunOptions = RunOptions()
    #: File descriptors the step's stdout and stderr go to (None: ours); ignored on a terminal.
    stdout: int | None = None
    stderr: int | None = None
    #: The runroot of the store the step works for: its runtime directory names it, so that
    #: store's `check --repair` removes the directory if this process is killed.
    runroot: Path | None = None


def final_env(env: list[str], home: str, terminal: bool) -> list[str]:
    """The step's environment: PATH and HOME (and TERM on a terminal) added when missing."""
    keys = {entry.partition("=")[0] for entry in env}
    out = list(env)
    if "PATH" not in keys:
        out.append(f"PATH={DEFAULT_PATH}")
    if "HOME" not in keys:
        out.append(f"HOME={home}")
    if terminal and "TERM" not in keys:
        out.append("TERM=xterm")
    return out


def env_value(env: list[str], key: str) -> str | None:
    """The last value of `key` in a K=V list (later entries win, as in execve users)."""
    value = None
    for entry in env:
        k, sep, v = entry.partition("=")
        if sep and k == key:
            value = v
    return value
