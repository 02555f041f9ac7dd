"""Error types of the Dockerfile parser (standalone: nothing from buildah_py)."""

from __future__ import annotations


class DockerfileParserError(Exception):
    """Base class of every error this package raises."""


class DockerfileSyntaxError(DockerfileParserError, ValueError):
    """A Dockerfile that cannot be parsed; ``str()`` is ``FILE:LINE:COLUMN: message``."""

    def __init__(self, message: str, filename: str = "Dockerfile", line: int = 1, column: int = 1):
        super().__init__(message, filename, line, column)
        self.message = message
        self.filename = filename
        self.line = line
        self.column = column

    def __str__(self) -> str:
        return f"{self.filename}:{self.line}:{self.column}: {self.message}"


class DockerfileSemanticError(DockerfileSyntaxError):
    """Valid syntax that cannot be built (an unknown flag, a bare HEALTHCHECK, an unclosed quote
    the builder would expand); ``instruction`` is the instruction's name."""

    def __init__(
        self,
        message: str,
        filename: str = "Dockerfile",
        line: int = 1,
        column: int = 1,
        instruction: str = "",
    ):
        super().__init__(message, filename, line, column)
        self.instruction = instruction


class ExpansionError(DockerfileParserError, ValueError):
    """A variable substitution that is malformed or refused (``${x:?}``)."""

    def __init__(self, reason: str, word: str):
        super().__init__(reason, word)
        self.reason = reason
        self.word = word

    def __str__(self) -> str:
        shown = self.word if len(self.word) <= 80 else self.word[:77] + "..."
        return f"{self.reason} (while expanding {shown!r})"


class IgnoreFileError(DockerfileParserError, ValueError):
    """An ignore file that cannot be read or holds a malformed pattern."""

    def __init__(self, message: str, filename: str = ".dockerignore", line: int = 0):
        super().__init__(message, filename, line)
        self.message = message
        self.filename = filename
        self.line = line

    def __str__(self) -> str:
        where = f"{self.filename}:{self.line}" if self.line else self.filename
        return f"{where}: {self.message}"
