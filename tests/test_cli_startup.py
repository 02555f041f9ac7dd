"""Start-up cost: `--help` and `images` load only what they need (each is a fresh interpreter)."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import click
import pytest

from buildah_py.cli.main import SUMMARIES, VERBS, cli
from buildah_py.cli.namespace import verb_of, wants_namespace

PROBE = """
import json, sys
from buildah_py.cli.main import main
sys.argv = ["buildah-py", *json.loads(sys.argv[1])]
try:
    main()
except SystemExit:
    pass
print(json.dumps(sorted(sys.modules)), file=sys.stderr)
"""


def _modules_after(args: list[str]) -> set[str]:
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(args)], capture_output=True, text=True
    )
    return set(json.loads(proc.stderr.strip().splitlines()[-1]))


def test_summaries_match_the_verbs_help() -> None:
    ctx = click.Context(cli)
    assert set(SUMMARIES) == set(VERBS)
    for verb in VERBS:
        command = cli.get_command(ctx, verb)
        assert command is not None and not command.hidden and not command.deprecated
        assert not command.short_help
        first = " ".join((command.help or "").partition("\n\n")[0].split())
        assert SUMMARIES[verb] == first, f"{verb}: SUMMARIES is out of date with its help"


def test_help_lists_the_verbs_as_the_commands_would() -> None:
    """The verb list from SUMMARIES is what click prints from the imported commands."""
    for width in (60, 80, 100):
        ctx = click.Context(cli, max_content_width=width, terminal_width=width)
        fast, eager = click.HelpFormatter(width=width), click.HelpFormatter(width=width)
        cli.format_commands(ctx, fast)
        click.Group.format_commands(cli, ctx, eager)
        assert fast.getvalue() == eager.getvalue()
        assert "build" in fast.getvalue() and "manifest" in fast.getvalue()


def test_help_imports_no_verb_module() -> None:
    loaded = _modules_after(["--help"])
    verbs = {f"buildah_py.cli.{module}" for module in VERBS.values()} - {"buildah_py.cli.unshare"}
    assert not loaded & verbs
    assert "urllib3" not in loaded
    # nor the store, nor the re-exec machinery (--help needs no namespace)
    assert not loaded & {"buildah_py.storage.store", "buildah_py.defaults", *REEXEC_MACHINERY}


def test_images_loads_neither_the_run_machinery_nor_the_registry_client(tmp_path: Path) -> None:
    store = ["--root", str(tmp_path / "root"), "--runroot", str(tmp_path / "run")]
    _modules_after([*store, "--storage-driver", "vfs", "images"])  # makes the store
    loaded = _modules_after([*store, "--storage-driver", "vfs", "images"])
    assert "buildah_py.cli.imagelist" in loaded  # the verb did run
    assert not loaded & {"buildah_py.container.working", "buildah_py.isolation.chroot", "urllib3"}
    # nor the pull and push paths, whose signature code alone loads cryptography
    pulling = {"buildah_py.transports.pullpush", "buildah_py.manifests.push", "cryptography"}
    assert not loaded & {*pulling, "buildah_py.signature.enforce", "buildah_py.transports.copy"}
    # nor what writes layers and containers, checks the store, or re-executes
    assert not loaded & {*LAYER_AND_CONTAINER_PARTS, *REEXEC_MACHINERY}
    # nor the registry options (short names are resolved only for `images NAME`)
    assert not loaded & {"buildah_py.transports.options", "buildah_py.container.resolve"}
    assert not loaded & {"ctypes", "subprocess", "tempfile", "hashlib"}


#: What reading the store's records needs none of (the store makes its parts when first used).
LAYER_AND_CONTAINER_PARTS = {
    "buildah_py.archive.applier",
    "buildah_py.archive.writer",
    "buildah_py.archive.compression",
    "buildah_py.storage.check",
    "buildah_py.storage.containers",
    "buildah_py.storage.snapshots",
    "buildah_py.storage.unpack",
    "buildah_py.storage.fuse_upper",
    "buildah_py.storage.drivers.probe",
    "buildah_py.linux.syscalls",
}
#: The fork, ID maps and newuidmap of the user-namespace re-exec.
REEXEC_MACHINERY = {
    "buildah_py.userns.spawn",
    "buildah_py.userns.idmap",
    "buildah_py.userns.plan",
    "buildah_py.linux.caps",
}


@pytest.mark.parametrize(
    ("argv", "verb"),
    [
        (["images"], "images"),
        (["--root", "/r", "--runroot=/rr", "--storage-driver", "vfs", "images", "-q"], "images"),
        (["--log-level", "debug", "from", "images"], "from"),  # an image named "images"
        (["--root", "images", "containers"], "containers"),
        (["--help"], None),
        (["--", "images"], None),
    ],
)
def test_the_verb_is_found_after_the_global_options(argv: list[str], verb: str | None) -> None:
    assert verb_of(argv) == verb


def test_only_reading_verbs_skip_the_namespace(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    assert not wants_namespace(["buildah-py", "--root", "/r", "images", "--json"])
    for verb in ("containers", "from", "pull", "rmi", "info", "mount", "check"):
        assert wants_namespace(["buildah-py", verb]), verb
    monkeypatch.setattr(os, "geteuid", lambda: 0)  # root: maybe_reexec decides (CAP_SYS_ADMIN)
    assert wants_namespace(["buildah-py", "images"])


def test_a_dockerfile_build_loads_no_registry_client_until_it_needs_one() -> None:
    """A build from local images (a cached rebuild) pays for neither HTTP nor signing."""
    probe = (
        "import json, sys; import buildah_py.cli.build, buildah_py.frontend; "
        "print(json.dumps(sorted(sys.modules)), file=sys.stderr)"
    )
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    loaded = set(json.loads(proc.stderr.strip().splitlines()[-1]))
    assert "buildah_py.frontend.platforms" in loaded
    heavy = {
        "urllib3",
        "cryptography",
        "buildah_py.signature.sign",
        "buildah_py.transports.pullpush",
    }
    assert not loaded & {*heavy, "buildah_py.container.remote_cache", "buildah_py.manifests.push"}


@pytest.mark.parametrize(
    "package",
    [
        "buildah_py.transports",
        "buildah_py.manifests",
        "buildah_py.archive",
        "buildah_py.oci",
        "buildah_py.storage",
        "buildah_py.userns",
    ],
)
def test_packages_serve_their_names_on_first_use(package: str) -> None:
    module = importlib.import_module(package)
    for name in module.__all__:
        assert getattr(module, name) is not None
        assert name in dir(module)
    with pytest.raises(AttributeError):
        module.no_such_name  # noqa: B018


def test_the_container_package_serves_its_names_on_first_use() -> None:
    import buildah_py.container as c

    for name in c.__all__:
        assert getattr(c, name) is not None
        assert name in dir(c)
    from buildah_py.container import manifest_ops  # a submodule, not a lazy name

    assert manifest_ops.__name__ == "buildah_py.container.manifest_ops"


REEXEC_PROBE = """
import json, sys
import buildah_py.userns.reexec

reexec = sys.modules["buildah_py.userns.reexec"]  # the package's `reexec` is the function

def outer(environ, argv=None):
    print(json.dumps(sorted(sys.modules)), file=sys.stderr)
    raise SystemExit(0)

reexec.needs_reexec = lambda argv: True  # as an unprivileged user would
reexec.reexec = outer
from buildah_py.cli.entry import main
sys.argv = ["buildah-py", "images"]
main()
"""


def test_the_console_script_reexecs_before_loading_the_cli() -> None:
    """The outer process of a rootless run only waits: it loads neither click nor any verb."""
    from importlib.metadata import entry_points

    (script,) = [e for e in entry_points(group="console_scripts") if e.name == "buildah-py"]
    assert script.value == "buildah_py.cli.entry:main"
    proc = subprocess.run([sys.executable, "-c", REEXEC_PROBE], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    loaded = set(json.loads(proc.stderr.strip().splitlines()[-1]))
    assert "buildah_py.userns.reexec" in loaded
    assert not {m for m in loaded if m == "click" or m.startswith("buildah_py.cli.")} - {
        "buildah_py.cli.entry",
        "buildah_py.cli.namespace",
    }
