"""Write the HTML reference of the Python API from its docstrings, and check them (``make docs``).

``python scripts/api_reference.py [OUT]`` writes the reference into OUT (default build/docs/)
with pdoc, and exits 1 naming each problem: a pdoc warning, a public class, function, method or
property with no docstring, a parameter with no ``Args:`` entry, a ``Name.attr`` reference that
does not resolve, or a `name` that is no parameter, member or documented name. What it covers
is found, not listed: every name in ``buildah_py.__all__``, the errors, and the classes the
public calls take as arguments (``RunOptions``, ``Platform``, ...).
"""

from __future__ import annotations

import inspect
import re
import shutil
import sys
import typing
import warnings
from collections.abc import Collection, Iterator
from functools import cached_property
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # this checkout's buildah_py, whatever is installed

import pdoc.doc  # noqa: E402
import pdoc.render  # noqa: E402

import buildah_py  # noqa: E402

OUT = REPO / "build" / "docs"
TEMPLATES = REPO / "scripts" / "reference_templates"
#: Modules documented whole: everything in them is for users.
WHOLE = ("buildah_py", "buildah_py.errors")
#: An ``Args:`` entry, as ``container/apidoc.py`` writes them.
ARG_ENTRY = re.compile(r"^\s+\*?\*?(\w+)(?: \([^)]*\))?: ", re.M)
#: ``Name.attr`` in backticks: a reference the reader follows.
DOTTED = re.compile(r"`+([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+)(?:\(\))?`+")
#: `name` in single backticks (reST's interpreted text): a parameter, member or documented name.
NAMED = re.compile(r"(?<!`)`([A-Za-z_]\w*)`(?!`)")


def exported() -> None:
    """Resolve ``buildah_py.__all__``: its names load lazily, and pdoc reads the module's dict."""
    vars(buildah_py).update({n: getattr(buildah_py, n) for n in buildah_py.__all__})


def _classes_in(annotation: object) -> Iterator[type]:
    if isinstance(annotation, type):
        yield annotation
    for arg in typing.get_args(annotation):
        yield from _classes_in(arg)


def argument_types(top: pdoc.doc.Module) -> dict[str, set[str]]:
    """Module -> names of the buildah_py classes that the exported calls' parameters take."""
    shown = {id(d.obj) for d in top.members.values()}
    found: dict[str, set[str]] = {}
    for doc, _ in _walk(top):
        if isinstance(doc, pdoc.doc.Function) and doc.name != "__init__":
            for param in doc.signature.parameters.values():  # pdoc resolves the annotations
                for cls in _classes_in(param.annotation):
                    if cls.__module__.split(".")[0] == "buildah_py" and id(cls) not in shown:
                        found.setdefault(cls.__module__, set()).add(cls.__qualname__)
    return found


class _Page(pdoc.doc.Module):
    """A module page that shows only `keep`: the argument types, not the module's internals."""

    keep: frozenset[str] = frozenset()

    @cached_property
    def members(self) -> dict[str, pdoc.doc.Doc[Any]]:
        every = pdoc.doc.Module.members.func(self)  # type: ignore[attr-defined]
        return {n: d for n, d in every.items() if n in self.keep}

    @cached_property
    def submodules(self) -> list[pdoc.doc.Module]:
        return []


def pages() -> dict[str, pdoc.doc.Module]:
    """The reference's pages by module name."""
    exported()
    found: dict[str, pdoc.doc.Module] = {m: pdoc.doc.Module.from_name(m) for m in WHOLE}
    for modname, names in sorted(argument_types(found["buildah_py"]).items()):
        page = _Page(sys.modules[modname])
        page.keep = frozenset(names)
        found[modname] = page
    return found


def _walk(ns: pdoc.doc.Namespace[Any]) -> Iterator[tuple[pdoc.doc.Doc[Any], pdoc.doc.Class | None]]:
    """The public members of `ns` and of its classes (their own, not inherited ones), each with
    the class it belongs to."""
    for doc in ns.members.values():
        if doc.name.startswith("_") and doc.name != "__init__":
            continue
        if isinstance(ns, pdoc.doc.Class) and doc.name not in vars(ns.obj):
            continue  # inherited: checked with the class it comes from
        yield doc, ns if isinstance(ns, pdoc.doc.Class) else None
        if isinstance(doc, pdoc.doc.Class):
            yield from _walk(doc)


def _documented_args(docstring: str) -> set[str]:
    return set(ARG_ENTRY.findall(docstring.split("Args:", 1)[1])) if "Args:" in docstring else set()


def _params(fn: pdoc.doc.Function, owner: pdoc.doc.Class | None) -> list[str]:
    # A method's receiver needs no entry, whatever it is called (container/rootfs.py: ``ctr``).
    method = owner is not None and not fn.is_staticmethod
    return list((fn.signature_without_self if method else fn.signature).parameters)


def _constructor(init: pdoc.doc.Function, cls: pdoc.doc.Class) -> list[str]:
    """A constructor's parameters are the class's Args entries or its documented attributes."""
    if issubclass(cls.obj, BaseException):
        return []  # an exception is caught and read, not made: its attributes are documented
    known = _documented_args(cls.docstring) | _documented_args(init.docstring)
    known |= {d.name for d in cls.members.values() if d.docstring}
    return [
        f"{init.fullname}: parameter {p} undocumented" for p in _params(init, cls) if p not in known
    ]


def check_exported(doc: pdoc.doc.Doc[Any], owner: pdoc.doc.Class | None) -> list[str]:
    """What is wrong with one exported class, function, method or property."""
    if isinstance(doc, pdoc.doc.Variable):
        prop = owner is not None and isinstance(
            inspect.getattr_static(owner.obj, doc.name, None), property
        )
        return [f"{doc.fullname}: no docstring"] if prop and not doc.docstring else []
    if isinstance(doc, pdoc.doc.Function) and doc.name == "__init__" and owner is not None:
        return _constructor(doc, owner)
    if not isinstance(doc, pdoc.doc.Class | pdoc.doc.Function):
        return []
    if not doc.docstring.strip():
        return [f"{doc.fullname}: no docstring"]
    if isinstance(doc, pdoc.doc.Function):
        documented = _documented_args(doc.docstring)
        missing = [p for p in _params(doc, owner) if p not in documented]
        return [f"{doc.fullname}: parameter {p} has no Args: entry" for p in missing]
    return []


def check_references(doc: pdoc.doc.Doc[Any], names: dict[str, object]) -> list[str]:
    """``Name.attr`` references in `doc`'s docstring whose head is documented must resolve."""
    bad = []
    for ref in DOTTED.findall(doc.docstring):
        head, *rest = ref.split(".")
        obj = names.get(head)
        if obj is None:
            continue
        for part in rest:
            obj = getattr(obj, part, None)
        if obj is None:
            bad.append(f"{doc.fullname}: `{ref}` does not resolve")
    return bad


def check_named(
    doc: pdoc.doc.Doc[Any], owner: pdoc.doc.Class | None, names: dict[str, object]
) -> list[str]:
    """Each `name` in an exported docstring is a parameter, a member or a documented name (a
    parameter renamed and its docstring left behind is caught here)."""
    known = set(names) | set(owner.members if owner else ())
    if isinstance(doc, pdoc.doc.Function):
        known |= set(doc.signature.parameters)
    if isinstance(doc, pdoc.doc.Class):
        known |= set(doc.members)
    return [
        f"{doc.fullname}: `{n}` names nothing"
        for n in NAMED.findall(doc.docstring)
        if n not in known
    ]


def problems(found: dict[str, pdoc.doc.Module], whole: Collection[str]) -> list[str]:
    """Every docstring problem of the pages: those in `whole` are checked in full, the others
    (argument types) for a docstring on each class."""
    names = {n: d.obj for page in found.values() for n, d in page.members.items()}
    bad = []
    for name, page in found.items():
        for doc, owner in _walk(page):
            if name in whole:
                bad += check_exported(doc, owner) + check_named(doc, owner, names)
            elif isinstance(doc, pdoc.doc.Class) and not doc.docstring.strip():
                bad.append(f"{doc.fullname}: no docstring")
            bad += check_references(doc, names)
    return bad


def render(found: dict[str, pdoc.doc.Module], out: Path, whole: Collection[str]) -> list[str]:
    """Write `found` as HTML into `out`; returns its problems, pdoc's warnings among them."""
    pdoc.render.configure(docformat="google", show_source=False, template_directory=TEMPLATES)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for page in found.values():
            path = out / f"{page.fullname.replace('.', '/')}.html"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(pdoc.render.html_module(page, found))
        (out / "index.html").write_text(pdoc.render.html_index(found))
        (out / "search.js").write_text(pdoc.render.search_index(found))
        bad = problems(found, whole)
    return [f"pdoc: {w.message}" for w in caught] + bad


def build(out: Path) -> list[str]:
    """Write the reference into `out` (replacing an earlier one); returns its problems."""
    ours = (out / "index.html").exists() and (out / "search.js").exists()
    if out.exists() and any(out.iterdir()) and not ours:
        return [f"{out}: not empty and not a reference written before; not overwritten"]
    shutil.rmtree(out, ignore_errors=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        found = pages()
    return [f"pdoc: {w.message}" for w in caught] + render(found, out, WHOLE)


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else OUT
    bad = build(out)
    for line in bad:
        print(f"api_reference: {line}", file=sys.stderr)
    if not bad:
        print(f"api_reference: wrote {out / 'index.html'}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
