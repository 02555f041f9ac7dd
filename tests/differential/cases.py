"""The Dockerfiles both builders build: each small, one family of corners each."""

from __future__ import annotations

from tests.differential import cases_files as f
from tests.differential import cases_steps as s
from tests.differential.context import Case

CASES: tuple[Case, ...] = (
    f.COPY_CORNERS, f.ADD_ARCHIVES, f.ADD_TAR_METADATA, f.IGNORE_EXCEPTION,
    f.IGNORE_BESIDE_DOCKERFILE, f.IGNORE_PATTERNS, f.COPY_INTO_LINKS, f.PATHS_AND_MODES,
    s.WORKDIR, s.ENV_ARG, s.CONFIG, s.CONFIG_FORMS, s.MULTISTAGE, s.STAGES_AND_ARGS, s.SCRATCH,
    s.HEREDOCS, s.RUN_MOUNTS, s.USER_COPY, s.VOLUME_RUN, s.RUN_CHANGES, s.ADD_URL, s.OCI_FORMAT,
)  # fmt: skip
