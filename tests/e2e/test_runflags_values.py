"""The CLI's run-environment flags as values: buildah's list syntax, --http-proxy, subordinate maps."""

from __future__ import annotations

from pathlib import Path

import pytest

from buildah_py.cli.runflags import VERBS, _subid_map, run_options
from buildah_py.errors import RunError
from buildah_py.isolation.runopts import Resources, Ulimit


def test_string_lists_split_on_commas_as_buildah_does() -> None:
    opts = run_options(
        {"cap_add": ("net_admin,sys_time", "kill"), "dns": ("1.1.1.1,8.8.8.8",),
         "ulimit": ("nofile=10:20,core=0",), "volume": ("/a:/b:ro,O",)}
    )  # fmt: skip
    assert opts.cap_add == ("CAP_NET_ADMIN", "CAP_SYS_TIME", "CAP_KILL")
    assert opts.dns == ("1.1.1.1", "8.8.8.8")
    assert opts.ulimits == (Ulimit("nofile", 10, 20), Ulimit("core", 0, 0))
    assert opts.volumes[0].overlay and opts.volumes[0].readonly  # -v keeps its commas


def test_http_proxy_and_resources() -> None:
    assert run_options({}).http_proxy is True
    assert run_options({"http_proxy": "false"}).http_proxy is False
    with pytest.raises(RunError, match="--http-proxy 'maybe'"):
        run_options({"http_proxy": "maybe"})
    opts = run_options({"memory": "1g", "memory_swap": "-1", "cpu_shares": 2, "pid": "host"})
    assert opts.resources == Resources(memory=1 << 30, memory_swap=-1, cpu_shares=2)
    assert opts.namespace("pid") == "host"


def test_subordinate_ranges_become_maps(tmp_path: Path) -> None:
    subuid = tmp_path / "subuid"
    subuid.write_text("other:1:2\nbuilder:100000:65536\n")
    assert _subid_map("builder", str(subuid), "--userns-uid-map-user") == "0:100000:65536"
    with pytest.raises(RunError, match="no range for 'nobody'"):
        _subid_map("nobody", str(subuid), "--userns-uid-map-user")


def test_each_verb_has_buildahs_subset() -> None:
    assert "no_hosts" in VERBS["run"] and "memory" not in VERBS["run"]
    assert "no_hosts" not in VERBS["from"] and "memory" in VERBS["from"]
    assert set(VERBS["from"]) < set(VERBS["build"])
