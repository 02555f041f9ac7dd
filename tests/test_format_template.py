"""``--format`` as buildah's Go templates are written in CI scripts: Go field names, several
actions with text between, ``index`` and ``json``."""

from __future__ import annotations

import pytest

from buildah_py.cli.common import pick_field

DATA = {
    "OCIv1": {
        "architecture": "arm64",
        "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": ["sha256:a", "sha256:b"]},
        "config": {"Labels": {"org.example.v": "1"}, "Cmd": ["sh"]},
    },
    "FromImage": "localhost/busybox:latest",
}


@pytest.mark.parametrize(
    ("fmt", "want"),
    [
        ("{{.OCIv1.Architecture}}", "arm64"),
        (".OCIv1.architecture", "arm64"),
        ("{{ .OCIv1.OS }}/{{.OCIv1.Architecture}}", "linux/arm64"),
        ("{{.OCIv1.RootFS.DiffIDs}}", '["sha256:a", "sha256:b"]'),
        ("{{json .OCIv1.Config.Cmd}}", '["sh"]'),
        ('{{index .OCIv1.Config.Labels "org.example.v"}}', "1"),
        ('{{index .OCIv1.Config.Labels "missing"}}', ""),
        ("from {{.FromImage}}\n", "from localhost/busybox:latest\n"),
    ],
)
def test_go_template_forms(fmt: str, want: str) -> None:
    assert pick_field(DATA, fmt) == want


@pytest.mark.parametrize(
    ("fmt", "says"),
    [
        ("{{.OCIv1.Nope}}", "no field 'Nope'"),
        ("{{.OCIv1.Architecture", "unclosed"),
        ("{{range .OCIv1.Config.Cmd}}", "not supported"),
    ],
)
def test_what_it_cannot_read_is_named(fmt: str, says: str) -> None:
    with pytest.raises(ValueError, match=says):
        pick_field(DATA, fmt)
