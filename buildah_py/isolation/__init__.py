"""Running one process inside a prepared root filesystem (`chroot` or `oci` isolation)."""

from __future__ import annotations

import shutil

from buildah_py.errors import IsolationUnavailable, RunError
from buildah_py.isolation import linux
from buildah_py.isolation.chroot import run_chroot
from buildah_py.isolation.oci import run_oci
from buildah_py.isolation.ocispec import make_runtime_spec
from buildah_py.isolation.spec import DEFAULT_CAPABILITIES, DEFAULT_PATH, Mount, RunSpec

__all__ = ["DEFAULT_CAPABILITIES", "DEFAULT_PATH", "Mount", "RunSpec", "make_runtime_spec", "run"]

ISOLATIONS = ("chroot", "oci", "rootless")


def run(spec: RunSpec, isolation: str = "chroot", runtime: str | None = None) -> int:
    """Run `spec.argv` in `spec.rootfs`; returns its exit status (128+signal if killed).

    Raises RunError when the step cannot be started (no such command, unknown user, ...);
    a step that starts and fails is an exit status, not an exception.
    """
    _check_network(spec.network)
    if isolation == "chroot":
        return run_chroot(spec)
    if isolation == "oci":
        return run_oci(spec, runtime)
    if isolation == "rootless":
        # An OCI runtime in a user namespace: ours when unprivileged, else one of its own.
        return run_oci(spec, runtime, userns=not linux.in_user_namespace())
    raise IsolationUnavailable(
        f"isolation {isolation!r} is not supported (use chroot, oci or rootless)"
    )


def _check_network(network: str) -> None:
    """host and none work everywhere; a private network would need a user-space stack."""
    if network in ("host", "none"):
        return
    if network != "private":
        raise RunError(f"network {network!r} is not supported (use host or none)")
    helpers = [name for name in ("slirp4netns", "pasta") if shutil.which(name)]
    if not helpers:
        raise IsolationUnavailable(
            "network 'private' needs slirp4netns or pasta, and neither is installed "
            "(install the slirp4netns or passt package), or use --network host or none"
        )
    raise IsolationUnavailable(
        f"network 'private' through {helpers[0]} is not supported by this buildah-py: "
        "use --network host (shares the host's network) or none (only lo)"
    )
