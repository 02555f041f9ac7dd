"""Every public call of the Python API: explicit, typed, documented, and strict about its input."""

from __future__ import annotations

import inspect
import logging
import os
import pydoc
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

import buildah_py
from buildah_py import Container, Image
from buildah_py.container.resolve import pull
from buildah_py.errors import ImageNotFound
from buildah_py.oci.descriptor import Platform
from buildah_py.storage import Store
from buildah_py.transports.options import PullOptions

BASE = "localhost/busybox:latest"


def _public_calls() -> list[tuple[str, Callable[..., object], bool]]:
    """Every public function and method of what ``buildah_py`` exports: (name, function, whether
    its first parameter is the receiver). Found from ``__all__``, so a new export is covered."""
    calls: list[tuple[str, Callable[..., object], bool]] = []
    for export in buildah_py.__all__:
        obj = getattr(buildah_py, export)
        if inspect.isfunction(obj):
            calls.append((export, obj, False))
        # A class's own methods: inherited ones are checked with the class they come from.
        for name, member in vars(obj).items() if inspect.isclass(obj) else ():
            if name.startswith("_"):
                continue
            if isinstance(member, staticmethod | classmethod):
                calls.append((f"{export}.{name}", member.__func__, isinstance(member, classmethod)))
            elif inspect.isfunction(member):
                calls.append((f"{export}.{name}", member, True))
    return calls


PUBLIC = _public_calls()


def _params(fn: Callable[..., object], receiver: bool) -> list[inspect.Parameter]:
    params = list(inspect.signature(fn).parameters.values())
    return params[1:] if receiver else params


def _args_section(fn: Callable[..., object]) -> dict[str, str]:
    doc = inspect.getdoc(fn) or ""
    assert "Args:" in doc, f"{fn.__qualname__} has no Args: section"
    body = doc.split("Args:", 1)[1]
    return dict(re.findall(r"^\s{4}(\w+): (.+)$", body, flags=re.M))


def test_every_exported_call_is_checked() -> None:
    names = {name for name, _, _ in PUBLIC}
    assert {"Container.run", "Container.write_file", "Image.push", "open_store"} <= names
    assert {"Container.from_image", "Image.get", "cleanup_on_signals"} <= names


@pytest.mark.parametrize(("name", "fn", "receiver"), PUBLIC, ids=[c[0] for c in PUBLIC])
def test_every_parameter_is_typed_and_documented(
    name: str, fn: Callable[..., object], receiver: bool
) -> None:
    params = _params(fn, receiver)
    assert (inspect.getdoc(fn) or "").strip(), f"{name} has no docstring"
    if not params:
        return
    documented = _args_section(fn)
    for p in params:
        assert p.kind is not p.VAR_KEYWORD and p.kind is not p.VAR_POSITIONAL, p.name
        assert p.annotation is not inspect.Parameter.empty, f"{name}({p.name})"
        assert "Any" not in str(p.annotation) or p.name == "healthcheck", p.name
        assert p.name in documented, f"{name}: {p.name} undocumented"
    assert list(documented) == [p.name for p in params]


@pytest.mark.parametrize(("name", "fn", "receiver"), PUBLIC, ids=[c[0] for c in PUBLIC])
def test_help_names_every_parameter(name: str, fn: Callable[..., object], receiver: bool) -> None:
    obj: object = buildah_py
    for part in name.split("."):
        obj = getattr(obj, part)
    text = pydoc.render_doc(obj, renderer=pydoc.plaintext)
    for p in _params(fn, receiver):
        assert f"    {p.name}: " in text, f"help({name}) leaves out {p.name}"


def test_help_of_run_explains_capture() -> None:
    text = pydoc.render_doc(buildah_py.Container.run, renderer=pydoc.plaintext)
    assert "capture: keep stdout and stderr" in text and "RunResult" in text


def test_misspelt_keywords_are_type_errors(store: Store) -> None:
    with pytest.raises(TypeError, match="pull_polcy"):
        Container.from_image(BASE, store=store, pull_polcy="never")  # type: ignore[call-arg]
    with Container.from_image(BASE, store=store) as c:
        image = c.commit("localhost/sig:1")
        with pytest.raises(TypeError, match="tls_verfy"):
            image.push("oci:/nonexistent:x", tls_verfy=False)  # type: ignore[call-arg]
        with pytest.raises(TypeError, match="chekc"):
            c.run(["true"], chekc=False)  # type: ignore[call-overload]
    assert store.containers() == []


@pytest.mark.parametrize(
    ("kwargs", "error", "param"),
    [
        ({"platform": 5}, TypeError, "platform"),
        ({"platform": "linux"}, ValueError, "platform"),
        ({"pull_policy": "nevr"}, ValueError, "pull_policy"),
        ({"tls_verify": "no"}, TypeError, "tls_verify"),
        ({"authfile": 3}, TypeError, "authfile"),
        ({"name": ["a"]}, TypeError, "name"),
    ],
)
def test_from_image_names_the_bad_parameter(
    store: Store, kwargs: dict[str, object], error: type[Exception], param: str
) -> None:
    with pytest.raises(error, match=f"^{param}: "):
        Container.from_image(BASE, store=store, **kwargs)  # type: ignore[arg-type]
    assert store.containers() == []


def test_platform_string_and_object(store: Store) -> None:
    host = Platform.host()
    with Container.from_image(BASE, store=store, platform=f"linux/{host.architecture}") as c:
        assert c.image_config.data["architecture"] == host.architecture
    with Container.from_image(BASE, store=store, platform=host):
        pass
    other = "linux/s390x" if host.architecture != "s390x" else "linux/arm64"
    # A local image of another platform never satisfies the request silently.
    with pytest.raises(ImageNotFound, match=f"not {other}"):
        Container.from_image(BASE, store=store, platform=other, pull_policy="never")
    with pytest.raises(ImageNotFound, match=f"not {other}"):
        Container.from_image(BASE, store=store, platform=Platform.parse(other))
    assert store.containers() == []


@pytest.mark.parametrize(
    ("call", "error", "param"),
    [
        (lambda c: c.run(["echo", None]), TypeError, "command"),
        (lambda c: c.run(b"true"), TypeError, "command"),
        (lambda c: c.run([]), ValueError, "command"),
        (lambda c: c.run("true", env={"1BAD": "x"}), ValueError, "env"),
        (lambda c: c.run("true", env=["A B=1"]), ValueError, "env"),
        (lambda c: c.run("true", env=5), TypeError, "env"),
        (lambda c: c.run("true", mounts="type=tmpfs,target=/t"), TypeError, "mounts"),
        (lambda c: c.run("true", user=0), TypeError, "user"),
        (lambda c: c.copy(5, "/"), TypeError, "src"),
        (lambda c: c.copy([], "/"), ValueError, "src"),
        (lambda c: c.add("a", 7), TypeError, "dest"),
        (lambda c: c.config(env={"1BAD": "x"}), ValueError, "env"),
        (lambda c: c.config(labels={"a": object()}), TypeError, "labels"),
        (
            lambda c: c.config(healthcheck={"Intervl": "1s", "test": "true"}),
            ValueError,
            "healthcheck",
        ),
        (
            lambda c: c.config(healthcheck={"test": "true", "retries": 1.5}),
            TypeError,
            "healthcheck",
        ),
        (lambda c: c.run("true", secrets={"s": "/etc/passwd"}), TypeError, "secrets"),
        (lambda c: c.copy("a", "/", chown=1000), TypeError, "chown"),
        (lambda c: c.config(user=0), TypeError, "user"),
        (lambda c: c.config(cmd=[1]), TypeError, "cmd"),
        (lambda c: c.config(shell="bash -c"), TypeError, "shell"),
        (lambda c: c.commit(timestamp="0"), TypeError, "timestamp"),
        (lambda c: c.commit(iidfile=1), TypeError, "iidfile"),
    ],
)
def test_container_calls_name_the_bad_parameter(
    store: Store, call: Callable[[Container], object], error: type[Exception], param: str
) -> None:
    with Container.from_image(BASE, store=store) as c:
        with pytest.raises(error, match=f"^{param}: "):
            call(c)


def test_paths_take_pathlike(store: Store, tmp_path: Path) -> None:
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (ctx / "a.txt").write_text("A")
    with Container.from_image(BASE, store=store) as c:
        c.copy(Path("a.txt"), Path("/a.txt"), context=ctx)
        c.add([Path("a.txt")], "/b.txt", context=ctx)
        out = c.run(["cat", "/a.txt", "/b.txt"], capture=True).stdout
        image = c.commit("localhost/paths:1", iidfile=tmp_path / "iid")
    assert out == b"AA"
    assert (tmp_path / "iid").read_text().endswith(image.id.split(":")[-1])


def test_healthcheck_in_docker_spelling_is_honoured(store: Store) -> None:
    with Container.from_image(BASE, store=store) as c:
        c.config(healthcheck={"Test": ["CMD", "true"], "Interval": "30s", "Retries": 2})
        assert c.image_config.get("Healthcheck") == {
            "Test": ["CMD", "true"],
            "Interval": 30_000_000_000,
            "Retries": 2,
        }


SCRIPT = """
from buildah_py import Container

c = Container.from_image("localhost/busybox", pull_polcy="never")
reveal_type(c.run(["true"]))
reveal_type(c.run(["true"], capture=True).stdout)
c.commit(fromat="docker")
"""


def test_mypy_catches_misspelt_keywords_and_knows_run_results(tmp_path: Path) -> None:
    script = tmp_path / "script.py"
    script.write_text(SCRIPT)
    repo = Path(__file__).resolve().parents[2]
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(script)],
        env={**os.environ, "PYTHONPATH": str(repo), "MYPYPATH": str(repo)},
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=300,
    )
    out = proc.stdout
    assert 'Unexpected keyword argument "pull_polcy"' in out, out
    assert 'Unexpected keyword argument "fromat"' in out, out
    assert 'Revealed type is "buildah_py.container.working.Container"' in out, out
    assert 'Revealed type is "bytes"' in out, out


def test_dockerfile_builds_use_a_local_base_of_another_platform_with_a_warning(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    other = Platform.parse(
        "linux/s390x" if Platform.host().architecture != "s390x" else "linux/arm64"
    )
    options = PullOptions(policy="never", platform=other)
    with caplog.at_level(logging.WARNING, logger="buildah_py.registry"):
        record = pull(store, BASE, options, other_platform_ok=True)
    assert record.id == Image.get(BASE, store).id
    assert f"not {other}: using it as it is" in caplog.text
