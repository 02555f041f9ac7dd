"""``python -m dockerfile_parser FILE [--json | --lint]``."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from .errors import DockerfileParserError
from .lint import lint
from .parser import parse_file
from .semantic import semantic_problems


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m dockerfile_parser",
        description="Parse a Dockerfile; print its syntax tree as JSON, or its problems and "
        "lint warnings.",
    )
    parser.add_argument("file", help="the Dockerfile (or Containerfile) to read")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--json",
        action="store_true",
        help="print the syntax tree as JSON (the default): raw flags and arguments, as "
        "BuildKit's parser gives them",
    )
    mode.add_argument(
        "--lint",
        action="store_true",
        help="print every problem that would stop a build (FILE:LINE:COLUMN: INSTRUCTION: "
        "message) and every build-check warning (FILE:LINE: Check: message); exit 1 if "
        "there is a problem",
    )
    parser.add_argument(
        "--parser-only",
        action="store_true",
        help="accepted for older scripts: the tree is always the parser stage's alone",
    )
    options = parser.parse_args(argv)
    try:
        dockerfile = parse_file(options.file)
    except DockerfileParserError as err:
        print(err, file=sys.stderr)
        return 1
    if options.lint:
        problems = semantic_problems(dockerfile)
        found = [(p.line, str(p)) for p in problems] + [(w.line, str(w)) for w in lint(dockerfile)]
        for _line, text in sorted(found, key=lambda f: f[0]):
            print(text)
        return 1 if problems else 0
    try:
        json.dump(dockerfile.to_json(), sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
    except BrokenPipeError:
        return 0  # the reader (e.g. head) went away; nothing more to say
    return 0


if __name__ == "__main__":
    sys.exit(main())
