"""`images` as an unprivileged user runs without the user namespace (no second interpreter),
prints what it prints inside the namespace, and still makes a new store inside it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.rootless.conftest import RootlessCli, _ids

#: The CLI with the re-exec replaced by a report: exit 3 and "re-exec" on stderr.
PROBE = """
import sys
import buildah_py.userns.reexec

r = sys.modules["buildah_py.userns.reexec"]  # the package's `reexec` is the function

def report(environ, argv=None):
    print("re-exec", file=sys.stderr)
    raise SystemExit(3)

r.reexec = report
from buildah_py.cli.main import main
sys.argv = ["buildah-py", *sys.argv[1:]]
main()
"""


def _probe(rcli: RootlessCli, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return rcli.user.run([sys.executable, "-c", PROBE, *args], env)


def _in_namespace(rcli: RootlessCli, *args: str) -> str:
    """`args` run by buildah-py inside the namespace (as a user's `buildah-py unshare` would)."""
    return rcli.out("unshare", sys.executable, "-m", "buildah_py.cli.main", *args)


def test_images_reads_the_store_without_the_namespace(rcli: RootlessCli) -> None:
    for args in (["images"], ["images", "--json"], ["images", "--no-trunc", "--digests"]):
        proc = _probe(rcli, rcli.env, *args)
        assert proc.returncode == 0 and "re-exec" not in proc.stderr, proc.stderr
        assert proc.stdout.strip() == _in_namespace(rcli, *args)
    listed = json.loads(_probe(rcli, rcli.env, "images", "--json").stdout)
    assert ["localhost/busybox:latest"] in [image["names"] for image in listed]
    # The probe does catch a re-exec: a verb that writes still makes one.
    writes = _probe(rcli, rcli.env, "containers")
    assert writes.returncode == 3 and "re-exec" in writes.stderr


def test_a_new_store_is_made_inside_the_namespace(rcli: RootlessCli) -> None:
    """The driver of a new store is probed as root of the namespace, where the writing verbs
    run: a first `images` re-executes, the next ones do not."""
    base = Path(tempfile.mkdtemp(prefix="fresh-", dir=rcli.user.work))
    os.chown(base, *_ids(rcli.user.name))
    env = {
        **rcli.env,
        "BUILDAH_PY_ROOT": str(base / "root"),
        "BUILDAH_PY_RUNROOT": str(base / "run"),
    }
    first = _probe(rcli, env, "images")
    assert first.returncode == 3 and "re-exec" in first.stderr, first.stderr
    assert not (base / "root" / "storage.json").exists()
    made = rcli.user.run(rcli.argv("images"), env)  # the real re-exec makes the store
    assert made.returncode == 0, made.stderr
    recorded = json.loads((base / "root" / "storage.json").read_text())["driver"]
    again = _probe(rcli, env, "images", "-q")
    assert again.returncode == 0 and again.stdout == "" and "re-exec" not in again.stderr
    # Another driver than the recorded one goes through the namespace, which refuses or
    # records it as a command run there would.
    other = "vfs" if recorded != "vfs" else "fuse-overlayfs"
    switched = _probe(rcli, env, "--storage-driver", other, "images")
    assert switched.returncode == 3 and "re-exec" in switched.stderr
