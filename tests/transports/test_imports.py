"""No import cycle among the transports, oci and manifests modules, counting the imports made
inside functions too (a function-level import that closes a cycle only hides it); and no
environment reads there."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "buildah_py"
AREAS = ("transports", "oci", "manifests")
#: Function-level imports allowed, and why: each loads the registry client (urllib3 and all)
#: only when a registry is named, or the OCI model only once a manifest list has entries or
#: is looked up by name (`images` in a store without lists needs neither); none closes a
#: cycle (checked below).
LAZY = {
    **{
        module: {"buildah_py.transports.docker"}
        for module in (
            "transports.names",
            "transports.inspect",
            "transports.sync",
            "transports.sync_yaml",
        )
    },
    "manifests.records": {"buildah_py.oci.manifest", "buildah_py.oci.descriptor"},
    "manifests.lists": {"buildah_py.oci.reference"},
}


def _module(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _graph() -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """(every import edge, function-level edges) between modules of AREAS."""
    paths = [p for area in AREAS for p in (PACKAGE / area).rglob("*.py")]
    names = {_module(p) for p in paths}
    edges: dict[str, set[str]] = {n: set() for n in names}
    nested: dict[str, set[str]] = {n: set() for n in names}
    for path in paths:
        me = _module(path)
        tree = ast.parse(path.read_text())
        top = {id(n) for n in tree.body}
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                # `from pkg import mod` depends on pkg.mod; `from mod import name` on mod.
                targets = [
                    f"{node.module}.{a.name}"
                    if f"{node.module}.{a.name}".removeprefix("buildah_py.") in names
                    else node.module
                    for a in node.names
                ]
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            else:
                continue
            for target in targets:
                short = target.removeprefix("buildah_py.")
                # A package's __init__ runs before its modules: an edge up to it is no cycle.
                if short in names and short != me and not me.startswith(short + "."):
                    edges[me].add(short)
                    if id(node) not in top and not _type_only(tree, node):
                        nested[me].add(target)
    return edges, nested


def _type_only(tree: ast.Module, node: ast.AST) -> bool:
    for block in tree.body:
        if isinstance(block, ast.If) and "TYPE_CHECKING" in ast.unparse(block.test):
            if any(sub is node for sub in ast.walk(block)):
                return True
    return False


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on.add(child)
                    work.append((child, iter(sorted(edges[child]))))
                elif child in on:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                comp = []
                while True:
                    top = stack.pop()
                    on.discard(top)
                    comp.append(top)
                    if top == node:
                        break
                if len(comp) > 1:
                    out.append(sorted(comp))
    return out


def test_no_import_cycles() -> None:
    edges, _ = _graph()
    assert _cycles(edges) == []


def test_function_level_imports_are_only_the_lazy_client() -> None:
    _, nested = _graph()
    found = {m: t for m, t in nested.items() if t}
    assert found == LAZY


def test_the_cycle_finder_finds_cycles() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_environment_reads() -> None:
    """Configuration arrives as values (RegistryFiles); only the CLI and defaults read it."""
    found = [
        f"{p.relative_to(PACKAGE)}:{n}"
        for area in AREAS
        for p in sorted((PACKAGE / area).rglob("*.py"))
        for n, line in enumerate(p.read_text().splitlines(), 1)
        if "os.environ" in line or "getenv" in line or "Path.home" in line
    ]
    assert found == []
