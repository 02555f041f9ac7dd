"""Unknown instructions suggest the nearest real one, as BuildKit does."""

from __future__ import annotations

from buildah_py.frontend.instructions import HANDLERS
from dockerfile_parser.semantic import unknown_instruction


def test_typo_gets_a_suggestion() -> None:
    assert unknown_instruction("RUNN", HANDLERS) == "RUNN: unknown instruction (did you mean RUN?)"
    assert (
        unknown_instruction("copyy", HANDLERS) == "copyy: unknown instruction (did you mean COPY?)"
    )


def test_nonsense_gets_none() -> None:
    assert unknown_instruction("FOO", HANDLERS) == "FOO: unknown instruction"
