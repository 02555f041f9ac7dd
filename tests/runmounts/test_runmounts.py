"""RUN mounts through the Container API: parsing, caches, secrets, tmpfs, bind from=, ssh."""

from __future__ import annotations

import io
import json
import os
import socket
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import pytest

from buildah_py import Container
from buildah_py.container.runmounts import (
    SecretSource,
    cache_dir,
    parse_mount,
    parse_secret,
    prune_caches,
)
from buildah_py.errors import ContainerError
from buildah_py.storage import Store

BASE = "localhost/busybox:latest"


@pytest.mark.parametrize(
    ("spec", "kind", "target", "options"),
    [
        ("type=cache,target=/c", "cache", "/c", {}),
        ("type=cache,dst=/c,id=x,sharing=locked", "cache", "/c", {"id": "x", "sharing": "locked"}),
        ("type=secret,id=tok", "secret", "/run/secrets/tok", {"id": "tok"}),
        ("type=secret,target=/s/key", "secret", "/s/key", {"id": "key"}),
        ("type=secret,id=t,env=T", "secret", "", {"id": "t", "env": "T"}),
        ("type=tmpfs,target=/t,tmpfs-size=1m", "tmpfs", "/t", {"size": "1m"}),
        ("type=ssh", "ssh", "/run/buildkit/ssh_agent.{n}", {}),
        ("src=/etc,target=/e,ro", "bind", "/e", {"source": "/etc", "ro": "true"}),
    ],
)
def test_parse(spec: str, kind: str, target: str, options: dict[str, str]) -> None:
    m = parse_mount(spec)
    assert (m.type, m.target, dict(m.options)) == (kind, target, options)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("type=volume,target=/x", "unsupported type"),
        ("type=cache", "absolute target"),
        ("type=cache,target=rel", "absolute target"),
        ("type=cache,target=/c,sharing=sometimes", "sharing="),
        ("type=tmpfs,target=/t,id=x", "unknown option"),
        ("type=bind,target=/b", "needs source="),
        ("type=cache,target=/c,target=/d", "repeated option"),
        ("src=/x,target=/b,bind-propagation=suid", "bind-propagation=suid: want one of"),
        ("src=/x,target=/b,readwrite=sometimes", "readwrite=sometimes: want true or false"),
        ("src=/x,target=/b,readonly,readwrite", "both readonly and readwrite"),
        ("type=tmpfs,target=/t,size=1x", "size=1x: want a size"),
        ("type=tmpfs,target=/t,mode=8", "mode=8: want an octal mode"),
        ("type=cache,target=/c,uid=4294967295", "uid=4294967295: want a number"),
        ("type=secret,id=a\tb", "id=a\tb: want a non-empty printable name"),
        ("type=ssh,required=maybe", "required=maybe: want true or false"),
    ],
)
def test_parse_errors(spec: str, message: str) -> None:
    with pytest.raises(ContainerError) as err:
        parse_mount(spec)
    assert message in str(err.value)


@pytest.mark.parametrize(
    ("spec", "readonly"),
    [
        ("src=/x,target=/b", True),
        ("src=/x,target=/b,rw", False),
        ("src=/x,target=/b,rw=false", True),
        ("src=/x,target=/b,ro=false", False),
        ("src=/x,target=/b,readwrite=1", False),
        ("type=cache,target=/c", False),
        ("type=cache,target=/c,ro", True),
        ("type=cache,target=/c,readonly=true", True),
    ],
)
def test_binds_are_read_only_unless_rw(spec: str, readonly: bool) -> None:
    assert parse_mount(spec).readonly is readonly


def test_defaults_give_the_ssh_agent_and_secret_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from buildah_py.defaults import secret_environment, ssh_agents

    monkeypatch.setenv("SSH_AUTH_SOCK", "/agent.sock")
    monkeypatch.setenv("TOKEN_VAR", "t0k")
    assert ssh_agents(None) == {"default": "/agent.sock"}
    assert ssh_agents({"default": "/given", "x": "/y"}) == {"default": "/given", "x": "/y"}
    assert SecretSource("tok", env="TOKEN_VAR").read(secret_environment()) == b"t0k"
    monkeypatch.delenv("SSH_AUTH_SOCK")
    assert ssh_agents({"x": "/y"}) == {"x": "/y"}
    with pytest.raises(ContainerError, match="UNSET_VAR is not set"):
        SecretSource("u", env="UNSET_VAR").read({})


def test_parse_secret(tmp_path: Path) -> None:
    assert parse_secret("id=a,src=x") == SecretSource("a", os.path.abspath("x"), None)
    assert parse_secret("id=a,env=V") == SecretSource("a", None, "V")
    assert parse_secret("id=TOKEN") == SecretSource("TOKEN", None, "TOKEN")
    with pytest.raises(ContainerError):
        parse_secret("src=x")


def _layer(ctr: Container, tmp_path: Path) -> dict[str, tarfile.TarInfo]:
    img = ctr.commit(f"localhost/out-{ctr.id[:8]}")
    out = tmp_path / f"{ctr.id[:8]}.tar"
    img.push(f"oci-archive:{out}")
    with tarfile.open(out) as outer:

        def blob(d: str) -> bytes:
            return outer.extractfile("blobs/sha256/" + d.split(":")[1]).read()  # type: ignore[union-attr]

        index = json.loads(outer.extractfile("index.json").read())  # type: ignore[union-attr]
        manifest = json.loads(blob(index["manifests"][0]["digest"]))
        data = blob(manifest["layers"][-1]["digest"])
        history = json.dumps(json.loads(blob(manifest["config"]["digest"]))["history"])
    assert b"hunter2" not in data and "hunter2" not in history
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        return {m.name.lstrip("./"): m for m in tar.getmembers()}


def test_cache_persists_across_containers_and_stays_out_of_layers(
    store: Store, tmp_path: Path
) -> None:
    mount = "type=cache,target=/var/cache/app,id=app,uid=1000,mode=0750"
    first = Container.from_image(BASE, store=store)
    first.run("echo one >> /var/cache/app/log", mounts=[mount])
    second = Container.from_image(BASE, store=store)
    second.run(
        "echo two >> /var/cache/app/log && stat -c %u:%a /var/cache/app > /perm", mounts=[mount]
    )
    assert (cache_dir(store, "app") / "log").read_text() == "one\ntwo\n"
    layer = _layer(second, tmp_path)
    assert "perm" in layer and not any(n.startswith("var/cache/app") for n in layer)
    mnt = second.mount()
    try:
        assert (mnt / "perm").read_text().strip() == "1000:750"
    finally:
        second.umount()


def test_private_cache_is_fresh_each_run(store: Store) -> None:
    c = Container.from_image(BASE, store=store)
    for _ in range(2):
        c.run("test ! -e /c/x && touch /c/x", mounts=["type=cache,target=/c,sharing=private"])
    assert not [p for p in (store.root / "cache").iterdir() if p.is_dir()]


LOCKED = """
import sys, time
from buildah_py import Container
from buildah_py.storage import Store
store = Store.open(sys.argv[1], sys.argv[2])
c = Container.get(sys.argv[3], store)
c.run("echo start $(date +%s.%N) >> /c/log; sleep 1; echo end $(date +%s.%N) >> /c/log",
      mounts=["type=cache,target=/c,id=ser,sharing=" + sys.argv[4]])
"""


@pytest.mark.parametrize("sharing", ["locked", "shared"])
def test_locked_cache_serialises_concurrent_runs(store: Store, sharing: str) -> None:
    names = [Container.from_image(BASE, store=store).name for _ in range(2)]
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", LOCKED, str(store.root), str(store.runroot), n, sharing]
        )
        for n in names
    ]
    assert [p.wait(timeout=60) for p in procs] == [0, 0]
    words = [line.split() for line in (cache_dir(store, "ser") / "log").read_text().splitlines()]
    kinds = [w[0] for w in words]
    if sharing == "locked":
        assert kinds == ["start", "end", "start", "end"]
    else:
        assert kinds == ["start", "start", "end", "end"]  # both ran at once


def test_prune_caches_skips_caches_in_use(store: Store) -> None:
    c = Container.from_image(BASE, store=store)
    c.run("true", mounts=["type=cache,target=/a,id=idle", "type=cache,target=/b,id=/weird/../id"])
    assert cache_dir(store, "/weird/../id").parent == store.root / "cache"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    busy = subprocess.Popen(
        [
            sys.executable,
            "-c",
            LOCKED.replace("sleep 1", "sleep 3"),
            str(store.root),
            str(store.runroot),
            Container.from_image(BASE, store=store).name,
            "shared",
        ],
        env=env,
    )
    time.sleep(1.5)
    removed = prune_caches(store)
    assert busy.wait(timeout=60) == 0
    assert "idle" in removed and "ser" not in removed and len(removed) == 2
    assert (cache_dir(store, "ser") / "log").exists()


def test_secrets_tmpfs_and_etc_files_stay_out(store: Store, tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_text("hunter2")
    c = Container.from_image(BASE, store=store)
    c.run(
        'test "$(cat /run/secrets/tok)" = "$TOK" && test $(stat -c %a:%u /k) = 440:7 '
        "&& echo kept > /tmp/t/x && echo data > /kept",
        mounts=[
            "type=secret,id=tok",
            "type=secret,id=tok,env=TOK,target=/k,mode=0440,uid=7",
            "type=tmpfs,target=/tmp/t",
        ],
        secrets={"tok": SecretSource("tok", src=str(secret))},
    )
    layer = _layer(c, tmp_path)
    assert "kept" in layer
    for name in (
        "run/secrets/tok",
        "run/secrets",
        "k",
        "tmp/t",
        "etc/hosts",
        "etc/hostname",
        "etc/resolv.conf",
    ):
        assert name not in layer, name
    assert not list((store.runroot / "secrets").iterdir())


def test_missing_secret(store: Store) -> None:
    c = Container.from_image(BASE, store=store)
    c.run("test ! -e /run/secrets/nope", mounts=["type=secret,id=nope"])
    with pytest.raises(ContainerError, match="required"):
        c.run("true", mounts=["type=secret,id=nope,required"])


def test_bind_from_image_is_read_only_and_confined(store: Store) -> None:
    maker = Container.from_image(BASE, store=store)
    maker.run("mkdir -p /data && echo payload > /data/f && ln -s /../../../../etc /data/up")
    maker.commit("localhost/data")
    c = Container.from_image(BASE, store=store)
    c.run(
        "cat /src/f > /copied && ! touch /src/new",
        mounts=["type=bind,from=localhost/data,source=/data,target=/src"],
    )
    # An absolute link in the image resolves inside the image, never to the host's /etc.
    c.run(
        "test -e /up/busybox-only || test -f /up/passwd && ! grep -q buildtest /up/passwd",
        mounts=["type=bind,from=localhost/data,source=/data/up,target=/up"],
    )
    mnt = c.mount()
    try:
        assert (mnt / "copied").read_text() == "payload\n"
    finally:
        c.umount()
    assert len(store.containers()) == 2  # the image's temporary container is gone


def test_ssh_mounts_get_relay_sockets(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    default, other = tmp_path / "agent.sock", tmp_path / "other.sock"
    with socket.socket(socket.AF_UNIX) as a, socket.socket(socket.AF_UNIX) as b:
        for server, path in ((a, default), (b, other)):
            server.bind(str(path))
            server.listen(1)
        monkeypatch.setenv("SSH_AUTH_SOCK", str(default))
        c = Container.from_image(BASE, store=store)
        c.run(
            'test -S "$SSH_AUTH_SOCK" && echo $SSH_AUTH_SOCK > /where '
            "&& stat -c %u:%g:%a /run/buildkit/ssh_agent.0 /k/agent > /perm",
            mounts=["type=ssh", "type=ssh,id=deploy,target=/k/agent,uid=1000,gid=5,mode=0660"],
            ssh={"deploy": str(other)},
        )
        mnt = c.mount()
        try:
            assert (mnt / "where").read_text().strip() == "/run/buildkit/ssh_agent.0"
            assert (mnt / "perm").read_text().split() == ["0:0:600", "1000:5:660"]
            assert not (mnt / "k").exists() and not (mnt / "run" / "buildkit").exists()
        finally:
            c.umount()
    monkeypatch.delenv("SSH_AUTH_SOCK")
    c.run("test -z $SSH_AUTH_SOCK", mounts=["type=ssh"])  # not required: left out
    with pytest.raises(ContainerError, match="no ssh agent socket for 'default'"):
        c.run("true", mounts=["type=ssh,required=true"])
    with pytest.raises(ContainerError, match="no ssh agent socket for 'x'"):
        c.run("true", mounts=["type=ssh,id=x,required"], ssh={"x": str(tmp_path)})


def test_cli_mount_flag(store: Store) -> None:
    c = Container.from_image(BASE, store=store)
    env = dict(os.environ, BUILDAH_PY_ROOT=str(store.root), BUILDAH_PY_RUNROOT=str(store.runroot))
    cmd = [
        sys.executable,
        "-m",
        "buildah_py.cli.main",
        "run",
        "--mount",
        "type=cache,target=/c,id=cli",
        c.name,
    ]
    assert subprocess.run([*cmd, "--", "sh", "-c", "echo hi > /c/f"], env=env).returncode == 0
    assert (cache_dir(store, "cli") / "f").read_text() == "hi\n"
    bad = subprocess.run(
        [*cmd[:5], "type=nope,target=/x", c.name, "--", "true"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 125 and "unsupported type" in bad.stderr


def _cli(store: Store, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = dict(
        os.environ, BUILDAH_PY_ROOT=str(store.root), BUILDAH_PY_RUNROOT=str(store.runroot), **env
    )
    argv = [sys.executable, "-m", "buildah_py.cli.main", *args]
    return subprocess.run(argv, env=environ, capture_output=True, text=True)


def test_cli_secret_flag(store: Store, tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_text("hunter2")
    c = Container.from_image(BASE, store=store)
    script = (
        'test "$(cat /run/secrets/file)" = hunter2 && test "$(cat /s/env)" = hunter2 '
        "&& test ! -e /run/secrets/unused && echo ok > /done"
    )
    flags = ["--secret", f"id=file,src={secret}", "--secret", "id=env,env=TOKEN_VAR"]
    flags += ["--mount", "type=secret,id=file", "--mount", "type=secret,id=env,target=/s/env"]
    flags += ["--mount", "type=secret,id=unused"]
    proc = _cli(store, "run", *flags, c.name, "--", "sh", "-c", script, TOKEN_VAR="hunter2")
    assert proc.returncode == 0, proc.stderr
    layer = _layer(c, tmp_path)  # also checks the layer and the history for the value
    assert "done" in layer and not any(n.startswith(("run/secrets", "s/")) for n in layer)

    missing = _cli(store, "run", "--mount", "type=secret,id=nope,required", c.name, "--", "true")
    assert missing.returncode == 125
    assert missing.stderr.strip().splitlines() == ["Error: secret 'nope' is required but not given"]
    bad = _cli(store, "run", "--secret", "src=/x", c.name, "--", "true")
    assert bad.returncode == 125 and "want id=ID,src=PATH" in bad.stderr


def test_cli_network_private(store: Store) -> None:
    c = Container.from_image(BASE, store=store)
    script = "ip -o link show tap0 | grep -c UP; grep nameserver /etc/resolv.conf"
    proc = _cli(store, "run", "--network", "private", c.name, "--", "sh", "-c", script)
    assert (proc.returncode, proc.stdout.split()) == (0, ["1", "nameserver", "10.0.2.3"])


def test_cli_prune_removes_idle_caches_only(store: Store) -> None:
    c = Container.from_image(BASE, store=store)
    c.run("true", mounts=["type=cache,target=/a,id=idle"])
    (store.root / "cache" / "gone.lock").touch()  # a killed step's leftover lock
    busy_ctr = Container.from_image(BASE, store=store)
    wait = "touch /c/started; while [ ! -e /c/go ]; do sleep 0.05; done"
    env = dict(os.environ, BUILDAH_PY_ROOT=str(store.root), BUILDAH_PY_RUNROOT=str(store.runroot))
    argv = [sys.executable, "-m", "buildah_py.cli.main", "run", "--mount"]
    argv += ["type=cache,target=/c,id=busy", busy_ctr.name, "--", "sh", "-c", wait]
    with subprocess.Popen(argv, env=env) as busy:
        busy_dir = cache_dir(store, "busy")
        deadline = time.monotonic() + 30
        while not (busy_dir / "started").exists():
            assert busy.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        proc = _cli(store, "prune")
        (busy_dir / "go").touch()
        assert busy.wait(timeout=30) == 0
    assert proc.returncode == 0, proc.stderr
    assert "caches: ['idle']" in proc.stdout.splitlines()
    assert busy_dir.is_dir() and not cache_dir(store, "idle").exists()
    assert sorted(p.name for p in (store.root / "cache").iterdir()) == ["busy", "busy.lock"]


def test_cache_seeded_from_an_image(store: Store) -> None:
    maker = Container.from_image(BASE, store=store)
    maker.run(
        "mkdir -p /data/sub && echo seed > /data/sub/f && chown -R 1000:2000 /data/sub "
        "&& chmod 0710 /data && ln -s /etc/passwd /data/link"
    )
    maker.commit("localhost/seed")
    mount = "type=cache,target=/c,id=s,from=localhost/seed,source=/data"
    c = Container.from_image(BASE, store=store)
    c.run(
        "test $(cat /c/sub/f) = seed && test $(stat -c %u:%g /c/sub/f) = 1000:2000 "
        "&& test $(stat -c %a /c) = 710 && test $(readlink /c/link) = /etc/passwd "
        "&& echo more >> /c/sub/f",
        mounts=[mount],
    )
    c.run("test $(cat /c/sub/f | wc -l) = 2", mounts=[mount])  # kept, not seeded again
    c.run("test ! -e /c/sub", mounts=["type=cache,target=/c,id=s"])  # another cache
    busybox = "type=cache,target=/c,id=s,from=localhost/busybox"
    c.run("test ! -e /c/sub && test -x /c/bin/busybox", mounts=[busybox])
    c.run("test $(stat -c %u /c) = 7", mounts=[mount.replace("id=s", "id=t") + ",uid=7"])
    seeded = [p.name for p in (store.root / "cache").iterdir() if p.is_dir()]
    assert len(seeded) == 4 and not any(n.startswith(".") for n in seeded)
    check = Container.from_image("localhost/seed", store=store)
    check.run("test $(cat /data/sub/f) = seed")  # the image itself is untouched
    with pytest.raises(ContainerError, match="not a directory"):
        c.run("true", mounts=[mount.replace("/data", "/data/sub/f").replace("id=s", "id=f")])
    with pytest.raises(ContainerError, match="give both"):
        parse_mount("type=cache,target=/c,source=/x")


def test_cli_ssh_flag(store: Store, tmp_path: Path) -> None:
    agent = tmp_path / "a.sock"
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(agent))
        c = Container.from_image(BASE, store=store)
        proc = _cli(
            store, "run", "--ssh", f"git={agent}", "--mount", "type=ssh,id=git,required",
            c.name, "--", "sh", "-c", 'test -S "$SSH_AUTH_SOCK"',
        )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
