"""The CI job the pod tests run: a multi-step Dockerfile with `chown`s, built with chroot
isolation and pushed to the loopback registry, and the owners its pushed layers must hold."""

from __future__ import annotations

import json
import subprocess
import tarfile
import tempfile
from pathlib import Path

from tests.pod.harness import Pod

NOTLS = "--tls-verify=false"

DOCKERFILE = """FROM {base}
RUN echo app:x:1234:1234::/home/app:/bin/sh >> /etc/passwd && echo app:x:1234: >> /etc/group \
 && mkdir -p /home/app /srv && chown app:app /home/app && echo hi > /srv/f && chown 1234:1234 /srv/f
COPY --chown=2000:3000 data.txt /srv/data.txt
RUN touch /srv/g && chown app:app /srv/g && chmod 640 /srv/g
"""

OWNERS = {
    "srv": (0, 0, 0o755),
    "srv/f": (1234, 1234, 0o644),
    "srv/data.txt": (2000, 3000, 0o644),
    "srv/g": (1234, 1234, 0o640),
    "home/app": (1234, 1234, 0o755),
}


def build_and_push(
    pod: Pod, base: str, ref: str, tmp_path: Path
) -> subprocess.CompletedProcess[str]:
    """Build and push as a CI script would; the build's result (push only after success)."""
    ctx = context_dir(tmp_path, DOCKERFILE.format(base=base), {"data.txt": "data\n"})
    pod.volumes[str(ctx)] = "/ctx"
    built = pod.cli("build", "-q", NOTLS, "--isolation", "chroot", "-t", ref, "/ctx", check=False)
    if built.returncode == 0:
        pod.cli("push", "-q", NOTLS, ref, f"docker://{ref}")
    return built


def pushed_owners(ref: str, tmp_path: Path) -> dict[str, tuple[int, int, int]]:
    found = pushed_entries(ref, tmp_path)
    return {name: found[name] for name in OWNERS}


def error_lines(done: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in done.stderr.splitlines() if line.startswith("Error: ")]


def context_dir(tmp_path: Path, dockerfile: str, files: dict[str, str]) -> Path:
    """A build context every pod user may read."""
    ctx = Path(tempfile.mkdtemp(prefix="ctx-", dir=tmp_path))
    ctx.chmod(0o755)
    (ctx / "Dockerfile").write_text(dockerfile)
    for name, text in files.items():
        (ctx / name).write_text(text)
    for path in ctx.iterdir():
        path.chmod(0o644)
    return ctx


def pushed_entries(ref: str, tmp_path: Path) -> dict[str, tuple[int, int, int]]:
    """(uid, gid, mode) of each entry in the layers of the image at `ref`, as skopeo fetches it;
    later layers win, as when the image is unpacked."""
    layout = Path(tempfile.mkdtemp(prefix="fetched-", dir=tmp_path))
    subprocess.run(
        ["skopeo", "copy", "--src-tls-verify=false", f"docker://{ref}", f"oci:{layout}:x"],
        check=True,
        capture_output=True,
    )

    def blob(digest: str) -> Path:
        return layout / "blobs" / "sha256" / digest.split(":")[1]

    index = json.loads((layout / "index.json").read_text())
    manifest = json.loads(blob(index["manifests"][0]["digest"]).read_text())
    found: dict[str, tuple[int, int, int]] = {}
    for layer in manifest["layers"]:
        with tarfile.open(blob(layer["digest"])) as tar:
            for m in tar.getmembers():
                found[m.name.lstrip("./").rstrip("/")] = (m.uid, m.gid, m.mode & 0o7777)
    return found
