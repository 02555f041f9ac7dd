"""The flags of ``run`` about the step itself: its history entry, the directory ``--mount``
bind sources come from, and ``--no-pivot`` (refused)."""

from __future__ import annotations

from pathlib import Path

import click

from buildah_py.cli.addhistory import add_history_option
from buildah_py.cli.common import option_group
from buildah_py.container.runmounts import RunMount
from buildah_py.errors import ContainerError

NO_PIVOT = (
    "buildah-py always enters the container's root with pivot_root (chroot and oci "
    "isolation); a host whose own root is an initramfs, where pivot_root fails, is not supported"
)


#: --add-history, --contextdir, --no-pivot.
run_only_options = option_group(
    add_history_option,
    click.option(
        "--contextdir",
        help="Directory that --mount type=bind sources are taken from and confined to "
        "(default: any host path).",
    ),
    click.option("--no-pivot", is_flag=True, help=f"Refused: {NO_PIVOT}."),
)


def refuse_no_pivot(no_pivot: bool) -> None:
    if no_pivot:
        raise ContainerError(f"--no-pivot: {NO_PIVOT}")


def context_mounts(specs: tuple[str, ...], contextdir: str) -> list[str | RunMount]:
    """``--mount`` specs with their bind sources resolved inside `contextdir`, as buildah does
    with ``--contextdir`` (``..`` and links never lead out of it)."""
    from buildah_py.frontend.run_step import rewrite_mount

    context = Path(contextdir).resolve()
    if not context.is_dir():
        raise ContainerError(f"--contextdir {contextdir}: not a directory")
    out: list[str | RunMount] = []
    for spec in specs:
        try:
            out.append(rewrite_mount(spec, context, lambda name: name))
        except ValueError as err:
            raise ContainerError(f"run {err}") from None
    return out
