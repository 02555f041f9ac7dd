"""Container.list(), Image.list() and the store-bound session ``open_store`` returns."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from buildah_py import Container, Image, ManifestList, StoreSession, open_store
from buildah_py.container.importing import import_tarball
from buildah_py.storage import Store
from buildah_py.storage.records import ContainerRecord, ImageRecord

BASE = "localhost/busybox:latest"


def _cli_json(store: Store, *args: str) -> list[dict[str, object]]:
    root, run = str(store.root), str(store.runroot)
    out = subprocess.run(
        [sys.executable, "-m", "buildah_py.cli.main", "--root", root, "--runroot", run, *args],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    data: list[dict[str, object]] = json.loads(out or "[]")
    return data


def test_container_list_is_buildah_containers(store: Store) -> None:
    assert Container.list(store) == []
    with (
        Container.from_image(BASE, store=store, name="web-1") as one,
        Container.from_scratch(store=store, name="db-1") as two,
    ):
        recs = Container.list(store=store)
        assert all(isinstance(r, ContainerRecord) for r in recs)
        assert [r.name for r in recs] == ["web-1", "db-1"]
        assert [r.id for r in recs] == [c["id"] for c in _cli_json(store, "containers", "--json")]
        assert [r.name for r in Container.list(store, name="^web")] == ["web-1"]
        assert [r.id for r in Container.list(store, ancestor="busybox")] == [one.id]
        assert [r.id for r in Container.list(store, id=two.id[:10])] == [two.id]
        assert Container.list(store, name="web", ancestor="nothing") == []
    assert Container.list(store) == []
    with pytest.raises(ValueError, match="^name: '\\[' is not a regular expression"):
        Container.list(store, name="[")
    with pytest.raises(TypeError, match="^ancestor: "):
        Container.list(store, ancestor=5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="nmae"):
        Container.list(store, nmae="x")  # type: ignore[call-arg]


def test_image_list_is_buildah_images(store: Store) -> None:
    with Container.from_image(BASE, store=store) as c:
        c.config(labels={"x": "1"})
        named = c.commit("localhost/app:1")
        c.config(labels={"x": "2"})
        dangling = c.commit()
    recs = Image.list(store)
    assert all(isinstance(r, ImageRecord) for r in recs)
    assert {r.id for r in recs} == {Image.get(BASE, store).id, named.id, dangling.id}
    assert {r.id for r in recs} == {i["id"] for i in _cli_json(store, "images", "--json")}
    assert [r.id for r in Image.list(store, reference="app")] == [named.id]
    assert [r.id for r in Image.list(store, reference="localhost/app:*")] == [named.id]
    assert [r.id for r in Image.list(store, dangling=True)] == [dangling.id]
    assert {r.id for r in Image.list(store, dangling=False)} == {
        named.id,
        Image.get(BASE, store).id,
    }
    assert [r.id for r in Image.list(store, id="sha256:" + named.id[:8])] == [named.id]
    with pytest.raises(TypeError, match="^dangling: "):
        Image.list(store, dangling="yes")  # type: ignore[arg-type]


@pytest.fixture
def session(tmp_path: Path, busybox_tar: Path) -> StoreSession:
    s = open_store(tmp_path / "mine", tmp_path / "mine-run")
    import_tarball(s, str(busybox_tar), BASE, timestamp=0)
    return s


def test_open_store_gives_a_store_bound_session(
    session: StoreSession, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The default store lives elsewhere: nothing done through the session may land there.
    default = tmp_path / "default"
    monkeypatch.setenv("BUILDAH_PY_ROOT", str(default))
    assert isinstance(session, Store)
    with session.from_image(BASE, name="s1") as c:
        assert c.store is session
        assert (
            [r.name for r in session.containers()]
            == ["s1"]
            == [r.name for r in Container.list(session)]
        )
        assert session.get_container("s1").id == c.id
        c.run(["touch", "/made-here"])
        image = c.commit("localhost/from-session:1")
    with session.from_scratch(name="empty") as s:
        assert s.store is session
    assert session.get_image("from-session:1").id == image.id
    assert {r.id for r in session.images()} == {r.id for r in Image.list(session)}
    lst = session.create_manifest_list("both", images=[BASE, image], annotations=["a=b"])
    assert session.manifest_list("both").digest == lst.digest
    assert [m.id for m in session.manifest_lists()] == [lst.id]
    assert ManifestList.get("both", session).entries == lst.entries
    assert not default.exists(), "the default store was opened"


def test_open_store_checks_its_arguments(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="^root: "):
        open_store(5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="^driver: "):
        open_store(tmp_path / "r", tmp_path / "rr", driver=1)  # type: ignore[arg-type]
    with open_store(str(tmp_path / "r"), tmp_path / "rr") as s:
        assert isinstance(s, StoreSession) and s.root == tmp_path / "r"
