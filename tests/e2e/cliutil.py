"""Running the `buildah-py` CLI against one store, as a user would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def context_with(tmp_path: Path, dockerfile: str) -> str:
    """The build context `tmp_path`/ctx holding `dockerfile` (written again on a later call)."""
    ctx = tmp_path / "ctx"
    ctx.mkdir(exist_ok=True)
    (ctx / "Dockerfile").write_text(dockerfile)
    return str(ctx)


class Cli:
    """Runs `buildah-py` against one store, as a user would."""

    def __init__(self, root: Path, runroot: Path) -> None:
        self.root = root
        self.runroot = runroot
        self.env = dict(os.environ, BUILDAH_PY_ROOT=str(root), BUILDAH_PY_RUNROOT=str(runroot))

    def __call__(
        self,
        *args: str,
        check: bool = True,
        input: bytes | None = None,
        cwd: str | None = None,
        timeout: float = 120,
    ) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            [sys.executable, "-m", "buildah_py.cli.main", *args],
            env=self.env,
            capture_output=True,
            text=input is None,
            input=input,
            cwd=cwd,
            timeout=timeout,
        )
        if isinstance(proc.stdout, bytes):
            proc = subprocess.CompletedProcess(
                proc.args, proc.returncode, proc.stdout.decode(), proc.stderr.decode()
            )
        if check and proc.returncode != 0:
            raise AssertionError(
                f"buildah-py {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr}"
            )
        return proc

    def out(self, *args: str, **kw: object) -> str:
        return self(*args, **kw).stdout.strip()  # type: ignore[arg-type]
