"""Run a command in a real `runc` container set up like a CI pod (see `podspec`).

The rootfs is an empty directory: the host's /usr and /etc, the interpreter's installation
and venv and the checkout under test are read-only bind mounts at their host paths (nothing is
copied), /tmp is a tmpfs, HOME a read-only volume and `store` the one writable volume.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

from tests.pod.podspec import PodConfig, config_json

REPO = Path(__file__).resolve().parents[2]
# The venv's bin first: its `buildah-py` script runs this checkout's code (PYTHONPATH).
PATH = f"{sys.prefix}/bin:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin"
HOME = "/home/ci"  # the pod's HOME, a read-only volume
STORE = "/store"  # the pod's one writable volume


def _python_dirs() -> list[str]:
    """The venv and the installation it was made from (the venv's python is a symlink there)."""
    dirs = {Path(sys.prefix).resolve(), Path(sys.base_prefix).resolve()}
    real = Path(sys.executable).resolve().parents[1]
    dirs.add(real)
    return sorted(str(d) for d in dirs)


class Pod:
    """One pod shape; `run` starts a fresh container for each command."""

    def __init__(self, base: Path, config: PodConfig, store: Path, volumes: dict[str, str]) -> None:
        self.base = base
        self.config = config
        self.store = store  # host directory mounted at STORE
        self.home = base / "home"  # root's, 0755: read-only for anyone in the pod
        self.home.mkdir(parents=True, exist_ok=True)
        self.volumes = volumes  # extra read-only host path -> pod path
        self.state = base / "runc-state"
        self.extra_env: dict[str, str] = {}  # the job's variables (a storage driver, say)

    def env(self, **extra: str) -> dict[str, str]:
        """A runner's environment: no XDG_RUNTIME_DIR, HOME read-only, this checkout's code."""
        return {
            "PATH": PATH,
            "HOME": HOME,
            "LANG": "C.UTF-8",
            "PYTHONPATH": str(REPO),
            "BUILDAH_PY_ROOT": f"{STORE}/root",
            **self.extra_env,
            **extra,
        }

    def _binds(self) -> list[tuple[str, str, bool]]:
        binds = [("/usr", "/usr", True), ("/etc", "/etc", True)]
        binds += [(d, d, True) for d in _python_dirs()]
        binds += [(str(REPO), str(REPO), True), (str(self.home), HOME, True)]
        binds += [(src, dst, True) for src, dst in self.volumes.items()]
        binds.append((str(self.store), STORE, False))
        return binds

    def _bundle(self, argv: list[str], env: dict[str, str]) -> Path:
        bundle = Path(tempfile.mkdtemp(prefix="bundle-", dir=self.base))
        rootfs = bundle / "rootfs"
        rootfs.mkdir()
        rootfs.chmod(0o755)
        for name in ("bin", "lib", "lib64", "sbin"):
            target = os.readlink(f"/{name}") if os.path.islink(f"/{name}") else f"usr/{name}"
            (rootfs / name).symlink_to(target)
        for name in ("run", "var/tmp"):
            (rootfs / name).mkdir(parents=True, mode=0o755)
        (rootfs / "var/tmp").chmod(0o1777)
        spec = config_json(replace(self.config, env=env), argv, STORE, self._binds())
        (bundle / "config.json").write_text(json.dumps(spec, indent=1))
        return bundle

    def run(
        self, argv: list[str], env: dict[str, str] | None = None, timeout: float = 120
    ) -> subprocess.CompletedProcess[str]:
        """`argv` in a new container of this pod; its stdout, stderr and exit status."""
        bundle = self._bundle(argv, self.env() if env is None else env)
        name = f"pod-{secrets.token_hex(6)}"
        cmd = ["runc", "--root", str(self.state), "run", "--bundle", str(bundle), name]
        try:
            return subprocess.run(
                cmd, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL
            )
        finally:
            subprocess.run(
                ["runc", "--root", str(self.state), "delete", "-f", name], capture_output=True
            )
            shutil.rmtree(bundle, ignore_errors=True)

    def cli(
        self, *args: str, env: dict[str, str] | None = None, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        """`buildah-py ARGS` in the pod."""
        argv = [sys.executable, "-m", "buildah_py.cli.main", *args]
        done = self.run(argv, env)
        if check and done.returncode != 0:
            raise AssertionError(
                f"buildah-py {' '.join(args)} failed in the pod ({done.returncode}):\n{done.stderr}"
            )
        return done

    def script(
        self, text: str, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        """A job's script (`sh -e`) in one container, as a CI runner runs it."""
        return self.run(["/bin/sh", "-ec", text], env)
