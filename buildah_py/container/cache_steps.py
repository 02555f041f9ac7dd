"""What a cached container does around run/copy/add/config: freeze loose changes, reuse or
make a step's snapshot, and keep the container's step state and history."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from buildah_py.container.cache import BuildCache
from buildah_py.container.copy_inputs import CopyInputs, LateInputs
from buildah_py.container.record import HistoryStep, WorkingRecord, to_extra
from buildah_py.container.rootfs import released

if TYPE_CHECKING:
    from buildah_py.container.working import Container
    from buildah_py.storage import Store
    from buildah_py.storage.records import ContainerRecord


def is_dirty(store: Store, ctr_id: str) -> bool:
    """Whether a container's own diff holds changes no step has frozen yet (overlay drivers;
    vfs keeps a full tree there, so it always counts as clean)."""
    if store.container_diff_kind(ctr_id) != "upper":
        return False
    with os.scandir(store.container_upper(ctr_id)) as it:
        return any(True for _ in it)


def finish_step(
    ctr: Container,
    snapshot_id: str,
    note: str,
    move: Callable[[ContainerRecord], object],
) -> None:
    """The container's step state and history after step `snapshot_id`; `move(record)` is the
    store call that puts the snapshot on the container's chain (``freeze_step`` or
    ``use_step``), given the record to save in the same write: one record write per step."""
    work = ctr.work
    before = (work.cache_state, work.pending, len(work.steps))
    work.cache_state = snapshot_id
    work.pending = []
    work.steps.append(HistoryStep(note, snapshot_id))
    ctr.record.extra = to_extra(work)
    try:
        move(ctr.record)
    except BaseException:
        work.cache_state, work.pending = before[0], before[1]
        del work.steps[before[2] :]
        ctr.record.extra = to_extra(work)
        raise
    ctr.record.chain = ctr.store.container(ctr.id).chain  # the store changed the chain


def render_ahead(ctr: Container, snap: str) -> None:
    """Have the layer of step `snap`, just frozen, rendered while later steps run, when a
    frontend asked for it (container/prerender.py)."""
    if ctr.layers_ahead is not None:
        ctr.layers_ahead.submit(snap)


_flights: dict[str, tuple[threading.Lock, int]] = {}
_flights_guard = threading.Lock()


@contextmanager
def one_at_a_time(key: str | None) -> Iterator[None]:
    """Hold step `key` while it is looked up and, on a miss, made: a second container reaching
    the same step meanwhile (another platform of the same build, another thread of a script)
    waits and then finds it cached instead of running it again. None holds nothing."""
    if key is None:
        yield
        return
    with _flights_guard:
        lock, users = _flights.get(key, (threading.Lock(), 0))
        _flights[key] = (lock, users + 1)
    try:
        with lock:
            yield
    finally:
        with _flights_guard:
            lock, users = _flights[key]
            if users == 1:
                del _flights[key]
            else:
                _flights[key] = (lock, users - 1)


def freeze_dirty(ctr: Container) -> None:
    """Freeze changes made outside any step (a raw mount, an uncached call) under a random ID,
    so the next step starts on a clean diff; nothing keyed on it will ever be reused."""
    if not is_dirty(ctr.store, ctr.id):
        return
    snap = BuildCache.random_id()
    note = "; ".join(ctr.work.pending) or "changes made outside a step"
    with released(ctr.store, ctr.id):
        finish_step(ctr, snap, note, lambda rec: ctr.store.freeze_step(ctr.id, snap, rec))
    render_ahead(ctr, snap)


def cached_step(
    ctr: Container,
    cache: BuildCache,
    op: dict[str, Any],
    inputs: dict[str, str],
    action: Callable[[], object],
    note: str,
    late: LateInputs | None = None,
) -> None:
    """Reuse the snapshot of an identical earlier step, or run `action` and freeze its result
    (a mount the caller holds is let go meanwhile, and made again at the same place after).
    `late`: more inputs, read before the step, or noted as it runs when nothing stored can
    answer it anyway (copy_inputs.py)."""
    cache.announce(note)
    with released(ctr.store, ctr.id):
        freeze_dirty(ctr)
        state = ctr.work.cache_state or base_state(ctr.record.image_id)
        rebuild = ctr.rebuilding and cache.enabled
        if late is not None and not rebuild and cache.certain_miss(state):
            snap = _keyed_after(ctr, cache, state, op, inputs, late, note)
            publish_step(ctr, cache, snap, note)
            return
        if late is not None and cache.enabled:  # off: a random key, nothing to compare with
            inputs = {**inputs, **late.read()}
        key = cache.key(state, op, inputs) if cache.enabled else cache.random_id()
        with one_at_a_time(key if cache.enabled and not rebuild else None):
            found = None if rebuild else cache.current(key)
            source = None if found or rebuild else fetch_step(ctr, cache, key)
            snap = found or key
            if found or source:
                finish_step(ctr, snap, note, lambda rec: ctr.store.use_step(ctr.id, snap, rec))
                cache.hit(snap, source or "")
                ctr.last_status = 0
            else:
                cache.miss(key, state, op, inputs, REBUILD_FROM_HERE if rebuild else "")
                action()
                snap = cache.random_id() if rebuild else key
                kept = rebuilt_note(key) if rebuild else None
                freeze_made(ctr, cache, snap, (state, op, inputs), note, kept)
        publish_step(ctr, cache, snap, note)


def _keyed_after(
    ctr: Container,
    cache: BuildCache,
    state: str,
    op: dict[str, Any],
    inputs: dict[str, str],
    late: LateInputs,
    note: str,
) -> str:
    """Run a step no stored step can answer, then key and freeze it by the inputs it noted;
    returns its snapshot."""
    noted = CopyInputs(cache)
    late.run(noted)
    inputs = {**inputs, **noted.inputs}
    key = cache.key(state, op, inputs)
    with one_at_a_time(key):  # made meanwhile elsewhere: freeze_step keeps that one
        cache.miss(key, state, op, inputs)
        freeze_made(ctr, cache, key, (state, op, inputs), note)
    return key


def freeze_made(
    ctr: Container,
    cache: BuildCache,
    snap: str,
    step: tuple[str, dict[str, Any], dict[str, str]],
    note: str,
    result: dict[str, Any] | None = None,
) -> None:
    """Freeze the step just run as snapshot `snap`, have its layer rendered ahead, and note
    what it read (`step`: its state, operation and inputs) and `result`."""
    finish_step(ctr, snap, note, lambda rec: ctr.store.freeze_step(ctr.id, snap, rec))
    render_ahead(ctr, snap)
    cache.built(snap, *step, result=result)


#: Why a step was not looked up in the cache.
REBUILD_ONE = "no_cache=True on this step"
REBUILD_FROM_HERE = "no_cache_from_here() was called before this step"


def rebuilt_note(key: str) -> dict[str, Any]:
    """What the step note of a rebuilt step adds: the step it replaces (see BuildCache.replaced)."""
    return {"answers": key, "rebuilt": True}


def fetch_step(ctr: Container, cache: BuildCache, key: str) -> str | None:
    """The registry cache's answer for `key` (unpacked as a local step), or None."""
    return cache.fetch(key, ctr.record.chain[-1] if ctr.record.chain else None)


def publish_step(ctr: Container, cache: BuildCache, key: str, note: str) -> None:
    """Offer the step just finished to the ``cache_to`` repositories."""
    if cache.remote is None or not cache.remote.targets:
        return
    upper = ctr.store.container_diff_kind(ctr.id) == "upper"
    cfg = ctr.record.config
    platform = (str(cfg.get("os") or "linux"), str(cfg.get("architecture") or "amd64"))
    cache.remote.publish(ctr.store, key, upper, note, platform)


def base_state(image_id: str) -> str:
    """The state of a container before any step: its base image, or scratch."""
    return f"image:{image_id}" if image_id else "scratch"


def state_of(store: Store, ctr_id: str, image_id: str, work: WorkingRecord) -> str:
    """What a copy from a container is keyed by: its step state, or a random value when it
    has loose changes."""
    if is_dirty(store, ctr_id):
        return BuildCache.random_id()
    return work.cache_state or base_state(image_id)


def config_step(ctr: Container, notes: list[str]) -> None:
    """A config-only step: a history entry with no layer, and no change to the cache state.

    Inside a ``noting`` block the block's text is the entry, made once however many changes;
    without a cache the notes wait for the next commit's history entry."""
    if ctr.cache is None:
        ctr.work.pending.extend(notes)
    elif ctr.step_note:
        if len(ctr.work.steps) == ctr.step_mark:
            ctr.work.steps.append(HistoryStep(ctr.step_note, None))
    elif notes:
        ctr.work.steps.append(HistoryStep("; ".join(notes), None))
