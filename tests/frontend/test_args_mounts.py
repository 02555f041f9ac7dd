"""ARG scoping corners, proxy ARGs, RUN cache and secret mounts, and convert of RUN flags and
COPY heredocs (the converted script builds the same image)."""

from __future__ import annotations

import gzip
import hashlib
import io
import tarfile
from pathlib import Path

from buildah_py.container import Image
from buildah_py.frontend.convert import convert
from dockerfile_parser import parse
from tests.frontend.conftest import BASE, Builder

ARGS = f"""ARG V=header
ARG IMG={BASE}
FROM $IMG
RUN echo "[$V]" > /undeclared
ARG V
RUN echo "[$V]" > /inherited
ARG V=stage
RUN echo "[$V]" > /redefined
FROM ${{IMG}}
ARG V=other
RUN echo "[$V]" > /second
"""


def test_arg_scoping_corners(b: Builder) -> None:
    img = b(ARGS)
    out = b.sh(img, "cat /second")
    assert out == "[other]\n"
    first = b(ARGS, target="0")
    assert b.sh(first, "cat /undeclared /inherited /redefined") == "[]\n[header]\n[stage]\n"
    given = b(ARGS, target="0", build_args={"V": "given"})
    assert b.sh(given, "cat /undeclared /inherited /redefined") == "[]\n[given]\n[given]\n"
    assert b.sh(b(ARGS, build_args={"V": "given"}), "cat /second") == "[given]\n"
    # the image holds no ARG: neither in the environment nor anywhere in the config
    assert "V=" not in " ".join(img.config.config.get("Env") or [])


def test_proxy_args_reach_run_but_not_the_image(b: Builder) -> None:
    df = f'FROM {BASE}\nRUN echo "$HTTP_PROXY|$no_proxy" > /proxy\n'
    img = b(df, build_args={"HTTP_PROXY": "http://proxy.example:3128", "no_proxy": "internal"})
    assert b.sh(img, "cat /proxy") == "http://proxy.example:3128|internal\n"
    raw = b.store.content.read(img.manifest.config.digest)
    assert b"proxy.example" not in raw and b"internal" not in raw
    assert "not consumed" not in b.log.getvalue()
    # a different proxy is not a different step
    again = b(df, build_args={"HTTP_PROXY": "http://other:1"})
    assert "Using cache" in b.log.getvalue() and again.id == img.id


def test_cache_mount_persists_across_builds(b: Builder) -> None:
    df = f"""FROM {BASE}
RUN --mount=type=cache,target=/cache echo run >> /cache/log && cp /cache/log /seen
"""
    first = b(df)
    assert b.sh(first, "cat /seen; ls /cache 2>/dev/null | wc -l") == "run\n0\n"
    second = b(df, cache=False)  # the step runs again; the cache directory is kept
    assert b.sh(second, "cat /seen") == "run\nrun\n"


def _layer_bytes(b: Builder, image: Image) -> list[bytes]:
    out = []
    for desc in image.manifest.layers:
        with b.store.content.open(desc.digest) as f:
            data = f.read()
        out.append(gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data)
    return out


def test_secret_from_a_file_stays_out_of_the_image(b: Builder, tmp_path: Path) -> None:
    secret = tmp_path / "token"
    secret.write_text("s3cr3t-value-91\n")
    df = f"""FROM {BASE}
RUN --mount=type=secret,id=tok md5sum < /run/secrets/tok > /used
RUN --mount=type=secret,id=tok,target=/etc/tok,required=true wc -c < /etc/tok > /size
"""
    img = b(df, secrets=[f"id=tok,src={secret}"])
    assert b.sh(
        img, "cat /used /size; ls -A /run/secrets 2>/dev/null; test -e /etc/tok || echo gone"
    ) == (f"{hashlib.md5(secret.read_bytes()).hexdigest()}  -\n16\ngone\n")
    for blob in (*_layer_bytes(b, img), b.store.content.read(img.manifest.config.digest)):
        assert b"s3cr3t-value-91" not in blob
    for layer in _layer_bytes(b, img):
        with tarfile.open(fileobj=io.BytesIO(layer)) as tar:
            assert not [n for n in tar.getnames() if "secrets" in n or n.endswith("tok")]


def test_convert_run_flags_and_copy_heredocs(b: Builder) -> None:
    b.files(**{"data.txt": "from the context\n"})
    df = f"""FROM {BASE} AS src
RUN echo from-stage > /s
FROM {BASE}
ARG WHO=you
RUN --mount=type=bind,source=data.txt,target=/mnt/d --mount=type=bind,from=src,source=/s,target=/mnt/s --network=none cat /mnt/d /mnt/s > /both
COPY <<EOF /hello
hi $WHO
EOF
COPY --chmod=600 <<'EOF' <<X /docs/
raw $WHO
EOF
x
X
RUN --mount=type=cache,target=/var/cache/x ls /var/cache > /cache-ls
"""
    script = convert(parse(df))
    assert "ctx.mounts([" in script and 'network="none"' in script and "ctx.heredocs(" in script
    (b.ctx / "build.py").write_text(script)
    from_df = b(df, build_args={"WHO": "there"})
    from_py = b(None, dockerfile=str(b.ctx / "build.py"), build_args={"WHO": "there"})
    assert from_py.config.config == from_df.config.config
    assert b.tree(from_py) == b.tree(from_df)
    tree = b.tree(from_df)
    assert tree["/both"][3] == "from the context\nfrom-stage\n"
    assert tree["/hello"][3] == "hi there\n" and tree["/docs/EOF"][3] == "raw $WHO\n"
    assert oct(tree["/docs/X"][0] & 0o777) == "0o600"
    assert not list(Path(b.ctx).glob("buildah-py-heredoc-*"))
