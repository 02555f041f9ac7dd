"""Manifest lists show in `images` and go with `rmi`, as in buildah; their images stay."""

from __future__ import annotations

import json

from tests.e2e.cliutil import Cli


def test_lists_are_listed_and_removed(cli: Cli, busybox: str) -> None:
    cli("manifest", "create", "localhost/multi:1", busybox)
    listed = json.loads(cli.out("images", "--json"))
    lists = [i for i in listed if i.get("manifestlist")]
    assert [i["names"] for i in lists] == [["localhost/multi:1"]]
    table = cli.out("images")
    assert any(
        line.startswith("localhost/multi") and "(list)" in line for line in table.splitlines()
    )
    out = cli.out("rmi", "multi:1").splitlines()
    assert out[0] == "untagged: localhost/multi:1"
    assert cli("manifest", "exists", "multi:1", check=False).returncode == 1
    assert [i["names"] for i in json.loads(cli.out("images", "--json"))] == [[busybox]]
