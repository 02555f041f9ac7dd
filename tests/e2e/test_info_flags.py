"""info --format picks one field; --debug adds how buildah-py runs."""

from __future__ import annotations

import json
import os
import platform

from tests.e2e.cliutil import Cli


def test_info_format_and_debug(cli: Cli) -> None:
    assert cli.out("info", "--format", "{{.host.arch}}") == platform.machine()
    assert "debug" not in json.loads(cli.out("info"))
    debug = json.loads(cli.out("info", "-d"))["debug"]
    assert debug["uid"] == os.getuid() and debug["pid"] > 0
    bad = cli("info", "--format", "{{.nothing}}", check=False)
    assert bad.returncode == 125 and bad.stderr.strip().splitlines() == [
        "Error: --format '{{.nothing}}': no field 'nothing'"
    ]
