"""``sync --src yaml``: the file ``skopeo sync`` reads, registries mapped to the images to mirror.

```yaml
registry.example.com:
  images:
    busybox: []            # every tag
    redis: ["1.0", "2.0"]  # these tags (or digests)
  images-by-tag-regex:
    nginx: ^1\\.13\\.[12]-alpine-perl$
  credentials: {username: john, password: secret}
  tls-verify: false
  cert-dir: /home/john/certs
```

The YAML read is the block subset such files use (mappings, ``- item`` lists, ``[a, b]`` and
``{k: v}`` on one line, quoted and plain scalars, comments), by the reader registries.d files
use too (`buildah_py.signature.yamlsub`); anything else is an error naming the line, never a
guess.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from buildah_py.errors import ImageReferenceError, TransportError
from buildah_py.oci.reference import is_tag, parse_reference
from buildah_py.signature import yamlsub
from buildah_py.transports.options import RegistryOptions

MAX_YAML = 1024 * 1024
_KEYS = {
    "images",
    "images-by-tag-regex",
    "images-by-semver",
    "credentials",
    "tls-verify",
    "cert-dir",
}


class YamlError(TransportError):
    pass


def parse_yaml(text: str, name: str = "YAML") -> dict[str, Any]:
    """The mapping a sync file holds: the YAML subset of `yamlsub`, lists and flow collections too."""
    return yamlsub.parse(text, name, collections=True, error=YamlError)


def _registry_options(base: RegistryOptions, entry: dict[str, Any], where: str) -> RegistryOptions:
    opts = base
    if "tls-verify" in entry:
        if not isinstance(entry["tls-verify"], bool):
            raise YamlError(f"{where}: tls-verify must be true or false")
        opts = replace(opts, tls_verify=entry["tls-verify"])
    if entry.get("cert-dir"):
        opts = replace(opts, cert_dir=str(entry["cert-dir"]))
    cred = entry.get("credentials")
    if isinstance(cred, dict) and cred.get("username"):
        opts = replace(opts, creds=f"{cred['username']}:{cred.get('password') or ''}")
    return opts


def yaml_items(
    path: str, base: RegistryOptions, *, page_size: int | None = None
) -> list[tuple[str, str, RegistryOptions]]:
    """(source name, suffix, registry options) for every image the YAML file at `path` names."""
    from buildah_py.transports.docker import list_repository_tags  # the registry client

    with open(path, encoding="utf-8") as f:
        text = f.read(MAX_YAML + 1)
    if len(text) > MAX_YAML:
        raise YamlError(f"{path}: over the {MAX_YAML} byte limit")
    doc = parse_yaml(text, path)
    if not doc:
        raise YamlError(f"{path}: want a mapping of registries")
    out: list[tuple[str, str, RegistryOptions]] = []
    for registry, entry in doc.items():
        where = f"{path}: {registry}"
        if not isinstance(entry, dict):
            raise YamlError(f"{where}: want a mapping (images, tls-verify, ...)")
        unknown = sorted(set(entry) - _KEYS)
        if unknown:
            raise YamlError(
                f"{where}: unknown key {unknown[0]!r}; known: {', '.join(sorted(_KEYS))}"
            )
        if entry.get("images-by-semver"):
            raise YamlError(f"{where}: images-by-semver is not supported; list the tags")
        opts = _registry_options(base, entry, where)
        for repo, tags in (entry.get("images") or {}).items():
            ref = parse_reference(f"{registry}/{repo}", default_tag=False)
            if tags is None or tags == []:
                tags = list_repository_tags(str(ref), opts, page_size=page_size)
            if not isinstance(tags, list):
                raise YamlError(f"{where}: {repo}: want a list of tags")
            for tag in tags:
                if ":" not in str(tag) and not is_tag(str(tag)):
                    raise YamlError(f"{where}: {repo}: invalid tag {str(tag)[:200]!r}")
                full = f"{ref.repository}@{tag}" if ":" in str(tag) else f"{ref.repository}:{tag}"
                try:
                    parse_reference(full)
                except ImageReferenceError as err:
                    raise YamlError(f"{where}: {repo}: {err}") from err
                out.append((f"docker://{full}", full, opts))
        for repo, pattern in (entry.get("images-by-tag-regex") or {}).items():
            ref = parse_reference(f"{registry}/{repo}", default_tag=False)
            try:
                regex = re.compile(str(pattern))
            except re.error as err:
                raise YamlError(f"{where}: {repo}: bad regex {pattern!r}: {err}") from err
            for tag in list_repository_tags(str(ref), opts, page_size=page_size):
                if regex.search(tag):
                    full = f"{ref.repository}:{tag}"
                    out.append((f"docker://{full}", full, opts))
    return out
