"""config's buildah flags: --os-version, --os-feature, --history-comment, --add-history."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from buildah_py.container import Container
from buildah_py.storage import Store
from tests.e2e.cliutil import Cli


def _image(cli: Cli, img: str) -> dict[str, Any]:
    return json.loads(cli.out("inspect", "--type", "image", img))["Config"]  # type: ignore[no-any-return]


def test_os_version_features_history_comment(cli: Cli, busybox: str) -> None:
    ctr = cli.out("from", busybox)
    cli("config", "--os-version", "10.0.17763", "--os-feature", "win32k", "--os-feature", "x", ctr)
    cli("config", "--history-comment", "made by ci", "--label", "a=b", ctr)
    cfg = _image(cli, cli.out("commit", ctr, "osv:1"))
    assert cfg["os.version"] == "10.0.17763" and cfg["os.features"] == ["win32k", "x"]
    assert cfg["history"][-1]["comment"] == "made by ci"
    assert "LABEL a=b" in cfg["history"][-1]["created_by"]


def test_add_history_false_leaves_no_note(cli: Cli, busybox: str) -> None:
    ctr = cli.out("from", busybox)
    cli("config", "--add-history=false", "--label", "quiet=1", ctr)
    cfg = _image(cli, cli.out("commit", ctr, "quiet:1"))
    assert cfg["config"]["Labels"]["quiet"] == "1"
    assert all("quiet" not in h.get("created_by", "") for h in cfg["history"])


def test_api(cli: Cli, busybox: str, store_paths: tuple[Path, Path]) -> None:
    with Store.open(*store_paths) as store:
        ctr = Container.from_image(busybox, store=store)
        ctr.config(os_version="1.2", os_features=["f"], history_comment="api", labels={"k": "v"})
        ctr.config(labels={"hidden": "1"}, add_history=False)
        data = ctr.commit("api:cfg").config.data
        assert data["os.version"] == "1.2" and data["os.features"] == ["f"]
        last = data["history"][-1]
        assert last["comment"] == "api" and "hidden" not in last["created_by"]
