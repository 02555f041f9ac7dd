"""Variable expansion and word splitting, as BuildKit's Dockerfile shell lexer does it.

Knows nothing of the grammar: it takes a word and a mapping of variables.
Supported: ``$v``, ``${v}``, ``${v:-w}``, ``${v-w}``, ``${v:+w}``, ``${v+w}``,
``${v:?msg}``, ``${v?msg}``, ``${v#p}``, ``${v##p}``, ``${v%p}``, ``${v%%p}``,
``${v/p/r}``, ``${v//p/r}``; single and double quotes; the escape token.
Nesting is bounded (``MAX_DEPTH``), and so are an expanded word (``MAX_WORD``) and the
variables it is expanded with (``MAX_ENV``), so hostile input fails fast and cleanly.
"""

from __future__ import annotations

from collections.abc import Mapping

from .errors import ExpansionError
from .shell_lexer import MAX_DEPTH, MAX_WORD, Lexer, Lookup

MAX_ENV = 1 << 20  # characters of all variables' names and values together

__all__ = [
    "MAX_DEPTH",
    "MAX_ENV",
    "MAX_WORD",
    "ExpansionError",
    "Lexer",
    "check_environment",
    "check_word",
    "expand_word",
    "expand_words",
    "raw_words",
    "referenced_names",
]


def check_environment(env: Mapping[str, str], word: str = "") -> None:
    """Raise ExpansionError if the variables' names and values hold more than MAX_ENV."""
    total = 0
    for key, value in env.items():
        total += len(key) + len(value) + 2
        if total > MAX_ENV:
            raise ExpansionError(
                f"the variables (ARG and ENV) hold more than {MAX_ENV // (1 << 20)} MiB", word
            )


def _lookup_in(env: Mapping[str, str], word: str) -> Lookup:
    check_environment(env, word)
    return env.get


def expand_word(word: str, env: Mapping[str, str], escape: str = "\\") -> str:
    """Expand variables and remove quotes, keeping white space: one string."""
    return Lexer(word, _lookup_in(env, word), escape, split=False).run()[0]


def expand_words(word: str, env: Mapping[str, str], escape: str = "\\") -> list[str]:
    """Expand variables, then split on unquoted white space (quoted empties vanish)."""
    return Lexer(word, _lookup_in(env, word), escape).run()[1]


def check_word(word: str, escape: str = "\\") -> None:
    """Raise ExpansionError if ``word`` is malformed whatever the variables hold."""
    Lexer(word, lambda _name: None, escape, skip_unset=True).run()


def referenced_names(word: str, escape: str = "\\", *, guarded: bool = True) -> list[str]:
    """Names of the variables ``word`` refers to, in order of first use.

    With ``guarded=False``, names only used under ``:-``, ``-``, ``:+``, ``+``,
    ``:?`` or ``?`` (which cope with an unset variable) are left out.
    """
    seen: dict[str, None] = {}

    def record(name: str) -> None:
        seen.setdefault(name, None)
        return None

    lexer = Lexer(word, record, escape, skip_unset=True)
    lexer.run()
    return [n for n in seen if guarded or n in lexer.plain_names]


def raw_words(line: str) -> list[str]:
    """Split a line into words keeping quotes and escapes, as BuildKit's heredoc scan does.

    Malformed substitutions give no words (BuildKit ignores that error here).
    """
    lexer = Lexer(
        line, lambda _name: None, "\\", raw_quotes=True, raw_escapes=True, skip_unset=True
    )
    try:
        return lexer.run()[1]
    except ExpansionError:
        return []
