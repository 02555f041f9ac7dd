"""Executing a run step: the container's root mounted, its --mount sources made, the command run.

The run options (volumes, capabilities, DNS ...) do not enter a step's cache key, as buildah's
run flags do not: the same RUN with another ``-v`` reuses the cached layer.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

from buildah_py.container import cached_ops
from buildah_py.container.runmounts import materialize
from buildah_py.container.step import RunStep
from buildah_py.defaults import (
    default_isolation,
    proxy_environment,
    seccomp_profile,
    secret_environment,
    ssh_agents,
)
from buildah_py.errors import ContainerError, StepFailed
from buildah_py.isolation import run as isolated_run
from buildah_py.isolation.honour import check_options
from buildah_py.isolation.runopts import RunOptions
from buildah_py.isolation.spec import RunSpec
from buildah_py.oci.config import ImageConfig

if TYPE_CHECKING:
    from buildah_py.container.working import Container


def run_argv(cfg: ImageConfig, command: str | Sequence[str]) -> tuple[str, ...]:
    """A list is exec form; a string goes to the config's shell (``/bin/sh -c``)."""
    if isinstance(command, str):
        argv = [*(cfg.get("Shell") or ["/bin/sh", "-c"]), command]
    else:
        argv = [str(a) for a in command]
    if not argv:
        raise ContainerError("run: no command given")
    return tuple(argv)


def run_env(cfg: ImageConfig, env: Mapping[str, str] | Iterable[str] | None) -> tuple[str, ...]:
    """The config's environment with `env` (a mapping or KEY=VALUE items) laid over it."""
    envl = cfg.env
    if env is not None:
        extra = [f"{k}={v}" for k, v in env.items()] if isinstance(env, Mapping) else list(env)
        keys = {e.partition("=")[0] for e in extra}
        envl = [e for e in envl if e.partition("=")[0] not in keys] + extra
    return tuple(envl)


def check_run_options(
    options: RunOptions, isolation: str | None = None, runtime: str | None = None
) -> None:
    """RunError naming the first option `isolation` (default: as ``run`` picks it) cannot
    honour, so a build refuses it before any step runs."""
    check_options(options, isolation or default_isolation(), runtime)


def step_env(step: RunStep) -> list[str]:
    """The step's environment; with ``http_proxy`` the host's proxy variables too, unless the
    step sets them (they never enter the cache key: see PROXY_VARS)."""
    env = list(step.env)
    if step.options.http_proxy:
        keys = {e.partition("=")[0] for e in env}
        env += [f"{k}={v}" for k, v in proxy_environment().items() if k not in keys]
    return env


def perform_run(ctr: Container, step: RunStep, check: bool) -> None:
    """Run `step` in `ctr` through the cache when there is one; StepFailed if `check` and
    the command fails."""
    check_run_options(step.options, step.isolation, step.runtime)
    if ctr.cache is not None and check:
        cached_ops.cached_run(ctr, step, lambda: _run_checked(ctr, step))
        return
    status = execute_run(ctr, step)
    ctr.work.pending.append(step.note)
    ctr.save()
    if status != 0 and check:
        raise StepFailed(list(step.argv), status)


def _run_checked(ctr: Container, step: RunStep) -> None:
    status = execute_run(ctr, step)
    if status != 0:
        raise StepFailed(list(step.argv), status)


def execute_run(ctr: Container, step: RunStep) -> int:
    """Run `step` in `ctr`; returns the exit status (also kept as ``ctr.last_status``)."""
    store = ctr.store
    rootfs = ctr.mount()
    try:
        agents, environ = ssh_agents(step.ssh), secret_environment()
        with materialize(store, step.mounts, step.secrets, agents, environ) as made:
            spec = RunSpec(
                rootfs=rootfs,
                argv=list(step.argv),
                env=[*step_env(step), *made.env],
                cwd=step.workdir,
                user=step.user,
                hostname=step.hostname or ctr.id[:12],
                mounts=tuple(made.mounts),
                network=step.network or "host",  # type: ignore[arg-type]  # isolation checks it
                terminal=step.terminal,
                stdin=step.stdin,
                add_host=step.add_host,
                seccomp=seccomp_profile(),
                options=step.options,
            )
            status = isolated_run(spec, isolation=step.isolation, runtime=step.runtime)
    finally:
        ctr.umount()
    store.trim_upper(ctr.id)  # mount points the step needed leave no copied-up dirs
    ctr.last_status = status
    return status
