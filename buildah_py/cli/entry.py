"""The ``buildah-py`` console script: decide on the user-namespace re-exec before loading the CLI.

An unprivileged run re-executes itself inside a user namespace and then only waits for it;
importing click and the command modules first would cost that outer process most of its
start-up for nothing. So the outer process loads only `buildah_py.userns.reexec`; the CLI is
imported once no re-exec is needed (as root, inside the namespace, or for --help/--version).

A verb that only reads the store's records needs no namespace at all (see `namespace`).
"""

from __future__ import annotations

import os
import sys

from buildah_py.cli.namespace import wants_namespace


def main() -> None:
    if wants_namespace(sys.argv):
        from buildah_py.userns.reexec import maybe_reexec

        maybe_reexec(sys.argv, os.environ)  # unprivileged: continues (and ends) in the namespace
    from buildah_py.cli.main import main as cli_main

    cli_main()
