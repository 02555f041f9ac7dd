"""The differences from buildah that buildah-py makes on purpose, each with its reason in
docs/build.md ("Differences from buildah"); any other difference fails the differential tests."""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Allowed:
    """`key` (a config field or a path, fnmatch syntax) may differ in `case` ("*": every case)
    for the reason the docs list as `reason`; `theirs` (a regex) narrows it to buildah's value."""

    case: str
    key: str
    reason: str
    theirs: str = ""

    def covers(self, case: str, key: str, theirs: object) -> bool:
        if self.case not in ("*", case) or not fnmatch.fnmatchcase(key, self.key):
            return False
        return not self.theirs or re.fullmatch(self.theirs, str(theirs)) is not None


def _each(case: str, keys: str, reason: str) -> tuple[Allowed, ...]:
    return tuple(Allowed(case, key, reason) for key in keys.split())


ALLOWED: tuple[Allowed, ...] = (
    Allowed(
        "*",
        "history[[]*[]].created_by",
        "copy-history",
        theirs=r"/bin/sh -c #\(nop\) (COPY|ADD) ((file|dir|multi):)?[0-9a-f]{64} in .*",
    ),
    Allowed("*", "config.Labels.io.buildah.version", "identity-label"),
    # test_platforms_buildah.py: the builder stage's machine in the arm64 image
    Allowed("*", "platforms:/builder-arch", "buildplatform-stage", theirs="aarch64"),
    *_each("workdir", "/a/b/c /last /last/unused", "workdir-created"),
    *_each("env-arg", "/w /w/fallback", "workdir-created"),
    *_each("scratch", "/w", "workdir-created"),
    *_each(
        "workdir",
        " ".join(f"history[[]{i}[]].empty_layer" for i in (2, 4, 5, 8, 11, 14)),
        "workdir-layer",
    ),
    Allowed("env-arg", "history[[]10[]].empty_layer", "workdir-layer"),
    Allowed("scratch", "history[[]4[]].empty_layer", "workdir-layer"),
    *_each(
        "heredocs", " ".join(f"history[[]{i}[]].created_by" for i in (2, 3, 7)), "heredoc-reference"
    ),
    *_each(
        "run-mounts", " ".join(f"history[[]{i}[]].empty_layer" for i in (2, 3, 4, 6)), "empty-layer"
    ),
    *_each("run-mounts", "/existing /var/cache/keep /var/cache/keep/k", "mount-existing"),
    *_each("run-mounts", "/mnt /tmp/ctx2 /var/cache/deep", "mount-stubs"),
    Allowed("paths-and-modes", "history[[]1[]].empty_layer", "workdir-layer"),
    Allowed("paths-and-modes", "/modes/suid", "setuid-context"),
    Allowed("stages-and-args", "config.ExposedPorts", "expose-case"),
    Allowed("config-forms", "config.Cmd", "shell-form-shell"),
    Allowed("config-forms", "history[[]15[]].empty_layer", "workdir-layer"),
    *_each("config-forms", "/w /w/a=b", "workdir-created"),
    Allowed("oci-format", "config.Cmd", "shell-form-shell"),
    Allowed("oci-format", "/run-flags", "shell-oci"),
    *_each("volume-run", "/vol/after /vol/before /newvol/x", "volume-buildkit"),
)
