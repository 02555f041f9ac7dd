"""Content descriptors and platforms (image-spec descriptor.md, image-index.md)."""

from __future__ import annotations

import platform as _platform
from dataclasses import dataclass, field
from typing import Any

from buildah_py.errors import ImageFormatError
from buildah_py.oci.digest import validate_digest

_ARCH_ALIASES = {
    "x86_64": "amd64",
    "aarch64": "arm64",
    "armv7l": "arm",
    "i686": "386",
    "i386": "386",
}


@dataclass(frozen=True)
class Platform:
    """An OS, architecture and variant; ``Platform.parse("linux/arm64/v8")`` reads one."""

    os: str = "linux"
    architecture: str = "amd64"
    variant: str = ""
    os_version: str = ""
    os_features: tuple[str, ...] = ()

    @classmethod
    def parse(cls, text: str) -> Platform:
        """Parse ``os/arch[/variant]`` (the form of ``--platform``)."""
        parts = text.strip().split("/")
        if len(parts) not in (2, 3) or not all(parts):
            raise ValueError(f"invalid platform {text!r}: want os/arch[/variant]")
        arch = _ARCH_ALIASES.get(parts[1], parts[1])
        variant = parts[2] if len(parts) == 3 else ""
        if arch == "arm64" and variant == "v8":
            variant = ""
        return cls(os=parts[0], architecture=arch, variant=variant)

    @classmethod
    def host(cls) -> Platform:
        machine = _platform.machine()
        arch = _ARCH_ALIASES.get(machine, machine)
        return cls(os="linux", architecture=arch, variant="v7" if arch == "arm" else "")

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Platform:
        return cls(
            os=str(data.get("os", "")),
            architecture=str(data.get("architecture", "")),
            variant=str(data.get("variant", "") or ""),
            os_version=str(data.get("os.version", "") or ""),
            os_features=tuple(data.get("os.features", ()) or ()),
        )

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"architecture": self.architecture, "os": self.os}
        if self.variant:
            out["variant"] = self.variant
        if self.os_version:
            out["os.version"] = self.os_version
        if self.os_features:
            out["os.features"] = list(self.os_features)
        return out

    def matches(self, other: Platform) -> bool:
        """True if `other` (an index entry) serves this wanted platform."""
        if (self.os, self.architecture) != (other.os, other.architecture):
            return False
        return not self.variant or not other.variant or self.variant == other.variant

    def __str__(self) -> str:
        return "/".join(p for p in (self.os, self.architecture, self.variant) if p)


@dataclass(frozen=True)
class Descriptor:
    """An OCI content descriptor: what a manifest or index points to, by digest and size."""

    media_type: str
    """The content's media type."""
    digest: str
    """The content's digest (``sha256:...``)."""
    size: int
    """The content's size in bytes."""
    annotations: dict[str, str] = field(default_factory=dict, compare=False)
    """The descriptor's annotations."""
    platform: Platform | None = None
    """The platform an index entry serves (None: not given)."""
    urls: tuple[str, ...] = ()
    """Where else the content may be fetched from."""
    artifact_type: str = ""
    """The artifact's type, for artifacts (or "")."""

    def __post_init__(self) -> None:
        validate_digest(self.digest)
        if not isinstance(self.size, int) or self.size < 0:
            raise ImageFormatError(f"descriptor {self.digest}: invalid size {self.size!r}")

    @classmethod
    def from_json(cls, data: Any) -> Descriptor:
        if not isinstance(data, dict):
            raise ImageFormatError("descriptor is not a JSON object")
        try:
            plat = data.get("platform")
            return cls(
                media_type=str(data.get("mediaType", "")),
                digest=data["digest"],
                size=data["size"],
                annotations=dict(data.get("annotations") or {}),
                platform=Platform.from_json(plat) if isinstance(plat, dict) else None,
                urls=tuple(data.get("urls") or ()),
                artifact_type=str(data.get("artifactType", "") or ""),
            )
        except KeyError as err:
            raise ImageFormatError(f"descriptor lacks {err.args[0]!r}") from err

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "mediaType": self.media_type,
            "digest": self.digest,
            "size": self.size,
        }
        if self.urls:
            out["urls"] = list(self.urls)
        if self.annotations:
            out["annotations"] = dict(self.annotations)
        if self.platform is not None:
            out["platform"] = self.platform.to_json()
        if self.artifact_type:
            out["artifactType"] = self.artifact_type
        return out

    def with_annotations(self, annotations: dict[str, str]) -> Descriptor:
        return Descriptor(
            self.media_type,
            self.digest,
            self.size,
            dict(annotations),
            self.platform,
            self.urls,
            self.artifact_type,
        )
