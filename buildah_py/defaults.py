"""Configuration read from the environment, in one place: where the store lives, and opening it.

Only the CLI and this module read environment variables (architecture.md); everything below
takes the values they produce as arguments. Imported by the container layer and above."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

from buildah_py.errors import ContainerError
from buildah_py.storage import Store
from buildah_py.transports.options import SYSTEM_CERTS_DIRS, RegistryFiles, RegistryOptions
from buildah_py.userns import host_ids


def _rootless() -> bool:
    return os.geteuid() != 0 or "_BUILDAH_PY_USERNS" in os.environ


def default_root() -> Path:
    env = os.environ.get("BUILDAH_PY_ROOT")
    if env:
        return Path(env)
    if os.geteuid() == 0 and "_BUILDAH_PY_USERNS" not in os.environ:
        return Path("/var/lib/buildah-py")
    data = os.environ.get("XDG_DATA_HOME") or os.path.join(
        os.path.expanduser("~"), ".local", "share"
    )
    return Path(data) / "buildah-py"


def default_runroot() -> Path:
    env = os.environ.get("BUILDAH_PY_RUNROOT")
    if env:
        return Path(env)
    if not _rootless():
        return Path("/run/buildah-py")
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime and os.access(runtime, os.W_OK):
        return Path(runtime) / "buildah-py"
    ids = host_ids(
        os.environ
    )  # inside the user namespace getuid() is 0: name the dir for the real user
    return Path(f"/tmp/buildah-py-run-{ids[0] if ids else os.getuid()}")


def open_store(
    root: Path | str | None = None, runroot: Path | str | None = None, driver: str | None = None
) -> Store:
    """Open (creating if needed) the store at `root`, or the default one."""
    return Store.open(
        Path(root) if root else default_root(),
        Path(runroot) if runroot else default_runroot(),
        driver or os.environ.get("BUILDAH_PY_STORAGE_DRIVER") or None,
    )


def seccomp_profile() -> bool | Path:
    """The seccomp choice for steps from $BUILDAH_PY_SECCOMP: True for containers' default
    profile (unset or empty), False for "unconfined", else the path of a profile."""
    value = os.environ.get("BUILDAH_PY_SECCOMP", "")
    if value == "unconfined":
        return False
    return Path(value) if value else True


def default_isolation() -> str:
    """How ``run`` isolates a command when not told: ``$BUILDAH_ISOLATION``, else chroot."""
    return os.environ.get("BUILDAH_ISOLATION") or "chroot"


def default_format() -> str:
    """The image format ``commit`` writes when not told: ``$BUILDAH_FORMAT``, else oci."""
    return os.environ.get("BUILDAH_FORMAT") or "oci"


def source_date_epoch() -> int | None:
    """``$SOURCE_DATE_EPOCH``: the timestamp of a reproducible commit, or None when unset."""
    value = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not value:
        return None
    if not value.isdigit():
        raise ContainerError(f"SOURCE_DATE_EPOCH={value!r} is not a number of seconds")
    return int(value)


def environment_value(name: str) -> str | None:
    """The value of `name` in the environment (a ``--build-arg NAME`` without a value)."""
    return os.environ.get(name)


def ssh_agents(given: Mapping[str, str] | None = None) -> dict[str, str]:
    """Agent sockets for `type=ssh` mounts by id: `given`, and `default` from $SSH_AUTH_SOCK
    when `given` has none."""
    agents = dict(given or {})
    if "default" not in agents and os.environ.get("SSH_AUTH_SOCK"):
        agents["default"] = os.environ["SSH_AUTH_SOCK"]
    return agents


def secret_environment() -> Mapping[str, str]:
    """Where `env=` secrets (`--secret id=ID,env=VAR`) take their values: the environment."""
    return os.environ


# --- registries: where the user's credentials, registries.conf and certs.d live -------------
def runtime_auth_file(env: Mapping[str, str] | None = None) -> str:
    """Where ``login`` writes: ``${XDG_RUNTIME_DIR}/containers/auth.json`` (else ``/run/containers/UID``)."""
    env = os.environ if env is None else env
    runtime = env.get("XDG_RUNTIME_DIR")
    if runtime:
        return os.path.join(runtime, "containers", "auth.json")
    return f"/run/containers/{os.getuid()}/auth.json"


def registry_files(env: Mapping[str, str] | None = None) -> RegistryFiles:
    """The user's registry files, as containers/image finds them: credentials in
    ``REGISTRY_AUTH_FILE``, ``${XDG_RUNTIME_DIR}/containers/auth.json``,
    ``${XDG_CONFIG_HOME}/containers/auth.json``, ``~/.docker/config.json``; registries.conf in
    ``CONTAINERS_REGISTRIES_CONF`` or ``${XDG_CONFIG_HOME}/containers``; certs.d there too.
    `env` replaces ``os.environ`` (for tests)."""
    env = os.environ if env is None else env
    home = env.get("HOME") or str(Path.home())
    config = os.path.join(env.get("XDG_CONFIG_HOME") or os.path.join(home, ".config"), "containers")
    explicit = env.get("REGISTRY_AUTH_FILE") or ""
    auth = [explicit] if explicit else []
    auth += [
        runtime_auth_file(env),
        os.path.join(config, "auth.json"),
        os.path.join(home, ".docker", "config.json"),
    ]
    return RegistryFiles(
        auth_files=tuple(auth),
        login_file=explicit or runtime_auth_file(env),
        registries_conf=env.get("CONTAINERS_REGISTRIES_CONF") or None,
        user_config_dir=config,
        certs_dirs=(os.path.join(config, "certs.d"), *SYSTEM_CERTS_DIRS),
    )


def user_registry_options(options: RegistryOptions | None = None) -> RegistryOptions:
    """`options` (or the defaults) with the user's registry files, unless it names its own."""
    options = options or RegistryOptions()
    return options if options.files is not None else replace(options, files=registry_files())


# --- run steps: the host's proxy variables (buildah's --http-proxy) -------------------------
PROXY_NAMES = tuple(
    n
    for v in ("HTTP_PROXY", "HTTPS_PROXY", "FTP_PROXY", "NO_PROXY", "ALL_PROXY")
    for n in (v, v.lower())
)


def proxy_environment(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """The host's proxy variables (both cases) that RUN steps get with ``--http-proxy``
    (the default); `env` replaces ``os.environ`` (for tests)."""
    env = os.environ if env is None else env
    return {name: env[name] for name in PROXY_NAMES if name in env}
