"""RUN mounts (the Dockerfile `RUN --mount` syntax): parsed as data, then made real for one step.

Kinds: bind (a host path, or a path in another container or image with `from=`), cache
(a directory kept in the store under <root>/cache/ between steps and builds), tmpfs,
secret (a file or variable from `secrets`), ssh (a relay to an agent socket from `ssh`). Everything
made for a step lives outside the container's root filesystem and is bind-mounted, so
no committed layer holds it; the isolation layer removes the empty mount points it made.
"""

from buildah_py.container.runmounts.caches import cache_dir, cache_root, prune_caches
from buildah_py.container.runmounts.materialize import Materialized, materialize
from buildah_py.container.runmounts.options import SHARING
from buildah_py.container.runmounts.spec import (
    KINDS,
    RunMount,
    SecretSource,
    parse_all,
    parse_mount,
    parse_mounts,
    parse_secret,
    parse_spec,
)

__all__ = [
    "KINDS",
    "SHARING",
    "Materialized",
    "RunMount",
    "SecretSource",
    "cache_dir",
    "cache_root",
    "materialize",
    "parse_all",
    "parse_mount",
    "parse_mounts",
    "parse_secret",
    "parse_spec",
    "prune_caches",
]
