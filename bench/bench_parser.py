"""Time parsing a generated 2,000-line Dockerfile (target: under 100 ms).

Run: python bench/bench_parser.py [--lines N] [--repeat N]
Prints the median of the warm runs, the first (cold) run, which includes
building the LALR tables, and the same for a file of one-line instructions.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

from dockerfile_parser import parse

TARGET_MS = 100.0


def realistic(lines: int) -> str:
    """A multi-stage Dockerfile as people write them: comments, continuations, heredocs."""
    out = ["# syntax=docker/dockerfile:1", "ARG BASE=debian:bookworm", ""]
    i = 0
    while len(out) < lines:
        out += [
            f"# stage {i}",
            f"FROM --platform=$BUILDPLATFORM ${{BASE}} AS stage{i}",
            f"ARG VERSION_{i}=1.{i}",
            f'ENV APP_HOME=/srv/app{i} PATH="/srv/app{i}/bin:$PATH" LANG=C.UTF-8',
            f'LABEL org.opencontainers.image.title="stage {i}" \\',
            f'      org.opencontainers.image.version="${{VERSION_{i}}}"',
            "RUN apt-get update \\",
            "    # keep the layer small",
            "    && apt-get install -y --no-install-recommends \\",
            "        ca-certificates curl git \\",
            "    && rm -rf /var/lib/apt/lists/*",
            "WORKDIR /srv/app",
            f"COPY --chown=1000:1000 --chmod=0644 src/{i}/ ./src/",
            "RUN --mount=type=cache,target=/root/.cache \\",
            f"    make -C src -j4 TARGET=stage{i}",
            "COPY <<EOF /etc/app.conf",
            f"name=stage{i}",
            "level=info",
            "EOF",
            "RUN <<-'SCRIPT' sh",
            "\tset -eu",
            f"\techo building stage {i}",
            "\tSCRIPT",
            "",
            "EXPOSE 8080/tcp 8443",
            'HEALTHCHECK --interval=30s CMD ["curl", "-f", "http://localhost:8080/"]',
            "USER 1000:1000",
            'CMD ["/srv/app/bin/server", "--port", "8080"]',
            "",
        ]
        i += 1
    return "\n".join(out[:lines]) + "\n"


def one_liners(lines: int) -> str:
    """The worst case per line: every line its own instruction."""
    body = ["RUN apt-get install -y foo bar && rm -rf /var/lib/apt", "COPY --from=build /a /b", "ENV A=b C=d"]
    return "FROM alpine\n" + "\n".join(body[n % 3] for n in range(lines - 1)) + "\n"


def timed(run: Callable[[], object], repeat: int) -> tuple[float, float]:
    """(first run ms, median of the rest ms)."""
    samples = []
    for _ in range(repeat + 1):
        start = time.perf_counter()
        run()
        samples.append((time.perf_counter() - start) * 1000)
    return samples[0], statistics.median(samples[1:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lines", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=15)
    options = parser.parse_args()
    for label, text in (("realistic", realistic(options.lines)), ("one-line instructions", one_liners(options.lines))):
        count = len(parse(text).instructions) if label != "realistic" else None
        cold, warm = timed(lambda t=text: parse(t), options.repeat)
        instructions = count if count is not None else len(parse(text).instructions)
        verdict = "ok" if warm < TARGET_MS else "over target"
        print(
            f"{label}: {text.count(chr(10))} lines, {instructions} instructions: "
            f"{warm:.1f} ms median warm, {cold:.1f} ms first run ({verdict}, target {TARGET_MS:.0f} ms)"
        )


if __name__ == "__main__":
    main()
