"""This process's /proc/self/status: which capabilities it holds, whether no_new_privs is set.

Apart from caps.py (no ctypes here): deciding whether to enter a user namespace reads only
this, and every command decides that first.
"""

from __future__ import annotations

# linux/capability.h, in number order, as in capabilities(7).
CAPABILITY_NUMBERS: dict[str, int] = {
    name: number
    for number, name in enumerate(
        (
            "CAP_CHOWN CAP_DAC_OVERRIDE CAP_DAC_READ_SEARCH CAP_FOWNER CAP_FSETID CAP_KILL "
            "CAP_SETGID CAP_SETUID CAP_SETPCAP CAP_LINUX_IMMUTABLE CAP_NET_BIND_SERVICE "
            "CAP_NET_BROADCAST CAP_NET_ADMIN CAP_NET_RAW CAP_IPC_LOCK CAP_IPC_OWNER "
            "CAP_SYS_MODULE CAP_SYS_RAWIO CAP_SYS_CHROOT CAP_SYS_PTRACE CAP_SYS_PACCT "
            "CAP_SYS_ADMIN CAP_SYS_BOOT CAP_SYS_NICE CAP_SYS_RESOURCE CAP_SYS_TIME "
            "CAP_SYS_TTY_CONFIG CAP_MKNOD CAP_LEASE CAP_AUDIT_WRITE CAP_AUDIT_CONTROL "
            "CAP_SETFCAP CAP_MAC_OVERRIDE CAP_MAC_ADMIN CAP_SYSLOG CAP_WAKE_ALARM "
            "CAP_BLOCK_SUSPEND CAP_AUDIT_READ CAP_PERFMON CAP_BPF CAP_CHECKPOINT_RESTORE"
        ).split()
    )
}
CAP_SETGID = CAPABILITY_NUMBERS["CAP_SETGID"]
CAP_SETUID = CAPABILITY_NUMBERS["CAP_SETUID"]
CAP_SYS_ADMIN = CAPABILITY_NUMBERS["CAP_SYS_ADMIN"]


def process_status(text: str | None = None) -> dict[str, str]:
    """The `Key: value` lines of /proc/self/status (or of `text`)."""
    if text is None:
        try:
            with open("/proc/self/status", encoding="utf-8", errors="replace") as f:
                text = f.read()
        except OSError:
            text = ""
    fields = {}
    for line in text.splitlines():
        key, _, value = line.partition(":")
        fields[key] = value.strip()
    return fields


def effective_capabilities(status: dict[str, str] | None = None) -> int:
    """This process's effective set as a bit mask (CapEff), 0 when unreadable."""
    try:
        return int((status or process_status()).get("CapEff", "0"), 16)
    except ValueError:
        return 0


def has_effective(cap: int, status: dict[str, str] | None = None) -> bool:
    """Whether capability number `cap` is in this process's effective set."""
    return bool(effective_capabilities(status) >> cap & 1)


def no_new_privs(status: dict[str, str] | None = None) -> bool:
    """Whether no_new_privs is set: execve then ignores setuid bits and file capabilities."""
    return (status or process_status()).get("NoNewPrivs") == "1"
