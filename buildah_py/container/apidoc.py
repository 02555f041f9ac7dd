"""The parameter sections of the public calls' docstrings, written once and checked at import.

``@documented()`` appends an ``Args:`` section with one entry per parameter of the function,
taken from PARAMS (or the call's own `overrides`); a parameter with no entry is an error when
the module is imported, so ``help(Container.run)`` documents every parameter.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import TypeVar

F = TypeVar("F", bound=Callable[..., object])

_REGISTRY = (
    " (wins over the same setting in ``registry``/``options``)"  # appended to registry flags
)

#: One line for each parameter name, as most calls mean it.
PARAMS: dict[str, str] = {
    "image": "the base: a store name, short name, ID, or a transport reference "
    "(``oci:DIR:TAG``, ``oci-archive:F``, ``docker-archive:F``, ``dir:D``, ``docker://REF``); "
    '``"scratch"`` gives an empty container.',
    "name": "the working container's name (default: one made from the image's).",
    "store": "the store to use (``open_store(...)``); None opens the default store.",
    "pull_policy": '``"missing"`` (pull when not local), ``"always"`` or ``"never"``.',
    "cache": "a BuildCache (or True for a fresh one) that caches each run/copy/add step.",
    "platform": '``"os/arch[/variant]"`` or a Platform: the image must be of this platform '
    "(picked from a manifest list; a local image of another platform is not used).",
    "progress": "called with pull progress events (None: quiet).",
    "tls_verify": "verify registry certificates (None: as registries.conf says)" + _REGISTRY,
    "authfile": "credentials file (str or os.PathLike)" + _REGISTRY,
    "creds": '``"USER[:PASSWORD]"`` for the registry' + _REGISTRY,
    "cert_dir": "directory of registry certificates (str or os.PathLike)" + _REGISTRY,
    "registry": "a RegistryOptions carrying every registry setting.",
    "run_options": "a RunOptions recorded with the container: every later ``run`` starts "
    "from it (buildah's ``from -v ... --cap-add ...``).",
    "src": "what to copy: one path or a list (str or os.PathLike), globs allowed.",
    "dest": "the destination in the container; relative to its working directory.",
    "chown": '``"USER[:GROUP]"`` (names or IDs) to own what is copied.',
    "chmod": 'the mode of what is copied (``"0755"`` or an int).',
    "from_": "copy from this container, image, or image/container name instead of the context.",
    "context": "the directory sources are read from (default: the current directory).",
    "ignored": "a test that is True for context-relative names to leave out.",
    "format": '``"oci"`` or ``"docker"`` (default: ``$BUILDAH_FORMAT``, else oci).',
    "compression": '``"gzip"``, ``"zstd"`` or ``"none"`` for the layer blobs.',
}

RUN: dict[str, str] = {
    "command": "a list runs as it is (exec form); a string goes to the image's shell "
    "(``/bin/sh -c`` by default).",
    "env": "variables for this step: a mapping or ``KEY=VALUE`` strings, laid over the "
    "image's; names start with a letter or ``_``.",
    "user": "``USER[:GROUP]`` to run as (default: the image's ``User``).",
    "workdir": "the working directory (default: the image's ``WorkingDir``, else ``/``).",
    "isolation": '``"chroot"``, ``"oci"`` or ``"rootless"`` (default: the container\'s own, '
    "else ``$BUILDAH_ISOLATION``, else chroot).",
    "runtime": "the OCI runtime for oci/rootless isolation (default: runc).",
    "mounts": '``RUN --mount`` specs (``"type=cache,target=/root/.cache"``) or Mount values.',
    "secrets": "what ``type=secret`` mounts ask for, by id: ``SecretSource(id, src=...|env=...)``.",
    "ssh": "what ``type=ssh`` mounts ask for: id -> agent socket (``default``: "
    "``$SSH_AUTH_SOCK``).",
    "network": '``"host"``, ``"none"`` or ``"private"`` (default: the container\'s own).',
    "hostname": "the step's host name (default: the container ID's first 12 characters).",
    "terminal": "give the step a terminal (its output is then never captured).",
    "stdin": "pass our stdin to the step.",
    "check": "raise StepFailed (CommandNotFound for status 127) on a non-zero exit; False "
    "keeps the status in ``last_status`` and the result, and the step stays cached.",
    "no_cache": "run the step whatever the cache holds; its result replaces the cached one "
    "(the steps after it miss, as they follow a new state).",
    "capture": "keep stdout and stderr instead of showing them; ``run`` then returns a "
    "RunResult (``status``, ``stdout``, ``stderr``) rather than the container.",
    "add_host": "``HOST:IP`` lines for /etc/hosts, after the container's own.",
    "options": "a RunOptions laid over the container's recorded ones (volumes, "
    "capabilities, DNS ...).",
}


ADD: dict[str, str] = {
    "checksum": '``"sha256:..."`` that a downloaded file must match.',
    "extract": "unpack local tar archives (plain, gzip, bzip2, xz, zstd).",
}

CONFIG: dict[str, str] = {
    "cmd": "the default command: a list (exec form) or a string (shell form).",
    "entrypoint": "the entrypoint: a list (exec form) or a string (shell form).",
    "clear_cmd": "drop the Cmd (an ENTRYPOINT with no CMD).",
    "env": "variables to set: a mapping or ``KEY=VALUE`` strings; names start with a "
    "letter or ``_``.",
    "unset_env": "variable names to remove.",
    "labels": "labels to set: a mapping or ``KEY=VALUE`` strings.",
    "unset_labels": "label names to remove.",
    "annotations": "manifest annotations to set: a mapping or ``KEY=VALUE`` strings.",
    "ports": 'ports to expose: ``"8080"``, ``"53/udp"``, an int, or a list of them.',
    "volumes": "volume paths to declare.",
    "user": "the default ``USER[:GROUP]``.",
    "workingdir": "the default working directory.",
    "stop_signal": 'the stop signal (``"SIGTERM"``, ``"15"``).',
    "shell": 'the shell for shell-form commands (``["/bin/sh", "-c"]``).',
    "healthcheck": '``"NONE"``, a shell command string, or a mapping of ``test``, '
    "``interval``, ``timeout``, ``start_period``, ``start_interval``, ``retries`` "
    "(docker's ``Test``, ``Interval`` ... spellings too; an unknown key is a ValueError).",
    "onbuild": "ONBUILD triggers to add.",
    "clear_onbuild": "drop the ONBUILD triggers first.",
    "author": "the image's author.",
    "arch": "the architecture the config records.",
    "os": "the OS the config records.",
    "variant": "the architecture variant the config records.",
    "domainname": "the config's Domainname.",
    "hostname": "the config's Hostname.",
    "comment": "the image's comment.",
    "os_version": "the ``os.version`` the config records.",
    "os_features": "the ``os.features`` the config records.",
    "created_by": "the next commit's history note, when it is given none.",
    "history_comment": "the comment of the next commit's history entry.",
    "add_history": "False: this change leaves no note in the history.",
}

COMMIT: dict[str, str] = {
    "name": "the image name to record (None: an unnamed image).",
    "squash": "one layer for the whole filesystem.",
    "timestamp": "seconds since the epoch for every time in the image (default: "
    "``$SOURCE_DATE_EPOCH``); makes the output byte-identical.",
    "rm": "remove the working container once committed.",
    "created_by": "the history note of the new layer.",
    "author": "the image's author.",
    "comment": "the image's comment.",
    "iidfile": "write the image ID to this file (str or os.PathLike).",
    "omit_history": "write no history.",
    "unsetenv": "variable names to drop from the committed config.",
    "identity_label": "add the ``io.buildah.version`` label.",
    "progress": "called as each layer is written (None: quiet).",
}

PUSH: dict[str, str] = {
    "destination": "where to: ``docker://REF``, ``oci:DIR[:TAG]``, ``oci-archive:F``, "
    "``docker-archive:F``, ``dir:D``.",
    "options": "a PushOptions for the rest (retries, timeouts, ``mount_from``, ...).",
    "compression_level": "the compression level (None: the format's default).",
    "progress": "called with push progress events (None: quiet).",
}

OTHER: dict[str, str] = {
    "ref": "a name, short name, ID or digest in the store.",
    "force": "remove it even when containers use it.",
    "text": "the history text of the steps made inside the block.",
}

ROOTFS: dict[str, str] = {
    "path": "an absolute path in the container, resolved inside its root filesystem.",
    "data": "the content: bytes, or a str written as UTF-8.",
    "mode": "the file's permission bits.",
    "owner": "the file's ``(uid, gid)``.",
    "src": "a file or directory in the container, resolved inside its root filesystem.",
    "host_dest": "where on the host (str or os.PathLike); into it when it is a directory.",
}

#: The constructors: scripts get containers and images from the calls above, not from these.
RECORDS: dict[str, str] = {
    "store": "the store the record is in.",
    "record": "the record in that store.",
    "owner": "a store opened for this object, kept open while it is used (None: the caller's).",
}


#: What a method's first parameter is called; functions that serve as Container methods from
#: their own module (container/rootfs.py) name it ``ctr``.
_RECEIVERS = ("self", "cls", "ctr")


def documented(overrides: dict[str, str] | None = None) -> Callable[[F], F]:
    """Append an ``Args:`` section for every parameter of the decorated function."""
    table = {**PARAMS, **(overrides or {})}

    def apply(fn: F) -> F:
        names = list(inspect.signature(fn).parameters)
        if names and names[0] in _RECEIVERS:
            names = names[1:]
        missing = [n for n in names if n not in table]
        if missing:
            raise TypeError(f"{fn.__qualname__}: no documentation for {', '.join(missing)}")
        lines = [f"    {n}: {table[n]}" for n in names]
        head = inspect.cleandoc(fn.__doc__ or "")
        fn.__doc__ = head + ("\n\nArgs:\n" + "\n".join(lines) if lines else "")
        return fn

    return apply
