"""The resource graph as Graphviz dot or Mermaid (GitHub renders the latter)."""

from __future__ import annotations

from reconciler.graph import ResourceGraph


def render_dot(g: ResourceGraph) -> str:
    lines = ["digraph imgb {", "  rankdir = LR;"]
    for a in g.order():
        lines.append(f'  "{_q(a)}" [shape=box];')
    for u, v in sorted(g.graph.edges):
        lines.append(f'  "{_q(u)}" -> "{_q(v)}";')
    lines.append("}")
    return "\n".join(lines) + "\n"


def render_mermaid(g: ResourceGraph) -> str:
    ids = {a: f"n{i}" for i, a in enumerate(g.order())}
    lines = ["flowchart LR"]
    for a, i in ids.items():
        lines.append(f'  {i}["{a.replace(chr(34), "#quot;")}"]')
    for u, v in sorted(g.graph.edges):
        lines.append(f"  {ids[u]} --> {ids[v]}")
    return "\n".join(lines) + "\n"


def _q(s: str) -> str:
    return s.replace("\\", "\\\\").replace('"', '\\"')
