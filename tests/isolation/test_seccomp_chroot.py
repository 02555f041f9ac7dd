"""The seccomp profile in `chroot` isolation: loaded for real, proven by calls it refuses."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from buildah_py import Container
from buildah_py.container.importing import import_tarball
from buildah_py.defaults import seccomp_profile
from buildah_py.errors import RunError
from buildah_py.isolation import RunSpec, run
from buildah_py.isolation.seccomp import DEFAULT_PROFILE
from buildah_py.storage import Store

pytestmark = pytest.mark.needs_root

# personality(PER_LINUX | ADDR_NO_RANDOMIZE): refused only by the profile, which allows
# a few exact personality values; no capability is involved.
NO_ASLR = "linux64 -R true"
ALLOW_ALL: dict[str, Any] = {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": []}
SECCOMP_ENV = "BUILDAH_PY_SECCOMP"


@pytest.fixture
def step(rootfs: Path, capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Any:
    """Run a script with chroot isolation; returns (status, stdout + stderr)."""
    monkeypatch.delenv(SECCOMP_ENV, raising=False)
    for applet in ("linux64", "rmdir"):
        (rootfs / "bin" / applet).symlink_to("busybox")

    def runner(script: str, **options: Any) -> tuple[int, str]:
        spec = RunSpec(rootfs=rootfs, argv=["/bin/sh", "-c", script], env=[], **options)
        capfd.readouterr()
        status = run(spec, isolation="chroot")
        out, err = capfd.readouterr()
        return status, out + err

    return runner


def _profile(tmp_path: Path, profile: dict[str, Any] | str) -> Path:
    path = tmp_path / "profile.json"
    path.write_text(profile if isinstance(profile, str) else json.dumps(profile))
    return path


def test_host_has_the_default_profile() -> None:
    assert DEFAULT_PROFILE.is_file()


def test_default_profile_refuses_what_it_does_not_list(step: Any) -> None:
    status, out = step(NO_ASLR)
    assert status == 1
    assert "Function not implemented" in out  # the profile's defaultErrnoRet, ENOSYS
    assert step(NO_ASLR, seccomp=False) == (0, "")
    assert step("linux64 true") == (0, "")  # personality(PER_LINUX) is on the list


def test_environment_read_in_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for value, choice in (("", True), ("unconfined", False), ("/p.json", Path("/p.json"))):
        monkeypatch.setenv(SECCOMP_ENV, value)
        assert seccomp_profile() == choice
    monkeypatch.delenv(SECCOMP_ENV)
    assert seccomp_profile() is True


def test_environment_turns_it_off(step: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The variable is read at the edge (defaults) and reaches the step as a value."""
    monkeypatch.setenv(SECCOMP_ENV, "unconfined")
    assert step(NO_ASLR) == (1, "linux64: personality(0x40000): Function not implemented\n")
    assert step(NO_ASLR, seccomp=seccomp_profile()) == (0, "")


def test_container_run_passes_the_environment_choice(
    tmp_path: Path,
    busybox_tar: Path,
    capfd: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    store = Store.open(tmp_path / "root", tmp_path / "run")
    import_tarball(store, str(busybox_tar), "localhost/busybox:latest")
    ctr = Container.from_image("localhost/busybox:latest", store=store)
    for value, mode in (("unconfined", "0"), ("", "2")):
        monkeypatch.setenv(SECCOMP_ENV, value)
        capfd.readouterr()
        ctr.run("grep Seccomp: /proc/self/status", isolation="chroot")
        assert capfd.readouterr().out.split() == ["Seccomp:", mode]


def test_filter_without_no_new_privs(step: Any) -> None:
    """Filter mode is on for every user, and setuid binaries may still gain privileges."""
    script = "grep -E '^(Seccomp|NoNewPrivs):' /proc/self/status"
    for user in ("", "app"):
        assert step(script, user=user) == (0, "NoNewPrivs:\t0\nSeccomp:\t2\n")
    assert step(script, seccomp=False) == (0, "NoNewPrivs:\t0\nSeccomp:\t0\n")


def test_ordinary_steps_still_work(step: Any) -> None:
    script = "id; pwd; echo $$; mkdir /new 2>&1; ls / | grep -c new"
    assert step(script, user="app", cwd="/mnt") == (
        1,
        "uid=1000(app) gid=1000(app) groups=2000(extra)\n/mnt\n1\n"
        "mkdir: can't create directory '/new': Permission denied\n0\n",
    )
    assert step("mkdir /new && rmdir /new && echo done") == (0, "done\n")


def test_profile_by_path_with_errno_and_arguments(step: Any, tmp_path: Path) -> None:
    profile = {
        "defaultAction": "SCMP_ACT_ALLOW",
        "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_NOSUCH"],
        "syscalls": [
            {"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13},
            {
                "names": ["personality"],
                "action": "SCMP_ACT_ERRNO",
                "args": [
                    {"index": 0, "value": 0x40000, "valueTwo": 0x40000, "op": "SCMP_CMP_MASKED_EQ"}
                ],
            },
            {"names": ["no_such_syscall"], "action": "SCMP_ACT_ERRNO"},
            {"names": ["getpid"], "action": "SCMP_ACT_ALLOW"},
        ],
    }
    path = _profile(tmp_path, profile)
    status, out = step(f"(mkdir /x; {NO_ASLR}; linux64 true && echo plain ok) 2>&1", seccomp=path)
    assert status == 0
    assert out == (
        "mkdir: can't create directory '/x': Permission denied\n"
        "linux64: personality(0x40000): Operation not permitted\nplain ok\n"
    )
    assert step("mkdir /x && rmdir /x", seccomp=False) == (0, "")


def test_environment_names_a_profile(
    step: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(SECCOMP_ENV, str(_profile(tmp_path, ALLOW_ALL)))
    assert step(NO_ASLR, seccomp=seccomp_profile()) == (0, "")


@pytest.mark.parametrize(
    ("profile", "message"),
    [
        ("{not json", "seccomp profile .*profile.json"),
        ({"syscalls": []}, "malformed rule"),
        (
            {**ALLOW_ALL, "syscalls": [{"names": ["read"], "action": "SCMP_ACT_BOGUS"}]},
            "unsupported action 'SCMP_ACT_BOGUS'",
        ),
        (
            {
                **ALLOW_ALL,
                "syscalls": [
                    {
                        "names": ["read"],
                        "action": "SCMP_ACT_ERRNO",
                        "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_ALMOST"}],
                    }
                ],
            },
            "unsupported operator 'SCMP_CMP_ALMOST'",
        ),
        ({**ALLOW_ALL, "flags": ["SECCOMP_FILTER_FLAG_NOPE"]}, "unsupported flag"),
    ],
)
def test_invalid_profile_fails_the_step(
    step: Any, tmp_path: Path, profile: dict[str, Any] | str, message: str
) -> None:
    with pytest.raises(RunError, match=message):
        step("true", seccomp=_profile(tmp_path, profile))


def test_missing_profile_by_path(step: Any, tmp_path: Path) -> None:
    with pytest.raises(RunError, match="seccomp profile .*nothing.json does not exist"):
        step("true", seccomp=tmp_path / "nothing.json")


def test_oci_honours_unconfined_too(rootfs: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`BUILDAH_PY_SECCOMP=unconfined` turns the filter off under runc as under chroot."""
    monkeypatch.setenv("BUILDAH_PY_SECCOMP", "unconfined")
    out = rootfs / "seccomp.txt"
    spec = RunSpec(
        rootfs=rootfs,
        argv=["sh", "-c", "grep Seccomp: /proc/self/status > /seccomp.txt"],
        env=[],
        seccomp=seccomp_profile(),
    )
    assert run(spec, isolation="oci") == 0
    assert out.read_text().split()[1] == "0"
    out.unlink()
