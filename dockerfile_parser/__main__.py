"""``python -m dockerfile_parser FILE [--json | --lint]``."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from .errors import DockerfileParserError
from .lint import lint
from .parser import parse_file


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m dockerfile_parser",
        description="Parse a Dockerfile; print its syntax tree as JSON or its lint warnings.",
    )
    parser.add_argument("file", help="the Dockerfile (or Containerfile) to read")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--json", action="store_true", help="print the syntax tree as JSON (the default)"
    )
    mode.add_argument(
        "--lint", action="store_true", help="print build-check warnings, FILE:LINE: Check: message"
    )
    parser.add_argument(
        "--parser-only",
        action="store_true",
        help="apply only the parser stage (no flag or argument checks), as BuildKit's parser package does",
    )
    options = parser.parse_args(argv)
    try:
        dockerfile = parse_file(options.file, strict=not options.parser_only)
    except DockerfileParserError as err:
        print(err, file=sys.stderr)
        return 1
    if options.lint:
        warnings = lint(dockerfile)
        for warning in warnings:
            print(warning)
        return 0
    try:
        json.dump(dockerfile.to_json(), sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
    except BrokenPipeError:
        return 0  # the reader (e.g. head) went away; nothing more to say
    return 0


if __name__ == "__main__":
    sys.exit(main())
