"""The image configuration (image-spec config.md, plus Docker's extra fields), kept as JSON.

The config is held as a dict so that fields we do not model survive a round trip untouched;
typed accessors cover every field of the container config that buildah's ``config`` verb sets.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from buildah_py.errors import ImageFormatError
from buildah_py.oci.descriptor import Platform
from buildah_py.oci.jsondoc import load_object
from buildah_py.oci.manifest import MAX_MANIFEST_SIZE, encode_json

#: Container-config fields the OCI format cannot carry; Docker v2s2 keeps them.
DOCKER_ONLY_FIELDS = ("Healthcheck", "OnBuild", "Shell", "Domainname", "Hostname", "ArgsEscaped")
#: Every container-config key with the JSON type it must have.
CONFIG_FIELDS: dict[str, type] = {
    "User": str,
    "ExposedPorts": dict,
    "Env": list,
    "Entrypoint": list,
    "Cmd": list,
    "Volumes": dict,
    "WorkingDir": str,
    "Labels": dict,
    "StopSignal": str,
    "Healthcheck": dict,
    "OnBuild": list,
    "Shell": list,
    "Domainname": str,
    "Hostname": str,
    "ArgsEscaped": bool,
}


def utc_timestamp(epoch: int | None = None) -> str:
    """RFC 3339 UTC time, as images record it (``SOURCE_DATE_EPOCH`` style input allowed)."""
    when = datetime.fromtimestamp(epoch, UTC) if epoch is not None else datetime.now(UTC)
    return (
        when.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        if epoch is None
        else when.strftime("%Y-%m-%dT%H:%M:%SZ")
    )


@dataclass
class ImageConfig:
    data: dict[str, Any]

    @classmethod
    def new(cls, platform: Platform | None = None) -> ImageConfig:
        plat = platform or Platform.host()
        data: dict[str, Any] = {
            "architecture": plat.architecture,
            "os": plat.os,
            "config": {},
            "rootfs": {"type": "layers", "diff_ids": []},
            "history": [],
        }
        if plat.variant:
            data["variant"] = plat.variant
        return cls(data)

    @classmethod
    def from_bytes(cls, raw: bytes) -> ImageConfig:
        data = load_object(raw, "image config", limit=MAX_MANIFEST_SIZE)
        rootfs = data.get("rootfs")
        if not isinstance(rootfs, dict) or not isinstance(rootfs.get("diff_ids", []), list):
            raise ImageFormatError("image config has no valid rootfs.diff_ids")
        cfg = data.get("config")
        if cfg is None:
            data["config"] = {}
        elif not isinstance(cfg, dict):
            raise ImageFormatError("image config 'config' is not an object")
        return cls(data)

    def to_bytes(self) -> bytes:
        return encode_json(self.data)

    def copy(self) -> ImageConfig:
        return ImageConfig(copy.deepcopy(self.data))

    # --- top level ------------------------------------------------------
    @property
    def config(self) -> dict[str, Any]:
        cfg = self.data.setdefault("config", {})
        assert isinstance(cfg, dict)
        return cfg

    @property
    def diff_ids(self) -> list[str]:
        return list(self.data.get("rootfs", {}).get("diff_ids", []) or [])

    @property
    def history(self) -> list[dict[str, Any]]:
        return list(self.data.get("history", []) or [])

    @property
    def platform(self) -> Platform:
        return Platform(
            os=self.data.get("os", "linux"),
            architecture=self.data.get("architecture", ""),
            variant=self.data.get("variant", "") or "",
        )

    def set_platform(
        self, os: str | None = None, arch: str | None = None, variant: str | None = None
    ) -> None:
        if os is not None:
            self.data["os"] = os
        if arch is not None:
            self.data["architecture"] = arch
        if variant is not None:
            if variant:
                self.data["variant"] = variant
            else:
                self.data.pop("variant", None)

    def get(self, key: str, default: Any = None) -> Any:
        return self.config.get(key, default)

    def set(self, key: str, value: Any) -> None:
        """Set a container-config field; None or an empty value removes it."""
        want = CONFIG_FIELDS.get(key)
        if want is not None and value is not None and not isinstance(value, want):
            raise TypeError(f"config field {key} must be {want.__name__}")
        if value is None or value == {} or value == [] and key not in ("Cmd", "Entrypoint"):
            self.config.pop(key, None)
        else:
            self.config[key] = value

    # --- env --------------------------------------------------------------
    @property
    def env(self) -> list[str]:
        return list(self.config.get("Env") or [])

    def env_dict(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for item in self.env:
            key, _, value = item.partition("=")
            out[key] = value
        return out

    def set_env(self, key: str, value: str) -> None:
        env = [e for e in self.env if e.partition("=")[0] != key]
        env.append(f"{key}={value}")
        self.config["Env"] = env

    def unset_env(self, key: str) -> None:
        self.set("Env", [e for e in self.env if e.partition("=")[0] != key])

    # --- layers and history ---------------------------------------------
    def add_layer(self, diff_id: str) -> None:
        self.data.setdefault("rootfs", {"type": "layers", "diff_ids": []})
        self.data["rootfs"].setdefault("diff_ids", []).append(diff_id)

    def add_history(
        self,
        created_by: str,
        *,
        empty_layer: bool,
        created: str,
        author: str = "",
        comment: str = "",
    ) -> None:
        entry: dict[str, Any] = {"created": created, "created_by": created_by}
        if author:
            entry["author"] = author
        if comment:
            entry["comment"] = comment
        if empty_layer:
            entry["empty_layer"] = True
        self.data.setdefault("history", []).append(entry)

    def history_matches_layers(self) -> bool:
        """The spec's rule: non-empty history entries equal the number of layers."""
        hist = self.history
        return not hist or sum(1 for h in hist if not h.get("empty_layer")) == len(self.diff_ids)

    # --- format conversion ----------------------------------------------
    def dropped_by_oci(self) -> list[str]:
        """Container-config fields set here that an OCI config would silently lose."""
        return [
            f for f in DOCKER_ONLY_FIELDS if self.config.get(f) not in (None, "", [], {}, False)
        ]

    def for_format(self, fmt: str) -> ImageConfig:
        """A copy shaped for 'oci' (Docker-only fields removed) or 'docker' (kept)."""
        out = self.copy()
        if fmt == "oci":
            for key in DOCKER_ONLY_FIELDS:
                out.config.pop(key, None)
            out.data.pop("container_config", None)
            out.data.pop("container", None)
            out.data.pop("docker_version", None)
        return out
