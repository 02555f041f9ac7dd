"""What a working container knows beyond its snapshot chain and config, typed.

Storage keeps this as the container record's opaque ``extra`` JSON; ``to_extra`` and
``from_extra`` are the one pair of functions that turn it into JSON and back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from buildah_py.isolation.runopts import RunOptions
from buildah_py.oci.descriptor import Descriptor


@dataclass(frozen=True)
class HistoryStep:
    """A history entry made by a cached step: its text, and its frozen snapshot (None: config only)."""

    created_by: str
    snapshot: str | None


@dataclass
class WorkingRecord:
    """The working container's own state, saved beside its config."""

    #: The base image's layers (what commit reuses as they are), bottom first.
    base_layers: list[Descriptor] = field(default_factory=list)
    #: Manifest annotations the commit writes (OCI format).
    annotations: dict[str, str] = field(default_factory=dict)
    #: History notes of changes no cached step holds yet (the next layer's created_by).
    pending: list[str] = field(default_factory=list)
    #: The cache state: the key of the last cached step (None: no step since the base).
    cache_state: str | None = None
    #: Cached steps since the base, in order: one history entry each.
    steps: list[HistoryStep] = field(default_factory=list)
    #: The history note the next commit uses when it is given none (``config --created-by``).
    created_by: str | None = None
    #: The comment of the next commit's history entry when it is given none (``--history-comment``).
    history_comment: str | None = None
    #: How every ``run`` runs unless told otherwise (``from``'s -v, --cap-add, --dns ...).
    run_options: RunOptions = field(default_factory=RunOptions)
    #: Chosen when the container was made (``from --format/--isolation/--add-host``).
    format: str | None = None
    isolation: str | None = None
    #: The OCI runtime of ``oci`` isolation (``build --runtime`` for a script's containers).
    runtime: str | None = None
    network: str | None = None
    add_host: list[str] = field(default_factory=list)


def to_extra(rec: WorkingRecord) -> dict[str, Any]:
    """The JSON object storage keeps for `rec`."""
    out: dict[str, Any] = {
        "layers": [d.to_json() for d in rec.base_layers],
        "annotations": dict(rec.annotations),
        "pending": list(rec.pending),
        "steps": [{"created_by": s.created_by, "snapshot": s.snapshot} for s in rec.steps],
    }
    if rec.cache_state is not None:
        out["cache_state"] = rec.cache_state
    if rec.created_by is not None:
        out["created_by"] = rec.created_by
    if rec.history_comment is not None:
        out["history_comment"] = rec.history_comment
    if rec.run_options != RunOptions():
        out["run_options"] = rec.run_options.to_json()
    for key in ("format", "isolation", "runtime", "network"):
        if getattr(rec, key) is not None:
            out[key] = getattr(rec, key)
    if rec.add_host:
        out["add_host"] = list(rec.add_host)
    return out


def from_extra(data: dict[str, Any]) -> WorkingRecord:
    """The record `to_extra` wrote (keys it does not know are ignored)."""
    return WorkingRecord(
        base_layers=[Descriptor.from_json(d) for d in data.get("layers") or []],
        annotations={str(k): str(v) for k, v in (data.get("annotations") or {}).items()},
        pending=[str(p) for p in data.get("pending") or []],
        cache_state=data.get("cache_state") or None,
        steps=[
            HistoryStep(str(s.get("created_by") or ""), s.get("snapshot"))
            for s in data.get("steps") or []
        ],
        created_by=data.get("created_by"),
        history_comment=data.get("history_comment"),
        run_options=RunOptions.from_json(data.get("run_options") or {}),
        format=data.get("format"),
        isolation=data.get("isolation"),
        runtime=data.get("runtime"),
        network=data.get("network"),
        add_host=[str(h) for h in data.get("add_host") or []],
    )
