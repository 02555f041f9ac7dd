"""Policy scopes of an image, most specific first, as containers/image names them.

For ``docker``: the reference with its tag or digest, then the repository, its parent
namespaces up to the registry host, then ``*.domain`` wildcards for the host's parent domains.
For path transports (``oci:``, ``dir:``, archives): the path with its tag, the path, then its
parent directories. The transport's ``""`` scope and the global default come after these.
"""

from __future__ import annotations

import os

from buildah_py.oci.reference import Reference


def docker_identity(ref: Reference) -> str:
    """The most specific scope: ``host/repo:tag``, or ``host/repo@digest`` (a digest wins)."""
    if ref.digest:
        return f"{ref.repository}@{ref.digest}"
    return f"{ref.repository}:{ref.tag or 'latest'}"


def docker_namespaces(ref: Reference) -> list[str]:
    """The repository, its parents up to the host, then the host's wildcard domains."""
    out: list[str] = []
    name = ref.repository
    while True:
        out.append(name)
        if "/" not in name:
            break
        name = name.rsplit("/", 1)[0]
    host = ref.domain
    if ":" not in host and not host.startswith("["):
        parts = host.split(".")
        out += ["*." + ".".join(parts[i:]) for i in range(1, len(parts))]
    return out


def path_scopes(path: str, tag: str = "") -> tuple[str, list[str]]:
    """(identity, namespaces) for a transport whose images live at a path."""
    resolved = os.path.realpath(path)
    identity = f"{resolved}:{tag}" if tag else resolved
    namespaces: list[str] = [resolved] if tag else []
    parent = resolved
    while parent != "/":
        parent = os.path.dirname(parent)
        if parent != "/":
            namespaces.append(parent)
    return identity, namespaces
