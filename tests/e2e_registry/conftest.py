"""Fixtures for registry end-to-end tests: the CLI as a subprocess against real registries.

Each test gets its own store and its own credential and certificate directories (HOME,
XDG_RUNTIME_DIR, XDG_CONFIG_HOME point into the test's temporary directory), so nothing is
read from or written to the real user's configuration.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.e2e.cliutil import Cli
from tests.e2e_registry.support import CountingProxy
from tests.registry_fixtures import (
    Registry,
    htpasswd_registry,
    registry,
    tls_registry,
    token_registry,
)

__all__ = ["htpasswd_registry", "registry", "tls_registry", "token_registry"]


def make_cli(base: Path) -> Cli:
    c = Cli(base / "root", base / "run")
    for var in ("REGISTRY_AUTH_FILE", "DOCKER_CONFIG", "BUILDAH_PY_STORAGE_DRIVER"):
        c.env.pop(var, None)
    base.mkdir(parents=True, exist_ok=True)
    conf = base / "registries.conf"
    conf.write_text("")  # no search registries, no insecure entries: only what the test says
    c.env.update(
        HOME=str(base / "home"),
        XDG_RUNTIME_DIR=str(base / "xdg-run"),
        XDG_CONFIG_HOME=str(base / "config"),
        CONTAINERS_REGISTRIES_CONF=str(conf),
    )
    return c


def _cleanup(c: Cli) -> None:
    subprocess.run(
        [sys.executable, "-m", "buildah_py.cli.main", "umount", "--all"],
        env=c.env,
        capture_output=True,
    )


@pytest.fixture
def cli(tmp_path: Path) -> Iterator[Cli]:
    c = make_cli(tmp_path / "one")
    yield c
    _cleanup(c)


@pytest.fixture
def other_cli(tmp_path: Path) -> Iterator[Cli]:
    """A second, independent store (a second machine pulling what the first pushed)."""
    c = make_cli(tmp_path / "two")
    yield c
    _cleanup(c)


@pytest.fixture
def busybox(cli: Cli, busybox_tar: Path) -> str:
    """A busybox base image in the test's store; returns its name."""
    cli("import", str(busybox_tar), "localhost/busybox:latest", "--timestamp", "0")
    return "localhost/busybox:latest"


@pytest.fixture
def proxy_for() -> Iterator[Callable[[Registry], CountingProxy]]:
    """Start a request-counting proxy in front of a registry."""
    started: list[CountingProxy] = []

    def start(reg: Registry) -> CountingProxy:
        p = CountingProxy(reg.host)
        started.append(p)
        return p

    yield start
    for p in started:
        p.stop()
