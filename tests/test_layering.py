"""One way through: no import circles, and the library never imports its presenters.

Reads the imports (function-level ones included) of every module of the
installed package with :mod:`ast`, so a lazy import that hides a circle counts,
and so does a package ``__init__`` that an import runs on the way in (the
circle ``decisions -> graphlink.detect (__init__) -> detect.run -> decisions``
only shows there).
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx

REPO = Path(__file__).resolve().parent.parent
ROOTS = {"graphlink": REPO / "graphlink", "graphlink.ingest": REPO / "ingest",
         "graphlink.api": REPO / "api"}


def _modules() -> dict[str, Path]:
    mods: dict[str, Path] = {}
    for pkg, root in ROOTS.items():
        for p in root.rglob("*.py"):
            parts = list(p.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            mods.setdefault(".".join([pkg, *parts]), p)
    return mods


def import_graph() -> nx.DiGraph:
    mods = _modules()
    g = nx.DiGraph()
    g.add_nodes_from(mods)
    for name, path in mods.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets = [f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in mods
                           else node.module for a in node.names]
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            for t in targets:
                if t in mods and t != name:
                    g.add_edges_from((name, p) for p in _runs(name, t, mods))
    return g


def _runs(importer: str, target: str, mods: dict[str, Path]) -> list[str]:
    """What importing ``target`` from ``importer`` may execute: the target and each
    enclosing package's ``__init__`` that is not already running around the importer
    (``a.b.c`` imported from outside ``a.b`` runs ``a.b``'s ``__init__`` first)."""
    out = [target]
    parts = target.split(".")
    for i in range(1, len(parts)):
        pkg = ".".join(parts[:i])
        if pkg in mods and pkg != importer and not importer.startswith(pkg + "."):
            out.append(pkg)
    return out


def test_no_import_circles() -> None:
    g = import_graph()
    assert len(g) > 100
    cycles = [sorted(c) for c in nx.strongly_connected_components(g) if len(c) > 1]
    assert cycles == []


def test_library_does_not_import_cli_or_api() -> None:
    g = import_graph()
    edges = [(a, b) for a, b in g.edges
             if not a.startswith(("graphlink.cli", "graphlink.api", "graphlink.__main__"))
             and b.startswith(("graphlink.cli", "graphlink.api"))]
    assert edges == []
