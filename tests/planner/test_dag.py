"""imgb.reconciler.dag answers as networkx does, on random graphs with and without cycles."""

from __future__ import annotations

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from imgb.reconciler.dag import Dag

edges_st = st.lists(st.tuples(st.integers(0, 12), st.integers(0, 12)), max_size=40)


def _both(nodes: list[int], edges: list[tuple[int, int]], acyclic: bool) -> tuple[Dag[int], nx.DiGraph]:
    if acyclic:
        edges = [(min(u, v), max(u, v)) for u, v in edges if u != v]
    d: Dag[int] = Dag()
    g: nx.DiGraph = nx.DiGraph()
    d.add_nodes_from(nodes)
    g.add_nodes_from(nodes)
    for u, v in edges:
        d.add_edge(u, v)
        g.add_edge(u, v)
    return d, g


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 12), max_size=5), edges_st, st.booleans())
def test_same_answers_as_networkx(nodes: list[int], edges: list[tuple[int, int]], acyclic: bool) -> None:
    d, g = _both(nodes, edges, acyclic)
    assert list(d.nodes) == list(g.nodes)
    assert d.edges == list(g.edges)
    assert d.number_of_nodes() == g.number_of_nodes() and d.number_of_edges() == g.number_of_edges()
    assert d.is_acyclic() == nx.is_directed_acyclic_graph(g)
    for n in g.nodes:
        assert d.descendants(n) == nx.descendants(g, n)
        assert d.ancestors(n) == nx.ancestors(g, n)
        assert d.in_degree(n) == g.in_degree(n)
        assert list(d.successors(n)) == list(g.successors(n))
    key = lambda n: -n  # noqa: E731 - an order unlike insertion and node order
    if d.is_acyclic():
        assert d.topological_order(key) == list(nx.lexicographical_topological_sort(g, key=key))
    else:
        with pytest.raises(ValueError):
            d.topological_order(key)
    converted = d.to_networkx()
    assert list(converted.nodes) == list(g.nodes) and list(converted.edges) == list(g.edges)
