"""copy/add from Python take absolute host paths and relative ones from the context; a
Dockerfile's sources stay confined to its build context."""

from __future__ import annotations

import io
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from buildah_py.container import Container
from buildah_py.container.cache import BuildCache
from buildah_py.errors import ContainerError, DockerfileError
from buildah_py.frontend.convert import convert
from buildah_py.storage import Store
from dockerfile_parser import parse

from .conftest import BASE, Builder


@pytest.fixture
def app(tmp_path: Path) -> Path:
    app = tmp_path / "host" / "app"
    (app / "lib").mkdir(parents=True)
    (app / "main.sh").write_text("echo main\n")
    (app / "lib" / "x").write_text("x\n")
    return app


@pytest.mark.parametrize("cached", [False, True])
def test_copy_takes_an_absolute_host_path(store: Store, app: Path, cached: bool) -> None:
    cache = BuildCache(store) if cached else None
    with Container.from_image(BASE, store=store, cache=cache) as c:
        c.copy(f"{app}/", "/app")
        c.copy(str(app / "main.sh"), "/single")
        assert c.read_file("/app/main.sh") == b"echo main\n"
        assert c.read_file("/app/lib/x") == b"x\n"
        assert c.read_file("/single") == b"echo main\n"


def test_add_unpacks_an_absolute_host_archive(store: Store, tmp_path: Path) -> None:
    archive = tmp_path / "files.tar"
    with tarfile.open(archive, "w") as tar:
        info = tarfile.TarInfo("inside.txt")
        info.size = 3
        tar.addfile(info, io.BytesIO(b"in\n"))
    with Container.from_image(BASE, store=store) as c:
        c.add(str(archive), "/unpacked/")
        assert c.read_file("/unpacked/inside.txt") == b"in\n"


def test_relative_sources_come_from_the_context_or_the_current_directory(
    store: Store, app: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Container.from_image(BASE, store=store) as c:
        c.copy("main.sh", "/from-context", context=app)
        monkeypatch.chdir(app / "lib")
        c.copy("x", "/from-cwd")
        assert c.read_file("/from-context") == b"echo main\n"
        assert c.read_file("/from-cwd") == b"x\n"
        with pytest.raises(ContainerError, match="outside the build context"):
            c.copy("../main.sh", "/up")
        with pytest.raises(ContainerError, match="no such file or directory in the host"):
            c.copy(str(app / "missing"), "/m")


def test_a_dockerfile_never_reads_a_host_path(b: Builder, app: Path) -> None:
    # The same absolute name inside the context is what COPY takes, never the host's file.
    inside = b.ctx / str(app).lstrip("/")
    inside.mkdir(parents=True)
    (inside / "main.sh").write_text("from the context\n")
    image = b(f"FROM {BASE}\nCOPY {app}/main.sh /got\nADD {app}/main.sh /added\n")
    assert b.sh(image, "cat /got /added") == "from the context\nfrom the context\n"
    with pytest.raises(DockerfileError, match="no such file or directory in the build context"):
        b(f"FROM {BASE}\nCOPY {app}/lib/x /x\n")


def test_a_converted_script_keeps_dockerfile_sources_in_the_context(app: Path) -> None:
    script = convert(parse(f"FROM {BASE}\nCOPY /main.sh {app}/lib/ /dest/\n".encode()))
    assert f'"main.sh", "{str(app).lstrip("/")}/lib/"' in script


def test_cli_copy_contextdir_confines_absolute_sources(
    store: Store, app: Path, tmp_path: Path
) -> None:
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    with Container.from_image(BASE, store=store) as c:
        proc = subprocess.run(
            [sys.executable, "-m", "buildah_py.cli.main", "--root", str(tmp_path / "root"),
             "--runroot", str(tmp_path / "run"), "copy", "--contextdir", str(ctx), c.name,
             str(app / "main.sh"), "/x"],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert proc.returncode != 0 and "no such file or directory in the build context" in (
            proc.stderr
        )
        with pytest.raises(ContainerError, match="no such file"):
            c.read_file("/x")
