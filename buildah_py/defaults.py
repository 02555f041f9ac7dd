"""Configuration read from the environment, in one place: where the store lives, and opening it.

Only the CLI and this module read environment variables (architecture.md); everything below
takes the values they produce as arguments. Imported by the container layer and above."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from buildah_py.errors import ContainerError
from buildah_py.storage.private import ensure_private_dir, private_dir_problem
from buildah_py.userns.marker import ENV, host_ids

if TYPE_CHECKING:  # loaded when used: a command that only opens the store needs neither
    from buildah_py.storage import Store
    from buildah_py.transports.options import RegistryFiles, RegistryOptions


def _rootless(env: Mapping[str, str] | None = None) -> bool:
    """Unprivileged, or root only inside buildah-py's own user namespace."""
    return os.geteuid() != 0 or ENV in (os.environ if env is None else env)


def default_root() -> Path:
    env = os.environ.get("BUILDAH_PY_ROOT")
    if env:
        return Path(env)
    if not _rootless():
        return Path("/var/lib/buildah-py")
    data = os.environ.get("XDG_DATA_HOME") or os.path.join(
        os.path.expanduser("~"), ".local", "share"
    )
    return Path(data) / "buildah-py"


def default_runroot() -> Path:
    """Where mounts and locks live: see `runroot_choice`."""
    return runroot_choice()[0]


def open_store(
    root: str | os.PathLike[str] | None = None,
    runroot: str | os.PathLike[str] | None = None,
    driver: str | None = None,
) -> Store:
    """Open (creating if needed) the store at `root`, or the default one.

    Args:
        root: the store's directory (default: ``$BUILDAH_PY_ROOT``, else /var/lib/buildah-py
            for root, ``$XDG_DATA_HOME/buildah-py`` otherwise).
        runroot: its run-time directory (mounts, locks; default as root: /run/buildah-py).
        driver: ``"overlay"``, ``"fuse-overlayfs"`` or ``"vfs"`` (default:
            ``$BUILDAH_PY_STORAGE_DRIVER``, else the best the host allows)."""
    from buildah_py.storage.store import Store

    return Store.open(*store_location(root, runroot, driver))


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
    """Where ``login`` writes and pulls read, unless told: see `auth_file_choice`."""
    return auth_file_choice(env)[0]


def registry_files(env: Mapping[str, str] | None = None) -> RegistryFiles:
    """The user's registry files, as containers/image finds them: credentials in
    ``REGISTRY_AUTH_FILE``, the runtime auth file (`auth_file_choice`),
    ``${XDG_CONFIG_HOME}/containers/auth.json``, ``~/.docker/config.json``; registries.conf in
    ``CONTAINERS_REGISTRIES_CONF`` or ``${XDG_CONFIG_HOME}/containers``; certs.d there too.
    `env` replaces ``os.environ`` (for tests)."""
    from buildah_py.transports.options import (
        SYSTEM_CERTS_DIRS,
        SYSTEM_LOOKASIDE,
        SYSTEM_POLICY,
        SYSTEM_REGISTRIES_D,
        RegistryFiles,
    )

    env = os.environ if env is None else env
    home = env.get("HOME") or str(Path.home())
    config = os.path.join(env.get("XDG_CONFIG_HOME") or os.path.join(home, ".config"), "containers")
    explicit = env.get("REGISTRY_AUTH_FILE") or ""
    runtime = runtime_auth_file(env)
    defaults = [runtime, os.path.join(config, "auth.json")]
    defaults.append(os.path.join(home, ".docker", "config.json"))
    # A default file this user may not read is no one's credentials for them: skip it, so
    # anonymous pulls work; a file the user named is read, and its errors are reported.
    auth = ([explicit] if explicit else []) + [p for p in defaults if _openable(p)]
    return RegistryFiles(
        auth_files=tuple(auth),
        login_file=explicit or runtime,
        registries_conf=env.get("CONTAINERS_REGISTRIES_CONF") or None,
        user_config_dir=config,
        certs_dirs=(os.path.join(config, "certs.d"), *SYSTEM_CERTS_DIRS),
        # containers/image looks in $HOME/.config (not $XDG_CONFIG_HOME) for these two.
        policy_files=(os.path.join(home, ".config/containers/policy.json"), SYSTEM_POLICY),
        registries_d=(os.path.join(home, ".config/containers/registries.d"), SYSTEM_REGISTRIES_D),
        default_lookaside=(
            os.path.join(home, ".local/share/containers/sigstore")
            if _rootless(env)
            else SYSTEM_LOOKASIDE
        ),
    )


def user_registry_options(options: RegistryOptions | None = None) -> RegistryOptions:
    """`options` (or the defaults) with the user's registry files, unless it names its own."""
    from buildah_py.transports.options import RegistryOptions

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


# --- per-user runtime paths: the real user, the runroot, the auth file, and why -------------
#: The per-user directory under /tmp when there is no $XDG_RUNTIME_DIR (the runroot, and the
#: auth file under containers/): podman's fallback, named for buildah-py.
USER_TMP_PREFIX = "/tmp/buildah-py-run-"


def real_uid(env: Mapping[str, str] | None = None) -> int:
    """The user's UID on the host: inside buildah-py's own user namespace (the re-exec, `unshare`)
    getuid() is 0, and the marker the re-exec sets names the user behind it."""
    ids = host_ids(os.environ if env is None else env)
    return ids[0] if ids else os.getuid()


def user_tmp_dir(env: Mapping[str, str] | None = None) -> Path:
    """The per-user directory under /tmp, created 0700 and refused when another user made it
    or others may write it."""
    return _private_tmp_dir(real_uid(env))


def _private_tmp_dir(uid: int) -> Path:
    path = Path(f"{USER_TMP_PREFIX}{uid}")
    return ensure_private_dir(path, "per-user directory", "set $XDG_RUNTIME_DIR")


def runroot_choice(env: Mapping[str, str] | None = None) -> tuple[Path, str]:
    """The runroot and why: ``$BUILDAH_PY_RUNROOT``; /run/buildah-py for root; else
    ``$XDG_RUNTIME_DIR/buildah-py`` when that is writable, else /tmp/buildah-py-run-UID."""
    env = os.environ if env is None else env
    given = env.get("BUILDAH_PY_RUNROOT")
    if given:
        return Path(given), "$BUILDAH_PY_RUNROOT"
    if not _rootless(env):
        if _can_make("/run/buildah-py"):
            return Path("/run/buildah-py"), "root"
        return Path(
            f"{USER_TMP_PREFIX}0"
        ), "root, but /run is read-only: a private directory under /tmp"
    runtime = env.get("XDG_RUNTIME_DIR")
    if runtime and os.access(runtime, os.W_OK):
        return Path(runtime) / "buildah-py", "$XDG_RUNTIME_DIR"
    why = "$XDG_RUNTIME_DIR is not writable" if runtime else "$XDG_RUNTIME_DIR is unset"
    return Path(f"{USER_TMP_PREFIX}{real_uid(env)}"), f"{why}: a private directory under /tmp"


def auth_file_choice(env: Mapping[str, str] | None = None) -> tuple[str, str]:
    """Where ``login`` writes and pulls read first, and why: as containers/image chooses it,
    ``$XDG_RUNTIME_DIR/containers/auth.json``, else ``/run/containers/UID/auth.json`` (the
    real UID) for root or when that directory is the user's, else under `user_tmp_dir`."""
    env = os.environ if env is None else env
    runtime = env.get("XDG_RUNTIME_DIR")
    if runtime:
        return os.path.join(runtime, "containers", "auth.json"), "$XDG_RUNTIME_DIR"
    uid = real_uid(env)
    run_dir = f"/run/containers/{uid}"
    # Root stays root in the user namespace it makes without CAP_SYS_ADMIN (a pod): its file
    # is the one buildah and podman use there too.
    if not _rootless(env) or uid == 0:
        if _can_make(run_dir):
            return f"{run_dir}/auth.json", "root, $XDG_RUNTIME_DIR unset"
        why = "root, but /run is read-only (a pod?): under /tmp"
    elif _is_private(run_dir):
        return f"{run_dir}/auth.json", f"$XDG_RUNTIME_DIR is unset; {run_dir} is yours"
    else:
        why = f"$XDG_RUNTIME_DIR is unset and {run_dir} is not yours: under /tmp"
    return str(_private_tmp_dir(uid) / "containers" / "auth.json"), why


def _is_private(path: str) -> bool:
    """Whether `path` is a directory of this user that no one else may write."""
    try:
        return private_dir_problem(os.lstat(path)) is None
    except OSError:
        return False


def _openable(path: str) -> bool:
    """Whether `path` can be opened for reading (a missing file counts: it reads as empty)."""
    try:
        with open(path, "rb"):
            return True
    except FileNotFoundError:
        return True
    except OSError:
        return False


def _can_make(path: str) -> bool:
    """Whether `path`, or else its nearest existing parent, is a writable directory (root in a
    pod may find /run read-only)."""
    parent = path
    while parent != "/" and not os.path.isdir(parent):
        parent = os.path.dirname(parent)
    return os.access(parent, os.W_OK)


def store_location(
    root: str | os.PathLike[str] | None = None,
    runroot: str | os.PathLike[str] | None = None,
    driver: str | None = None,
) -> tuple[Path, Path, str | None]:
    """`open_store`'s arguments with the defaults filled in: (root, runroot, driver)."""
    return (
        Path(root) if root else default_root(),
        Path(runroot) if runroot else default_runroot(),
        driver or os.environ.get("BUILDAH_PY_STORAGE_DRIVER") or None,
    )
