"""The resource graph as Graphviz dot or Mermaid (GitHub renders the latter)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from imgb.reconciler.graph import ResourceGraph


def render_dot(g: ResourceGraph) -> str:
    lines = ["digraph imgb {", "  rankdir = LR;"]
    for a in g.order():
        lines.append(f'  "{_q(a)}" [shape=box];')
    for u, v in sorted(g.graph.edges):
        lines.append(f'  "{_q(u)}" -> "{_q(v)}";')
    lines.append("}")
    return "\n".join(lines) + "\n"


def render_mermaid(g: ResourceGraph) -> str:
    return mermaid_flowchart([(a, a, None) for a in g.order()], g.graph.edges)


def mermaid_flowchart(
    nodes: Sequence[tuple[str, str, str | None]],
    edges: Iterable[tuple[str, str]],
    classes: Mapping[str, str] | None = None,
) -> str:
    """A left-to-right flowchart. ``nodes`` are (key, label, class name or None) in display order;
    ``edges`` are (from key, to key); ``classes`` maps a class name to its mermaid style."""
    index = {key: i for i, (key, _, _) in enumerate(nodes)}
    ids = {key: f"n{i}" for key, i in index.items()}
    lines = ["flowchart LR"]
    for key, label, _ in nodes:
        lines.append(f'  {ids[key]}["{_mq(label)}"]')
    for u, v in sorted((index[u], index[v]) for u, v in edges if u in index and v in index):
        lines.append(f"  n{u} --> n{v}")
    used = sorted({cls for _, _, cls in nodes if cls})
    for cls in used:
        if classes and cls in classes:
            lines.append(f"  classDef {cls} {classes[cls]}")
    for cls in used:
        members = ",".join(ids[key] for key, _, c in nodes if c == cls)
        lines.append(f"  class {members} {cls}")
    return "\n".join(lines) + "\n"


def _mq(s: str) -> str:
    """Mermaid labels are quoted; quotes and markup characters go as entity codes."""
    return s.replace("&", "#amp;").replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")


def _q(s: str) -> str:
    return s.replace("\\", "\\\\").replace('"', '\\"')
