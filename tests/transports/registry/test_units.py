"""The pure parts: challenges, Retry-After, registries.conf, credential lookup, certs.d, names."""

from __future__ import annotations

import base64
import json
import time
from email.utils import formatdate
from pathlib import Path

import pytest

from buildah_py.defaults import registry_files
from buildah_py.errors import AuthError, TransportError
from buildah_py.transports.options import RegistryOptions
from buildah_py.transports.registry.auth import Challenge, parse_www_authenticate, pick_challenge
from buildah_py.transports.registry.credentials import (
    Credentials,
    key_candidates,
    lookup_credentials,
    normalize_key,
    parse_creds,
)
from buildah_py.transports.registry.destination import _repo_path
from buildah_py.transports.registry.login import login_key
from buildah_py.transports.registry.regconf import (
    load_registries_conf,
    registries_conf_for,
    search_candidates,
)
from buildah_py.transports.registry.retry import RetryPolicy, parse_retry_after
from buildah_py.transports.registry.tls import find_tls_files, scan_dir


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (
            'Bearer realm="https://auth.example/token",service="reg",scope="repository:a/b:pull,push"',
            [
                Challenge(
                    "bearer",
                    {
                        "realm": "https://auth.example/token",
                        "service": "reg",
                        "scope": "repository:a/b:pull,push",
                    },
                )
            ],
        ),
        ('Basic realm="Registry Realm"', [Challenge("basic", {"realm": "Registry Realm"})]),
        (
            'Basic realm="x", Bearer realm="https://t/",error="insufficient_scope"',
            [
                Challenge("basic", {"realm": "x"}),
                Challenge("bearer", {"realm": "https://t/", "error": "insufficient_scope"}),
            ],
        ),
        ('Bearer realm="a\\"b"', [Challenge("bearer", {"realm": 'a"b'})]),
        ("", []),
    ],
)
def test_parse_www_authenticate(header: str, expected: list[Challenge]) -> None:
    assert parse_www_authenticate(header) == expected


def test_pick_challenge_prefers_bearer() -> None:
    chosen = pick_challenge(parse_www_authenticate('Basic realm="x", Bearer realm="https://t/"'))
    assert chosen is not None and chosen.scheme == "bearer"
    assert pick_challenge(parse_www_authenticate("Negotiate abc")) is None


def test_retry_after() -> None:
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after(None) is None and parse_retry_after("soon") is None
    future = formatdate(time.time() + 30, usegmt=True)
    assert 25 <= (parse_retry_after(future) or 0) <= 31
    policy = RetryPolicy(max_retry_after=10, base_delay=0.5, max_delay=4)
    assert policy.delay(0, "3600") == 10  # capped
    assert [policy.delay(n) for n in range(5)] == [0.5, 1.0, 2.0, 4.0, 4.0]


def test_registries_conf(tmp_path: Path) -> None:
    conf_file = tmp_path / "registries.conf"
    conf_file.write_text(
        'unqualified-search-registries = ["quay.io", "docker.io"]\n'
        '[[registry]]\nlocation = "reg.example:5000"\ninsecure = true\n'
        '[[registry]]\nprefix = "reg.example:5000/secret"\nlocation = "reg.example:5000/secret"\nblocked = true\n'
        '[[registry]]\nprefix = "*.corp.example"\nblocked = true\n'
        '[[registry]]\nprefix = "old.example/team"\nlocation = "new.example/team"\n'
    )
    files = registry_files({"CONTAINERS_REGISTRIES_CONF": str(conf_file), "HOME": str(tmp_path)})
    conf = registries_conf_for(RegistryOptions(files=files))
    assert conf.search == ("quay.io", "docker.io")
    plain = conf.find("reg.example:5000/app")
    assert plain is not None and plain.insecure and not plain.blocked
    secret = conf.find("reg.example:5000/secret/x")
    assert secret is not None and secret.blocked
    assert conf.find("reg.example:5000/secretive") == plain  # prefixes match whole path components
    wild = conf.find("a.corp.example/x")
    assert wild is not None and wild.blocked
    moved = conf.find("old.example/team/app")
    assert moved is not None and moved.rewrite("old.example/team/app") == "new.example/team/app"
    assert search_candidates("app", conf) == ["quay.io/app", "docker.io/app"]
    assert search_candidates("localhost/app", conf) == ["localhost/app"]


def test_registries_conf_v1_and_errors(tmp_path: Path) -> None:
    v1 = tmp_path / "v1.conf"
    v1.write_text(
        '[registries.search]\nregistries = ["a.io"]\n[registries.insecure]\nregistries = ["b.io"]\n'
    )
    conf = load_registries_conf(str(v1))
    assert conf.search == ("a.io",)
    found = conf.find("b.io/x")
    assert found is not None and found.insecure
    bad = tmp_path / "bad.conf"
    bad.write_text("unqualified-search-registries = [\n")
    with pytest.raises(TransportError, match="bad.conf"):
        load_registries_conf(str(bad))


def _auth(user: str, password: str) -> str:
    return base64.b64encode(f"{user}:{password}".encode()).decode()


def test_credential_lookup_order(tmp_path: Path) -> None:
    env = {
        "HOME": str(tmp_path),
        "XDG_RUNTIME_DIR": str(tmp_path / "run"),
        "XDG_CONFIG_HOME": str(tmp_path / "cfg"),
    }
    runtime = tmp_path / "run" / "containers" / "auth.json"
    runtime.parent.mkdir(parents=True)
    runtime.write_text(
        json.dumps(
            {
                "auths": {
                    "reg.io": {"auth": _auth("host", "h")},
                    "reg.io/team": {"auth": _auth("team", "t")},
                }
            }
        )
    )
    docker = tmp_path / ".docker" / "config.json"
    docker.parent.mkdir()
    docker.write_text(
        json.dumps({"auths": {"https://index.docker.io/v1/": {"auth": _auth("hub", "d")}}})
    )
    found = registry_files(env).auth_files
    assert lookup_credentials("reg.io/team/app", auth_files=found) == Credentials("team", "t")
    assert lookup_credentials("reg.io/other/app", auth_files=found) == Credentials("host", "h")
    assert lookup_credentials("docker.io/library/busybox", auth_files=found) == Credentials(
        "hub", "d"
    )
    assert lookup_credentials("nowhere.io/x", auth_files=found) is None
    assert lookup_credentials("reg.io/x", creds="u:p", auth_files=found) == Credentials("u", "p")
    # an explicit authfile is the only file read
    empty = tmp_path / "empty.json"
    empty.write_text("{}")
    assert lookup_credentials("reg.io/x", authfile=str(empty), auth_files=found) is None


def test_credential_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(
        json.dumps({"auths": {"reg.io": {"auth": base64.b64encode(b"nocolon").decode()}}})
    )
    with pytest.raises(AuthError, match="malformed"):
        lookup_credentials("reg.io/x", authfile=str(bad))
    with pytest.raises(AuthError, match="USERNAME:PASSWORD"):
        parse_creds("justauser")
    helper = tmp_path / "helper.json"
    helper.write_text(json.dumps({"credHelpers": {"reg.io": "does-not-exist-anywhere"}}))
    with pytest.raises(AuthError, match="not installed"):
        lookup_credentials("reg.io/x", authfile=str(helper))
    assert "secret" not in repr(Credentials("u", "secret"))


def test_keys() -> None:
    assert key_candidates("h:5000/a/b") == ["h:5000/a/b", "h:5000/a", "h:5000"]
    assert normalize_key("https://index.docker.io/v1/") == "docker.io"
    assert normalize_key("https://quay.io/v2/") == "quay.io"
    assert login_key("https://quay.io/") == "quay.io"
    assert login_key("localhost:5000/team") == "localhost:5000/team"
    assert _repo_path("docker://localhost:5000/base:1", "localhost:5000") == "base"
    assert _repo_path("base/img@sha256:" + "a" * 64, "localhost:5000") == "base/img"
    assert _repo_path("quay.io/base", "localhost:5000") == ""


def test_certs_d(tmp_path: Path) -> None:
    host = tmp_path / "cfg" / "containers" / "certs.d" / "reg.io:5000"
    host.mkdir(parents=True)
    (host / "ca.crt").write_text("x")
    (host / "client.cert").write_text("x")
    (host / "client.key").write_text("x")
    roots = registry_files({"XDG_CONFIG_HOME": str(tmp_path / "cfg"), "HOME": str(tmp_path)})
    files = find_tls_files("reg.io:5000", roots=roots.certs_dirs)
    assert files.cas == (str(host / "ca.crt"),)
    assert files.client_pairs == ((str(host / "client.cert"), str(host / "client.key")),)
    (host / "lonely.cert").write_text("x")
    with pytest.raises(TransportError, match="has no key"):
        scan_dir(host)
