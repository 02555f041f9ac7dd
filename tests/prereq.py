"""What the suite needs from the machine: `scripts/install-system-deps` (run by `make demo`,
`make system-deps` and `.ci/run`) installs and registers all of it. A missing part is a broken
test machine, said plainly as a failure, never a silently thinner suite."""

from __future__ import annotations

import pytest


def require(present: object, what: str) -> None:
    """Fail the test, naming `what` is missing and how to get it, unless `present` is true."""
    if not present:
        pytest.fail(f"{what} (run scripts/install-system-deps as root)", pytrace=False)
