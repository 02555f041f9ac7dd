"""What every CLI verb shares: the global options object, store opening, and one-line errors."""

from __future__ import annotations

import functools
import json
import logging
import signal
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import click

from buildah_py.cli.hinting import HintFilter, for_cli
from buildah_py.errors import BuildahPyError, DockerfileError, Interrupted, StepFailed
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

            self._store = open_store(self.root, self.runroot, self.driver)
            try:  # a blob a killed command left half-written goes with the next one
                self._store.content.orphans(remove=True)
            except OSError:
                pass  # never a reason to fail the command; `check --repair` reports it
        return self._store


pass_globals = click.make_pass_decorator(Globals)


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
    """One field of `data` by a Go-template-like path (``{{.Config.Cmd}}`` or ``.Config.Cmd``)."""
    path = fmt.strip().removeprefix("{{").removesuffix("}}").strip().lstrip(".")
    cur = data
    for part in [p for p in path.split(".") if p]:
        if not isinstance(cur, dict) or part not in cur:
            raise ValueError(f"--format {fmt!r}: no field {part!r}")
        cur = cur[part]
    return cur if isinstance(cur, str) else json.dumps(cur)


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
