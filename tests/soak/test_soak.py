"""Builds and API containers in a row leave mounts, descriptors, processes, temporaries and
disk use flat (N from BUILDAH_PY_SOAK_N: 5 in `make test`, 50 in `make soak`)."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from buildah_py.container import Container
from buildah_py.frontend import BuildOptions, build
from buildah_py.storage import Store
from tests.soak.conftest import BASE, assert_flat, rounds, usage

DOCKERFILE = f"""FROM {BASE} AS base
RUN --network=none --mount=type=tmpfs,target=/t,size=1m \
    sh -c 'echo tmp > /t/x && cat /t/x > /from-tmpfs'
RUN --mount=type=cache,target=/cache,id=soak sh -c 'echo c > /cache/c && cp /cache/c /from-cache'
RUN --mount=type=secret,id=tok sh -c 'test "$(cat /run/secrets/tok)" = s3cret && echo ok > /ok'
FROM {BASE}
COPY --from=base /from-tmpfs /from-cache /ok /got/
RUN --mount=type=bind,target=/ctx cat /ctx/data > /from-bind
RUN --mount=type=bind,target=/ctx,rw sh -c 'echo scribble > /ctx/data && cat /ctx/data > /rw'
RUN --mount=type=bind,from=base,source=/from-cache,target=/fc cp /fc /from-stage
"""


def _build(ctx: Path, secret: Path, store: Store) -> str:
    opts = BuildOptions(
        context=str(ctx),
        tags=["localhost/soak:latest"],
        secrets=[f"id=tok,src={secret}"],
        cache=False,
        timestamp=0,
        out=io.StringIO(),
    )
    image_id = build(opts, store).id
    # A --no-cache build keeps each step's snapshot (under a random key) until a prune.
    store.prune(grace=0)
    return image_id


def test_builds_in_a_row_leave_nothing_behind(store: Store, tmp_path: Path) -> None:
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (ctx / "Dockerfile").write_text(DOCKERFILE)
    (ctx / "data").write_text("context\n")
    secret = tmp_path / "secret"
    secret.write_text("s3cret")
    first = _build(ctx, secret, store)  # warms what is made once: the cache, lock files
    before = usage(tmp_path, store)
    for _ in range(rounds()):
        assert _build(ctx, secret, store) == first
    assert_flat(before, usage(tmp_path, store))
    assert (ctx / "data").read_text() == "context\n"
    assert len(store.containers()) == 0


def _api_round(store: Store | None, n: int) -> None:
    with Container.from_image(BASE, store=store) as c:
        c.run(
            f"echo {n} > /t/n && cat /t/n > /n && echo x > /c/x",
            mounts=["type=tmpfs,target=/t", "type=cache,target=/c,id=api"],
            network="none",
        )
        c.copy("data", "/data", context=c.store.root.parent / "ctx")
        c.commit("localhost/api-soak:latest", timestamp=0).remove()


@pytest.mark.parametrize("explicit_store", [True, False], ids=["store", "default-store"])
def test_api_containers_in_a_row_leave_nothing_behind(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, explicit_store: bool
) -> None:
    (tmp_path / "ctx").mkdir()
    (tmp_path / "ctx" / "data").write_text("data\n")
    monkeypatch.setenv("BUILDAH_PY_ROOT", str(store.root))
    monkeypatch.setenv("BUILDAH_PY_RUNROOT", str(store.runroot))
    given = store if explicit_store else None
    _api_round(given, 0)
    before = usage(tmp_path, store)
    for n in range(1, rounds() + 1):
        _api_round(given, n)
    assert_flat(before, usage(tmp_path, store))
    assert not store.containers() and os.listdir(store.runroot) is not None
