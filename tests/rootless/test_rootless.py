"""buildah-py as a real unprivileged user: user namespace, owners, both isolations, steps."""

from __future__ import annotations

import io
import json
import signal
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import pytest

from tests import signalkids
from tests.rootless.conftest import RANGE, RootlessCli, User, set_range

ADD_APP = (
    "echo app:x:1000:1000::/home/app:/bin/sh >> /etc/passwd && "
    "echo app:x:1000: >> /etc/group && echo extra:x:2000:app >> /etc/group"
)
STEPS = ADD_APP + " && mkdir -p /srv && touch /srv/f && chown 1000:1000 /srv/f && chmod 4755 /srv/f"


def _layers(archive: Path) -> list[dict[str, tarfile.TarInfo]]:
    """Entries of each layer in an oci-archive, by name."""
    out = []
    with tarfile.open(archive) as outer:
        index = json.load(outer.extractfile("index.json"))  # type: ignore[arg-type]

        def blob(digest: str) -> bytes:
            return outer.extractfile("blobs/sha256/" + digest.split(":")[1]).read()  # type: ignore[union-attr]

        manifest = json.loads(blob(index["manifests"][0]["digest"]))
        for layer in manifest["layers"]:
            with tarfile.open(fileobj=io.BytesIO(blob(layer["digest"]))) as tar:
                out.append({m.name.lstrip("./"): m for m in tar.getmembers()})
    return out


def _commit_and_export(rcli: RootlessCli, ctr: str, name: str) -> Path:
    rcli("commit", ctr, name)
    out = rcli.root / f"{name}.tar"
    rcli("push", name, f"oci-archive:{out}:latest")
    return out


def test_namespace_maps_the_subordinate_range(rcli: RootlessCli) -> None:
    ctr = rcli.out("from", "--name", "maps", "localhost/busybox:latest")
    lines = rcli.out("run", ctr, "--", "cat", "/proc/self/uid_map").splitlines()
    rows = [line.split() for line in lines]
    assert rows[0][0] == "0" and rows[0][2] == "1"
    assert ["1", "200000", "65536"] in rows


def test_owners_and_setuid_reach_the_layer(rcli: RootlessCli, tmp_path: Path) -> None:
    ctr = rcli.out("from", "--name", "owners", "localhost/busybox:latest")
    rcli("run", ctr, "--", "sh", "-c", STEPS)
    archive = _commit_and_export(rcli, ctr, "owners")
    top = _layers(archive)[-1]
    f = top["srv/f"]
    assert (f.uid, f.gid) == (1000, 1000)
    assert f.mode & 0o7777 == 0o4755
    # umoci, as root, unpacks the same owners and bits from the same archive.
    layout = tmp_path / "layout"
    layout.mkdir()
    with tarfile.open(archive) as tar:
        tar.extractall(layout, filter="tar")
    subprocess.run(
        ["umoci", "unpack", "--image", f"{layout}:latest", str(tmp_path / "b")],
        check=True,
        capture_output=True,
    )
    st = (tmp_path / "b" / "rootfs" / "srv" / "f").stat()
    assert (st.st_uid, st.st_gid, st.st_mode & 0o7777) == (1000, 1000, 0o4755)
    inspect = subprocess.run(
        ["skopeo", "inspect", f"oci-archive:{archive}"], check=True, capture_output=True, text=True
    )
    assert len(json.loads(inspect.stdout)["Layers"]) == 2


def _fs(layer: dict[str, tarfile.TarInfo]) -> dict[str, tuple[object, ...]]:
    return {n: (m.type, m.mode, m.uid, m.gid, m.size, m.linkname) for n, m in layer.items()}


def test_oci_and_chroot_commit_the_same_filesystem(rcli: RootlessCli) -> None:
    layers = []
    for isolation in ("chroot", "oci"):
        ctr = rcli.out("from", "--name", f"same-{isolation}", "localhost/busybox:latest")
        rcli("run", "--isolation", isolation, ctr, "--", "sh", "-c", STEPS + " && mkdir -p /w/x")
        layers.append(_fs(_layers(_commit_and_export(rcli, ctr, f"same-{isolation}"))[-1]))
    assert layers[0] == layers[1]
    assert "w/x" in layers[0] and "srv/f" in layers[0]


@pytest.mark.parametrize("isolation", ["chroot", "oci"])
def test_step_environment(rcli: RootlessCli, isolation: str) -> None:
    ctr = rcli.out("from", "--name", f"env-{isolation}", "localhost/busybox:latest")
    rcli("run", ctr, "--", "sh", "-c", ADD_APP)
    rcli("config", "--user", "app", ctr)
    script = "echo $$; hostname; id -u; id -G; umask; echo $HOME; ip -o link | wc -l"
    out = rcli.out(
        "run",
        "--isolation",
        isolation,
        "--hostname",
        "box",
        "--network",
        "none",
        ctr,
        "--",
        "sh",
        "-c",
        script,
    ).split("\n")
    assert out[:6] == ["1", "box", "1000", "1000 2000", "0022", "/home/app"]
    assert out[6].strip() == "1"  # only lo
    assert (
        rcli(
            "run", "--isolation", isolation, ctr, "--", "sh", "-c", "exit 42", check=False
        ).returncode
        == 42
    )


SECRET_SCRIPT = """
import os, sys
from buildah_py.userns import maybe_reexec
maybe_reexec(sys.argv, os.environ)
from buildah_py import Container, open_store
from buildah_py.container.runmounts import SecretSource
store = open_store()
c = Container.get("hidden", store)
c.run("test ${#TOK} = 7 && test $(wc -c < /run/secrets/tok) = 7 "
      "&& echo data > /tmpfs/x && echo data > /cache/x",
      mounts=["type=secret,id=tok", "type=secret,id=tok,env=TOK", "type=tmpfs,target=/tmpfs",
              "type=cache,target=/cache,id=c"],
      secrets={"tok": SecretSource("tok", env="SECRET_VALUE")})
print(os.getuid(), c.commit("hidden").id)
"""


def test_mounts_and_generated_files_stay_out_of_layers(rcli: RootlessCli) -> None:
    ctr = rcli.out("from", "--name", "hidden", "localhost/busybox:latest")
    env = dict(rcli.env, SECRET_VALUE="hunter2")
    proc = rcli.user.run([sys.executable, "-c", SECRET_SCRIPT], env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split()[-2] == "0"  # the script re-executed itself as namespace root
    archive = rcli.root / "hidden.tar"
    rcli("push", "hidden", f"oci-archive:{archive}")
    # Layers past the busybox base's one; none at all when the step changed nothing that stays.
    added = _layers(archive)[1:]
    for name in (
        "etc/hosts",
        "etc/resolv.conf",
        "etc/hostname",
        "run/secrets",
        "run/secrets/tok",
        "tmpfs",
        "cache",
        "proc",
        "sys",
        "dev",
    ):
        assert all(name not in layer for layer in added), name
    inspect = json.loads(rcli.out("inspect", "--type", "image", "hidden"))
    assert "hunter2" not in json.dumps(inspect)
    with tarfile.open(archive) as tar:
        assert all(b"hunter2" not in tar.extractfile(m).read() for m in tar if m.isfile())  # type: ignore[union-attr]
    assert ctr


def test_escapes_fail_and_change_nothing(rcli: RootlessCli, user: User) -> None:
    victim = user.work / "victim"
    victim.write_text("untouched")
    ctr = rcli.out("from", "--name", "escape", "localhost/busybox:latest")
    for isolation in ("chroot", "oci"):
        for script in (
            "echo b > /proc/sysrq-trigger",
            "mount -t tmpfs none /mnt",
            f"chroot /.. cat {victim}",
            f"cat /proc/1/root{victim}",
            f"for f in /proc/self/fd/*; do cat $f/{victim.relative_to('/')} && exit 0; done; exit 1",
            f"echo x > /proc/1/root{user.work}/created",
        ):
            proc = rcli("run", "--isolation", isolation, ctr, "--", "sh", "-c", script, check=False)
            assert proc.returncode != 0, (isolation, script, proc.stdout)
            assert "untouched" not in proc.stdout
    assert victim.read_text() == "untouched"
    assert not (user.work / "created").exists()


def test_sigint_stops_the_step_and_the_store_stays_consistent(rcli: RootlessCli) -> None:
    ctr = rcli.out("from", "--name", "sigint", "localhost/busybox:latest")
    with rcli.user.popen(
        rcli.argv("run", ctr, "--", "sh", "-c", "touch /started; echo started; sleep 60"),
        rcli.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=signalkids.default_dispositions,  # whatever the suite inherited
    ) as proc:
        # Only once the step runs: a signal during interpreter start-up is a different test.
        assert proc.stdout is not None and proc.stdout.readline().strip() == "started"
        start = time.monotonic()
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=30)
    assert proc.returncode == 130
    assert time.monotonic() - start < 10
    assert rcli("check").returncode == 0


def test_single_id_mapping_warns_and_fails_clearly(rcli: RootlessCli, user: User) -> None:
    ctr = rcli.out("from", "--name", "single", "localhost/busybox:latest")
    set_range(user.name, None)
    try:
        proc = rcli("run", ctr, "--", "cat", "/proc/self/uid_map", check=False)
        assert "no subordinate ID range" in proc.stderr
        assert proc.stdout.split() == ["0", str(_uid(user)), "1"]
        proc = rcli("run", "--user", "1000", ctr, "--", "true", check=False)
        assert proc.returncode == 125 and "uid 1000 is not mapped" in proc.stderr
        proc = rcli("run", ctr, "--", "chown", "1000", "/tmp", check=False)
        assert proc.returncode != 0
    finally:
        set_range(user.name, RANGE)


def _uid(user: User) -> int:
    return int(subprocess.run(["id", "-u", user.name], capture_output=True, text=True).stdout)


def test_mount_lives_in_the_unshare_session(rcli: RootlessCli) -> None:
    ctr = rcli.out("from", "--name", "mnt", "localhost/busybox:latest")
    outside = rcli("mount", ctr, check=False)
    assert outside.returncode != 0 and "unshare" in outside.stderr
    script = f'p=$("$0" -m buildah_py.cli.main mount {ctr}) && test -x "$p/bin/busybox" && echo ok'
    listing = f"{sys.executable} -m buildah_py.cli.main mount"
    out = rcli.out("unshare", "sh", "-c", script.replace('"$0"', sys.executable) + "; " + listing)
    assert out.split()[:2] == ["ok", ctr]  # listed while the session's mount lives
    assert ctr not in rcli.out("mount").split()  # the session (and its mount) is gone
    assert rcli.out("unshare", "--mount", f"R={ctr}", "sh", "-c", 'ls "$R/bin/busybox"').endswith(
        "busybox"
    )
    assert rcli("unshare", "sh", "-c", "exit 7", check=False).returncode == 7


def _user_processes(user: User) -> list[str]:
    """Command names of the user's live processes."""
    uid = _uid(user)
    out = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and entry.stat().st_uid == uid:
                out.append((entry / "comm").read_text().strip())
        except OSError:
            continue
    return out


@pytest.mark.parametrize("isolation", ["chroot", "oci"])
def test_private_network(rcli: RootlessCli, user: User, isolation: str) -> None:
    ctr = rcli.out("from", "--name", f"net-{isolation}", "localhost/busybox:latest")
    script = (
        "grep : /proc/net/dev | cut -d: -f1 | sort | tr '\\n' ' '; echo; "
        "ip -o -4 addr show tap0 | grep -o 'inet [0-9.]*'; ip -o link show tap0 | grep -c UP; "
        "grep nameserver /etc/resolv.conf"
    )
    out = rcli.out(
        "run", "--isolation", isolation, "--network", "private", ctr, "--", "sh", "-c", script
    ).splitlines()
    assert out[0].split() == ["lo", "tap0"]
    assert out[1].startswith("inet 10.0.2.") and out[2] == "1"
    assert out[3:] == ["nameserver 10.0.2.3"]
    assert "slirp4netns" not in _user_processes(user)
