"""Threads pulling the same image from a registry into one store at the same time, then
building on it: one image, whole, and every build sees it."""

from __future__ import annotations

from pathlib import Path

from buildah_py import Container, Image
from buildah_py.storage import Store
from tests.api.test_threads import BASE, _in_threads
from tests.registry_fixtures import Registry, registry

__all__ = ["registry"]


def test_threads_pull_one_image_together(store: Store, registry: Registry, tmp_path: Path) -> None:
    ref = f"docker://{registry.ref('busybox:1')}"
    Image.get(BASE, store=store).push(ref, tls_verify=False)
    for r in range(3):
        fresh = Store.open(tmp_path / f"root{r}", tmp_path / f"run{r}")

        def work(i: int, fresh: Store = fresh) -> str:
            with Container.from_image(ref, store=fresh, tls_verify=False) as c:
                c.run(f"echo {i} > /i")
                return c.commit(f"localhost/pulled:{i}", timestamp=0).id

        ids = _in_threads(4, work)
        assert len(set(ids)) == 4
        assert len([i for i in fresh.images() if i.names and "busybox" in i.names[0]]) == 1
        damage = [p for p in fresh.check(repair=False) if "of a process that is gone" not in p]
        assert not damage
        fresh.close()
