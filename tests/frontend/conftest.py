"""Build tests: each test its own store under tmp_path, a busybox base imported into it."""

from __future__ import annotations

import io
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "examples" / "buildscripts"))


from buildah_py.container import Container, Image  # noqa: E402
from buildah_py.container.importing import import_tarball  # noqa: E402
from buildah_py.frontend import BuildOptions, build  # noqa: E402
from buildah_py.storage import Store  # noqa: E402

BASE = "localhost/busybox:latest"


@pytest.fixture
def store(tmp_path: Path, busybox_tar: Path) -> Iterator[Store]:
    s = Store.open(tmp_path / "root", tmp_path / "run")
    import_tarball(s, busybox_tar, BASE, timestamp=0)
    yield s
    for ctr in s.containers():
        s.remove_container(ctr.id)
    s.close()


class Builder:
    """Writes a context, builds it in-process, and reads back what the image holds."""

    def __init__(self, store: Store, ctx: Path) -> None:
        self.store = store
        self.ctx = ctx
        self.log = io.StringIO()

    def files(self, **files: str) -> None:
        for name, text in files.items():
            path = self.ctx / name.replace("__", "/")
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)

    def __call__(self, text: str | None = None, **kw: object) -> Image:
        if text is not None:
            (self.ctx / "Dockerfile").write_text(text)
        self.log = io.StringIO()
        opts = BuildOptions(context=str(self.ctx), out=self.log, **kw)  # type: ignore[arg-type]
        return build(opts, self.store)

    def sh(self, image: Image, command: str) -> str:
        """Run `command` in a container of `image` (which must have a shell) and return its output."""
        out = self.ctx.parent / "out.txt"
        with Container.from_image(image.id, store=self.store) as c:
            c.run(["/bin/sh", "-c", f"( {command} ) > /tmp/.out 2>&1"], user="0")
            root = c.mount()
            try:
                out.write_bytes((root / "tmp/.out").read_bytes())
            finally:
                c.umount()
        return out.read_text()

    def tree(self, image: Image) -> dict[str, tuple[int, int, int, str]]:
        """path -> (mode, uid, gid, content or link target) of every entry of the image."""
        import os

        out = {}
        with Container.from_image(image.id, store=self.store) as c:
            root = c.mount()
            try:
                for top, dirs, files in os.walk(root):
                    for n in dirs + files:
                        p = Path(top, n)
                        st = p.lstat()
                        rel = "/" + str(p.relative_to(root))
                        data = (
                            os.readlink(p)
                            if p.is_symlink()
                            else p.read_text("latin-1")
                            if p.is_file()
                            else ""
                        )
                        out[rel] = (st.st_mode, st.st_uid, st.st_gid, data)
            finally:
                c.umount()
        return out


@pytest.fixture
def b(store: Store, tmp_path: Path) -> Builder:
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    return Builder(store, ctx)
