"""Running one process inside a prepared root filesystem (`chroot` or `oci` isolation).

The names load on first use: the options modules (runopts, spec) are imported by every build,
the runners only when a step really runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from buildah_py.errors import IsolationUnavailable
from buildah_py.lazy import lazy_names

if TYPE_CHECKING:
    from buildah_py.isolation.ocispec import make_runtime_spec
    from buildah_py.isolation.spec import DEFAULT_CAPABILITIES, DEFAULT_PATH, RunSpec
    from buildah_py.linux.mount import Mount

__all__ = ["DEFAULT_CAPABILITIES", "DEFAULT_PATH", "Mount", "RunSpec", "make_runtime_spec", "run"]

#: Each public name and the module that defines it.
_WHERE = {
    "DEFAULT_CAPABILITIES": "spec",
    "DEFAULT_PATH": "spec",
    "RunSpec": "spec",
    "make_runtime_spec": "ocispec",
    "Mount": "buildah_py.linux.mount",
}
__getattr__, __dir__ = lazy_names(__name__, _WHERE, globals(), __all__)

ISOLATIONS = ("chroot", "oci", "rootless")


def run(spec: RunSpec, isolation: str = "chroot", runtime: str | None = None) -> int:
    """Run `spec.argv` in `spec.rootfs`; returns its exit status (128+signal if killed).

    Raises RunError when the step cannot be started (no such command, unknown user, ...);
    a step that starts and fails is an exit status, not an exception.
    """
    from buildah_py.isolation.network import check_network

    check_network(spec.network)
    if isolation == "chroot":
        from buildah_py.isolation.chroot import run_chroot

        return run_chroot(spec)
    if isolation in ("oci", "rootless"):
        from buildah_py.isolation.oci import run_oci

        if isolation == "oci":
            return run_oci(spec, runtime)
        from buildah_py.linux.namespaces import in_user_namespace

        # An OCI runtime in a user namespace: ours when unprivileged, else one of its own.
        return run_oci(spec, runtime, userns=not in_user_namespace())
    raise IsolationUnavailable(
        f"isolation {isolation!r} is not supported (use chroot, oci or rootless)"
    )
