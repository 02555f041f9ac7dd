"""Hints that name an option, spelt for whoever reads them.

A message holds a hint as a Python caller would use it (``tls_verify=False``): that is what
``str(err)`` says. The CLI prints the same message through ``cli_message``, which spells each
hint as the verb's flag (``--tls-verify=false``) when the verb has that option, and leaves the
hint out when it has not, so no verb suggests an option it lacks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Hint:
    """A suggestion naming one option; `phrase` has ``{}`` where the option goes."""

    phrase: str
    flag: str  # as the CLI takes it: "--tls-verify=false"
    keyword: str  # as a Python caller passes it: "tls_verify=False"
    verbs: tuple[str, ...]  # CLI verbs that print it (a test checks each has the flag); () = global

    @property
    def option(self) -> str:
        """The flag's name alone, e.g. ``--tls-verify``."""
        return self.flag.split("=", 1)[0].split(" ", 1)[0]

    def for_api(self) -> str:
        return self.phrase.format(self.keyword)

    def for_cli(self) -> str:
        return self.phrase.format(self.flag)

    def __str__(self) -> str:
        return self.for_api()


_REGISTRY_VERBS = ("from", "pull", "push", "build", "bud", "manifest add", "manifest push")

TLS_VERIFY = Hint(
    "for a plain-HTTP or self-signed registry use {}",
    "--tls-verify=false",
    "tls_verify=False",
    (*_REGISTRY_VERBS, "login", "manifest inspect"),
)
CREDS = Hint(
    "run 'buildah-py login' or pass {}",
    "--creds USER:PASSWORD",
    "creds='USER:PASSWORD'",
    _REGISTRY_VERBS,
)
FORCE = Hint("use {}", "--force", "force=True", ("rmi",))
FORMAT_DOCKER = Hint(
    "use {} to keep them", "--format docker", "format='docker'", ("push", "commit")
)
FORMAT_OCI = Hint("use {}", "--format oci", "format='oci'", ("commit", "build"))
GZIP = Hint("use {}", "--compression-format gzip", "compression='gzip'", ("commit", "push"))
ROOT = Hint("use another {}, or remove the store", "--root DIR", "root=DIR", ())
SSH = Hint("give one with {}", "--ssh ID=SOCKET", "ssh={ID: SOCKET}", ("build",))
ALL_IMAGES = Hint("push with {}", "--all", "all_images=True", ("manifest push",))
LOGOUT_ALL = Hint("or use {}", "--all", "all=True", ("logout",))
_COPY_VERBS = ("image copy", "image sync")
ALL_PLATFORMS = Hint("pass {} to copy every platform", "--all", "all_platforms=True", _COPY_VERBS)
PRESERVE_DIGESTS = Hint(
    "refused as {} asks", "--preserve-digests", "preserve_digests=True", _COPY_VERBS
)
NETWORK = Hint("or use {}", "--network host or none", "network='host' or 'none'", ("run", "build"))

HINTS = (
    TLS_VERIFY,
    CREDS,
    FORCE,
    FORMAT_DOCKER,
    FORMAT_OCI,
    GZIP,
    ROOT,
    SSH,
    ALL_IMAGES,
    LOGOUT_ALL,
    NETWORK,
    ALL_PLATFORMS,
    PRESERVE_DIGESTS,
)

# How a hint sits in a message; without its option, the hint goes with what joins it.
_JOINS = (" ({})", "; {}", ", or {}", ", {}", " {}", "{}")


def cli_message(message: str, has_option: Callable[[str], bool]) -> str:
    """`message` as a CLI verb prints it; `has_option("--x")` says whether the verb takes --x."""
    for hint in HINTS:
        api = hint.for_api()
        if api not in message:
            continue
        if has_option(hint.option):
            message = message.replace(api, hint.for_cli())
            continue
        for join in _JOINS:
            if join.format(api) in message:
                message = message.replace(join.format(api), "")
                break
    return message
