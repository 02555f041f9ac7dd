"""`image copy` / `inspect` / `sync` logic on local transports: hooks, --preserve-digests, naming."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from buildah_py.errors import ImageReferenceError, TransportError
from buildah_py.transports.imageops import (
    CopiedImage,
    ImageCopyOptions,
    SourceManifest,
    copy_between,
    manifest_file_digest,
)
from buildah_py.transports.inspect import summary
from buildah_py.transports.registry.repository import next_link
from buildah_py.transports.sync import SyncOptions, plan, sync
from buildah_py.transports.sync_yaml import YamlError, parse_yaml
from tests.transports.conftest import Built, Layout, sha


class Hooks:
    """Hooks that record what they hear; `refuse` makes admit fail as a policy would."""

    def __init__(self, refuse: bool = False) -> None:
        self.refuse = refuse
        self.admitted: list[SourceManifest] = []
        self.done: list[CopiedImage] = []

    def admit(self, source: SourceManifest) -> None:
        self.admitted.append(source)
        if self.refuse:
            raise TransportError(f"{source.reference}: refused by policy")

    def committed(self, image: CopiedImage) -> None:
        self.done.append(image)


def test_hooks_see_the_source_before_and_the_destination_after(
    layout: Layout, simple: Built, tmp_path: Path
) -> None:
    hooks = Hooks()
    result = copy_between(
        f"oci:{layout.path}:v1", f"oci:{tmp_path / 'dst'}:v1", ImageCopyOptions(hooks=hooks)
    )
    assert hooks.admitted[0].digest == simple.manifest_digest
    assert hooks.admitted[0].raw == simple.manifest
    assert hooks.done == [CopiedImage(f"oci:{tmp_path / 'dst'}:v1", simple.manifest_digest,
                                      "application/vnd.oci.image.manifest.v1+json")]  # fmt: skip
    assert result.source_digest == result.copy.manifest_digest


def test_a_refused_source_writes_nothing(layout: Layout, simple: Built, tmp_path: Path) -> None:
    hooks = Hooks(refuse=True)
    with pytest.raises(TransportError, match="refused by policy"):
        copy_between(
            f"oci:{layout.path}:v1", f"dir:{tmp_path / 'd'}", ImageCopyOptions(hooks=hooks)
        )
    assert not (tmp_path / "d").exists() and hooks.done == []


def test_preserve_digests_refuses_recompression_and_leaves_nothing(
    layout: Layout, simple: Built, tmp_path: Path
) -> None:
    opts = ImageCopyOptions(preserve_digests=True, compression="zstd")
    with pytest.raises(TransportError, match="refused as preserve_digests=True asks"):
        copy_between(f"oci:{layout.path}:v1", f"oci:{tmp_path / 'z'}:v1", opts)
    assert not (tmp_path / "z" / "index.json").exists()
    with pytest.raises(TransportError, match="converting it to the docker format"):
        copy_between(
            f"oci:{layout.path}:v1",
            f"dir:{tmp_path / 'd'}",
            ImageCopyOptions(preserve_digests=True, format="docker"),
        )
    with pytest.raises(TransportError, match="cannot store as it is"):
        copy_between(
            f"oci:{layout.path}:v1",
            f"docker-archive:{tmp_path / 'a.tar'}",
            ImageCopyOptions(preserve_digests=True),
        )
    assert not (tmp_path / "a.tar").exists()
    kept = copy_between(
        f"oci:{layout.path}:v1", f"dir:{tmp_path / 'd'}", ImageCopyOptions(preserve_digests=True)
    )
    assert kept.copy.manifest_digest == simple.manifest_digest


def test_index_without_all_says_which_platform(layout: Layout, tmp_path: Path) -> None:
    amd = layout.image([{"a": b"1"}], arch="amd64")
    arm = layout.image([{"a": b"1"}], arch="arm64")
    _, digest = layout.index([(amd, {"os": "linux", "architecture": "amd64"}),
                              (arm, {"os": "linux", "architecture": "arm64"})])  # fmt: skip
    layout.tag({"mediaType": "application/vnd.oci.image.index.v1+json", "digest": digest,
                "size": layout.blob_path(digest).stat().st_size}, "multi")  # fmt: skip
    heard: list[str] = []
    result = copy_between(
        f"oci:{layout.path}:multi", f"dir:{tmp_path / 'one'}", ImageCopyOptions(notice=heard.append)
    )
    assert "is a list of 2 images; copying only linux/amd64" in heard[0]
    assert result.copy.manifest_digest == amd.manifest_digest
    every = copy_between(
        f"oci:{layout.path}:multi", f"dir:{tmp_path / 'all'}", ImageCopyOptions(all_platforms=True)
    )
    assert every.copy.manifest_digest == digest
    info = summary(f"oci:{layout.path}:multi")
    assert info["Digest"] == digest and info["Architecture"] == "amd64"
    assert info["Layers"] == amd.layers and info["RepoTags"] == []


def test_names_need_a_transport(layout: Layout, simple: Built, tmp_path: Path) -> None:
    with pytest.raises(ImageReferenceError, match="name its transport"):
        copy_between("busybox", f"dir:{tmp_path / 'd'}")


def test_manifest_digest_of_a_file(simple: Built, tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    path.write_bytes(simple.manifest)
    assert manifest_file_digest(str(path)) == simple.manifest_digest == sha(simple.manifest)
    path.write_bytes(b"not json at all")
    assert manifest_file_digest(str(path)) == sha(b"not json at all")


@pytest.mark.parametrize(
    ("header", "want"),
    [
        ('</v2/a/tags/list?last=x&n=2>; rel="next"', "/v2/a/tags/list?last=x&n=2"),
        ("<http://h/v2/a/tags/list?n=1&last=b>; rel=next", "http://h/v2/a/tags/list?n=1&last=b"),
        ('</x>; rel="prev"', None),
        ("", None),
    ],
)
def test_next_link(header: str, want: str | None) -> None:
    assert next_link(header) == want


def test_sync_dir_to_dir_is_refused_and_dir_source_names(
    layout: Layout, simple: Built, tmp_path: Path
) -> None:
    with pytest.raises(TransportError, match="dir to dir"):
        plan("dir", str(tmp_path), "dir", str(tmp_path / "out"), SyncOptions())
    src = tmp_path / "images"
    (src / "ns").mkdir(parents=True)
    copy_between(f"oci:{layout.path}:v1", f"dir:{src / 'ns' / 'app:v1'}")
    items = plan("dir", str(src), "docker", "reg.example:5000/mirror", SyncOptions())
    assert [(i.source, i.destination) for i in items] == [
        (f"dir:{src / 'ns' / 'app:v1'}", "docker://reg.example:5000/mirror/app:v1")
    ]
    scoped = plan("dir", str(src), "docker", "reg.example:5000/m", SyncOptions(scoped=True))
    assert scoped[0].destination == "docker://reg.example:5000/m/ns/app:v1"


def test_sync_skips_what_is_there(layout: Layout, simple: Built, tmp_path: Path) -> None:
    src = tmp_path / "images"
    src.mkdir()
    copy_between(f"oci:{layout.path}:v1", f"dir:{src / 'app:v1'}")
    from buildah_py.transports.sync import SyncItem

    item = SyncItem(f"dir:{src / 'app:v1'}", f"dir:{tmp_path / 'out' / 'app:v1'}")
    lines: list[str] = []
    first = sync([item], SyncOptions(), lines.append)
    second = sync([item], SyncOptions(), lines.append)
    assert (len(first.copied), len(second.copied), len(second.skipped)) == (1, 0, 1)
    assert json.loads((tmp_path / "out" / "app:v1" / "manifest.json").read_bytes())


def test_yaml_subset() -> None:
    doc = parse_yaml(
        "reg.example:5000:   # a registry\n"
        "  images:\n"
        "    busybox: []\n"
        "    redis:\n"
        '      - "1.0"\n'
        "      - 'it''s'\n"
        "  credentials: {username: john, password: 'a b'}\n"
        "  tls-verify: false\n"
    )
    assert doc == {
        "reg.example:5000": {
            "images": {"busybox": [], "redis": ["1.0", "it's"]},
            "credentials": {"username": "john", "password": "a b"},
            "tls-verify": False,
        }
    }
    with pytest.raises(YamlError, match="sync.yaml:2: unexpected indentation"):
        parse_yaml("a: 1\n    b: 2\n", "sync.yaml")
    with pytest.raises(YamlError, match="appears twice"):
        parse_yaml("a: 1\na: 2\n")
    with pytest.raises(YamlError, match="nested flow"):
        parse_yaml("a: [[1]]\n")
    # The reader registries.d files use: what it cannot read right is refused, not kept as text.
    with pytest.raises(YamlError, match="sync.yaml:1: cannot read '&x 1'"):
        parse_yaml("a: &x 1\n", "sync.yaml")


def test_cli_reads_skopeo_booleans_as_go_does(
    layout: Layout, simple: Built, tmp_path: Path
) -> None:
    """`--src-tls-verify` alone means true and never takes the next word as its value."""
    from click.testing import CliRunner

    from buildah_py.cli.main import cli

    args = ["--root", str(tmp_path / "root"), "--runroot", str(tmp_path / "run"), "image", "copy"]
    result = CliRunner().invoke(
        cli,
        [
            *args,
            "-q",
            "--src-tls-verify",
            "--dest-tls-verify=false",
            f"oci:{layout.path}:v1",
            f"dir:{tmp_path / 'd'}",
        ],  # fmt: skip
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "d" / "manifest.json").read_bytes() == simple.manifest
    assert not (tmp_path / "root").exists()  # no store was opened for two local transports
    bad = CliRunner().invoke(cli, [*args, "--src-tls-verify=maybe", "oci:x", "dir:y"])
    assert bad.exit_code != 0 and "'maybe' is not a boolean" in bad.output


def test_yaml_tags_are_checked_before_anything_moves(tmp_path: Path) -> None:
    from buildah_py.transports.options import RegistryOptions
    from buildah_py.transports.sync_yaml import yaml_items

    spec = tmp_path / "sync.yaml"
    spec.write_text("reg.example:\n  images:\n    app: ['../../etc']\n")
    with pytest.raises(YamlError, match="invalid tag '../../etc'"):
        yaml_items(str(spec), RegistryOptions())
    spec.write_text("reg.example:\n  images-by-semver:\n    app: '>= 1'\n")
    with pytest.raises(YamlError, match="images-by-semver is not supported"):
        yaml_items(str(spec), RegistryOptions())
    spec.write_text("reg.example:\n  image:\n    app: []\n")
    with pytest.raises(YamlError, match="unknown key 'image'"):
        yaml_items(str(spec), RegistryOptions())


def test_a_damaged_blob_ends_the_copy_naming_both_ends(
    layout: Layout, simple: Built, tmp_path: Path
) -> None:
    from buildah_py.errors import DigestMismatch

    blob = layout.blob_path(simple.layers[1])
    data = bytearray(blob.read_bytes())
    data[len(data) // 2] ^= 0xFF
    blob.write_bytes(bytes(data))
    with pytest.raises(DigestMismatch, match=r"^copying oci:.* to dir:.* \(nothing was committed"):
        copy_between(f"oci:{layout.path}:v1", f"dir:{tmp_path / 'd'}")
    assert not (tmp_path / "d").exists()
