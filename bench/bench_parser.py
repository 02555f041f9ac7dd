"""Time parsing a generated 2,000-line Dockerfile (target: under 100 ms).

Run: python bench/bench_parser.py [--lines N] [--repeat N]
Prints, for the realistic file and for a file of one-line instructions, the
median CPU time of the warm runs (CPU time, because a busy machine inflates
wall time), the best warm wall time, and the first run, which includes
building the LALR tables.
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
    body = [
        "RUN apt-get install -y foo bar && rm -rf /var/lib/apt",
        "COPY --from=build /a /b",
        "ENV A=b C=d",
    ]
    return "FROM alpine\n" + "\n".join(body[n % 3] for n in range(lines - 1)) + "\n"


def timed(run: Callable[[], object], repeat: int) -> tuple[float, float, float]:
    """(first run wall ms, median warm CPU ms, best warm wall ms)."""
    walls, cpus = [], []
    for _ in range(repeat + 1):
        wall, cpu = time.perf_counter(), time.process_time()
        run()
        cpus.append((time.process_time() - cpu) * 1000)
        walls.append((time.perf_counter() - wall) * 1000)
    return walls[0], statistics.median(cpus[1:]), min(walls[1:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lines", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=15)
    options = parser.parse_args()
    for label, text in (
        ("realistic", realistic(options.lines)),
        ("one-line instructions", one_liners(options.lines)),
    ):
        instructions = len(parse(text).instructions)
        cold, cpu, best = timed(lambda t=text: parse(t), options.repeat)
        verdict = "ok" if cpu < TARGET_MS else "over target"
        print(
            f"{label}: {text.count(chr(10))} lines, {instructions} instructions: "
            f"{cpu:.1f} ms median CPU, {best:.1f} ms best wall, {cold:.1f} ms first run "
            f"({verdict}, target {TARGET_MS:.0f} ms)"
        )


if __name__ == "__main__":
    main()
