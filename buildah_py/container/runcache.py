"""A ``run`` step through the build cache, its exit status (and captured output) part of the result.

A step that exits 0 is frozen under its key, as every step is. A ``check=False`` step that
exits non-zero is frozen under its key with the status added, and its step note (under
``build-cache/steps.json``) says which key it answers and with what status; so a later
identical ``check=False`` step gets the same snapshot and status back, and the steps after
it stay cached. A ``check=True`` step never reuses a failure: a retry runs it again.
Captured output up to OUTPUT_LIMIT bytes a stream is kept in the note; a captured step
whose output is not there runs again. A step run with ``no_cache`` (or after
``no_cache_from_here()``) is frozen under a fresh ID whose note says which key it replaces
(``rebuilt``); from then on that snapshot answers the key (BuildCache.replaced).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from buildah_py.container import cache_steps as steps
from buildah_py.container.cached_ops import mount_inputs
from buildah_py.container.output import RunResult, tail_text
from buildah_py.container.rootfs import released
from buildah_py.container.step import RunStep
from buildah_py.errors import CommandNotFound, StepFailed

if TYPE_CHECKING:
    from buildah_py.container.cache import BuildCache
    from buildah_py.container.working import Container
    from buildah_py.storage import Store

OUTPUT_LIMIT = 64 * 1024


def raise_failure(result: RunResult) -> None:
    """StepFailed (CommandNotFound for status 127) when `result` is a failure."""
    if result.status == 0:
        return
    kind = CommandNotFound if result.status == 127 else StepFailed
    raise kind(list(result.argv), result.status, tail_text(result.stderr))


def cached_run(
    ctr: Container,
    step: RunStep,
    execute: Callable[[], RunResult],
    check: bool,
    capture: bool,
    no_cache: bool = False,
) -> RunResult:
    """`step` through the cache: reuse the stored result of the same step, or run and freeze it
    (a mount the caller holds is let go meanwhile, and made again at the same place after).
    `no_cache` (or ``ctr.rebuilding``): run it anyway; its result replaces the cached one."""
    cache = ctr.cache
    assert cache is not None
    cache.announce(ctr.step_note or describe(step))
    with released(ctr.store, ctr.id):
        inputs = mount_inputs(ctr.store, cache, step.mounts)
        op = step.key_op()
        steps.freeze_dirty(ctr)
        state = ctr.work.cache_state or steps.base_state(ctr.record.image_id)
        key = cache.key(state, op, inputs) if cache.enabled else cache.random_id()
        rebuild = (no_cache or ctr.rebuilding) and cache.enabled
        looked = cache.enabled and not rebuild
        with steps.one_at_a_time(key if looked else None):
            found = _find(ctr.store, cache, key, check, capture) if looked else None
            source = None
            if found is None and looked and not capture:
                source = steps.fetch_step(
                    ctr, cache, key
                )  # the registry cache keeps status-0 steps
                found = (key, RunResult((), 0, b"", b"")) if source else None
            note = ctr.step_note or step.note
            if found is not None:
                snap, result = found
                steps.finish_step(ctr, snap, note, lambda rec: ctr.store.use_step(ctr.id, snap, rec))  # fmt: skip
                cache.hit(snap, source or "")
                result = replace(result, argv=step.argv, cached=True)
            else:
                why = (
                    ""
                    if not rebuild
                    else steps.REBUILD_ONE
                    if no_cache
                    else steps.REBUILD_FROM_HERE
                )
                cache.miss(key, state, op, inputs, why)
                result = execute()
                if check:
                    raise_failure(result)  # a failure is never frozen: a retry runs the step again
                snap = key
                if rebuild:  # a fresh snapshot: the one under `key` may be in use elsewhere
                    snap = cache.random_id()
                elif result.status != 0 and cache.enabled:
                    snap = cache.key(state, {**op, "status": result.status}, inputs)
                kept = _note(result, key, capture) | (steps.rebuilt_note(key) if rebuild else {})
                steps.freeze_made(ctr, cache, snap, (state, op, inputs), note, kept)
        ctr.last_status = result.status
        if result.status == 0:
            steps.publish_step(ctr, cache, snap, note)
        return result


def describe(step: RunStep) -> str:
    """The step line of a run: ``RUN cmd`` for the shell form, ``RUN ["prog", ...]`` else."""
    argv = step.argv
    if len(argv) >= 3 and argv[-2] == "-c":
        return f"RUN {argv[-1].strip()}"
    return "RUN " + json.dumps(list(argv))


def _note(result: RunResult, key: str, capture: bool) -> dict[str, Any]:
    """What the step note keeps of `result` beside what the step read."""
    out: dict[str, Any] = {}
    if result.status != 0:
        out.update(status=result.status, answers=key, tail=tail_text(result.stderr))
    if capture and max(len(result.stdout), len(result.stderr)) <= OUTPUT_LIMIT:
        out["stdout"] = base64.b64encode(result.stdout).decode("ascii")
        out["stderr"] = base64.b64encode(result.stderr).decode("ascii")
    return out


def _from_note(note: dict[str, Any], status: int) -> RunResult | None:
    try:
        stdout = base64.b64decode(note.get("stdout", ""), validate=True)
        stderr = base64.b64decode(note.get("stderr", ""), validate=True)
    except (ValueError, TypeError):
        return None  # a damaged note: the step runs again
    if not stderr and note.get("tail"):
        stderr = str(note["tail"]).encode()
    return RunResult((), status, stdout, stderr)


def _find(
    store: Store, cache: BuildCache, key: str, check: bool, capture: bool
) -> tuple[str, RunResult] | None:
    """The snapshot and result that answer `key`: its newest rebuild, else its own (status 0),
    else, for a step that may fail, one a failed run of it left; None when none is usable."""
    candidates: list[tuple[str, int]] = []
    again = cache.replaced(key)
    if again is not None and (again[1] == 0 or not check):
        candidates.append(again)
    elif cache.lookup(key):
        candidates.append((key, 0))
    notes: dict[str, Any] | None = None
    if not candidates and not check:
        notes = store.step_notes()
        for snap, note in reversed(list(notes.items())):
            if not isinstance(note, dict) or note.get("answers") != key:
                continue
            status = note.get("status")
            if not isinstance(status, int):
                continue
            if (not capture or "stdout" in note) and cache.lookup(snap):
                candidates.append((snap, status))
                break
    if not candidates:
        return None
    snap, status = candidates[0]
    if status == 0 and not capture:
        return snap, RunResult((), 0, b"", b"")
    notes = store.step_notes() if notes is None else notes
    note = notes.get(snap)
    if not isinstance(note, dict) or (capture and "stdout" not in note):
        return None  # its output is not kept: the step runs again to capture it
    kept = _from_note(note, status)
    return (snap, kept) if kept is not None else None
