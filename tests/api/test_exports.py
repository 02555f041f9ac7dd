"""What ``buildah_py`` exports: the API, SecretSource and every public error, loaded lazily."""

from __future__ import annotations

import inspect
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

import buildah_py
import buildah_py.errors
from buildah_py import Container, Image, ManifestList, StoreSession
from buildah_py.container.runmounts import SecretSource
from buildah_py.manifests.lists import ManifestListNotFound

REPO = Path(__file__).resolve().parents[2]

NEW_CALLS: list[Callable[..., object]] = [
    ManifestList.create,
    ManifestList.get,
    ManifestList.exists,
    ManifestList.list,
    ManifestList.publish,
    ManifestList.add,
    ManifestList.annotate,
    ManifestList.remove,
    ManifestList.push,
    Container.list,
    Image.list,
    StoreSession.from_image,
    StoreSession.from_scratch,
    StoreSession.get_container,
    StoreSession.get_image,
    StoreSession.manifest_list,
    StoreSession.create_manifest_list,
    StoreSession.publish,
    buildah_py.open_store,
]


def test_errors_and_secret_source_come_from_buildah_py() -> None:
    assert buildah_py.SecretSource is SecretSource
    assert buildah_py.ManifestListNotFound is ManifestListNotFound
    public = {
        name
        for name, obj in vars(buildah_py.errors).items()
        if isinstance(obj, type)
        and issubclass(obj, BaseException)
        and obj.__module__ == "buildah_py.errors"
    }
    assert public <= set(buildah_py.__all__), public - set(buildah_py.__all__)
    for name in public:
        assert getattr(buildah_py, name) is getattr(buildah_py.errors, name)
    for name in buildah_py.__all__:
        assert getattr(buildah_py, name) is not None
        assert name in dir(buildah_py)
    with pytest.raises(AttributeError):
        buildah_py.NoSuchThing  # type: ignore[attr-defined]  # noqa: B018


def test_the_errors_a_step_raises_are_the_exported_ones(tmp_path: Path) -> None:
    assert issubclass(buildah_py.CommandNotFound, buildah_py.StepFailed)
    assert issubclass(buildah_py.StepFailed, buildah_py.BuildahPyError)
    assert issubclass(buildah_py.ExecutableNotFound, buildah_py.RunError)
    assert issubclass(buildah_py.Interrupted, KeyboardInterrupt)


def test_importing_oci_stays_light() -> None:
    code = (
        "import sys, buildah_py.oci, buildah_py\n"
        "buildah_py.StepFailed\n"
        "heavy = [m for m in sys.modules if m.startswith(('buildah_py.container', "
        "'buildah_py.manifests', 'buildah_py.transports', 'buildah_py.storage'))]\n"
        "print(heavy)\n"
        "buildah_py.ManifestList\n"
        "print('buildah_py.container.manifest_list' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": str(REPO)},
    ).stdout.split("\n")
    assert out[:2] == ["[]", "True"]


@pytest.mark.parametrize("fn", NEW_CALLS, ids=lambda f: f.__qualname__)
def test_every_parameter_is_typed_and_documented(fn: Callable[..., object]) -> None:
    doc = inspect.getdoc(fn) or ""
    assert "Args:" in doc, f"{fn.__qualname__} has no Args: section"
    documented = dict(re.findall(r"^\s{4}(\w+): (.+)$", doc.split("Args:", 1)[1], flags=re.M))
    params = [p for p in inspect.signature(fn).parameters.values() if p.name not in ("self", "cls")]
    for p in params:
        assert p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL), p.name
        assert p.annotation is not inspect.Parameter.empty, f"{fn.__qualname__}({p.name})"
        assert "Any" not in str(p.annotation), p.name
    assert list(documented) == [p.name for p in params]


def test_mypy_sees_the_exports(tmp_path: Path) -> None:
    script = tmp_path / "script.py"
    script.write_text(
        "from buildah_py import ManifestList, SecretSource, StepFailed, open_store\n"
        "store = open_store('/nonexistent')\n"
        "reveal_type(store.from_image('x'))\n"
        "reveal_type(ManifestList.create('l', store=store).entries[0].platform)\n"
        "store.from_image('x', pull_polcy='never')\n"
        "SecretSource('id', src='f')\n"
        "reveal_type(StepFailed)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(script)],
        env={"PYTHONPATH": str(REPO), "MYPYPATH": str(REPO), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=300,
    )
    out = proc.stdout
    assert 'Revealed type is "buildah_py.container.working.Container"' in out, out
    assert 'Revealed type is "str"' in out, out
    assert 'Unexpected keyword argument "pull_polcy"' in out, out
    assert "buildah_py.errors.StepFailed" in out, out
    assert out.count("error:") == 1, out
