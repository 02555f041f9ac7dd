"""Seccomp for `chroot` isolation: which profile a step gets, compiled to BPF before the fork.

The filter is compiled in the calling process (`buildah_py.linux.seccomp`), before any fork
or pivot, so libseccomp is never looked up or loaded from the image; the step process only
hands the finished program to the kernel, while it is still root (no `no_new_privs`:
setuid binaries must keep working).
"""

from __future__ import annotations

import logging
from pathlib import Path

from buildah_py.errors import RunError
from buildah_py.isolation.capset import step_capabilities
from buildah_py.isolation.seccomp import DEFAULT_PROFILE, load_default
from buildah_py.isolation.spec import RunSpec
from buildah_py.linux.seccomp import Filter, compile_profile, open_libseccomp

__all__ = ["Filter", "profile_path", "step_filter"]

log = logging.getLogger("buildah_py.isolation")


def profile_path(spec: RunSpec) -> Path | None:
    """Which profile the step asks for: None for unconfined. ``--security-opt seccomp=``
    (``spec.options.seccomp``) wins over the default choice in ``spec.seccomp``; a profile
    asked for by path must exist (the default one may be missing: no filter then)."""
    chosen = spec.options.seccomp
    if chosen is not None:
        path = None if chosen == "unconfined" else Path(chosen)
    elif spec.seccomp is False:
        path = None
    else:
        path = DEFAULT_PROFILE if spec.seccomp is True else Path(spec.seccomp)
    if path is not None and path != DEFAULT_PROFILE and not path.is_file():
        raise RunError(f"seccomp profile {path} does not exist")
    return path


def step_filter(spec: RunSpec) -> Filter | None:
    """The compiled filter for a `chroot` step, or None when it runs without one.

    Without libseccomp, or without the default profile, the step runs unfiltered (as
    buildah-py always did there); a profile that was asked for by path must exist.
    """
    path = profile_path(spec)
    if path is None:
        return None
    profile = load_default(step_capabilities(spec.options), path)
    if profile is None:
        log.debug("no seccomp profile at %s: running the step without a filter", path)
        return None
    lib = open_libseccomp()
    if lib is None:
        if path != DEFAULT_PROFILE:
            raise RunError(f"seccomp profile {path}: libseccomp is not installed")
        log.debug("libseccomp not found: running the step without a seccomp filter")
        return None
    try:
        return compile_profile(profile, lib)
    except KeyError as err:
        raise RunError(f"seccomp profile {path}: missing field {err}") from err
    except (TypeError, ValueError, OverflowError) as err:
        raise RunError(f"seccomp profile {path}: {err}") from err
