"""A step's capability set: buildah's default, with ``--cap-add`` and ``--cap-drop`` applied.

The two isolations still merge them differently: `chroot` (`step_capabilities`) lets a drop
win over the same add and a dropped ALL over an added ALL, and takes ALL as every capability
Linux has; `oci` (`runtime_capabilities`) refuses an add that is also dropped, lets an added
ALL win, and takes ALL as what buildah-py's own bounding set holds.
"""

from __future__ import annotations

from collections.abc import Sequence

from buildah_py.errors import RunError
from buildah_py.isolation.runopts import RunOptions
from buildah_py.isolation.spec import DEFAULT_CAPABILITIES
from buildah_py.linux.caps import CAPABILITY_NUMBERS


def check_names(options: RunOptions) -> None:
    """RunError naming the first ``--cap-add``/``--cap-drop`` that is no capability Linux has."""
    for flag, names in (("--cap-add", options.cap_add), ("--cap-drop", options.cap_drop)):
        for name in names:
            if name != "ALL" and name not in CAPABILITY_NUMBERS:
                raise RunError(f"{flag} {name}: unknown capability")


def step_capabilities(options: RunOptions) -> tuple[str, ...]:
    """The CAP_* names a step keeps, in number order: ``--cap-drop ALL`` keeps only what
    ``--cap-add`` names, ``--cap-add ALL`` all but the drops, else the default plus the adds
    less the drops (as buildah merges them)."""
    check_names(options)
    adds, drops = set(options.cap_add) - {"ALL"}, set(options.cap_drop) - {"ALL"}
    if "ALL" in options.cap_drop:
        keep = adds
    elif "ALL" in options.cap_add:
        keep = set(CAPABILITY_NUMBERS) - drops
    else:
        keep = (set(DEFAULT_CAPABILITIES) | adds) - drops
    return tuple(sorted(keep, key=CAPABILITY_NUMBERS.__getitem__))


def _held(name: str, flag: str, known: Sequence[str]) -> str:
    if name not in known:
        raise RunError(
            f"{flag} {name}: not in buildah-py's own bounding set, so no step can have it"
        )
    return name


def runtime_capabilities(options: RunOptions, known: Sequence[str]) -> list[str]:
    """`oci` isolation's capability set (process.capabilities), in config.json's order.

    ``ALL`` means every capability in `known` (those the running kernel has and the caller
    holds in its bounding set, which a step cannot exceed): an added ALL
    keeps all but the dropped ones; a dropped ALL keeps only the added ones.
    """
    check_names(options)
    for name in options.cap_add:
        if name != "ALL" and name in options.cap_drop:
            raise RunError(f"{name} is both added (--cap-add) and dropped (--cap-drop)")
    adds = [_held(c, "--cap-add", known) for c in options.cap_add if c != "ALL"]
    drops = {_held(c, "--cap-drop", known) for c in options.cap_drop if c != "ALL"}
    if "ALL" in options.cap_add:
        caps = [c for c in known if c not in drops]
    elif "ALL" in options.cap_drop:
        caps = adds
    else:
        caps = [c for c in (*DEFAULT_CAPABILITIES, *adds) if c not in drops]
    return list(dict.fromkeys(caps))
