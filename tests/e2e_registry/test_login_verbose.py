"""login --verbose names the credentials file it wrote."""

from __future__ import annotations

import json
from pathlib import Path

from tests.e2e.cliutil import Cli
from tests.registry_fixtures import PASSWORD, USER, Registry


def test_login_verbose(cli: Cli, htpasswd_registry: Registry, tmp_path: Path) -> None:
    host = htpasswd_registry.host
    auth = tmp_path / "auth.json"
    out = cli(
        "login", "--tls-verify=false", "-v", "--authfile", str(auth), "-u", USER,
        "--password-stdin", host, input=f"{PASSWORD}\n".encode(),
    ).stdout.splitlines()  # fmt: skip
    assert out == [f"Used: {auth}", "Login Succeeded!"] or out == [
        "Login Succeeded!",
        f"Used: {auth}",
    ]
    assert host in json.loads(auth.read_text())["auths"]
