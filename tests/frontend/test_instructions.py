"""Every instruction, checked in the committed image's config and files."""

from __future__ import annotations

import os
import tarfile

from tests.frontend.conftest import BASE, Builder


def test_config_instructions(b: Builder) -> None:
    img = b(
        f"""FROM {BASE}
MAINTAINER someone@example.com
ENV A=1 B="two words"
ENV C=$A-${{B}}
LABEL version="1.0" "k k"=v
EXPOSE 80 53/udp
VOLUME ["/data", "/logs"]
USER nobody
STOPSIGNAL SIGTERM
SHELL ["/bin/sh", "-ec"]
HEALTHCHECK --interval=5s --retries=3 CMD echo ok
ONBUILD RUN echo triggered > /tmp/onbuild
ENTRYPOINT ["/bin/sh"]
CMD ["-c", "echo hi"]
""",
        format="docker",
    )
    cfg = img.config.config
    assert {"A=1", "B=two words", "C=1-two words"} <= set(cfg["Env"])
    assert cfg["Labels"] == {"version": "1.0", "k k": "v"}
    assert set(cfg["ExposedPorts"]) == {"80/tcp", "53/udp"}
    assert set(cfg["Volumes"]) == {"/data", "/logs"}
    assert cfg["User"] == "nobody" and cfg["StopSignal"] == "SIGTERM"
    assert cfg["Shell"] == ["/bin/sh", "-ec"]
    assert (
        cfg["Healthcheck"]["Test"] == ["CMD-SHELL", "echo ok"]
        and cfg["Healthcheck"]["Retries"] == 3
    )
    assert cfg["Healthcheck"]["Interval"] == 5_000_000_000
    assert cfg["OnBuild"] == ["RUN echo triggered > /tmp/onbuild"]
    assert cfg["Entrypoint"] == ["/bin/sh"] and cfg["Cmd"] == ["-c", "echo hi"]
    assert img.config.data["author"] == "someone@example.com"
    # metadata-only steps add no layer, only history
    assert len(img.manifest.layers) == 1
    assert sum(1 for h in img.config.history if h.get("empty_layer")) >= 12
    # ONBUILD fires in a child build (as the inherited USER nobody), once
    child = b(f"FROM {img.id}\nRUN test -f /tmp/onbuild\n")
    assert "OnBuild" not in child.config.config


def test_entrypoint_drops_inherited_cmd(b: Builder) -> None:
    base = b(f'FROM {BASE}\nCMD ["echo", "base"]\n')
    img = b(f'FROM {base.id}\nENTRYPOINT ["/bin/echo"]\n')
    assert img.config.config["Entrypoint"] == ["/bin/echo"] and "Cmd" not in img.config.config


def test_oci_format_drops_docker_only_fields(b: Builder) -> None:
    img = b(f'FROM {BASE}\nHEALTHCHECK CMD true\nSHELL ["/bin/sh", "-c"]\n')
    assert "Healthcheck" not in img.config.config and "Shell" not in img.config.config


def test_run_forms_heredocs_and_workdir(b: Builder) -> None:
    b.files(**{"data__d.txt": "D"})
    img = b(f"""FROM {BASE}
WORKDIR /w/x
RUN echo shell > s
RUN ["/bin/sh", "-c", "echo exec > e"]
RUN <<EOF
echo heredoc > h
echo line2 >> h
EOF
RUN cat <<EOT > inline
from heredoc
EOT
RUN <<EOF
#!/bin/sh
echo script > script
EOF
WORKDIR rel
RUN pwd > /pwd
RUN --network=none --mount=type=tmpfs,target=/scratch touch /scratch/x && echo ok > /tmpfs
RUN --mount=type=bind,source=data,target=/ctxdata cat /ctxdata/d.txt > /fromctx
""")
    assert b.sh(img, "cd /w/x && cat s e h inline script /pwd /tmpfs /fromctx").split("\n")[:9] == [
        "shell",
        "exec",
        "heredoc",
        "line2",
        "from heredoc",
        "script",
        "/w/x/rel",
        "ok",
        "D",
    ]
    assert img.config.config["WorkingDir"] == "/w/x/rel"
    assert "scratch" not in b.sh(img, "ls /")


def test_run_secret(b: Builder, tmp_path: object) -> None:
    os.environ["BUILD_TOKEN"] = "s3cret"
    try:
        img = b(
            f"FROM {BASE}\nRUN --mount=type=secret,id=tok cat /run/secrets/tok > /copied\n",
            secrets=["id=tok,env=BUILD_TOKEN"],
        )
    finally:
        del os.environ["BUILD_TOKEN"]
    assert b.sh(img, "cat /copied; echo; ls /run/secrets 2>/dev/null | wc -l").split() == [
        "s3cret",
        "0",
    ]


def test_arg_scoping_and_build_args(b: Builder) -> None:
    os.environ["FROM_ENV"] = "env-value"
    try:
        img = b(
            f"""ARG BASE={BASE}
ARG HEADER=h
FROM $BASE
ARG HEADER
ARG X=default
ARG FROM_ENV
ARG TARGETARCH
ENV E=$X
RUN echo "$HEADER $X $FROM_ENV $TARGETARCH $HTTP_PROXY" > /args
""",
            build_args={
                "X": "given",
                "FROM_ENV": "env-value",
                "HTTP_PROXY": "http://proxy:3128",
                "UNUSED": "u",
            },
        )
    finally:
        del os.environ["FROM_ENV"]
    out = b.sh(img, "cat /args").split()
    assert out[:3] == ["h", "given", "env-value"] and out[3] and out[4] == "http://proxy:3128"
    env = img.config.config["Env"]
    assert "E=given" in env and not any(e.startswith(("X=", "HTTP_PROXY")) for e in env)
    assert "not consumed: ['UNUSED']" in b.log.getvalue()


def test_copy_add_heredoc_archive(b: Builder) -> None:
    b.files(**{"payload__a.txt": "A", "data__d.txt": "D"})
    with tarfile.open(b.ctx / "p.tar.gz", "w:gz") as tar:
        tar.add(b.ctx / "payload", arcname="payload")
    img = b(f"""FROM {BASE}
ENV NAME=world
COPY <<EOF /etc/greeting
hello $NAME
EOF
ADD p.tar.gz /opt/
ADD --unpack=false p.tar.gz /raw/
COPY --link payload/a.txt /linked
""")
    assert b.sh(
        img, "cat /etc/greeting; echo; cat /opt/payload/a.txt; echo; cat /linked; echo; ls /raw"
    ).split() == ["hello", "world", "A", "A", "p.tar.gz"]
