"""``--platform``, ``--os``, ``--arch``, ``--variant``: one Platform, as buildah's pull and from take them."""

from __future__ import annotations

from dataclasses import replace

import click

from buildah_py.oci.descriptor import Platform


def chosen_platform(
    platform: str | None, os_: str | None, arch: str | None, variant: str | None
) -> Platform | None:
    """The platform asked for: ``--platform`` (else the host's), with ``--os``/``--arch``/``--variant``
    replacing their part; None when none of them is given."""
    if not (platform or os_ or arch or variant):
        return None
    if platform and "," in platform:
        raise click.BadParameter(
            "several platforms are for `build --platform`; pull one at a time",
            param_hint="--platform",
        )
    base = Platform.parse(platform) if platform else Platform.host()
    if os_:
        base = replace(base, os=os_)
    if arch:
        base = replace(base, architecture=arch, variant="" if variant is None else variant)
    if variant is not None:
        base = replace(base, variant=variant)
    return base
