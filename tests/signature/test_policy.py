"""policy.json and registries.d parsing, scope precedence and signedIdentity, as data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from buildah_py.oci.reference import parse_reference
from buildah_py.signature import registries_d, yamlsub
from buildah_py.signature.errors import PolicyError
from buildah_py.signature.identity import matches
from buildah_py.signature.policy import Identity, parse_policy
from buildah_py.signature.scopes import docker_identity, docker_namespaces, path_scopes

ACCEPT = [{"type": "insecureAcceptAnything"}]
REJECT = [{"type": "reject"}]


def policy(transports: dict[str, object], default: object = ACCEPT) -> bytes:
    return json.dumps({"default": default, "transports": transports}).encode()


def test_docker_scopes_most_specific_first() -> None:
    ref = parse_reference("registry.example.com:5000/team/app:1")
    assert docker_identity(ref) == "registry.example.com:5000/team/app:1"
    assert docker_namespaces(ref) == [
        "registry.example.com:5000/team/app",
        "registry.example.com:5000/team",
        "registry.example.com:5000",
    ]
    plain = parse_reference("a.example.com/x@sha256:" + "0" * 64)
    assert docker_identity(plain) == "a.example.com/x@sha256:" + "0" * 64
    assert docker_namespaces(plain)[-2:] == ["*.example.com", "*.com"]


def test_path_scopes(tmp_path: Path) -> None:
    identity, namespaces = path_scopes(str(tmp_path / "layout"), "v1")
    assert identity == f"{tmp_path}/layout:v1"
    assert namespaces[:2] == [f"{tmp_path}/layout", str(tmp_path)]


@pytest.mark.parametrize(
    ("scopes", "expected"),
    [
        ({"reg.io/team/app:1": REJECT, "reg.io/team": ACCEPT}, 'docker scope "reg.io/team/app:1"'),
        ({"reg.io/team/app": REJECT, "reg.io": ACCEPT}, 'docker scope "reg.io/team/app"'),
        ({"reg.io": REJECT, "": ACCEPT}, 'docker scope "reg.io"'),
        ({"*.io": REJECT}, 'docker scope "*.io"'),
        ({"": REJECT}, "the docker transport default"),
        ({"other.io": REJECT}, "the default"),
    ],
)
def test_most_specific_scope_wins(scopes: dict[str, object], expected: str) -> None:
    pol = parse_policy(policy({"docker": scopes}), "p.json")
    ref = parse_reference("reg.io/team/app:1")
    scope, _ = pol.requirements_for("docker", docker_identity(ref), docker_namespaces(ref))
    assert scope == expected


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        (b"[]", "must be a JSON object"),
        (json.dumps({"transports": {}}).encode(), '"default" is missing'),
        (json.dumps({"default": []}).encode(), "non-empty list"),
        (policy({"dockr": {"": ACCEPT}}), "unknown transport 'dockr'"),
        (policy({"docker": {"": [{"type": "signedBy", "keyPath": "/k"}]}}), "keyType"),
        (
            policy({"docker": {"": [{"type": "signedBy", "keyType": "GPGKeys"}]}}),
            "exactly one of keyPath",
        ),
        (
            policy({"docker": {"": [{"type": "sigstoreSigned", "fulcio": {}}]}}),
            "fulcio is not supported",
        ),
        (
            policy(
                {
                    "docker": {
                        "": [
                            {
                                "type": "sigstoreSigned",
                                "keyPath": "/k",
                                "signedIdentity": {"type": "exactReference"},
                            }
                        ]
                    }
                }
            ),
            "takes exactly",
        ),
        (policy({}, default=[{"type": "rejekt"}]), "unknown requirement type 'rejekt'"),
    ],
)
def test_bad_policies_say_what_and_where(doc: bytes, message: str) -> None:
    with pytest.raises(PolicyError, match=message) as info:
        parse_policy(doc, "/etc/p.json")
    assert str(info.value).startswith("/etc/p.json")


@pytest.mark.parametrize(
    ("rule", "image", "signed", "ok"),
    [
        (Identity(), "reg.io/a:1", "reg.io/a:1", True),
        (Identity(), "reg.io/a:1", "reg.io/a:2", False),
        (Identity(), "reg.io/a@sha256:" + "1" * 64, "reg.io/a:anything", True),
        (Identity("matchExact"), "reg.io/a@sha256:" + "1" * 64, "reg.io/a:anything", False),
        (Identity("matchRepository"), "reg.io/a:1", "reg.io/a:2", True),
        (Identity("matchRepository"), "reg.io/a:1", "reg.io/b:1", False),
        (
            Identity("exactReference", docker_reference="reg.io/x:9"),
            "reg.io/a:1",
            "reg.io/x:9",
            True,
        ),
        (
            Identity("exactRepository", docker_repository="reg.io/x"),
            "reg.io/a:1",
            "reg.io/x:3",
            True,
        ),
        (
            Identity("remapIdentity", prefix="mirror.io/lib", signed_prefix="reg.io/lib"),
            "mirror.io/lib/a:1",
            "reg.io/lib/a:1",
            True,
        ),
        (Identity(), "reg.io/a:1", "not a reference!", False),
    ],
)
def test_signed_identity(rule: Identity, image: str, signed: str, ok: bool) -> None:
    assert (matches(rule, parse_reference(image), signed) is None) is ok


def test_yaml_subset() -> None:
    text = (
        "# comment\n"
        "default-docker:\n"
        "  lookaside: file:///var/lib/sigs  # trailing comment\n"
        "docker:\n"
        "  registry.example.com:5000:\n"
        "    use-sigstore-attachments: true\n"
        "  'quay.io/team':\n"
        '    lookaside-staging: "file:///tmp/x y"\n'
    )
    assert yamlsub.parse(text, "f.yaml") == {
        "default-docker": {"lookaside": "file:///var/lib/sigs"},
        "docker": {
            "registry.example.com:5000": {"use-sigstore-attachments": True},
            "quay.io/team": {"lookaside-staging": "file:///tmp/x y"},
        },
    }
    with pytest.raises(PolicyError, match=r"f.yaml:2: lists are not supported"):
        yamlsub.parse("docker:\n  - a\n", "f.yaml")
    with pytest.raises(PolicyError, match=r"f.yaml:1: cannot read '\{\}'"):
        yamlsub.parse("docker: {}\n", "f.yaml")


def test_registries_d_lookup(tmp_path: Path) -> None:
    user, system = tmp_path / "user", tmp_path / "system"
    system.mkdir()
    (system / "a.yaml").write_text("default-docker:\n  lookaside: file:///ignored\n")
    user.mkdir()
    (user / "a.yaml").write_text(
        "default-docker:\n  lookaside: file:///default\n  lookaside-staging: file:///staging\n"
    )
    (user / "b.yaml").write_text(
        "docker:\n  reg.io/team:\n    sigstore: file:///team\n    use-cosign-attachments: true\n"
    )
    conf = registries_d.load((str(user), str(system)), "/builtin")
    team, other = parse_reference("reg.io/team/app:1"), parse_reference("reg.io/else:1")
    assert conf.lookaside(team, write=False) == "file:///team/team/app"
    assert conf.lookaside(other, write=False) == "file:///default/else"
    assert conf.lookaside(other, write=True) == "file:///staging/else"
    assert conf.use_attachments(team) and not conf.use_attachments(other)
    assert registries_d.lookaside_path("file:///s/team/app", "sha256:ab", 0) == (
        "/s/team/app@sha256=ab/signature-1"
    )
    (user / "c.yaml").write_text("docker:\n  reg.io/team:\n    lookaside: file:///again\n")
    with pytest.raises(PolicyError, match="also defined in"):
        registries_d.load((str(user),))
    empty = registries_d.load((str(tmp_path / "none"),), "/builtin")
    assert empty.lookaside(other, write=True) == "file:///builtin/else"
