"""The shape of the code: the core imports no domain, domains import only the core and
``orders``, and no two modules import each other, however indirectly.

Every ``import`` counts, wherever it is written: at the top, inside a function (a lazy
import), under ``if TYPE_CHECKING``.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from tests.conftest import ROOT

PACKAGE = ROOT / "shopcare"
#: The domain packages, present and to come.
DOMAINS = ("orders", "tracking", "staff", "cases", "feedback", "surveys", "insights")
#: What a domain may import besides itself (``insights`` reads every domain).
SHARED = ("shopcare.core", "shopcare.orders")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES: dict[str, Path] = {
    module_name(path): path
    for path in sorted(PACKAGE.rglob("*.py"))
    if "versions" not in path.relative_to(PACKAGE).parts
}


def imported(name: str, path: Path) -> Iterator[tuple[str, int]]:
    """The shopcare modules ``name`` imports (``from a.b import c`` is ``a.b.c`` when that
    is a module, else ``a.b``), with the line of each import."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, *([base] if base else [])])
            for alias in node.names:
                full = f"{base}.{alias.name}"
                yield (full if full in MODULES else base), node.lineno


GRAPH: dict[str, dict[str, int]] = {
    name: {target: line for target, line in imported(name, path) if target in MODULES}
    for name, path in MODULES.items()
}


def within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def test_the_graph_sees_lazy_imports():
    # shopcare.extension imports shopcare.models inside create_all, nowhere else.
    assert "shopcare.models" in GRAPH["shopcare.extension"]
    assert "shopcare.core.outbox.worker" in GRAPH["shopcare.core.outbox.cli"]


def test_the_core_imports_no_domain():
    offences = [
        f"{MODULES[name].relative_to(ROOT)}:{line} imports {target}"
        for name, targets in GRAPH.items()
        if within(name, "shopcare.core")
        for target, line in targets.items()
        if not within(target, "shopcare.core")
    ]
    assert offences == [], "the core must not import a domain (or the extension):\n" + "\n".join(
        offences
    )


def test_a_domain_imports_only_the_core_and_orders():
    offences = []
    for name, targets in GRAPH.items():
        domain = next((d for d in DOMAINS if within(name, f"shopcare.{d}")), None)
        if domain is None or domain == "insights":
            continue
        for target, line in targets.items():
            allowed = within(target, f"shopcare.{domain}") or any(
                within(target, shared) for shared in SHARED
            )
            if not allowed:
                offences.append(f"{MODULES[name].relative_to(ROOT)}:{line} imports {target}")
    assert offences == [], "\n".join(offences)


def test_nothing_but_the_extension_imports_insights():
    # shopcare.models, the registry of every table, may import insights' own tables
    offences = [
        f"{name} imports {target}"
        for name, targets in GRAPH.items()
        for target in targets
        if within(target, "shopcare.insights")
        and not within(name, "shopcare.insights")
        and name != "shopcare.extension"
        and not (name == "shopcare.models" and target == "shopcare.insights.models")
    ]
    assert offences == []


def cycles() -> list[list[str]]:
    """Every group of modules that import one another (strongly connected components
    of two or more modules, or a module importing itself), by Tarjan's algorithm."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in GRAPH[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1 or node in GRAPH[node]:
                found.append(sorted(group))

    for node in GRAPH:
        if node not in index:
            visit(node)
    return found


def test_no_two_modules_import_each_other():
    assert cycles() == [], "break these import circles:\n" + "\n".join(
        " <-> ".join(group) for group in cycles()
    )


def test_the_cycle_finder_finds_one():
    GRAPH["shopcare.core.db"]["shopcare.core.config"] = 0
    GRAPH["shopcare.core.config"]["shopcare.core.db"] = 0
    try:
        assert ["shopcare.core.config", "shopcare.core.db"] in cycles()
    finally:
        del GRAPH["shopcare.core.db"]["shopcare.core.config"]
        del GRAPH["shopcare.core.config"]["shopcare.core.db"]
