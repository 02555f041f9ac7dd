"""The ``buildah-py`` console script: decide on the user-namespace re-exec before loading the CLI.

An unprivileged run re-executes itself inside a user namespace and then only waits for it;
importing click and the command modules first would cost that outer process most of its
start-up for nothing. So the outer process loads only `buildah_py.userns.reexec`; the CLI is
imported once no re-exec is needed (as root, inside the namespace, or for --help/--version).

A verb that only reads the store's records (`READ_ONLY_VERBS`) needs no namespace at all: the
records are the user's own files, the same whether read as the user or as root of the
namespace, so an unprivileged user runs it as is, without the second interpreter.
"""

from __future__ import annotations

import os
import sys

#: Verbs an unprivileged user runs outside the user namespace (see `Globals.store` for the
#: one exception: a store not made yet is made inside it).
READ_ONLY_VERBS = frozenset({"images"})
#: The global options that take a value (cli/main.py), so the verb after them can be found.
_VALUED = ("--root", "--runroot", "--storage-driver", "--log-level")


def verb_of(args: list[str]) -> str | None:
    """The verb in `args` (the command line without the program), after the global options."""
    words = iter(args)
    for word in words:
        if word in _VALUED:
            next(words, None)
        elif not word.startswith("-"):
            return word
        elif word == "--":
            return None
    return None


def wants_namespace(argv: list[str]) -> bool:
    """Whether this command line may need the user namespace (`maybe_reexec` then decides)."""
    return os.geteuid() == 0 or verb_of(argv[1:]) not in READ_ONLY_VERBS


def main() -> None:
    if wants_namespace(sys.argv):
        from buildah_py.userns.reexec import maybe_reexec

        maybe_reexec(sys.argv, os.environ)  # unprivileged: continues (and ends) in the namespace
    from buildah_py.cli.main import main as cli_main

    cli_main()
