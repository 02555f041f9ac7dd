"""Re-executing buildah-py inside a user and mount namespace when started unprivileged, or as
root without CAP_SYS_ADMIN (a pod's default capabilities), which cannot mount otherwise.

The parent stays outside and only waits; the child execs the same command line again, now as
root of the namespace with every capability there; mounts it makes live only in there. This
module decides; `spawn` does it, and is loaded only then (a command that needs no namespace,
or runs inside it already, pays for neither the fork machinery nor the ID maps).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from typing import NoReturn

from buildah_py.linux.status import CAP_SYS_ADMIN, has_effective
from buildah_py.userns.marker import ENV as ENV  # served here too, as before marker.py
from buildah_py.userns.marker import host_ids as host_ids
from buildah_py.userns.marker import in_rootless_namespace as in_rootless_namespace
from buildah_py.userns.marker import mapping_kind as mapping_kind

_FAILED = 125


def needs_reexec(argv: list[str]) -> bool:
    """Unprivileged, or root without CAP_SYS_ADMIN, and not just asking for help or the
    version (those work anywhere)."""
    head = argv[1 : argv.index("--")] if "--" in argv else argv[1:]
    if any(a in ("-h", "--help", "--version") for a in head) or (head and head[0] == "version"):
        return False
    return os.geteuid() != 0 or not has_effective(CAP_SYS_ADMIN)


def reexec(environ: Mapping[str, str], argv: list[str] | None = None) -> NoReturn:
    """Run this interpreter's command line (`sys.orig_argv`, or `argv`: interpreter first)
    again, with `environ` and the marker, as root of a new user and mount namespace; exits
    as that run does."""
    from buildah_py.userns.spawn import run_in_namespace

    run_in_namespace(environ, argv)


def maybe_reexec(argv: list[str], environ: Mapping[str, str]) -> None:
    """Re-exec into a user namespace when unprivileged or root without CAP_SYS_ADMIN (a no-op
    for root with it, or once inside).

    The CLI calls it first thing with `sys.argv` and `os.environ`; a build script run by an
    unprivileged user does the same before touching the store. `argv` is checked for
    --help/version; `environ` is what the re-executed process gets (plus the marker).
    """
    if needs_reexec(argv):
        if ENV in environ:
            sys.stderr.write(
                "Error: still unprivileged inside the user namespace (is newuidmap working?)\n"
            )
            sys.exit(_FAILED)
        reexec(environ)
