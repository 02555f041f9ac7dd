"""The build cache shared through a registry: two stores stand for two CI runners.

The first runner builds with ``--cache-to``; the second, empty, builds the same context with
``--cache-from`` and runs none of the steps the entries cover. Every RUN step writes a value it
could not write twice (the time in nanoseconds) and prints a marker (quoted in the step, so only its output shows it).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from buildah_py.container import Container
from buildah_py.container.cache import BuildCache
from buildah_py.storage import Store
from buildah_py.transports.options import RegistryFiles, RegistryOptions
from tests.e2e.cliutil import Cli
from tests.e2e_registry.conftest import make_cli
from tests.e2e_registry.support import CountingProxy, one_error_line
from tests.registry_fixtures import PASSWORD, USER, Registry, free_port

INSECURE = "--tls-verify=false"
DOCKERFILE = """FROM {base}
RUN echo zero-$(cat /proc/sys/kernel/random/uuid) > /zero && echo MARK-ZERO""-RAN
COPY app.txt /app/app.txt
RUN cat /app/app.txt > /one && cat /proc/sys/kernel/random/uuid >> /one && echo MARK-ONE""-RAN
RUN cat /proc/sys/kernel/random/uuid > /two && echo MARK-TWO""-RAN
"""
MARKS = ("MARK-ZERO-RAN", "MARK-ONE-RAN", "MARK-TWO-RAN")


def _context(where: Path, base: str, app: str = "hello\n") -> str:
    """A fresh context directory (files written now: other mtimes than any earlier one)."""
    where.mkdir(parents=True)
    (where / "Dockerfile").write_text(DOCKERFILE.format(base=base))
    (where / "app.txt").write_text(app)
    return str(where)


def _base(cli: Cli, busybox: str, registry: Registry, repo: str) -> str:
    ref = registry.ref(f"{repo}/base:1")
    cli("push", "-q", INSECURE, busybox, f"docker://{ref}")
    return ref


def _build(cli: Cli, ctx: str, *flags: str) -> tuple[str, str]:
    """(image ID, everything the build printed)."""
    proc = cli("build", INSECURE, *flags, ctx)
    return proc.stdout.strip().splitlines()[-1], proc.stdout + proc.stderr


def _ran(output: str) -> list[str]:
    return [m for m in MARKS if m in output]


def _layers(cli: Cli, image: str, tmp: Path) -> list[str]:
    out = tmp / f"layout-{image[:12]}"
    cli("push", "-q", image, f"oci:{out}:x")
    index = json.loads((out / "index.json").read_text())
    digest = index["manifests"][0]["digest"].split(":")[1]
    manifest = json.loads((out / "blobs" / "sha256" / digest).read_text())
    return [layer["digest"] for layer in manifest["layers"]]


def _blob_path(registry: Registry, digest: str) -> Path:
    hexd = digest.split(":")[1]
    return registry.root / "data/docker/registry/v2/blobs/sha256" / hexd[:2] / hexd / "data"


def _entry(registry: Registry, repo: str, tag: str) -> dict[str, object]:
    req = urllib.request.Request(
        f"http://{registry.host}/v2/{repo}/manifests/{tag}",
        headers={"Accept": "application/vnd.oci.image.manifest.v1+json"},
    )
    with urllib.request.urlopen(req) as resp:
        return json.loads(resp.read())  # type: ignore[no-any-return]


def _tags(registry: Registry, repo: str) -> list[str]:
    with urllib.request.urlopen(f"http://{registry.host}/v2/{repo}/tags/list") as resp:
        return list(json.loads(resp.read())["tags"] or [])


@pytest.mark.parametrize("driver", ["overlay", "vfs"])
def test_second_runner_reuses_every_step_and_gets_the_same_image(
    cli: Cli, other_cli: Cli, registry: Registry, busybox_tar: Path, tmp_path: Path, driver: str
) -> None:
    for runner in (cli, other_cli):
        runner.env["BUILDAH_PY_STORAGE_DRIVER"] = driver
    cli("import", str(busybox_tar), "localhost/busybox:latest", "--timestamp", "0")
    repo = f"rc-same-{driver}"
    base = _base(cli, "localhost/busybox:latest", registry, repo)
    cache = registry.ref(f"{repo}/cache")
    first, out1 = _build(
        cli, _context(tmp_path / "c1", base), "--cache-to", cache, "--timestamp", "0"
    )
    assert _ran(out1) == list(MARKS)
    tags = _tags(registry, f"{repo}/cache")
    assert len(tags) == 4 and all(len(t) == 64 for t in tags)  # three RUN steps and a COPY

    second, out2 = _build(
        other_cli, _context(tmp_path / "c2", base), "--cache-from", cache, "--timestamp", "0"
    )
    assert _ran(out2) == [], out2
    assert out2.count("Using cache") == 4 and out2.count(f"(from {cache})") == 4, out2
    assert second == first  # byte-identical image: same manifest, config and layers
    for runner in (cli, other_cli):
        assert json.loads((runner.root / "storage.json").read_text())["driver"] == driver
    assert _layers(other_cli, second, tmp_path) == _layers(cli, first, tmp_path)

    # Without --timestamp the layers are the pushed blobs themselves, on both runners.
    c3 = _context(tmp_path / "c3", base)
    _, out3 = _build(cli, c3)
    _, out4 = _build(other_cli, c3)
    assert _ran(out3) == _ran(out4) == []
    own = _layers(cli, _build(cli, c3)[0], tmp_path)
    theirs = _layers(other_cli, _build(other_cli, c3)[0], tmp_path)
    assert own == theirs
    pushed = {str(_entry(registry, f"{repo}/cache", t)["layers"][0]["digest"]) for t in tags}  # type: ignore[index]
    assert set(own[1:]) <= pushed

    info = subprocess.run(
        ["skopeo", "inspect", INSECURE, f"docker://{cache}:{tags[0]}"],
        capture_output=True,
        text=True,
        check=True,
    )
    data = json.loads(info.stdout)
    assert data["Labels"]["io.buildah-py.cache.key"] == f"sha256:{tags[0]}"
    assert len(data["Layers"]) == 1


def test_changed_file_rebuilds_from_the_step_that_reads_it(
    cli: Cli,
    other_cli: Cli,
    busybox: str,
    registry: Registry,
    tmp_path: Path,
    proxy_for: Callable[[Registry], CountingProxy],
) -> None:
    base = _base(cli, busybox, registry, "rc-change")
    proxy = proxy_for(registry)
    cache = f"{proxy.host}/rc-change/cache"
    _build(cli, _context(tmp_path / "c1", base), "--cache-to", cache)
    proxy.clear()
    _, out = _build(
        other_cli, _context(tmp_path / "c2", base, app="changed\n"), "--cache-from", cache
    )
    assert _ran(out) == ["MARK-ONE-RAN", "MARK-TWO-RAN"], out
    assert out.count(f"(from {cache})") == 1
    # Only the entries the build reaches are asked for, by tag: one hit, three misses.
    asked = proxy.requests("GET", "/rc-change/cache/manifests/")
    assert [status for _, _, status in asked] == [200, 404, 404, 404], proxy.log
    assert len(proxy.requests("GET", "/rc-change/cache/blobs/")) == 2  # its config and layer
    assert not [r for r in proxy.log if "/tags/list" in r[1] or r[0] not in ("GET", "HEAD")]
    assert "context file app.txt" in out or "cache miss" in out


def test_bad_entries_are_ignored_with_a_warning(
    cli: Cli, other_cli: Cli, busybox: str, registry: Registry, tmp_path: Path
) -> None:
    base = _base(cli, busybox, registry, "rc-bad")
    repo = "rc-bad/cache"
    cache = registry.ref(repo)
    _build(cli, _context(tmp_path / "c1", base), "--cache-to", cache)
    zero, copy, one, _two = _tags_in_order(registry, repo)
    # RUN zero: its layer blob lies (same size, other bytes).
    layer = str(_entry(registry, repo, zero)["layers"][0]["digest"])  # type: ignore[index]
    path = _blob_path(registry, layer)
    path.write_bytes(bytes(len(path.read_bytes())))
    # COPY: its layer blob is gone from the registry.
    layer = str(_entry(registry, repo, copy)["layers"][0]["digest"])  # type: ignore[index]
    shutil.rmtree(_blob_path(registry, layer).parent)
    # RUN one: a manifest whose config names another diff ID than its layer has.
    _lie_about_diff_id(registry, repo, one)
    ctx2 = _context(tmp_path / "c2", base)
    _, out2 = _build(other_cli, ctx2, "--cache-from", cache, "--cache-to", cache)
    warnings = [line for line in out2.splitlines() if "ignored" in line]
    assert len(warnings) == 3, out2
    assert all(line.startswith("WARNING: cache entry ") for line in warnings), warnings
    assert _ran(out2) == ["MARK-ZERO-RAN", "MARK-ONE-RAN"], out2
    assert out2.count(f"(from {cache})") == 1, out2  # RUN two: its entry is good
    # The bad entries were pushed again: a third runner takes every step from the registry.
    third = make_cli(tmp_path / "three")
    _, out3 = _build(third, ctx2, "--cache-from", cache)
    assert _ran(out3) == [] and "WARNING" not in out3, out3


def _config(registry: Registry, repo: str, tag: str) -> dict[str, object]:
    digest = str(_entry(registry, repo, tag)["config"]["digest"])  # type: ignore[index]
    with urllib.request.urlopen(f"http://{registry.host}/v2/{repo}/blobs/{digest}") as resp:
        return json.loads(resp.read())  # type: ignore[no-any-return]


def _tags_in_order(registry: Registry, repo: str) -> list[str]:
    """The entries' tags in the Dockerfile's step order (found by the note each entry keeps)."""
    notes = {
        str(_config(registry, repo, t)["history"][0]["created_by"]): t  # type: ignore[index]
        for t in _tags(registry, repo)
    }
    order = ["echo zero", "COPY app.txt", "cat /app/app.txt", "uuid > /two"]
    return [next(t for n, t in notes.items() if word in n) for word in order]


def _lie_about_diff_id(registry: Registry, repo: str, tag: str) -> None:
    manifest = _entry(registry, repo, tag)
    config: dict[str, Any] = _config(registry, repo, tag)
    config["rootfs"]["diff_ids"] = ["sha256:" + "1" * 64]
    raw = json.dumps(config).encode()
    digest = "sha256:" + hashlib.sha256(raw).hexdigest()
    start = urllib.request.Request(
        f"http://{registry.host}/v2/{repo}/blobs/uploads/", method="POST", data=b""
    )
    with urllib.request.urlopen(start) as resp:
        location = resp.headers["Location"]
    sep = "&" if "?" in location else "?"
    put = urllib.request.Request(f"{location}{sep}digest={digest}", method="PUT", data=raw)
    put.add_header("Content-Type", "application/octet-stream")
    urllib.request.urlopen(put).close()
    manifest["config"] = {**manifest["config"], "digest": digest, "size": len(raw)}  # type: ignore[dict-item]
    body = json.dumps(manifest).encode()
    req = urllib.request.Request(
        f"http://{registry.host}/v2/{repo}/manifests/{tag}", method="PUT", data=body
    )
    req.add_header("Content-Type", "application/vnd.oci.image.manifest.v1+json")
    urllib.request.urlopen(req).close()


def test_cache_ttl_ignores_old_entries(
    cli: Cli, other_cli: Cli, busybox: str, registry: Registry, tmp_path: Path
) -> None:
    base = _base(cli, busybox, registry, "rc-ttl")
    cache = registry.ref("rc-ttl/cache")
    _build(cli, _context(tmp_path / "c1", base), "--cache-to", cache)
    time.sleep(2.1)
    _, old = _build(
        other_cli, _context(tmp_path / "c2", base), "--cache-from", cache, "--cache-ttl", "2s"
    )
    assert _ran(old) == list(MARKS)
    assert sum("--cache-ttl" in line for line in old.splitlines()) == 4
    other_cli("rmi", "-a", "-f")
    other_cli("prune")
    _, fresh = _build(
        other_cli, _context(tmp_path / "c3", base), "--cache-from", cache, "--cache-ttl", "1h"
    )
    assert _ran(fresh) == [] and fresh.count(f"(from {cache})") == 4, fresh


SCRIPT_STEPS = (
    "echo $(cat /proc/sys/kernel/random/uuid) > /stamp",
    "echo again $(cat /proc/sys/kernel/random/uuid) >> /stamp",
)


def _script_build(root: Path, base: str, ctx: Path, cache: BuildCache) -> tuple[str, str]:
    """What a Python build script does: (the /stamp its RUN steps wrote, the image ID)."""
    store = cache.store
    reg = RegistryOptions(tls_verify=False, files=RegistryFiles())
    with Container.from_image(base, store=store, cache=cache, registry=reg) as c:
        c.copy("app.txt", "/app.txt", context=ctx)
        for step in SCRIPT_STEPS:
            c.run(step)
        image = c.commit(timestamp=0)
        with Container.from_image(image.id, store=store) as look:
            mounted = look.mount()
            try:
                stamp = (mounted / "stamp").read_text()
            finally:
                look.umount()
    return stamp, image.id


def test_python_scripts_share_the_registry_cache(
    cli: Cli, busybox: str, registry: Registry, tmp_path: Path
) -> None:
    base = _base(cli, busybox, registry, "rc-api")
    cache_repo = registry.ref("rc-api/cache")
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (ctx / "app.txt").write_text("api\n")
    reg = RegistryOptions(tls_verify=False, files=RegistryFiles())
    with Store.open(tmp_path / "a", tmp_path / "a-run") as first:
        pushing = BuildCache(first, cache_to=cache_repo, registry=reg)
        stamp1, id1 = _script_build(tmp_path, base, ctx, pushing)
        assert pushing.stats.misses == 3
    assert len(_tags(registry, "rc-api/cache")) == 3
    with Store.open(tmp_path / "b", tmp_path / "b-run") as second:
        pulling = BuildCache(second, cache_from=[cache_repo], registry=reg, cache_ttl="1h")
        stamp2, id2 = _script_build(tmp_path, base, ctx, pulling)
        assert pulling.stats.hits == 3 and pulling.stats.misses == 0
    assert stamp2 == stamp1 and id2 == id1


def test_an_unreachable_cache_to_warns_once_and_the_build_goes_on(
    cli: Cli, busybox: str, registry: Registry, tmp_path: Path
) -> None:
    base = _base(cli, busybox, registry, "rc-down")
    down_from = f"127.0.0.1:{free_port()}/nothing/here"
    down_to = f"127.0.0.1:{free_port()}/nothing/there"
    ctx = _context(tmp_path / "c1", base)
    _, out = _build(cli, ctx, "--cache-to", down_to, "--cache-from", down_from)
    assert _ran(out) == list(MARKS)
    warnings = [line for line in out.splitlines() if line.startswith("WARNING:")]
    assert len(warnings) == 2, out  # one for reading, one for pushing: then left alone
    assert f"cache repository {down_from}: reading" in warnings[0]
    assert f"cache repository {down_to}: pushing" in warnings[1]
    assert all("not used again" in w for w in warnings)


def test_bad_cache_flags_are_one_error_line(cli: Cli, tmp_path: Path) -> None:
    ctx = _context(tmp_path / "c", "scratch")
    bad_ttl = cli("build", "--cache-ttl", "1d", ctx, check=False)
    assert bad_ttl.returncode == 125 and "--cache-ttl" in _error_line(bad_ttl)
    tagged = cli("build", "--cache-from", "localhost:5000/c:v1", ctx, check=False)
    assert tagged.returncode == 125 and "no tag" in one_error_line(tagged)


def _error_line(proc: subprocess.CompletedProcess[str]) -> str:
    """The one `Error:` line of a usage error (click prints the usage above it)."""
    assert "Traceback" not in proc.stderr
    (line,) = [x for x in proc.stderr.splitlines() if x.startswith("Error: ")]
    return line


def test_registry_flags_reach_the_cache_repositories(
    cli: Cli,
    other_cli: Cli,
    busybox: str,
    registry: Registry,
    htpasswd_registry: Registry,
    tmp_path: Path,
) -> None:
    base = _base(cli, busybox, registry, "rc-auth")
    cache = htpasswd_registry.ref("rc-auth/cache")
    creds = f"{USER}:{PASSWORD}"
    _, out1 = _build(cli, _context(tmp_path / "c1", base), "--creds", creds, "--cache-to", cache)
    assert "WARNING" not in out1, out1
    ctx = _context(tmp_path / "c2", base)
    _, anonymous = _build(other_cli, ctx, "--cache-from", cache)
    warnings = [line for line in anonymous.splitlines() if line.startswith("WARNING:")]
    assert len(warnings) == 1 and "401" in warnings[0], anonymous
    assert _ran(anonymous) == list(MARKS)
    other_cli("rmi", "-a", "-f")
    other_cli("prune")
    _, with_creds = _build(other_cli, ctx, "--creds", creds, "--cache-from", cache)
    assert _ran(with_creds) == [] and "WARNING" not in with_creds, with_creds
    assert with_creds.count(f"(from {cache})") == 4, with_creds


def test_stages_and_copy_from_come_from_the_registry(
    cli: Cli, other_cli: Cli, busybox: str, registry: Registry, tmp_path: Path
) -> None:
    base = _base(cli, busybox, registry, "rc-stages")
    cache = registry.ref("rc-stages/cache")
    dockerfile = (
        f'FROM {base} AS tool\nRUN cat /proc/sys/kernel/random/uuid > /tool && echo MARK-ZERO""-RAN\n'
        f'FROM {base}\nCOPY --from=tool /tool /tool\nRUN cat /tool > /copy && echo MARK-ONE""-RAN\n'
    )
    contexts = []
    for name in ("c1", "c2"):
        ctx = tmp_path / name
        ctx.mkdir()
        (ctx / "Dockerfile").write_text(dockerfile)
        contexts.append(str(ctx))
    first, out1 = _build(cli, contexts[0], "--cache-to", cache, "--timestamp", "0")
    assert _ran(out1) == ["MARK-ZERO-RAN", "MARK-ONE-RAN"]
    second, out2 = _build(other_cli, contexts[1], "--cache-from", cache, "--timestamp", "0")
    assert _ran(out2) == [] and out2.count(f"(from {cache})") == 3, out2
    assert second == first
