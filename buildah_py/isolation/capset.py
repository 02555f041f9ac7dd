"""A step's capability set: buildah's default, with ``--cap-add`` and ``--cap-drop`` applied."""

from __future__ import annotations

from buildah_py.errors import RunError
from buildah_py.isolation.runopts import RunOptions
from buildah_py.isolation.spec import DEFAULT_CAPABILITIES
from buildah_py.linux.caps import CAPABILITY_NUMBERS


def _known(names: tuple[str, ...], flag: str) -> None:
    for name in names:
        if name != "ALL" and name not in CAPABILITY_NUMBERS:
            raise RunError(f"{flag} {name}: unknown capability")


def step_capabilities(options: RunOptions) -> tuple[str, ...]:
    """The CAP_* names a step keeps, in number order: ``--cap-drop ALL`` keeps only what
    ``--cap-add`` names, ``--cap-add ALL`` all but the drops, else the default plus the adds
    less the drops (as buildah merges them)."""
    _known(options.cap_add, "--cap-add")
    _known(options.cap_drop, "--cap-drop")
    adds, drops = set(options.cap_add) - {"ALL"}, set(options.cap_drop) - {"ALL"}
    if "ALL" in options.cap_drop:
        keep = adds
    elif "ALL" in options.cap_add:
        keep = set(CAPABILITY_NUMBERS) - drops
    else:
        keep = (set(DEFAULT_CAPABILITIES) | adds) - drops
    return tuple(sorted(keep, key=CAPABILITY_NUMBERS.__getitem__))
