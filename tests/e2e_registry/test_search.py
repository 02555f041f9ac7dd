"""Short names go to registries.conf's unqualified-search-registries, in order."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.cliutil import Cli
from tests.registry_fixtures import Registry, start_registry


@pytest.fixture
def second_registry(tmp_path: Path) -> Iterator[Registry]:
    reg = start_registry(tmp_path / "second-registry")
    yield reg
    reg.stop()


def test_short_name_tries_each_search_registry(
    cli: Cli, other_cli: Cli, busybox: str, registry: Registry, second_registry: Registry
) -> None:
    cli("push", "--tls-verify=false", busybox, f"docker://{second_registry.host}/e2e/short:1")
    conf = Path(other_cli.env["CONTAINERS_REGISTRIES_CONF"])
    conf.write_text(
        f'unqualified-search-registries = ["{registry.host}", "{second_registry.host}"]\n'
        f'[[registry]]\nlocation = "{registry.host}"\ninsecure = true\n'
        f'[[registry]]\nlocation = "{second_registry.host}"\ninsecure = true\n'
    )
    ctr = other_cli.out("from", "e2e/short:1")
    assert other_cli.out("run", ctr, "--", "cat", "/etc/group").startswith("root:")
    names = {n for img in json.loads(other_cli.out("images", "--json")) for n in img["names"]}
    assert f"{second_registry.host}/e2e/short:1" in names
    # Found locally now under its full name: a second `from` pulls nothing.
    assert other_cli.out("from", "--pull", "never", "e2e/short:1")


def test_short_name_nowhere_is_one_clear_line(
    other_cli: Cli, registry: Registry, second_registry: Registry
) -> None:
    conf = Path(other_cli.env["CONTAINERS_REGISTRIES_CONF"])
    conf.write_text(
        f'unqualified-search-registries = ["{registry.host}", "{second_registry.host}"]\n'
        f'[[registry]]\nlocation = "{registry.host}"\ninsecure = true\n'
        f'[[registry]]\nlocation = "{second_registry.host}"\ninsecure = true\n'
    )
    proc = other_cli("from", "e2e/absent:1", check=False)
    errors = [line for line in proc.stderr.splitlines() if line.startswith("Error: ")]
    assert proc.returncode != 0 and len(errors) == 1 and "Traceback" not in proc.stderr
    assert "not found in any search registry" in errors[0]
    assert registry.host in errors[0] and second_registry.host in errors[0]
