"""userns reads the environment only through the mapping its caller passes."""

from __future__ import annotations

import pwd

import pytest

from buildah_py.userns import ENV, host_ids, in_rootless_namespace, mapping_kind, maybe_reexec
from buildah_py.userns.idmap import user_name

pytestmark = pytest.mark.needs_root  # root: the marker counts only for namespace root


def test_marker_read_from_the_given_mapping(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV, "1000:1000:full")  # in the process environment: not looked at
    assert not in_rootless_namespace({})
    assert host_ids({}) is None
    monkeypatch.delenv(ENV)
    marker = {ENV: "1000:1001:single"}
    assert in_rootless_namespace(marker)
    assert host_ids(marker) == (1000, 1001, False)
    assert host_ids({ENV: "1000:1001:full"}) == (1000, 1001, True)
    assert host_ids({ENV: "x:1:full"}) is None
    # Root without CAP_SYS_ADMIN, every ID mapped to itself: more than one ID, like "full".
    assert host_ids({ENV: "0:0:identity"}) == (0, 0, True)
    assert mapping_kind({ENV: "0:0:identity"}) == "identity"
    assert mapping_kind(marker) == "single"
    assert mapping_kind({}) is None


def test_user_name_fallback_is_an_argument() -> None:
    unknown = max(p.pw_uid for p in pwd.getpwall()) + 12345
    assert user_name(unknown, "alice") == "alice"
    assert user_name(unknown) == str(unknown)
    assert user_name(0, "alice") == "root"


def test_maybe_reexec_as_root_is_a_no_op() -> None:
    assert maybe_reexec(["buildah-py", "images"], {ENV: "broken"}) is None
