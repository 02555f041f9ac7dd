"""Docker image references: parse, validate and normalise (``busybox`` -> ``docker.io/library/busybox:latest``)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from buildah_py.errors import ImageReferenceError
from buildah_py.oci.digest import is_digest

DEFAULT_DOMAIN = "docker.io"
LEGACY_DOMAINS = ("index.docker.io", "registry-1.docker.io")
OFFICIAL_PREFIX = "library/"
DEFAULT_TAG = "latest"

_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_PATH_RE = re.compile(rf"^{_COMPONENT}(?:/{_COMPONENT})*$")
_TAG_RE = re.compile(r"^[\w][\w.-]{0,127}$")
_DOMAIN_RE = re.compile(
    r"^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*"
    r"|\[[0-9a-fA-F:]+\])(?::[0-9]+)?$"
)
MAX_NAME = 255


@dataclass(frozen=True)
class Reference:
    """A fully qualified reference: ``domain/path[:tag][@digest]``."""

    domain: str
    path: str
    tag: str = ""
    digest: str = ""

    @property
    def repository(self) -> str:
        return f"{self.domain}/{self.path}"

    @property
    def name(self) -> str:
        return self.repository

    def __str__(self) -> str:
        out = self.repository
        if self.tag:
            out += f":{self.tag}"
        if self.digest:
            out += f"@{self.digest}"
        return out

    def with_tag(self, tag: str) -> Reference:
        return Reference(self.domain, self.path, tag, "")

    def with_digest(self, digest: str) -> Reference:
        return Reference(self.domain, self.path, self.tag, digest)

    @property
    def familiar(self) -> str:
        """The short form docker prints (``busybox:latest``)."""
        path = self.path
        if self.domain == DEFAULT_DOMAIN:
            path = path.removeprefix(OFFICIAL_PREFIX)
            out = path
        else:
            out = self.repository
        if self.tag:
            out += f":{self.tag}"
        if self.digest:
            out += f"@{self.digest}"
        return out


def _looks_like_domain(part: str) -> bool:
    return (
        "." in part
        or ":" in part
        or part == "localhost"
        or part.startswith("[")
        or part != part.lower()
    )


def parse_reference(
    text: str, default_tag: bool = True, default_domain: str = DEFAULT_DOMAIN
) -> Reference:
    """Parse and normalise a reference; adds ``:latest`` when it has neither tag nor digest."""
    if not isinstance(text, str) or not text:
        raise ImageReferenceError("empty image reference")
    if text != text.strip() or any(c.isspace() for c in text):
        raise ImageReferenceError(f"invalid image reference {text!r}: contains whitespace")
    rest, digest = text, ""
    if "@" in rest:
        rest, digest = rest.split("@", 1)
        if not is_digest(digest):
            raise ImageReferenceError(f"invalid image reference {text!r}: bad digest {digest!r}")
    tag = ""
    slash = rest.rfind("/")
    colon = rest.rfind(":")
    if colon > slash:
        rest, tag = rest[:colon], rest[colon + 1 :]
        if not _TAG_RE.match(tag):
            raise ImageReferenceError(f"invalid image reference {text!r}: bad tag {tag!r}")
    first, sep, remainder = rest.partition("/")
    if sep and _looks_like_domain(first):
        domain, path = first, remainder
    else:
        domain, path = default_domain, rest
    if domain in LEGACY_DOMAINS:
        domain = DEFAULT_DOMAIN
    if not _DOMAIN_RE.match(domain):
        raise ImageReferenceError(f"invalid image reference {text!r}: bad registry {domain!r}")
    if domain == DEFAULT_DOMAIN and "/" not in path:
        path = OFFICIAL_PREFIX + path
    if not _PATH_RE.match(path):
        hint = " (repository names must be lowercase)" if path != path.lower() else ""
        raise ImageReferenceError(
            f"invalid image reference {text!r}: bad repository name {path!r}{hint}"
        )
    if len(f"{domain}/{path}") > MAX_NAME:
        raise ImageReferenceError(f"invalid image reference {text!r}: name longer than {MAX_NAME}")
    if default_tag and not tag and not digest:
        tag = DEFAULT_TAG
    return Reference(domain, path, tag, digest)


def is_tag(text: str) -> bool:
    """Whether `text` is a valid tag (``[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}``): no path in it."""
    return isinstance(text, str) and _TAG_RE.match(text) is not None and "\n" not in text


def normalize_name(text: str) -> str:
    """The full string form of a reference, as stored in the local store."""
    return str(parse_reference(text))


def local_name(text: str) -> str:
    """Names given to committed images: unqualified names go under ``localhost/`` like buildah."""
    return str(parse_reference(text, default_domain="localhost"))
