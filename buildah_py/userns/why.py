"""Why a user namespace could not be made or mapped, in one line each.

The parent reads the host's switches (sysctls, seccomp mode, no_new_privs, the helper's
setuid bit or file capability) only once something has failed, to name the cause.
"""

from __future__ import annotations

import errno
import os
import stat

from buildah_py.linux.caps import CAP_SETGID, CAP_SETUID, file_permitted_capabilities


def _sysctl(path: str) -> int | None:
    try:
        with open(path, encoding="ascii") as f:
            return int(f.read().strip())
    except (OSError, ValueError):
        return None


def _refusal_reason(err: OSError, root: bool, seccomp_filtered: bool) -> str:
    if _sysctl("/proc/sys/user/max_user_namespaces") == 0:
        return "user namespaces are disabled (sysctl user.max_user_namespaces is 0)"
    if err.errno == errno.ENOSPC:
        return "the limit of user namespaces is reached (sysctl user.max_user_namespaces)"
    if err.errno == errno.EUSERS:
        return "user namespaces are nested too deeply here (32 at most)"
    # Debian's switch applies to every caller without CAP_SYS_ADMIN, root included.
    if _sysctl("/proc/sys/kernel/unprivileged_userns_clone") == 0:
        return "unprivileged user namespaces are disabled (sysctl kernel.unprivileged_userns_clone is 0)"
    if not root and _sysctl("/proc/sys/kernel/apparmor_restrict_unprivileged_userns") == 1:
        return (
            "AppArmor restricts unprivileged user namespaces "
            "(kernel.apparmor_restrict_unprivileged_userns=1: give buildah-py a profile that allows userns)"
        )
    if seccomp_filtered:
        return (
            "a seccomp filter refuses unshare(CLONE_NEWUSER) (in a pod: use containers' default "
            "profile /usr/share/containers/seccomp.json, or Unconfined)"
        )
    return (
        "user namespaces are not allowed here (sysctl user.max_user_namespaces > 0; "
        "kernel.unprivileged_userns_clone=1 or an AppArmor profile that allows them)"
    )


def unshare_error(err: OSError, root: bool, seccomp_filtered: bool) -> str:
    """The one line for a refused unshare(CLONE_NEWUSER); `root`: we are root without
    CAP_SYS_ADMIN; `seccomp_filtered`: a seccomp filter is on this process."""
    why = _refusal_reason(err, root, seccomp_filtered)
    who = "CAP_SYS_ADMIN is not held" if root else "buildah-py runs unprivileged"
    return f"cannot create a user namespace ({os.strerror(err.errno or 0)}): {who} and {why}"


def newidmap_cause(tool: str, path: str | None, stderr: str, no_new_privs: bool) -> str:
    """Why `tool` (newuidmap or newgidmap, found at `path`) exited non-zero: no_new_privs,
    a helper that is neither setuid root nor has the capability, else its own words."""
    if no_new_privs:
        return (
            f"{tool} cannot act: no_new_privs is set on this process (Kubernetes "
            "allowPrivilegeEscalation: false), so its setuid bit and file capability are ignored"
        )
    if path is not None:
        cap = CAP_SETUID if tool == "newuidmap" else CAP_SETGID
        try:
            st = os.stat(path)
        except OSError:
            st = None
        setuid_root = st is not None and bool(st.st_mode & stat.S_ISUID) and st.st_uid == 0
        caps = file_permitted_capabilities(path) or 0
        if st is not None and not setuid_root and not caps >> cap & 1:
            capname = "cap_setuid" if cap == CAP_SETUID else "cap_setgid"
            return f"{path} is neither setuid root nor has the {capname} file capability"
    detail = " ".join(stderr.split()) or "no message"
    return f"{tool} failed: {detail}"
