"""The explicit table: instruction name -> the function that compiles it (one module per family)."""

from __future__ import annotations

from types import MappingProxyType

from buildah_py.frontend import config_steps as c
from buildah_py.frontend import files, run_step

HANDLERS = MappingProxyType(
    {
        "RUN": run_step.run,
        "COPY": files.copy,
        "ADD": files.add,
        "ENV": c.env,
        "ARG": c.arg,
        "LABEL": c.label,
        "MAINTAINER": c.maintainer,
        "EXPOSE": c.expose,
        "VOLUME": c.volume,
        "USER": c.user,
        "WORKDIR": c.workdir,
        "CMD": c.cmd,
        "ENTRYPOINT": c.entrypoint,
        "SHELL": c.shell,
        "STOPSIGNAL": c.stopsignal,
        "HEALTHCHECK": c.healthcheck,
        "ONBUILD": c.onbuild,
    }
)
