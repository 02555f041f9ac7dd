"""Which command lines need the user namespace, decided before click or any verb is loaded.

A verb that only reads the store's records (`READ_ONLY_VERBS`) needs no namespace: the
records are the user's own files, the same whether read as the user or as root of the
namespace, so an unprivileged user runs it as is, without a second interpreter.
"""

from __future__ import annotations

import os

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
