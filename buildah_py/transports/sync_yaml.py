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
``{k: v}`` on one line, quoted and plain scalars, comments); anything else is an error naming
the line, never a guess.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from buildah_py.errors import ImageReferenceError, TransportError
from buildah_py.oci.reference import is_tag, parse_reference
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


def _strip_comment(line: str) -> str:
    out, quote = [], ""
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch == "#" and (i == 0 or line[i - 1] in " \t"):
            break
        out.append(ch)
    return "".join(out).rstrip()


def _split_flow(text: str, where: str) -> list[str]:
    parts, cur, quote = [], "", ""
    for ch in text:
        if quote:
            cur += ch
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
            cur += ch
        elif ch in "[]{}":
            raise YamlError(f"{where}: nested flow collections are not supported")
        elif ch == ",":
            parts.append(cur.strip())
            cur = ""
        else:
            cur += ch
    if cur.strip():
        parts.append(cur.strip())
    return parts


def _scalar(text: str, where: str) -> Any:
    text = text.strip()
    if text.startswith("[") and text.endswith("]"):
        return [_scalar(p, where) for p in _split_flow(text[1:-1], where)]
    if text.startswith("{") and text.endswith("}"):
        out: dict[str, Any] = {}
        for part in _split_flow(text[1:-1], where):
            key, sep, value = part.partition(":")
            if not sep:
                raise YamlError(f"{where}: want KEY: VALUE in {{...}}, got {part!r}")
            out[str(_scalar(key, where))] = _scalar(value, where)
        return out
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        inner = text[1:-1]
        return inner.replace("''", "'") if text[0] == "'" else inner.replace('\\"', '"')
    if text in ("true", "True", "yes"):
        return True
    if text in ("false", "False", "no"):
        return False
    if text in ("", "~", "null"):
        return None
    return text


def _key_value(body: str, where: str) -> tuple[str, str]:
    """Split ``key: value``; a plain key may hold colons not followed by a space (``host:5000``)."""
    if body[0] in "'\"":
        end = body.find(body[0], 1)
        cut = end + 1 if end > 0 and body[end + 1 : end + 2] == ":" else -1
    else:
        match = re.search(r":(\s|$)", body)
        cut = match.start() if match else -1
    if cut <= 0:
        raise YamlError(f"{where}: want KEY: VALUE, got {body!r}")
    return str(_scalar(body[:cut], where)), body[cut + 1 :].strip()


def parse_yaml(text: str, name: str = "YAML") -> Any:
    """Parse the block-YAML subset described in this module's docstring."""
    lines: list[tuple[int, int, str]] = []
    for no, raw in enumerate(text.splitlines(), 1):
        if "\t" in raw[: len(raw) - len(raw.lstrip())]:
            raise YamlError(f"{name}:{no}: tabs are not allowed in indentation")
        body = _strip_comment(raw)
        if body.strip() and body.strip() != "---":
            lines.append((no, len(body) - len(body.lstrip()), body.strip()))
    value, pos = _block(lines, 0, 0, name)
    if pos != len(lines):
        raise YamlError(f"{name}:{lines[pos][0]}: unexpected indentation")
    return value


def _block(lines: list[tuple[int, int, str]], pos: int, indent: int, name: str) -> tuple[Any, int]:
    if pos >= len(lines):
        return None, pos
    is_list = lines[pos][2].startswith("- ") or lines[pos][2] == "-"
    result: Any = [] if is_list else {}
    while pos < len(lines):
        no, col, body = lines[pos]
        where = f"{name}:{no}"
        if col < indent:
            break
        if col > indent:
            raise YamlError(f"{where}: unexpected indentation")
        if is_list != (body.startswith("- ") or body == "-"):
            raise YamlError(f"{where}: a list item and a mapping key at the same level")
        pos += 1
        if is_list:
            item = body[1:].strip()
            if item:
                result.append(_scalar(item, where))
            else:
                value, pos = _nested(lines, pos, col, name)
                result.append(value)
            continue
        key, rest = _key_value(body, where)
        if key in result:
            raise YamlError(f"{where}: key {key!r} appears twice")
        if rest:
            result[key] = _scalar(rest, where)
        else:
            result[key], pos = _nested(lines, pos, col, name)
    return result, pos


def _nested(lines: list[tuple[int, int, str]], pos: int, col: int, name: str) -> tuple[Any, int]:
    if pos < len(lines) and (
        lines[pos][1] > col or (lines[pos][1] == col and lines[pos][2].startswith("-"))
    ):
        return _block(lines, pos, lines[pos][1], name)
    return None, pos


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
    if not isinstance(doc, dict):
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
