"""Start-up cost: `--help` and `images` load only what they need (each is a fresh interpreter)."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path

import click
import pytest

from buildah_py.cli.main import SUMMARIES, VERBS, cli

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


def test_images_loads_neither_the_run_machinery_nor_the_registry_client(tmp_path: Path) -> None:
    store = ["--root", str(tmp_path / "root"), "--runroot", str(tmp_path / "run")]
    loaded = _modules_after([*store, "--storage-driver", "vfs", "images"])
    assert "buildah_py.cli.imagelist" in loaded  # the verb did run
    assert not loaded & {"buildah_py.container.working", "buildah_py.isolation.chroot", "urllib3"}
    # nor the pull and push paths, whose signature code alone loads cryptography
    pulling = {"buildah_py.transports.pullpush", "buildah_py.manifests.push", "cryptography"}
    assert not loaded & {*pulling, "buildah_py.signature.enforce", "buildah_py.transports.copy"}


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


@pytest.mark.parametrize("package", ["buildah_py.transports", "buildah_py.manifests"])
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
        "buildah_py.cli.entry"
    }
