"""Executing a run step: the container's root mounted, its --mount sources made, the command run.

The run options (volumes, capabilities, DNS ...) do not enter a step's cache key, as buildah's
run flags do not: the same RUN with another ``-v`` reuses the cached layer.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

from buildah_py.container import validate as check_arg
from buildah_py.container.output import RunResult, StepOutput
from buildah_py.container.runcache import cached_run, raise_failure
from buildah_py.container.runmounts import RunMount, SecretSource, materialize
from buildah_py.container.step import RunStep
from buildah_py.defaults import (
    default_isolation,
    proxy_environment,
    seccomp_profile,
    secret_environment,
    ssh_agents,
)
from buildah_py.errors import ContainerError, ExecutableNotFound
from buildah_py.isolation import run as isolated_run
from buildah_py.isolation.emulation import require_platform
from buildah_py.isolation.honour import check_options
from buildah_py.isolation.runopts import RunOptions
from buildah_py.isolation.spec import RunSpec
from buildah_py.linux import resolve as paths
from buildah_py.linux.mount import Mount
from buildah_py.oci.config import ImageConfig

if TYPE_CHECKING:
    from buildah_py.container.working import Container

#: What ``run`` takes as ``env`` and ``mounts``.
Env = Mapping[str, str] | Iterable[str] | None
Mounts = Sequence[Mount | RunMount | str]


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


def run_step(
    ctr: Container,
    command: str | Sequence[str],
    *,
    env: Mapping[str, str] | Iterable[str] | None,
    user: str | None,
    workdir: str | None,
    isolation: str | None,
    runtime: str | None,
    mounts: Iterable[Mount | RunMount | str],
    secrets: Mapping[str, SecretSource] | None,
    ssh: Mapping[str, str] | None,
    network: str | None,
    hostname: str | None,
    terminal: bool,
    stdin: bool,
    add_host: Sequence[str],
    options: RunOptions | None,
) -> RunStep:
    """``Container.run``'s arguments, checked, as the step that is keyed and run."""
    cfg, work = ctr.image_config, ctr.work
    if options is not None:
        check_arg.of_type("options", options, RunOptions, "a RunOptions")
    if secrets is not None and not (
        isinstance(secrets, Mapping) and all(isinstance(v, SecretSource) for v in secrets.values())
    ):
        raise TypeError("secrets: want a mapping of id to SecretSource")
    if ssh is not None and not (
        isinstance(ssh, Mapping) and all(isinstance(v, str) for v in ssh.values())
    ):
        raise TypeError("ssh: want a mapping of id to agent socket path")
    return RunStep(
        argv=run_argv(cfg, check_arg.command("command", command)),
        env=run_env(cfg, check_arg.key_values("env", env, env=True)),
        user=check_arg.opt_str("user", user) or cfg.get("User") or "",
        workdir=paths.join("/", check_arg.opt_str("workdir", workdir) or cfg.get("WorkingDir") or "/"),
        mounts=_mounts("mounts", mounts),
        network=check_arg.opt_str("network", network) or work.network,
        hostname=check_arg.opt_str("hostname", hostname),
        isolation=check_arg.opt_str("isolation", isolation) or work.isolation or default_isolation(),
        runtime=check_arg.opt_str("runtime", runtime) or work.runtime,
        secrets=secrets,
        ssh=ssh,
        terminal=bool(terminal),
        stdin=bool(stdin),
        add_host=(*work.add_host, *(check_arg.words("add_host", add_host) or ())),
        options=work.run_options.merged(options),
    )  # fmt: skip


def _mounts(
    param: str, value: Iterable[Mount | RunMount | str]
) -> tuple[Mount | RunMount | str, ...]:
    """A list of ``RUN --mount`` strings, RunMount or Mount values."""
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Iterable):
        raise TypeError(f"{param}: want a list of mount specs, got {type(value).__name__}")
    items = tuple(value)
    for item in items:
        check_arg.of_type(
            param, item, (str, RunMount, Mount), "mount spec strings, RunMount or Mount"
        )
    return items


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


def perform_run(
    ctr: Container, step: RunStep, check: bool, capture: bool = False, no_cache: bool = False
) -> RunResult:
    """Run `step` in `ctr` through the cache when there is one; StepFailed (CommandNotFound
    for a missing program) if `check` and the command fails. `capture`: keep its output;
    `no_cache`: run it whatever the cache holds, its result replacing the cached one."""
    check_run_options(step.options, step.isolation, step.runtime)
    if ctr.cache is not None:
        return cached_run(
            ctr, step, lambda: execute_run(ctr, step, capture), check, capture, no_cache
        )
    result = execute_run(ctr, step, capture)
    ctr.work.pending.append(step.note)
    ctr.save()
    if check:
        raise_failure(result)
    return result


def execute_run(ctr: Container, step: RunStep, capture: bool = False) -> RunResult:
    """Run `step` in `ctr`; the status is also kept as ``ctr.last_status``. A program that is
    not there is status 127 with a line on stderr, as a shell reports it."""
    with StepOutput(capture, passthrough=step.terminal) as out:
        try:
            status = _execute(ctr, step, out)
        except ExecutableNotFound as err:
            out.note(str(err))
            status = 127
    ctr.last_status = status
    return RunResult(step.argv, status, out.stdout, out.stderr)


def _execute(ctr: Container, step: RunStep, out: StepOutput) -> int:
    store = ctr.store
    rootfs = ctr.mount()
    try:
        # A foreign architecture runs through qemu-user: refuse the step when it cannot.
        require_platform(ctr.image_config.platform, rootfs)
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
                stdout=out.stdout_fd,
                stderr=out.stderr_fd,
                runroot=store.runroot,
            )
            status = isolated_run(spec, isolation=step.isolation, runtime=step.runtime)
    finally:
        ctr.umount()
    store.trim_upper(ctr.id)  # mount points the step needed leave no copied-up dirs
    return status
