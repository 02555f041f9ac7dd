"""What every CLI verb shares: the global options object, store opening, and one-line errors."""

from __future__ import annotations

import functools
import json
import os
import shlex
import signal
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import click

from buildah_py.cli.hinting import HintFilter, for_cli
from buildah_py.errors import BuildahPyError, DockerfileError, Interrupted, StepFailed

if TYPE_CHECKING:
    from buildah_py.storage import Store

F = TypeVar("F", bound=Callable[..., Any])
EXIT_ERROR = 125  # buildah's status for its own failures, as opposed to a step's


@dataclass
class Globals:
    root: str | None
    runroot: str | None
    driver: str | None
    _store: Store | None = None

    def store(self) -> Store:
        if self._store is None:
            from buildah_py.defaults import open_store

            if os.geteuid() != 0:  # a read-only verb, outside the user namespace (namespace.py)
                _namespace_unless_made(self.root, self.driver)
            self._store = open_store(self.root, self.runroot, self.driver)
            try:  # a blob a killed command left half-written goes with the next one
                self._store.content.orphans(remove=True)
            except OSError:
                pass  # never a reason to fail the command; `check --repair` reports it
        return self._store


pass_globals = click.make_pass_decorator(Globals)


def _namespace_unless_made(root: str | None, driver: str | None) -> None:
    """Re-exec into the user namespace when the store is not made yet (or is to take another
    driver): its driver is probed, and recorded, as root of the namespace, where the verbs
    that write run; reading an existing one is the same as the user."""
    from buildah_py.defaults import store_location
    from buildah_py.storage.store import recorded_driver
    from buildah_py.userns.reexec import maybe_reexec

    where, _, wanted = store_location(root, None, driver)
    recorded = recorded_driver(where)
    if recorded is None or wanted not in (None, recorded):
        maybe_reexec(sys.argv, os.environ)


def option_group(*options: Callable[[Any], Any]) -> Callable[[F], F]:
    """Several click options as one decorator; --help lists them in the order given."""

    def decorate(fn: F) -> F:
        for option in reversed(options):
            fn = option(fn)
        return fn

    return decorate


def fail(message: str, status: int = EXIT_ERROR) -> None:
    click.echo(f"Error: {for_cli(message)}", err=True)
    sys.exit(status)


def handle_errors(fn: F) -> F:
    """Turn library errors into one line on stderr and a non-zero exit; never a traceback."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except StepFailed as err:
            fail(str(err), err.status or EXIT_ERROR)
        except DockerfileError as err:
            fail(str(err), err.step_status or EXIT_ERROR)
        except BuildahPyError as err:
            fail(str(err))
        except (OSError, ValueError) as err:
            fail(str(err))
        except KeyboardInterrupt as err:  # Ctrl-C, or SIGTERM/SIGHUP through cleanup_on_signals
            fail(
                "interrupted", 128 + (err.signum if isinstance(err, Interrupted) else signal.SIGINT)
            )

    return wrapper  # type: ignore[return-value]


def print_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=4, sort_keys=False))


def pick_field(data: object, fmt: str) -> str:
    """`fmt` filled from `data` as buildah's Go templates are: ``{{.Config.Cmd}}`` (or the bare
    ``.Config.Cmd``), several ``{{...}}`` with text between, ``{{index .Labels "k"}}`` and
    ``{{json .X}}``. Go's field names (``.OCIv1.Architecture``) match the JSON keys
    (``architecture``) case-insensitively and without underscores (``DiffIDs``/``diff_ids``)."""
    if "{{" not in fmt:
        return _render(_action(data, fmt.strip(), fmt))
    out, rest = [], fmt
    while "{{" in rest:
        before, _, tail = rest.partition("{{")
        action, found, rest = tail.partition("}}")
        if not found:
            raise ValueError(f"--format {fmt!r}: unclosed {{{{")
        out.append(before + _render(_action(data, action.strip().strip("-").strip(), fmt)))
    return "".join(out) + rest


def _action(data: object, action: str, fmt: str) -> object:
    words = shlex.split(action) if action else []
    if len(words) >= 2 and words[0] == "json":
        return json.dumps(_path(data, words[1], fmt))
    if len(words) >= 3 and words[0] == "index":
        cur = _path(data, words[1], fmt)
        for key in words[2:]:
            if isinstance(cur, dict) and key in cur:
                cur = cur[key]
            elif isinstance(cur, list) and key.isdigit() and int(key) < len(cur):
                cur = cur[int(key)]
            else:
                return ""  # Go's index of a missing map key: the zero value
        return cur
    if len(words) == 1:
        return _path(data, words[0], fmt)
    raise ValueError(f"--format {fmt!r}: {action!r} is not supported (use .Field, index, json)")


def _path(data: object, path: str, fmt: str) -> object:
    cur = data
    for part in [p for p in path.lstrip(".").split(".") if p]:
        if not isinstance(cur, dict):
            raise ValueError(f"--format {fmt!r}: no field {part!r}")
        if part in cur:
            cur = cur[part]
            continue
        want = part.lower().replace("_", "")
        keys = [k for k in cur if str(k).lower().replace("_", "") == want]
        if len(keys) != 1:
            raise ValueError(f"--format {fmt!r}: no field {part!r}")
        cur = cur[keys[0]]
    return cur


def _render(value: object) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def parse_bool(value: str | bool | None) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    low = value.lower()
    if low in ("true", "1", "yes"):
        return True
    if low in ("false", "0", "no"):
        return False
    raise click.BadParameter(f"{value!r} is not a boolean")


def setup_logging(level: str) -> None:
    import logging  # not for --help, which never gets here

    logging.basicConfig(
        level=getattr(logging, level.upper(), logging.WARNING),
        format="%(levelname)s: %(message)s"
        if level.lower() != "debug"
        else "%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
        force=True,  # a verb's own --log-level replaces the global one
    )
    for handler in logging.getLogger().handlers:
        handler.addFilter(HintFilter())


def key_values(items: tuple[str, ...], what: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not key:
            raise click.BadParameter(f"{what} {item!r}: want KEY=VALUE")
        out[key] = value
    return out
