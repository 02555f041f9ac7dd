"""A missing machine prerequisite fails its test, naming the part and the script that installs it."""

from __future__ import annotations

import pytest

from tests.prereq import require


def test_a_missing_part_fails_and_says_how_to_get_it() -> None:
    with pytest.raises(pytest.fail.Exception, match=r"binfmt_misc .*scripts/install-system-deps"):
        require(False, "binfmt_misc is not mounted")
    require(True, "present: nothing happens")
