"""Error hints name only options that exist where they are printed: the CLI verb's flag, or the
keyword argument for Python callers."""

from __future__ import annotations

import ast
import http.server
import re
import threading
from collections.abc import Iterator
from pathlib import Path

import click
import pytest

from buildah_py.cli.hinting import command_has_option, for_cli
from buildah_py.cli.main import VERBS, cli
from buildah_py.errors import ImageInUse, TransportError
from buildah_py.hints import HINTS, TLS_VERIFY, Hint, cli_message
from buildah_py.transports.options import RegistryOptions
from buildah_py.transports.registry.client import RegistryClient
from tests.e2e.cliutil import Cli

PACKAGE = Path(__file__).resolve().parents[1] / "buildah_py"
# "use --x", "pass --x", "with --x", "or use --x" ...: a sentence suggesting a flag
_SUGGESTS = re.compile(r"\b(?:use|pass|with|try|add)\s+(?:([a-z]+)\s+)?(--[a-z][a-z0-9-]*)")


def _command(path: str) -> tuple[click.Context, click.Command]:
    """The click command of a verb such as "manifest push", inside a context chain."""
    ctx = click.Context(cli, info_name="buildah-py")
    command: click.Command = cli
    for word in path.split():
        assert isinstance(command, click.Group), path
        sub = command.get_command(ctx, word)
        assert sub is not None, f"no verb {path!r}"
        command = sub
        ctx = click.Context(command, info_name=word, parent=ctx)
    return ctx, command


@pytest.mark.parametrize("hint", HINTS, ids=lambda h: h.flag)
def test_every_verb_printing_a_hint_has_its_flag(hint: Hint) -> None:
    verbs = hint.verbs or ("",)  # () is a global option: the root group must have it
    for verb in verbs:
        ctx, _ = _command(verb)
        assert command_has_option(hint.option, ctx), f"{verb or 'buildah-py'} lacks {hint.option}"
    assert hint.keyword in hint.for_api() and hint.flag in hint.for_cli()
    assert "--" not in hint.for_api()  # Python callers are never told about flags


def _strings(path: Path) -> Iterator[tuple[int, str]]:
    """Every string constant of a module but docstrings, with f-strings' literal parts joined."""
    tree = ast.parse(path.read_text())
    docs = {
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
    }
    for node in ast.walk(tree):
        if id(node) in docs:
            continue
        if isinstance(node, ast.JoinedStr):
            parts = [v.value for v in node.values if isinstance(v, ast.Constant)]
            yield node.lineno, " ".join(str(p) for p in parts)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            yield node.lineno, node.value


def _module_verbs(module: str) -> list[str]:
    """The verbs a CLI module defines, a group's subcommands included ("manifest push")."""
    out = []
    for verb in sorted(v for v, m in VERBS.items() if m == module):
        out.append(verb)
        _, command = _command(verb)
        if isinstance(command, click.Group):
            out += [f"{verb} {sub}" for sub in command.list_commands(_command(verb)[0])]
    return out


def test_every_hint_text_names_a_flag_of_the_verb_printing_it() -> None:
    """Below the CLI, flag hints go through buildah_py.hints (spelt per caller); a CLI module's
    own hints name a flag of a verb it defines, or of the verb they name ("use copy --from")."""
    wrong = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE)
        if rel.parts[0] == "hints.py":
            continue
        in_cli = rel.parts[0] == "cli"
        verbs = _module_verbs(path.stem) if in_cli else []
        for line, text in _strings(path):
            for verb_word, flag in _SUGGESTS.findall(text):
                where = f"{rel}:{line}: {text!r}"
                if not in_cli:
                    wrong.append(f"{where}: flag hint outside buildah_py.hints")
                    continue
                named = [verb_word] if verb_word in VERBS else verbs
                ok = any(command_has_option(flag, _command(v)[0]) for v in named) or (
                    command_has_option(flag, _command("")[0])
                )
                if not ok:
                    wrong.append(f"{where}: no verb of {named} takes {flag}")
    assert not wrong, "\n".join(wrong)


def test_cli_spelling_follows_the_verb() -> None:
    message = f"registry x: TLS error ({TLS_VERIFY})"
    assert message.endswith("(for a plain-HTTP or self-signed registry use tls_verify=False)")
    assert cli_message(message, lambda opt: True) == (
        "registry x: TLS error (for a plain-HTTP or self-signed registry use --tls-verify=false)"
    )
    assert cli_message(message, lambda opt: False) == "registry x: TLS error"
    no_tls = click.Command("images", params=[click.Option(["--json"], is_flag=True)])
    with click.Context(no_tls):
        assert for_cli(message) == "registry x: TLS error"
    with click.Context(_command("pull")[1]):
        assert "--tls-verify=false" in for_cli(message)


def test_python_callers_read_the_keyword() -> None:
    assert str(ImageInUse("img", ["c1"])).endswith("(use force=True)")
    with click.Context(_command("rmi")[1]):
        assert for_cli(str(ImageInUse("img", ["c1"]))).endswith("(use --force)")
    with click.Context(_command("tag")[1]):
        assert for_cli(str(ImageInUse("img", ["c1"]))) == "image img is used by container(s) c1"


@pytest.fixture
def plain_http() -> Iterator[int]:
    """A loopback server speaking plain HTTP, where a registry client expects TLS."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(404)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            return None

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def test_tls_hint_for_cli_and_api(plain_http: int, tmp_path: Path) -> None:
    cli_run = Cli(tmp_path / "root", tmp_path / "run")
    proc = cli_run("pull", f"127.0.0.1:{plain_http}/x/y:1", check=False)
    assert proc.returncode != 0
    assert "use --tls-verify=false)" in proc.stderr and "tls_verify" not in proc.stderr
    client = RegistryClient(f"127.0.0.1:{plain_http}", label="x", options=RegistryOptions())
    with pytest.raises(TransportError) as caught:
        client.ping()
    assert "use tls_verify=False)" in str(caught.value) and "--" not in str(caught.value)
