"""Signatures that containers/image accepts: buildah-py signs, skopeo verifies, and back.

Real parts throughout: Debian's docker-registry, skopeo (with --policy and --registries.d on
temporary files), gpg with a temporary GNUPGHOME, and buildah-py's CLI as a user runs it.
"""

from __future__ import annotations

import base64
import functools
import json
import os
import subprocess
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner

from buildah_py.cli.image_sign import generate_sigstore_key_cmd, sign_pushed_image
from buildah_py.signature.sign import SigningOptions
from buildah_py.transports.options import RegistryFiles, RegistryOptions
from tests.e2e.cliutil import Cli, context_with
from tests.e2e_registry.support import one_error_line
from tests.registry_fixtures import Registry

INSECURE = "--tls-verify=false"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
BASE = "localhost/base:latest"


@dataclass
class Setup:
    """Keys, a registries.d shared by buildah-py (through HOME) and skopeo, and the lookaside."""

    registries_d: Path
    lookaside: Path
    private_key: Path
    public_key: Path
    passphrase: Path
    gnupghome: Path
    fingerprint: str
    gpg_public: Path


@pytest.fixture
def setup(cli: Cli, busybox: str, registry: Registry, tmp_path: Path) -> Iterator[Setup]:
    regd = Path(cli.env["HOME"]) / ".config/containers/registries.d"
    regd.mkdir(parents=True)
    look = tmp_path / "lookaside"
    (regd / "test.yaml").write_text(
        "# signatures of the test registry\n"
        "docker:\n"
        f"  {registry.host}:\n"
        "    use-sigstore-attachments: true\n"
        f"    lookaside: file://{look}\n"
    )
    passphrase = tmp_path / "passphrase"
    passphrase.write_text("correct horse\n")
    prefix = tmp_path / "cosign"
    result = CliRunner().invoke(
        generate_sigstore_key_cmd,
        ["--output-prefix", str(prefix), "--passphrase-file", str(passphrase)],
    )
    assert result.exit_code == 0, result.output
    home = tmp_path / "gnupg"
    home.mkdir(mode=0o700)
    env = dict(os.environ, GNUPGHOME=str(home))
    subprocess.run(
        ["gpg", "--batch", "--passphrase", "", "--quick-gen-key", "Signer <s@example.com>"]
        + ["ed25519", "sign", "never"],
        env=env,
        check=True,
        capture_output=True,
    )
    listing = subprocess.run(
        ["gpg", "--with-colons", "--list-keys"], env=env, check=True, capture_output=True, text=True
    ).stdout
    fingerprint = next(ln.split(":")[9] for ln in listing.splitlines() if ln.startswith("fpr:"))
    gpg_public = tmp_path / "signer.gpg"
    exported = subprocess.run(
        ["gpg", "--export", fingerprint], env=env, check=True, capture_output=True
    ).stdout
    gpg_public.write_bytes(exported)
    cli.env["GNUPGHOME"] = str(home)
    cli("tag", "localhost/busybox:latest", BASE)  # kept when a test removes busybox
    yield Setup(
        regd,
        look,
        Path(f"{prefix}.private"),
        Path(f"{prefix}.pub"),
        passphrase,
        home,
        fingerprint,
        gpg_public,
    )
    subprocess.run(["gpgconf", "--kill", "all"], env=env, capture_output=True)


def write_policy(path: Path, scopes: dict[str, list[dict[str, object]]]) -> Path:
    """A policy rejecting everything but the given docker scopes."""
    path.write_text(json.dumps({"default": [{"type": "reject"}], "transports": {"docker": scopes}}))
    return path


def skopeo_copy(
    setup: Setup, policy: Path, ref: str, dest: Path
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["skopeo", "--policy", str(policy), "--registries.d", str(setup.registries_d), "copy"]
        + ["--src-tls-verify=false", f"docker://{ref}", f"dir:{dest}"],
        capture_output=True,
        text=True,
        timeout=120,
    )


def retag_to_other_image(cli: Cli, base: str, ref: str, tmp_path: Path) -> str:
    """Push a different image (made from the local image `base`) to `ref`; returns its digest."""
    ctr = cli.out("from", base)
    cli("config", "--label", "other=yes", ctr)
    cli("commit", "-q", ctr, "localhost/other:latest")
    digestfile = tmp_path / "other-digest"
    cli(
        "push",
        "-q",
        INSECURE,
        "--digestfile",
        str(digestfile),
        "localhost/other:latest",
        f"docker://{ref}",
    )
    return digestfile.read_text()


def copy_attachment(registry: Registry, repo: str, old: str, new: str) -> None:
    """Serve the signature of digest `old` as if it were one of digest `new`."""
    base = f"http://{registry.host}/v2/{repo}/manifests/"
    req = urllib.request.Request(
        base + old.replace(":", "-") + ".sig", headers={"Accept": OCI_MANIFEST}
    )
    with urllib.request.urlopen(req) as resp:
        body = resp.read()
    put = urllib.request.Request(
        base + new.replace(":", "-") + ".sig",
        data=body,
        method="PUT",
        headers={"Content-Type": OCI_MANIFEST},
    )
    urllib.request.urlopen(put).close()


#: Debian builds skopeo with sigstore signing and verification patched out.
SIGSTORE_DISABLED = "sigstore disabled"


def skip_if_sigstore_disabled(proc: subprocess.CompletedProcess[str]) -> None:
    if proc.returncode != 0 and SIGSTORE_DISABLED in proc.stderr:
        pytest.skip(f"this skopeo cannot use sigstore signatures: {proc.stderr.strip()}")


def push_sigstore_signed(cli: Cli, setup: Setup, image: str, ref: str, tmp_path: Path) -> str:
    digestfile = tmp_path / "digest"
    pushed = cli(
        "push", INSECURE, "--digestfile", str(digestfile),
        "--sign-by-sigstore-private-key", str(setup.private_key),
        "--sign-passphrase-file", str(setup.passphrase),
        image, f"docker://{ref}",
    )  # fmt: skip
    digest = digestfile.read_text()
    assert f"{digest.replace(':', '-')}.sig" in pushed.stderr
    return digest


def attachment(registry: Registry, repo: str, digest: str) -> dict[str, object]:
    url = f"http://{registry.host}/v2/{repo}/manifests/{digest.replace(':', '-')}.sig"
    req = urllib.request.Request(url, headers={"Accept": OCI_MANIFEST})
    with urllib.request.urlopen(req) as resp:
        return dict(json.load(resp))


def test_sigstore_signature_checked_and_bound_to_its_digest(
    cli: Cli, busybox: str, registry: Registry, setup: Setup, tmp_path: Path
) -> None:
    ref = registry.ref("sig/sigstore:1")
    digest = push_sigstore_signed(cli, setup, busybox, ref, tmp_path)
    sig = attachment(registry, "sig/sigstore", digest)
    layers = sig["layers"]
    assert isinstance(layers, list) and len(layers) == 1
    assert layers[0]["mediaType"] == "application/vnd.dev.cosign.simplesigning.v1+json"
    assert set(layers[0]["annotations"]) == {"dev.cosignproject.cosign/signature"}
    rule = {"type": "sigstoreSigned", "keyPath": str(setup.public_key)}
    policy = write_policy(tmp_path / "policy.json", {registry.ref("sig"): [rule]})
    cli("rmi", busybox)
    cli("pull", "-q", INSECURE, "--signature-policy", str(policy), f"docker://{ref}")
    # Signing again adds a second layer to the same attachment, as containers/image does.
    other_prefix = tmp_path / "other"
    CliRunner().invoke(
        generate_sigstore_key_cmd,
        ["--output-prefix", str(other_prefix), "--passphrase-file", str(setup.passphrase)],
    )
    wrong = write_policy(
        tmp_path / "wrong.json", {registry.ref("sig"): [{**rule, "keyPath": f"{other_prefix}.pub"}]}
    )
    line = one_error_line(
        cli("pull", INSECURE, "--signature-policy", str(wrong), f"docker://{ref}", check=False)
    )
    assert "cryptographic verification failed" in line, line

    # The tag now names another image, and the old signature is served for it: refused.
    new = retag_to_other_image(cli, BASE, ref, tmp_path)
    assert new != digest
    copy_attachment(registry, "sig/sigstore", digest, new)
    refused = cli(
        "pull", INSECURE, "--signature-policy", str(policy), f"docker://{ref}", check=False
    )
    line = one_error_line(refused)
    assert "sigstoreSigned" in line and f"not this image's {new}" in line, line


def test_sigstore_signature_passes_skopeo(
    cli: Cli, busybox: str, registry: Registry, setup: Setup, tmp_path: Path
) -> None:
    ref = registry.ref("sig/sigstore-skopeo:1")
    digest = push_sigstore_signed(cli, setup, busybox, ref, tmp_path)
    rule = {"type": "sigstoreSigned", "keyPath": str(setup.public_key)}
    policy = write_policy(tmp_path / "policy.json", {registry.ref("sig"): [rule]})
    ok = skopeo_copy(setup, policy, ref, tmp_path / "copy1")
    skip_if_sigstore_disabled(ok)
    assert ok.returncode == 0, ok.stderr
    new = retag_to_other_image(cli, BASE, ref, tmp_path)
    copy_attachment(registry, "sig/sigstore-skopeo", digest, new)
    bad = skopeo_copy(setup, policy, ref, tmp_path / "copy2")
    assert bad.returncode != 0 and "digest" in bad.stderr.lower(), bad.stderr


def test_gpg_signature_passes_skopeo_and_fails_for_another_digest(
    cli: Cli, busybox: str, registry: Registry, setup: Setup, tmp_path: Path
) -> None:
    ref = registry.ref("sig/gpg:1")
    digestfile = tmp_path / "digest"
    cli(
        "push",
        "-q",
        INSECURE,
        "--digestfile",
        str(digestfile),
        "--sign-by",
        setup.fingerprint,
        busybox,
        f"docker://{ref}",
    )
    digest = digestfile.read_text()
    sigdir = setup.lookaside / f"sig/gpg@sha256={digest.split(':')[1]}"
    assert (sigdir / "signature-1").is_file()
    rule = {"type": "signedBy", "keyType": "GPGKeys", "keyPath": str(setup.gpg_public)}
    policy = write_policy(tmp_path / "policy.json", {ref: [rule]})
    ok = skopeo_copy(setup, policy, ref, tmp_path / "copy1")
    assert ok.returncode == 0, ok.stderr
    # buildah-py accepts its own signature too.
    cli("pull", "-q", INSECURE, "--signature-policy", str(policy), f"docker://{ref}")

    new = retag_to_other_image(cli, BASE, ref, tmp_path)
    newdir = setup.lookaside / f"sig/gpg@sha256={new.split(':')[1]}"
    newdir.mkdir()
    (newdir / "signature-1").write_bytes((sigdir / "signature-1").read_bytes())
    bad = skopeo_copy(setup, policy, ref, tmp_path / "copy2")
    assert bad.returncode != 0 and "digest" in bad.stderr.lower(), bad.stderr
    refused = cli(
        "pull", INSECURE, "--signature-policy", str(policy), f"docker://{ref}", check=False
    )
    assert "signedBy" in one_error_line(refused)


def _skopeo_push_signed(
    cli: Cli, busybox: str, setup: Setup, ref: str, tmp_path: Path, *sign: str
) -> None:
    layout = tmp_path / "layout"
    cli("push", "-q", busybox, f"oci:{layout}:src")
    proc = subprocess.run(
        ["skopeo", "--insecure-policy", "--registries.d", str(setup.registries_d), "copy"]
        + ["--dest-tls-verify=false", *sign, f"oci:{layout}:src", f"docker://{ref}"],
        capture_output=True,
        text=True,
        timeout=120,
        env=dict(os.environ, GNUPGHOME=str(setup.gnupghome)),
    )
    skip_if_sigstore_disabled(proc)
    assert proc.returncode == 0, proc.stderr


def test_skopeo_sigstore_signature_passes_our_pull(
    cli: Cli, other_cli: Cli, busybox: str, registry: Registry, setup: Setup, tmp_path: Path
) -> None:
    ref = registry.ref("sig/by-skopeo:1")
    _skopeo_push_signed(
        cli, busybox, setup, ref, tmp_path,
        "--sign-by-sigstore-private-key", str(setup.private_key),
        "--sign-passphrase-file", str(setup.passphrase),
    )  # fmt: skip
    key = {"type": "sigstoreSigned", "keyPath": str(setup.public_key)}
    policy = write_policy(tmp_path / "policy.json", {ref: [key]})
    cli("rmi", busybox)
    image_id = cli.out("pull", "-q", INSECURE, "--signature-policy", str(policy), f"docker://{ref}")
    assert image_id
    # `from` enforces the same policy; a second store has no registries.d: no attachment read.
    refused = other_cli(
        "from", INSECURE, "--signature-policy", str(policy), f"docker://{ref}", check=False
    )
    assert "use-sigstore-attachments" in one_error_line(refused)


def test_skopeo_gpg_signature_passes_our_pull(
    cli: Cli, busybox: str, registry: Registry, setup: Setup, tmp_path: Path
) -> None:
    ref = registry.ref("sig/gpg-by-skopeo:1")
    _skopeo_push_signed(cli, busybox, setup, ref, tmp_path, "--sign-by", setup.fingerprint)
    rule = {"type": "signedBy", "keyType": "GPGKeys", "keyPath": str(setup.gpg_public)}
    policy = write_policy(tmp_path / "policy.json", {ref: [rule]})
    cli("rmi", busybox)
    assert cli.out("pull", "-q", INSECURE, "--signature-policy", str(policy), f"docker://{ref}")


def _store_state(cli: Cli) -> list[tuple[str, int]]:
    return sorted(
        (str(p.relative_to(cli.root)), p.stat().st_size)
        for p in cli.root.rglob("*")
        if p.is_file() and not p.name.endswith(".lock")
    )


def test_unsigned_image_refused_with_nothing_stored(
    cli: Cli, busybox: str, registry: Registry, setup: Setup, tmp_path: Path
) -> None:
    ref = registry.ref("sig/unsigned:1")
    cli("push", "-q", INSECURE, busybox, f"docker://{ref}")
    cli("rmi", busybox)
    images = cli.out("images", "--json")
    before = _store_state(cli)
    policy = write_policy(
        tmp_path / "policy.json",
        {registry.host: [{"type": "sigstoreSigned", "keyPath": str(setup.public_key)}]},
    )
    refused = cli(
        "pull", INSECURE, "--signature-policy", str(policy), f"docker://{ref}", check=False
    )
    line = one_error_line(refused)
    assert f'sigstoreSigned for docker scope "{registry.host}"' in line, line
    assert "no sigstore signature found" in line and str(policy) in line, line
    assert _store_state(cli) == before
    assert cli.out("images", "--json") == images


def test_reject_accept_and_scope_precedence(
    cli: Cli, busybox: str, registry: Registry, tmp_path: Path
) -> None:
    for name in ("scope/team/app:1", "scope/team/tool:1", "scope/other:1"):
        cli("push", "-q", INSECURE, busybox, f"docker://{registry.ref(name)}")
    cli("rmi", busybox)
    accept, reject = [{"type": "insecureAcceptAnything"}], [{"type": "reject"}]
    policy = tmp_path / "policy.json"
    policy.write_text(
        json.dumps(
            {
                "default": accept,
                "transports": {
                    "docker": {
                        registry.ref("scope"): reject,  # a namespace...
                        registry.ref("scope/team"): accept,  # ...a nearer one wins
                        registry.ref("scope/team/tool:1"): reject,  # the exact reference wins
                    }
                },
            }
        )
    )

    def pull(name: str) -> subprocess.CompletedProcess[str]:
        return cli(
            "pull",
            "-q",
            INSECURE,
            "--signature-policy",
            str(policy),
            f"docker://{registry.ref(name)}",
            check=False,
        )

    assert pull("scope/team/app:1").returncode == 0
    line = one_error_line(pull("scope/team/tool:1"))
    assert f'reject for docker scope "{registry.ref("scope/team/tool:1")}"' in line, line
    line = one_error_line(pull("scope/other:1"))
    assert f'reject for docker scope "{registry.ref("scope")}"' in line, line
    # With no docker rules at all the global default decides: here, reject.
    policy.write_text(json.dumps({"default": reject}))
    assert "reject for the default" in one_error_line(pull("scope/team/app:1"))
    # Without --signature-policy, the user's ~/.config/containers/policy.json is the policy.
    user_policy = Path(cli.env["HOME"]) / ".config/containers/policy.json"
    user_policy.parent.mkdir(parents=True, exist_ok=True)
    user_policy.write_text(json.dumps({"default": reject}))
    line = one_error_line(
        cli("pull", INSECURE, f"docker://{registry.ref('scope/other:1')}", check=False)
    )
    assert f"refused by {user_policy}: reject for the default" in line, line
    # A build's FROM and `from` are held to the same policy (for images not yet in the store).
    ctx = context_with(tmp_path, f"FROM {registry.ref('scope/other:1')}\nRUN true\n")
    built = cli("build", INSECURE, "--signature-policy", str(policy), ctx, check=False)
    assert "reject for the default" in built.stderr, built.stderr
    made = cli(
        "from",
        INSECURE,
        "--signature-policy",
        str(policy),
        registry.ref("scope/other:1"),
        check=False,
    )
    assert "reject for the default" in one_error_line(made)


def test_commit_signs_what_it_pushes_and_bad_signing_fails_before_pushing(
    cli: Cli, busybox: str, registry: Registry, setup: Setup, tmp_path: Path
) -> None:
    ref = registry.ref("sig/commit:1")
    ctr = cli.out("from", busybox)
    cli("commit", "-q", INSECURE, "--sign-by", setup.fingerprint, ctr, f"docker://{ref}")
    signed = list(setup.lookaside.glob("sig/commit@sha256=*/signature-1"))
    assert len(signed) == 1
    rule = {"type": "signedBy", "keyType": "GPGKeys", "keyPath": str(setup.gpg_public)}
    policy = write_policy(tmp_path / "policy.json", {ref: [rule]})
    assert skopeo_copy(setup, policy, ref, tmp_path / "copy").returncode == 0

    # Failures that can be known before the push leave nothing behind.
    layout = tmp_path / "layout"
    line = one_error_line(
        cli("push", "--sign-by", setup.fingerprint, busybox, f"oci:{layout}", check=False)
    )
    assert "only be stored for docker:// destinations" in line and not layout.exists()
    bad = tmp_path / "bad-pass"
    bad.write_text("wrong\n")
    line = one_error_line(
        cli(
            "push",
            INSECURE,
            "--sign-by-sigstore-private-key",
            str(setup.private_key),
            "--sign-passphrase-file",
            str(bad),
            busybox,
            f"docker://{registry.ref('sig/never:1')}",
            check=False,
        )  # fmt: skip
    )
    assert "wrong passphrase" in line, line
    unknown = "0" * 40
    line = one_error_line(
        cli(
            "push",
            INSECURE,
            "--sign-by",
            unknown,
            busybox,
            f"docker://{registry.ref('sig/never:1')}",
            check=False,
        )
    )
    assert f"--sign-by {unknown}: no such secret key" in line, line
    with pytest.raises(urllib.error.HTTPError):
        urllib.request.urlopen(f"http://{registry.host}/v2/sig/never/manifests/1")
    line = one_error_line(cli("commit", "--sign-by", setup.fingerprint, ctr, "local", check=False))
    assert "only a pushed image can be signed" in line


def test_signature_is_plain_ecdsa_over_the_payload(
    cli: Cli, busybox: str, registry: Registry, setup: Setup, tmp_path: Path
) -> None:
    """openssl, an implementation of its own, verifies the signature as cosign verifiers do."""
    ref = registry.ref("sig/openssl:1")
    digest = push_sigstore_signed(cli, setup, busybox, ref, tmp_path)
    layer = attachment(registry, "sig/openssl", digest)["layers"][0]  # type: ignore[index]
    url = f"http://{registry.host}/v2/sig/openssl/blobs/{layer['digest']}"
    with urllib.request.urlopen(url) as resp:
        payload = resp.read()
    claims = json.loads(payload)["critical"]
    assert claims["image"]["docker-manifest-digest"] == digest
    assert claims["identity"]["docker-reference"] == ref
    assert claims["type"] == "cosign container image signature"
    (tmp_path / "payload").write_bytes(payload)
    der = base64.b64decode(layer["annotations"]["dev.cosignproject.cosign/signature"])
    (tmp_path / "sig.der").write_bytes(der)
    check = subprocess.run(
        ["openssl", "dgst", "-sha256", "-verify", str(setup.public_key)]
        + ["-signature", str(tmp_path / "sig.der"), str(tmp_path / "payload")],
        capture_output=True,
        text=True,
    )
    assert check.returncode == 0 and "Verified OK" in check.stdout, check.stderr


def test_policy_scopes_of_path_transports_and_the_local_store(
    cli: Cli, busybox: str, tmp_path: Path
) -> None:
    layout = tmp_path / "layouts" / "app"
    cli("push", "-q", busybox, f"oci:{layout}:v1")
    policy = tmp_path / "policy.json"
    policy.write_text(
        json.dumps(
            {
                "default": [{"type": "insecureAcceptAnything"}],
                "transports": {
                    "oci": {
                        str(tmp_path / "layouts"): [{"type": "reject"}],
                        f"{tmp_path / 'signed'}:v1": [
                            {"type": "signedBy", "keyType": "GPGKeys", "keyData": "AAAA"}
                        ],
                    },
                    "containers-storage": {"": [{"type": "reject"}]},
                },
            }
        )
    )
    line = one_error_line(
        cli("pull", "--signature-policy", str(policy), f"oci:{layout}:v1", check=False)
    )
    assert f'reject for oci scope "{tmp_path / "layouts"}"' in line, line
    cli("push", "-q", busybox, f"oci:{tmp_path / 'signed'}:v1")
    line = one_error_line(
        cli("pull", "--signature-policy", str(policy), f"oci:{tmp_path / 'signed'}:v1", check=False)
    )
    assert "signedBy for oci scope" in line and "the oci transport keeps no signatures" in line
    line = one_error_line(
        cli("push", "--signature-policy", str(policy), busybox, f"oci:{tmp_path}/out", check=False)
    )
    assert "reject for the containers-storage transport default" in line, line
    assert not (tmp_path / "out").exists()


def test_gpg_signatures_read_from_an_http_lookaside(
    cli: Cli, busybox: str, registry: Registry, setup: Setup, tmp_path: Path
) -> None:
    """Signing writes to lookaside-staging; pulls read the published copy over HTTP."""
    staging = tmp_path / "staging"
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(staging))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        (setup.registries_d / "test.yaml").write_text(
            f"docker:\n  {registry.host}/web:\n"
            f"    lookaside: http://127.0.0.1:{server.server_port}\n"
            f"    lookaside-staging: file://{staging}\n"
        )
        ref = registry.ref("web/app:1")
        cli("push", "-q", INSECURE, "--sign-by", setup.fingerprint, busybox, f"docker://{ref}")
        assert list(staging.glob("web/app@sha256=*/signature-1"))
        rule = {"type": "signedBy", "keyType": "GPGKeys", "keyPath": str(setup.gpg_public)}
        policy = write_policy(tmp_path / "policy.json", {ref: [rule]})
        ok = skopeo_copy(setup, policy, ref, tmp_path / "copy")
        assert ok.returncode == 0, ok.stderr
        cli("rmi", busybox)
        cli("pull", "-q", INSECURE, "--signature-policy", str(policy), f"docker://{ref}")
        for sig in staging.glob("web/app@*/signature-1"):
            sig.unlink()
        cli("rmi", ref)
        line = one_error_line(
            cli("pull", INSECURE, "--signature-policy", str(policy), f"docker://{ref}", check=False)
        )
        assert f"no GPG signature found (lookaside http://127.0.0.1:{server.server_port}" in line
    finally:
        server.shutdown()
        server.server_close()


def test_sign_pushed_image_signs_a_copy_after_the_fact(
    cli: Cli, busybox: str, registry: Registry, setup: Setup, tmp_path: Path
) -> None:
    """The call image copy makes: sign what is already at the destination, by manifest bytes."""
    ref = registry.ref("sig/after:1")
    digestfile = tmp_path / "digest"
    cli("push", "-q", INSECURE, "--digestfile", str(digestfile), busybox, f"docker://{ref}")
    url = f"http://{registry.host}/v2/sig/after/manifests/1"
    req = urllib.request.Request(url, headers={"Accept": OCI_MANIFEST})
    with urllib.request.urlopen(req) as resp:
        manifest = resp.read()
    files = RegistryFiles(registries_d=(str(setup.registries_d),), policy_files=())
    signing = SigningOptions(
        sigstore_private_key=str(setup.private_key), passphrase="correct horse"
    )
    sign_pushed_image(
        signing, f"docker://{ref}", manifest, RegistryOptions(tls_verify=False, files=files)
    )
    rule = {"type": "sigstoreSigned", "keyPath": str(setup.public_key)}
    policy = write_policy(tmp_path / "policy.json", {ref: [rule]})
    cli("rmi", busybox)
    cli("pull", "-q", INSECURE, "--signature-policy", str(policy), f"docker://{ref}")
    assert attachment(registry, "sig/after", digestfile.read_text())["layers"]


def test_image_copy_signs_and_is_held_to_the_policy(
    cli: Cli, busybox: str, registry: Registry, setup: Setup, tmp_path: Path
) -> None:
    """``image copy`` signs what it writes (GPG for skopeo, sigstore for our pull) and refuses
    a source the policy refuses, with nothing at the destination."""
    src = registry.ref("sig/copy-src:1")
    cli("push", "-q", INSECURE, busybox, f"docker://{src}")
    flags = ["--src-tls-verify=false", "--dest-tls-verify=false"]
    gpg_dest = registry.ref("sig/copy-gpg:1")
    digest_file = tmp_path / "digest"
    cli("image", "copy", "-q", *flags, "--digestfile", str(digest_file), "--sign-by",
        setup.fingerprint, f"docker://{src}", f"docker://{gpg_dest}")  # fmt: skip
    digest = digest_file.read_text()
    assert (setup.lookaside / f"sig/copy-gpg@sha256={digest.split(':')[1]}/signature-1").exists()
    rule = {"type": "signedBy", "keyType": "GPGKeys", "keyPath": str(setup.gpg_public)}
    policy = write_policy(tmp_path / "gpg.json", {registry.ref("sig/copy-gpg"): [rule]})
    ok = skopeo_copy(setup, policy, gpg_dest, tmp_path / "by-skopeo")
    assert ok.returncode == 0, ok.stderr

    sig_dest = registry.ref("sig/copy-sigstore:1")
    cli("image", "copy", "-q", *flags, "--sign-by-sigstore-private-key", str(setup.private_key),
        "--sign-passphrase-file", str(setup.passphrase), f"docker://{src}",
        f"docker://{sig_dest}")  # fmt: skip
    sigstore = {"type": "sigstoreSigned", "keyPath": str(setup.public_key)}
    policy = write_policy(
        tmp_path / "sigstore.json", {registry.ref("sig/copy-sigstore"): [sigstore]}
    )
    # a copy onward from the signed image passes; from the unsigned source it is refused
    cli("image", "copy", "-q", *flags, "--signature-policy", str(policy), f"docker://{sig_dest}",
        f"dir:{tmp_path / 'onward'}")  # fmt: skip
    assert (tmp_path / "onward" / "manifest.json").exists()
    unsigned = write_policy(tmp_path / "unsigned.json", {registry.ref("sig/copy-src"): [sigstore]})
    refused = cli("image", "copy", *flags, "--signature-policy", str(unsigned), f"docker://{src}",
                  f"dir:{tmp_path / 'refused'}", check=False)  # fmt: skip
    line = one_error_line(refused)
    assert "sigstoreSigned" in line, line
    assert not (tmp_path / "refused").exists()
