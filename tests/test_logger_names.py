"""buildah-py logs to a small fixed set of loggers, the ones docs/api.md ("Logging") names."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CALL = re.compile(r"getLogger\(([^)]*)\)")


def _documented() -> set[str]:
    text = (REPO / "docs" / "api.md").read_text()
    section = text.split("## Logging", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `(buildah_py[a-z_.]*)` \|", section, re.MULTILINE))


def test_every_logger_is_a_documented_one() -> None:
    names = _documented()
    assert {"buildah_py", "buildah_py.build", "buildah_py.cache", "buildah_py.registry"} <= names
    used: set[str] = set()
    for path in sorted((REPO / "buildah_py").rglob("*.py")):
        for arg in CALL.findall(path.read_text()):
            if arg == "":
                continue  # the root logger, which the CLI configures
            assert re.fullmatch(r'"[a-z_.]+"', arg), f"{path.name}: getLogger({arg}): name it"
            assert arg.strip('"') in names, f"{path.name}: logger {arg} is not in docs/api.md"
            used.add(arg.strip('"'))
    assert used == names  # and every documented one is used
