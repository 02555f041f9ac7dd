"""`buildah-py image ...` (skopeo's verbs) against two real registries, with skopeo as the oracle."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from buildah_py.transports.docker import list_repository_tags
from buildah_py.transports.options import RegistryOptions
from tests.e2e.cliutil import Cli
from tests.e2e_registry.support import CountingProxy, one_error_line
from tests.registry_fixtures import PASSWORD, USER, Registry, start_registry
from tests.transports.registry.faultproxy import BLOB, MANIFEST, Fault, FaultProxy

SRC = "--src-tls-verify=false"
DST = "--dest-tls-verify=false"
INSECURE = "--tls-verify=false"
WRITES = ("PUT", "POST", "PATCH")


@pytest.fixture(scope="module")
def second_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    """Another registry beside `registry`: copies between two hosts."""
    reg = start_registry(tmp_path_factory.mktemp("registry-second"))
    yield reg
    reg.stop()


def skopeo(*args: str) -> str:
    return subprocess.run(["skopeo", *args], capture_output=True, text=True, check=True).stdout


def raw_of(ref: str) -> bytes:
    return subprocess.run(
        ["skopeo", "inspect", "--raw", INSECURE, ref], capture_output=True, check=True
    ).stdout


def digest_of(ref: str) -> str:
    return "sha256:" + hashlib.sha256(raw_of(ref)).hexdigest()


def absent(ref: str) -> bool:
    proc = subprocess.run(["skopeo", "inspect", "--raw", INSECURE, ref], capture_output=True)
    return proc.returncode != 0


def tree(root: Path) -> dict[str, tuple[int, int]]:
    """Every path under `root` with its size and modification time."""
    out = {}
    for path, dirs, files in os.walk(root):
        for name in dirs + files:
            st = os.lstat(os.path.join(path, name))
            out[os.path.relpath(os.path.join(path, name), root)] = (st.st_size, st.st_mtime_ns)
    return out


@pytest.fixture
def pushed(cli: Cli, busybox: str, registry: Registry) -> str:
    ref = f"docker://{registry.ref('img/bb:1')}"
    cli("push", "-q", INSECURE, busybox, ref)
    return ref


@pytest.fixture
def two_platform_index(cli: Cli, busybox: str, registry: Registry) -> str:
    """busybox as amd64 and as arm64 (the same files, another config), pushed as one index."""
    ctr = cli.out("from", busybox)
    cli("config", "--arch", "arm64", ctr)
    cli("commit", "-q", "--rm", ctr, "localhost/bb-arm64")
    cli("manifest", "create", "localhost/two", busybox, "localhost/bb-arm64")
    ref = f"docker://{registry.ref('img/two:1')}"
    cli("manifest", "push", "-q", "--all", INSECURE, "localhost/two", ref)
    return ref


def test_registry_to_registry_copy_skips_the_store(
    cli: Cli, pushed: str, second_registry: Registry, tmp_path: Path
) -> None:
    before = tree(cli.root)
    dest = f"docker://{second_registry.ref('mirror/bb:1')}"
    digestfile = tmp_path / "digest"
    cli("image", "copy", "-q", SRC, DST, "--digestfile", str(digestfile), pushed, dest)
    assert tree(cli.root) == before  # not one file of the store written, read-locked or added
    assert digest_of(dest) == digest_of(pushed) == digestfile.read_text()
    ours = json.loads(cli.out("image", "inspect", INSECURE, dest))
    theirs = json.loads(skopeo("inspect", INSECURE, dest))
    assert {k: ours[k] for k in theirs} == theirs
    assert [d["Digest"] for d in ours["LayersData"]] == ours["Layers"]


def test_same_registry_copy_mounts_blobs(
    cli: Cli, pushed: str, registry: Registry, proxy_for: Callable[[Registry], CountingProxy]
) -> None:
    proxy = proxy_for(registry)
    src = pushed.replace(registry.host, proxy.host)
    dest = f"docker://{proxy.host}/other/bb:1"
    cli("image", "copy", "-q", SRC, DST, src, dest)
    assert proxy.requests("POST", "mount=")  # the layer and config came over by mount
    assert not proxy.requests("PATCH", "/other/")
    layer = json.loads(raw_of(pushed))["layers"][0]["digest"]
    assert not proxy.requests("GET", layer)  # the layer never left the registry
    assert digest_of(dest.replace(proxy.host, registry.host)) == digest_of(pushed)


def test_index_copies_whole_with_all_and_one_platform_without(
    cli: Cli, two_platform_index: str, second_registry: Registry
) -> None:
    every = f"docker://{second_registry.ref('mirror/two:all')}"
    cli("image", "copy", "-q", "--all", SRC, DST, two_platform_index, every)
    assert raw_of(every) == raw_of(two_platform_index)  # the same index, so the same digest

    host = f"docker://{second_registry.ref('mirror/two:host')}"
    proc = cli("image", "copy", "-q", SRC, DST, two_platform_index, host)
    assert "is a list of 2 images; copying only linux/amd64" in proc.stderr
    index = json.loads(raw_of(two_platform_index))
    amd64 = next(m for m in index["manifests"] if m["platform"]["architecture"] == "amd64")
    assert digest_of(host) == amd64["digest"]
    assert json.loads(raw_of(host))["mediaType"] == "application/vnd.oci.image.manifest.v1+json"

    refused = cli(
        "image", "copy", "--preserve-digests", SRC, DST, two_platform_index, host + "x", check=False
    )
    assert "--preserve-digests" in one_error_line(refused) and "pass --all" in refused.stderr
    assert absent(host + "x")


def test_inspect_raw_and_config_are_the_bytes_served(
    cli: Cli, pushed: str, two_platform_index: str
) -> None:
    for ref in (pushed, two_platform_index):
        ours = cli("image", "inspect", "--raw", INSECURE, ref, input=b"").stdout
        assert ours.encode() == raw_of(ref)
        config = cli("image", "inspect", "--config", "--raw", INSECURE, ref).stdout
        theirs = skopeo("inspect", "--config", "--raw", INSECURE, ref)
        assert config == theirs
    summary = json.loads(cli.out("image", "inspect", INSECURE, two_platform_index))
    assert summary["Digest"] == digest_of(two_platform_index)
    assert summary["Architecture"] == "amd64" and summary["RepoTags"] == ["1"]
    assert json.loads(cli.out("image", "inspect", "-n", INSECURE, pushed))["RepoTags"] == []
    assert cli.out("image", "inspect", "-f", "{{.Os}}/{{.Architecture}}", INSECURE, pushed) == (
        "linux/amd64"
    )


@pytest.mark.parametrize("transport", ["oci", "oci-archive", "dir", "docker-archive"])
def test_inspect_every_transport_agrees_with_skopeo(
    cli: Cli, pushed: str, tmp_path: Path, transport: str
) -> None:
    name = f"{transport}:{tmp_path / 'image'}"
    cli("image", "copy", "-q", SRC, pushed, name)
    ours = json.loads(cli.out("image", "inspect", name))
    theirs = json.loads(skopeo("inspect", name))
    keys = ["Created", "DockerVersion", "Labels", "Architecture", "Os", "Env", "RepoTags"]
    if transport != "docker-archive":  # both tools make up a manifest for an archive
        keys += ["Digest", "Layers"]
        assert ours["Digest"] == digest_of(pushed)
    assert {k: ours[k] for k in keys} == {k: theirs[k] for k in keys}
    if transport != "docker-archive":
        raw = cli("image", "inspect", "--raw", name).stdout.encode()
        assert raw == skopeo("inspect", "--raw", name).encode()


def _retag(registry: Registry, repo: str, tags: list[str], raw: bytes) -> None:
    kind = json.loads(raw)["mediaType"]
    for tag in tags:
        req = urllib.request.Request(
            f"http://{registry.host}/v2/{repo}/manifests/{tag}",
            data=raw,
            method="PUT",
            headers={"Content-Type": kind},
        )
        urllib.request.urlopen(req).close()


def test_list_tags_follows_every_page(cli: Cli, pushed: str, registry: Registry) -> None:
    raw = raw_of(pushed)
    tags = [f"t{i:03d}" for i in range(130)]
    cli("image", "copy", "-q", SRC, DST, pushed, f"docker://{registry.ref('img/many:t000')}")
    _retag(registry, "img/many", tags[1:], raw)  # one manifest, 130 tags: cheap
    registry_opts = RegistryOptions(tls_verify=False)
    repo = registry.ref("img/many")
    assert sorted(list_repository_tags(repo, registry_opts, page_size=25)) == tags
    assert sorted(list_repository_tags(repo, registry_opts, page_size=1)) == tags
    out = json.loads(cli.out("image", "list-tags", INSECURE, f"docker://{repo}"))
    assert out == json.loads(skopeo("list-tags", INSECURE, f"docker://{repo}"))
    assert sorted(out["Tags"]) == tags and out["Repository"] == repo


def test_delete_and_manifest_digest(
    cli: Cli, pushed: str, second_registry: Registry, tmp_path: Path
) -> None:
    dest = f"docker://{second_registry.ref('gone/bb:1')}"
    cli("image", "copy", "-q", SRC, DST, pushed, dest)
    manifest = tmp_path / "manifest.json"
    manifest.write_bytes(raw_of(dest))
    digest = cli.out("image", "manifest-digest", str(manifest))
    assert digest == skopeo("manifest-digest", str(manifest)).strip() == digest_of(dest)
    cli("image", "delete", INSECURE, dest)
    assert absent(dest)
    again = cli("image", "delete", INSECURE, dest, check=False)
    assert "manifest unknown" in one_error_line(again)


def test_sync_repository_to_dir_and_back(
    cli: Cli,
    pushed: str,
    two_platform_index: str,
    registry: Registry,
    second_registry: Registry,
    proxy_for: Callable[[Registry], CountingProxy],
    tmp_path: Path,
) -> None:
    repo = registry.ref("img/sync")
    cli("image", "copy", "-q", SRC, DST, pushed, f"docker://{repo}:v1")
    cli("image", "copy", "-q", "--all", SRC, DST, two_platform_index, f"docker://{repo}:multi")
    cli("image", "copy", "-q", SRC, DST, "--format", "v2s2", pushed, f"docker://{repo}:v2s2")
    out = tmp_path / "mirror"
    cli("image", "sync", "--all", "--src", "docker", "--dest", "dir", SRC, repo, str(out))
    assert sorted(os.listdir(out)) == ["sync:multi", "sync:v1", "sync:v2s2"]
    before = tree(out)
    again = cli("image", "sync", "--all", "--src", "docker", "--dest", "dir", SRC, repo, str(out))
    assert tree(out) == before and "Synced 0 images, 3 already there" in again.stderr

    proxy = proxy_for(second_registry)
    back = f"{proxy.host}/restored"
    cli("image", "sync", "--all", "-s", "dir", "-d", "docker", DST, str(out), back)
    for tag in ("v1", "multi", "v2s2"):
        restored = f"docker://{second_registry.ref('restored')}/sync:{tag}"
        assert raw_of(restored) == raw_of(f"docker://{repo}:{tag}")
    proxy.clear()
    cli("image", "sync", "--all", "-s", "dir", "-d", "docker", DST, str(out), back)
    assert [r for r in proxy.log if r[0] in WRITES] == []  # a second sync transfers nothing

    # skopeo reads what we wrote, and names it the same way.
    skopeo(
        "sync", "--all", "-s", "dir", "-d", "docker", DST, str(out), f"{second_registry.host}/sko"
    )
    assert raw_of(f"docker://{second_registry.ref('sko/sync:multi')}") == raw_of(
        f"docker://{repo}:multi"
    )

    scoped = tmp_path / "scoped"
    cli("image", "sync", "--scoped", "-s", "docker", "-d", "dir", SRC, f"{repo}:v1", str(scoped))
    assert (scoped / registry.host / "img" / "sync:v1" / "manifest.json").is_file()


def test_sync_repository_to_an_oci_layout_and_back(
    cli: Cli,
    pushed: str,
    two_platform_index: str,
    registry: Registry,
    second_registry: Registry,
    proxy_for: Callable[[Registry], CountingProxy],
    tmp_path: Path,
) -> None:
    repo = registry.ref("img/ocisync")
    cli("image", "copy", "-q", SRC, DST, pushed, f"docker://{repo}:v1")
    cli("image", "copy", "-q", "--all", SRC, DST, two_platform_index, f"docker://{repo}:multi")
    out = tmp_path / "layouts"
    cli("image", "sync", "--all", "--src", "docker", "--dest", "oci", SRC, repo, str(out))
    layout = out / "ocisync"
    index = json.loads((layout / "index.json").read_text())
    refs = sorted(m["annotations"]["org.opencontainers.image.ref.name"] for m in index["manifests"])
    assert refs == ["multi", "v1"]
    for tag in ("v1", "multi"):  # skopeo reads the layout and finds the registry's bytes
        assert raw_of(f"oci:{layout}:{tag}") == raw_of(f"docker://{repo}:{tag}")
    before = tree(out)
    again = cli("image", "sync", "--all", "-s", "docker", "-d", "oci", SRC, repo, str(out))
    assert tree(out) == before and "Synced 0 images, 2 already there" in again.stderr

    proxy = proxy_for(second_registry)
    back = f"{proxy.host}/restored"
    cli("image", "sync", "--all", "-s", "oci", "-d", "docker", DST, str(layout), back)
    for tag in ("v1", "multi"):
        restored = f"docker://{second_registry.ref('restored')}/ocisync:{tag}"
        assert raw_of(restored) == raw_of(f"docker://{repo}:{tag}")
    proxy.clear()
    cli("image", "sync", "--all", "-s", "oci", "-d", "docker", DST, str(layout), back)
    assert [r for r in proxy.log if r[0] in WRITES] == []  # a second sync transfers nothing
    proc = cli("image", "sync", "-s", "oci", "-d", "dir", str(layout), str(tmp_path / "d"),
               check=False)  # fmt: skip
    assert "sync from oci to dir is not supported" in one_error_line(proc)


def test_sync_from_yaml(cli: Cli, pushed: str, registry: Registry, tmp_path: Path) -> None:
    repo = registry.ref("img/yaml")
    for tag in ("a", "b", "c"):
        cli("image", "copy", "-q", SRC, DST, pushed, f"docker://{repo}:{tag}")
    spec = tmp_path / "sync.yaml"
    spec.write_text(
        f"{registry.host}:\n"
        "  tls-verify: false   # a plain-HTTP test registry\n"
        "  images:\n"
        '    img/yaml: ["a"]\n'
        "  images-by-tag-regex:\n"
        "    img/yaml: ^[bc]$\n"
    )
    cli("image", "sync", "--src", "yaml", "--dest", "dir", str(spec), str(tmp_path / "out"))
    assert sorted(os.listdir(tmp_path / "out")) == ["yaml:a", "yaml:b", "yaml:c"]


@pytest.fixture
def liar(pushed: str, registry: Registry) -> Iterator[FaultProxy]:
    front = FaultProxy(registry.host)
    yield front
    front.stop()


def test_wrong_digest_leaves_nothing(
    cli: Cli, pushed: str, liar: FaultProxy, second_registry: Registry, tmp_path: Path
) -> None:
    src = pushed.replace(liar.backend, liar.host)
    liar.add(Fault("GET", BLOB, "corrupt", times=100))
    for dest in (
        f"docker://{second_registry.ref('lied/bb:1')}",
        f"dir:{tmp_path / 'dir'}",
        f"oci:{tmp_path / 'layout'}:1",
    ):
        proc = cli("image", "copy", "-q", SRC, DST, src, dest, check=False)
        assert "digest" in one_error_line(proc)
    assert absent(f"docker://{second_registry.ref('lied/bb:1')}")
    assert not (tmp_path / "dir").exists() and not (tmp_path / "layout").exists()

    liar.reset()
    liar.add(Fault("GET", MANIFEST, "corrupt", times=100))
    proc = cli("image", "inspect", "--raw", SRC.replace("src-", ""), src, check=False)
    assert "Docker-Content-Digest" in one_error_line(proc)

    # Tags become file names in a sync: one that is a path is refused, nothing is written.
    liar.reset()
    body = json.dumps({"name": "img/bb", "tags": ["1", "../../escape"]}).encode()
    liar.add(Fault("GET", "/tags/list", "serve", status=200, body=body, times=1))
    proc = cli("image", "sync", "-s", "docker", "-d", "dir", SRC, liar.ref("img/bb"),
               str(tmp_path / "sync"), check=False)  # fmt: skip
    assert "invalid tag '../../escape'" in one_error_line(proc)
    assert not (tmp_path / "sync").exists() and not (tmp_path.parent / "escape").exists()


def test_refused_flags_and_bad_names(cli: Cli, pushed: str, tmp_path: Path) -> None:
    proc = cli("image", "copy", "--sign-by", "ABCD", pushed, f"dir:{tmp_path / 'x'}", check=False)
    assert proc.returncode == 125  # signatures go to registries only, said before copying
    assert "signatures can only be stored for docker:// destinations" in proc.stderr
    assert not (tmp_path / "x").exists()
    proc = cli("image", "copy", "--format", "v2s1", pushed, f"dir:{tmp_path / 'x'}", check=False)
    assert "schema 1" in proc.stderr
    proc = cli("image", "copy", "busybox", f"dir:{tmp_path / 'x'}", check=False)
    assert "name its transport" in one_error_line(proc)
    assert not (tmp_path / "x").exists()


def test_credentials_per_end(
    cli: Cli, pushed: str, htpasswd_registry: Registry, token_registry: Registry
) -> None:
    """--dest-creds reach only the destination, --src-creds only the source; a refusal is one
    line naming the registry and what to do."""
    creds = f"{USER}:{PASSWORD}"
    basic = f"docker://{htpasswd_registry.ref('auth/bb:1')}"
    anonymous = cli("image", "copy", "-q", SRC, DST, pushed, basic, check=False)
    assert "HTTP 401" in one_error_line(anonymous) and "--dest-creds" not in anonymous.stderr
    cli("image", "copy", "-q", SRC, DST, "--dest-creds", creds, pushed, basic)
    token = f"docker://{token_registry.ref('auth/bb:1')}"
    cli("image", "copy", "-q", SRC, DST, "--src-creds", creds, "--dest-username", USER,
        "--dest-password", PASSWORD, basic, token)  # fmt: skip
    assert (
        digest_of(pushed)
        == json.loads(cli.out("image", "inspect", INSECURE, "--creds", creds, token))["Digest"]
    )
    wrong = cli("image", "inspect", INSECURE, "--creds", f"{USER}:nope", basic, check=False)
    assert "HTTP 401" in one_error_line(wrong)
