"""The Dockerfiles both builders build: each small, one family of corners each."""

from __future__ import annotations

from tests.differential.cases_files import (
    ADD_ARCHIVES,
    ADD_TAR_METADATA,
    COPY_CORNERS,
    COPY_INTO_LINKS,
    IGNORE_BESIDE_DOCKERFILE,
    IGNORE_EXCEPTION,
    IGNORE_PATTERNS,
)
from tests.differential.cases_steps import (
    CONFIG,
    CONFIG_FORMS,
    ENV_ARG,
    HEREDOCS,
    MULTISTAGE,
    RUN_MOUNTS,
    SCRATCH,
    USER_COPY,
    VOLUME_RUN,
    WORKDIR,
)
from tests.differential.context import Case

CASES: tuple[Case, ...] = (
    COPY_CORNERS,
    ADD_ARCHIVES,
    IGNORE_EXCEPTION,
    IGNORE_BESIDE_DOCKERFILE,
    ADD_TAR_METADATA,
    IGNORE_PATTERNS,
    COPY_INTO_LINKS,
    WORKDIR,
    ENV_ARG,
    CONFIG,
    MULTISTAGE,
    SCRATCH,
    HEREDOCS,
    RUN_MOUNTS,
    USER_COPY,
    VOLUME_RUN,
    CONFIG_FORMS,
)
