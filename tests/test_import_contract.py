"""The import graph: no module imports itself back through others, and the contracts in pyproject.toml hold."""

from __future__ import annotations

import grimp
import networkx
from importlinter.cli import lint_imports

from tests.conftest import REPOSITORY_ROOT

ROOT_PACKAGES = ("cases", "config", "core", "dashboards", "improvement")


def _import_graph() -> networkx.DiGraph:
    """Every import between our modules, lazy imports inside functions included (grimp reads them all)."""
    graph = grimp.build_graph(*ROOT_PACKAGES, cache_dir=None)
    edges = networkx.DiGraph()
    for module in graph.modules:
        edges.add_node(module)
        for imported in graph.find_modules_directly_imported_by(module):
            edges.add_edge(module, imported)
    return edges


def test_no_module_is_part_of_an_import_cycle():
    cycles = [sorted(component) for component in networkx.strongly_connected_components(_import_graph())]

    assert [cycle for cycle in cycles if len(cycle) > 1] == []


def test_a_cycle_is_found_when_there_is_one():
    graph = _import_graph()
    graph.add_edge("cases.models", "improvement.themes.services.runs")

    cycles = [component for component in networkx.strongly_connected_components(graph) if len(component) > 1]

    assert len(cycles) == 1 and {"cases.models", "improvement.themes.services.runs"} <= cycles[0]


def test_the_import_contracts_in_pyproject_are_kept(monkeypatch):
    monkeypatch.chdir(REPOSITORY_ROOT)

    assert lint_imports(config_filename="pyproject.toml", no_cache=True) == 0
