"""The pod is what the other tests take it for: a pod's capabilities, masked and read-only
/proc paths, read-only /sys, the default seccomp filter, no XDG_RUNTIME_DIR, a read-only HOME,
the host's network."""

from __future__ import annotations

import pytest

from tests.pod.conftest import CiUser, PodFactory
from tests.pod.podspec import DEFAULT_CAPS, seccomp
from tests.registry_fixtures import Registry

pytestmark = pytest.mark.needs_root

PROBE = r"""
grep -E '^(CapBnd|CapEff|Seccomp|NoNewPrivs):' /proc/self/status
echo "xdg=${XDG_RUNTIME_DIR-unset}"
touch "$HOME/x" 2>/dev/null && echo home=rw || echo home=ro
touch /sys/x 2>/dev/null && echo sys=rw || echo sys=ro
echo 1 > /proc/sys/kernel/ns_last_pid 2>/dev/null && echo procsys=rw || echo procsys=ro
findmnt -n -o FSTYPE /proc/timer_list
hostname ci-other 2>/dev/null && echo hostname=set || echo hostname=refused
wget -q -O /dev/null "http://$REGISTRY/v2/" && echo registry=reached || echo registry=unreachable
"""

# CHOWN DAC_OVERRIDE FOWNER FSETID KILL SETGID SETUID SETPCAP NET_BIND_SERVICE SYS_CHROOT SETFCAP
DEFAULT_MASK = "00000000800405fb"


def test_caps_masks_seccomp(
    make_pod: PodFactory, ci_user: CiUser, registry: Registry, base_image: str
) -> None:
    root = make_pod()
    done = root.run(["/bin/sh", "-c", PROBE], root.env(REGISTRY=registry.host))
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        f"CapEff:\t{DEFAULT_MASK}",
        f"CapBnd:\t{DEFAULT_MASK}",
        "NoNewPrivs:\t0",
        "Seccomp:\t2",
        "xdg=unset",
        "home=ro",
        "sys=ro",
        "procsys=ro",
        "tmpfs",  # masked: a file under /proc shows the /dev/null bind's filesystem
        "hostname=refused",
        "registry=reached",
    ]
    user = make_pod(ci_user.uid, ci_user.gid, no_new_privs=True)
    shown = user.run(["/bin/sh", "-c", "grep -E '^(CapEff|NoNewPrivs):' /proc/self/status; id -u"])
    assert shown.stdout.split() == [
        "CapEff:",
        "0000000000000000",
        "NoNewPrivs:",
        "1",
        str(ci_user.uid),
    ]


def test_seccomp_follows_the_capabilities() -> None:
    """CRI's reading of the profile: a rule gated on a capability the pod lacks is left out."""
    without = seccomp(DEFAULT_CAPS)
    with_admin = seccomp((*DEFAULT_CAPS, "CAP_SYS_ADMIN"))

    def refused(spec: dict[str, object]) -> set[str]:
        rules = spec["syscalls"]
        assert isinstance(rules, list)
        return {n for r in rules if r["action"] == "SCMP_ACT_ERRNO" for n in r["names"]}

    assert "sethostname" in refused(without) and "sethostname" not in refused(with_admin)
    assert "chroot" not in refused(without)  # CAP_SYS_CHROOT is a default capability
    assert without["defaultAction"] == "SCMP_ACT_ERRNO"
