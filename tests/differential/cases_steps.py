"""Dockerfiles of WORKDIR, ENV/ARG, config, multi-stage, heredoc, RUN mount, USER and VOLUME corners."""

from __future__ import annotations

from tests.differential.context import Case, File, Tar

BB = "localhost/busybox:latest"

WORKDIR = Case(
    "workdir",
    f"""\
FROM {BB}
WORKDIR /tmp/
WORKDIR sub
RUN pwd > /pwd1
WORKDIR /a/b/c/
WORKDIR ../d
RUN pwd > /pwd2
USER nobody
WORKDIR /owned/by/nobody
RUN pwd > /tmp/pwd3
USER 1000:1000
WORKDIR rel
RUN pwd > /tmp/pwd4
WORKDIR /etc
WORKDIR /last/unused
""",
)


ENV_ARG = Case(
    "env-arg",
    """\
ARG BASE=localhost/busybox:latest
ARG GLOBAL=g
FROM $BASE
ARG GLOBAL
ARG DEF=default
ARG FROMCLI
ARG UNSET
ENV A=${DEF:-x} B=${UNSET:-fallback} C=${DEF:+alt} D=${UNSET:+alt} E="$FROMCLI" G=$GLOBAL
ENV F=${A}-${B} H='$A' I="q $A"
LABEL l1=$A l2="${B}" l3=${FROMCLI}
RUN echo "$DEF $FROMCLI $A $GLOBAL" > /args.txt
COPY ${DEF}.txt /$A/
WORKDIR /w/$B
EXPOSE ${PORT:-8080} 9/udp
USER ${UNSET:-1}:2
""",
    {"default.txt": File("d\n")},
    args=("--build-arg", "FROMCLI=cli"),
)


CONFIG = Case(
    "config",
    f"""\
FROM {BB}
LABEL a=1 "b c"="d e"
EXPOSE 80 90/udp 100/tcp
VOLUME /v1 ["/v2", "/v3"]
STOPSIGNAL SIGTERM
SHELL ["/bin/sh", "-ec"]
HEALTHCHECK --interval=5s --timeout=2s --retries=4 CMD ["true"]
ONBUILD RUN echo hi
ENTRYPOINT ["/bin/sh", "-c"]
CMD ["echo", "x"]
USER 1000
""",
)


MULTISTAGE = Case(
    "multistage",
    f"""\
FROM {BB} AS builder
RUN mkdir -p /out && echo built > /out/a && chmod 0700 /out/a && chown 5:6 /out/a
RUN ln -s a /out/link && mkdir /out/d && chmod 0750 /out/d
FROM builder AS second
RUN echo more > /out/b
FROM scratch
COPY --from=builder /out /from-name
COPY --from=1 /out/b /from-index
COPY --from=second /out/ /whole/
COPY --from={BB} /etc/passwd /from-image
COPY --from=0 /out/link /linked
COPY --from=builder /out/* /globbed/
COPY --from=builder --chmod=640 /out/d /chmodded-from
COPY --from=builder --chown=1:2 /out /chowned-from
""",
)


SCRATCH = Case(
    "scratch",
    """\
FROM scratch
COPY f /f
ADD t.tar /
ADD dotroot.tar /
ENV X=1
WORKDIR /w
""",
    {
        "f": File("f\n", 0o600),
        "t.tar": Tar({"t": None, "t/u": "u\n"}),
        "dotroot.tar": Tar({"./": None, "./r": "r\n"}),
    },
)


HEREDOCS_REFERENCE = Case(
    "heredocs",
    f"""\
FROM {BB}
ARG NAME=world
RUN echo "hello $NAME" > /h1 && mkdir /hd
RUN echo second > /h2
COPY expanded /hd/expanded
COPY literal /hd/literal
COPY --chmod=755 script.sh /hd/script.sh
RUN echo shebang > /h3
""",
    {
        "expanded": File("hello world\n"),
        "literal": File("hello $NAME\n"),
        "script.sh": File("#!/bin/sh\n", 0o600),
    },
)


HEREDOCS = Case(
    "heredocs",
    f"""\
FROM {BB}
ARG NAME=world
RUN <<EOF
echo "hello $NAME" > /h1
mkdir /hd
EOF
RUN <<EOF sh
echo second > /h2
EOF
COPY <<EOF /hd/expanded
hello $NAME
EOF
COPY <<'EOF' /hd/literal
hello $NAME
EOF
COPY --chmod=755 <<EOF /hd/script.sh
#!/bin/sh
EOF
RUN <<EOF
#!/bin/sh
echo shebang > /h3
EOF
""",
    reference=HEREDOCS_REFERENCE,
)


RUN_MOUNTS = Case(
    "run-mounts",
    f"""\
FROM {BB} AS src
RUN mkdir /data && echo hi > /data/f
FROM {BB}
RUN mkdir -p /existing /var/cache/keep && echo k > /var/cache/keep/k
RUN --mount=type=tmpfs,target=/existing echo x > /existing/f
RUN --mount=type=tmpfs,target=/newtmp echo x > /newtmp/f
RUN --mount=type=cache,target=/newcache echo x > /newcache/f
RUN --mount=type=cache,target=/var/cache/deep/x echo x > /var/cache/deep/x/f
RUN --mount=type=cache,target=/var/cache/keep echo x > /var/cache/keep/g
RUN --mount=type=bind,from=src,source=/data,target=/mnt/src cat /mnt/src/f > /copied
RUN --mount=type=bind,target=/ctx cat /ctx/file > /fromctx
RUN --mount=type=bind,target=/tmp/ctx2,source=sub cat /tmp/ctx2/g > /fromsub
""",
    {"file": File("ctx\\n"), "sub/g": File("g\\n")},
)


USER_COPY = Case(
    "user-copy",
    f"""\
FROM {BB}
RUN mkdir /home/app && chown 1000:1000 /home/app
USER 1000:1000
COPY a /home/app/a
COPY d /home/app/d
ADD a /home/app/added
RUN touch /tmp/by-user && mkdir /tmp/user-dir
USER nobody:nogroup
COPY a /nobody-a
RUN touch /tmp/by-name
COPY --chown=nobody:wheel a /named-group
""",
    {"a": File("a\\n"), "d/e": File("e\\n")},
)


VOLUME_RUN = Case(
    "volume-run",
    f"""\
FROM {BB}
RUN mkdir /vol && echo before > /vol/before
VOLUME /vol
RUN echo after > /vol/after && rm /vol/before
COPY a /vol/copied
VOLUME /newvol
RUN mkdir -p /newvol && echo x > /newvol/x
""",
    {"a": File("a\\n")},
)


CONFIG_FORMS = Case(
    "config-forms",
    f"""\
FROM {BB} AS base
CMD ["base-cmd"]
FROM base
ENTRYPOINT ["/bin/true"]
ENV LEGACY value with  spaces
ENV a=b\\ c d="e f" e=$a
LABEL multi="line \\
 continued" empty=""
EXPOSE 8000-8002 53/udp
STOPSIGNAL 9
HEALTHCHECK CMD test -e /tmp || exit 1
SHELL ["/bin/sh", "-ec"]
RUN echo "$LEGACY" > /legacy
USER nobody:nogroup
ONBUILD ADD . /app
LABEL "quoted key"="a=b" eq=x=y
ENV EQ=a=b
WORKDIR /w/$EQ
WORKDIR ..
CMD echo shell form $EQ
""",
)


STAGES_AND_ARGS = Case(
    "stages-and-args",
    """\
ARG TAG=none
ARG IMG=localhost/busybox
FROM ${IMG}:${TAG} AS first
ARG A=1
ARG B=${A}x
ENV A=env
ARG A
RUN echo "$A $B" > /ab
EXPOSE 80/TCP
LABEL over=1 keep=k
CMD ["first"]
FROM first AS final
LABEL over=2
COPY --from=first /ab /copied/
ENV PATH=/custom:$PATH
STOPSIGNAL SIGKILL
ENTRYPOINT ["/bin/true"]
FROM final AS unused
RUN false
""",
    args=("--build-arg", "TAG=latest", "--build-arg", "A=cli", "--target", "final"),
)


RUN_CHANGES = Case(
    "run-changes",
    f"""\
FROM {BB}
RUN rm /etc/group && rm -r /usr/sbin && echo replaced > /usr/sbin && mkdir -p /opq/sub /home/u
RUN rm -rf /opq && mkdir -p /opq/new && ln /bin/busybox /hardlinked && mkfifo /fifo
RUN chmod 0700 /home && touch /mode0 && chmod 0 /mode0 && chown 3:4 /home/u && chmod 2775 /home/u
RUN ln -s /nowhere /dangling && ln -sf /etc/passwd /etc/pw-link && rm /bin/vi
""",
)

ADD_URL = Case(
    "add-url",
    f"""\
FROM {BB}
ADD @URL@/file.txt /downloads/
ADD @URL@/file.txt /downloads/renamed
ADD @URL@/arch.tar /downloads/arch/
ADD --chown=1:2 @URL@/file.txt /owned
""",
)


OCI_FORMAT = Case(
    "oci-format",
    f"""\
FROM {BB}
SHELL ["/bin/sh", "-ec"]
RUN echo "$-" > /run-flags
HEALTHCHECK CMD true
ONBUILD RUN true
CMD echo hi
""",
    format="oci",
)
