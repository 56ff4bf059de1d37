"""A small directed graph for the resource and apply graphs.

networkx costs 0.2 s to import, as much as a whole no-change plan of 1,000 resources; imgb needs
only a handful of its operations. The names follow networkx's, so the call sites read the same;
``to_networkx`` converts for analyses done rarely (cycle reports, tests, benchmarks).
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Hashable, Iterable, Iterator, KeysView
from typing import TYPE_CHECKING, Any, Generic, TypeVar

if TYPE_CHECKING:
    import networkx as nx

N = TypeVar("N", bound=Hashable)


class Dag(Generic[N]):
    """Nodes and directed edges, both kept in insertion order (so iteration is deterministic).
    Despite the name it can hold a cycle: ``is_acyclic`` finds out."""

    def __init__(self) -> None:
        self._succ: dict[N, dict[N, None]] = {}
        self._pred: dict[N, dict[N, None]] = {}

    # -- building ------------------------------------------------------------------------------
    def add_node(self, n: N) -> None:
        if n not in self._succ:
            self._succ[n] = {}
            self._pred[n] = {}

    def add_nodes_from(self, nodes: Iterable[N]) -> None:
        for n in nodes:
            self.add_node(n)

    def add_edge(self, u: N, v: N) -> None:
        self.add_node(u)
        self.add_node(v)
        self._succ[u][v] = None
        self._pred[v][u] = None

    # -- reading -------------------------------------------------------------------------------
    @property
    def nodes(self) -> KeysView[N]:
        return self._succ.keys()

    @property
    def edges(self) -> list[tuple[N, N]]:
        return [(u, v) for u, vs in self._succ.items() for v in vs]

    def __contains__(self, n: object) -> bool:
        return n in self._succ

    def __iter__(self) -> Iterator[N]:
        return iter(self._succ)

    def __len__(self) -> int:
        return len(self._succ)

    def number_of_nodes(self) -> int:
        return len(self._succ)

    def number_of_edges(self) -> int:
        return sum(len(vs) for vs in self._succ.values())

    def has_edge(self, u: N, v: N) -> bool:
        return v in self._succ.get(u, {})

    def successors(self, n: N) -> Iterator[N]:
        return iter(self._succ[n])

    def predecessors(self, n: N) -> Iterator[N]:
        return iter(self._pred[n])

    def in_degree(self, n: N) -> int:
        return len(self._pred[n])

    def descendants(self, n: N) -> set[N]:
        return _reach(self._succ, n)

    def ancestors(self, n: N) -> set[N]:
        return _reach(self._pred, n)

    # -- order ---------------------------------------------------------------------------------
    def is_acyclic(self) -> bool:
        indeg = {n: len(p) for n, p in self._pred.items()}
        stack = [n for n, d in indeg.items() if not d]
        seen = 0
        while stack:
            n = stack.pop()
            seen += 1
            for m in self._succ[n]:
                indeg[m] -= 1
                if not indeg[m]:
                    stack.append(m)
        return seen == len(self._succ)

    def topological_order(self, key: Callable[[N], Any]) -> list[N]:
        """Every node after its predecessors; among the nodes free to go next, the smallest
        ``key`` first (networkx's lexicographical_topological_sort). Raises ValueError on a cycle."""
        position = {n: i for i, n in enumerate(self._succ)}
        indeg = {n: len(p) for n, p in self._pred.items()}
        heap = [(key(n), position[n], n) for n, d in indeg.items() if not d]
        heapq.heapify(heap)
        out: list[N] = []
        while heap:
            _, _, n = heapq.heappop(heap)
            out.append(n)
            for m in self._succ[n]:
                indeg[m] -= 1
                if not indeg[m]:
                    heapq.heappush(heap, (key(m), position[m], m))
        if len(out) != len(self._succ):
            raise ValueError("the graph has a cycle")
        return out

    def to_networkx(self) -> nx.DiGraph:
        import networkx as nx

        g: nx.DiGraph = nx.DiGraph()
        g.add_nodes_from(self._succ)
        g.add_edges_from(self.edges)
        return g


def _reach(adjacency: dict[N, dict[N, None]], start: N) -> set[N]:
    seen: set[N] = set()
    stack = list(adjacency[start])
    while stack:
        n = stack.pop()
        if n not in seen:
            seen.add(n)
            stack.extend(adjacency[n])
    seen.discard(start)  # networkx excludes the node itself, even on a cycle
    return seen
