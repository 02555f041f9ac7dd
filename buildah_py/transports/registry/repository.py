"""Operations on a repository rather than one image: list its tags, look up and delete manifests.

Tags come page by page (``?n=``) following the ``Link: <...>; rel="next"`` header, as the
distribution spec says; a registry that sends no ``Link`` has given everything at once.
"""

from __future__ import annotations

import re
from urllib.parse import urlencode

from buildah_py.errors import ImageFormatError, RegistryError, TransportError
from buildah_py.oci import mediatypes as mt
from buildah_py.oci.jsondoc import load_json
from buildah_py.oci.reference import Reference, is_tag
from buildah_py.transports.registry.bodies import read_body, release
from buildah_py.transports.registry.client import RegistryClient

#: One page of a tag list may be this large (a page of 10,000 long tags fits).
MAX_TAGS_PAGE = 8 * 1024 * 1024
#: Pages followed at most: a registry whose Link headers never end cannot loop us forever.
MAX_PAGES = 10_000
_NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?', re.I)


def next_link(header: str) -> str | None:
    """The target of ``rel="next"`` in a Link header, or None."""
    match = _NEXT.search(header or "")
    return match.group(1) if match else None


def list_tags(client: RegistryClient, ref: Reference, page_size: int | None = None) -> list[str]:
    """Every tag of `ref`'s repository, in the registry's order; `page_size` asks for ``?n=``."""
    scopes = (f"repository:{ref.path}:pull",)
    path = f"/v2/{ref.path}/tags/list"
    if page_size is not None:
        path += "?" + urlencode({"n": page_size})
    tags: list[str] = []
    seen: set[str] = set()
    for _ in range(MAX_PAGES):
        seen.add(path)
        resp = client.request("GET", path, scopes=scopes, follow=True)
        if resp.status != 200:
            raise client.fail(resp, "tags list")
        link = next_link(resp.headers.get("Link", ""))
        body = read_body(resp, MAX_TAGS_PAGE, f"{client.label}: tags list", client.timeouts)
        data = load_json(body, f"{client.label}: tags list", limit=MAX_TAGS_PAGE, max_depth=4)
        page = data.get("tags") if isinstance(data, dict) else None
        if page is None:
            page = []  # an empty repository lists "tags": null
        if not isinstance(page, list) or not all(isinstance(t, str) for t in page):
            raise ImageFormatError(f"{client.label}: tags list: 'tags' is not a list of strings")
        bad = next((t for t in page if not is_tag(t)), None)
        if bad is not None:  # a tag names files in a sync: never let a registry put a path there
            raise ImageFormatError(f"{client.label}: tags list: invalid tag {bad[:200]!r}")
        tags += page
        if not link or not page:
            return tags
        if link in seen:
            raise TransportError(f"{client.label}: tags list: the next page link repeats: {link}")
        path = link
    raise TransportError(f"{client.label}: tags list: more than {MAX_PAGES} pages")


def head_manifest(client: RegistryClient, ref: Reference, *, push: bool = False) -> str | None:
    """The digest the registry serves for `ref` (tag or digest), or None when it has none."""
    action = "pull,push" if push else "pull"
    target = ref.digest or ref.tag
    resp = client.request(
        "HEAD",
        f"/v2/{ref.path}/manifests/{target}",
        scopes=(f"repository:{ref.path}:{action}",),
        headers={"Accept": mt.ACCEPT_MANIFESTS},
    )
    if resp.status == 404:
        release(resp)
        return None
    if resp.status != 200:
        raise client.fail(resp, f"manifest {target}")
    digest = resp.headers.get("Docker-Content-Digest", "").strip()
    release(resp)
    if ref.digest:
        return ref.digest
    if not digest:
        raise TransportError(
            f"{client.label}: the registry did not say which digest {target} is "
            "(no Docker-Content-Digest header)"
        )
    return digest


def delete_manifest(client: RegistryClient, ref: Reference) -> str:
    """Delete the manifest `ref` names (a tag is resolved to its digest first); returns the digest."""
    digest = head_manifest(client, ref)
    if digest is None:
        raise RegistryError(404, client.label, f"manifest unknown ({ref.digest or ref.tag})")
    resp = client.request(
        "DELETE",
        f"/v2/{ref.path}/manifests/{digest}",
        scopes=(f"repository:{ref.path}:delete",),
    )
    if resp.status == 405:
        reason = "the registry does not allow deleting (for distribution: storage.delete.enabled)"
        release(resp)
        raise RegistryError(405, client.label, reason)
    if resp.status not in (200, 202):
        raise client.fail(resp, f"DELETE manifest {digest}")
    release(resp)
    return digest
