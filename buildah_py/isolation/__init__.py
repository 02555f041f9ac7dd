"""Running one process inside a prepared root filesystem (`chroot` or `oci` isolation)."""

from __future__ import annotations

from buildah_py.errors import IsolationUnavailable
from buildah_py.isolation.chroot import run_chroot
from buildah_py.isolation.network import check_network
from buildah_py.isolation.oci import run_oci
from buildah_py.isolation.ocispec import make_runtime_spec
from buildah_py.isolation.spec import DEFAULT_CAPABILITIES, DEFAULT_PATH, RunSpec
from buildah_py.linux.mount import Mount
from buildah_py.linux.namespaces import in_user_namespace

__all__ = ["DEFAULT_CAPABILITIES", "DEFAULT_PATH", "Mount", "RunSpec", "make_runtime_spec", "run"]

ISOLATIONS = ("chroot", "oci", "rootless")


def run(spec: RunSpec, isolation: str = "chroot", runtime: str | None = None) -> int:
    """Run `spec.argv` in `spec.rootfs`; returns its exit status (128+signal if killed).

    Raises RunError when the step cannot be started (no such command, unknown user, ...);
    a step that starts and fails is an exit status, not an exception.
    """
    check_network(spec.network)
    if isolation == "chroot":
        return run_chroot(spec)
    if isolation == "oci":
        return run_oci(spec, runtime)
    if isolation == "rootless":
        # An OCI runtime in a user namespace: ours when unprivileged, else one of its own.
        return run_oci(spec, runtime, userns=not in_user_namespace())
    raise IsolationUnavailable(
        f"isolation {isolation!r} is not supported (use chroot, oci or rootless)"
    )
