"""Build arguments: header ARGs, per-stage declarations, the automatic platform ARGs, proxy ARGs.

Docker's rules: ARGs before the first FROM are usable in FROM lines only, unless a stage
declares them again (``ARG NAME`` then inherits the header value). A declared ARG takes the
``--build-arg`` value, else its default. ENV wins over ARG of the same name. The platform ARGs
are predefined in the header scope; proxy ARGs reach RUN without being declared and are never
persisted in the image nor part of a cache key.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from buildah_py.oci.descriptor import Platform

PROXY_ARGS = frozenset(
    n
    for v in ("HTTP_PROXY", "HTTPS_PROXY", "FTP_PROXY", "NO_PROXY", "ALL_PROXY")
    for n in (v, v.lower())
)


def platform_args(target: Platform, build: Platform) -> dict[str, str]:
    def fmt(p: Platform) -> str:
        return f"{p.os}/{p.architecture}" + (f"/{p.variant}" if p.variant else "")

    return {
        "TARGETPLATFORM": fmt(target),
        "TARGETOS": target.os,
        "TARGETARCH": target.architecture,
        "TARGETVARIANT": target.variant,
        "BUILDPLATFORM": fmt(build),
        "BUILDOS": build.os,
        "BUILDARCH": build.architecture,
        "BUILDVARIANT": build.variant,
    }


@dataclass
class ArgScope:
    """The values the build arguments take: given on the command line, then declared ones."""

    given: Mapping[str, str]
    automatic: Mapping[str, str]
    header: dict[str, str] = field(default_factory=dict)  # header ARGs with a value
    consumed: set[str] = field(default_factory=set)

    def declare_header(self, name: str, default: str | None) -> None:
        value = self.value(name, default)
        if value is not None:
            self.header[name] = value

    def value(self, name: str, default: str | None) -> str | None:
        """What a declaration of `name` (with an expanded `default`) evaluates to."""
        if name in self.given:
            self.consumed.add(name)
            return self.given[name]
        if default is not None:
            return default
        if name in self.header:
            return self.header[name]
        return self.automatic.get(name)

    def for_from(self) -> dict[str, str]:
        """Variables a FROM line sees: the automatic platform ARGs and the header ARGs."""
        return {**self.automatic, **self.header}

    def proxies(self) -> dict[str, str]:
        """Proxy settings given as build args: passed to RUN without an ARG line."""
        out = {k: v for k, v in self.given.items() if k in PROXY_ARGS}
        self.consumed.update(out)
        return out

    def unused(self) -> list[str]:
        return sorted(set(self.given) - self.consumed - PROXY_ARGS)
