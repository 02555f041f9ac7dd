"""Unprivileged kernel overlay: inside a user namespace the store picks userxattr by itself."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SCRIPT = """
import json, os, sys
from pathlib import Path
from buildah_py.storage import Store
from tests.storage.helpers import Dir, File, Opaque, Remove, add_image, tree
base = Path(sys.argv[1])
s = Store.open(base / "root", base / "run")
b = add_image(s, [[Dir("d"), File("d/x", b"x"), File("gone", b"g")],
                  [Remove("gone"), Opaque("d"), File("d/z", b"z")]], ["localhost/a:1"])
c = s.create_container(None, b.record.id, s.prepare_snapshots(b.layers), {})
root = s.mount(c.id)
view = tree(root)
(root / "new").write_text("n")
s.unmount(c.id)
print(json.dumps({"driver": s.driver.name, "options": list(s.driver.options), "view": view,
                  "upper": sorted(os.listdir(s.container_upper(c.id))), "check": s.check()}))
"""


def test_overlay_in_a_user_namespace(tmp_path: Path) -> None:
    assert shutil.which("unshare") is not None, "unshare(1) (util-linux) is needed"
    probe = subprocess.run(["unshare", "--user", "--map-root-user", "true"], capture_output=True)
    assert probe.returncode == 0, f"user namespaces are needed: {probe.stderr.decode().strip()}"
    tmp_path.chmod(0o777)
    proc = subprocess.run(
        [
            "unshare",
            "--user",
            "--map-root-user",
            "--mount",
            sys.executable,
            "-c",
            SCRIPT,
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout.splitlines()[-1])
    assert out["driver"] == "overlay" and "userxattr" in out["options"]
    assert out["view"] == {"d": "dir", "d/z": "z"}  # whiteout and opaque dir honoured
    assert out["upper"] == ["new"] and out["check"] == []
