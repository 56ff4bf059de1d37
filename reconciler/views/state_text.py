"""The state, and the local store's images, as people read them (imgb show, imgb images)."""

from __future__ import annotations

import json
from typing import Any

from imgb.state.model import State


def render_state(state: State) -> str:
    if not state.resources:
        return "The state is empty.\n"
    out: list[str] = []
    st = state.normalized()
    for r in st.resources:
        out.append(f"# {st.display_address(r)}:")
        out.append(f"  id = {json.dumps(r.id)}")
        if r.status != "ok":
            out.append(f"  status = {json.dumps(r.status)}")
        for k, v in sorted(r.attributes.items()):
            if k in ("hash_inputs",):
                continue
            text = json.dumps(v, sort_keys=True, ensure_ascii=False)
            out.append(f"  {k} = {text if len(text) < 120 else text[:117] + '...'}")
        out.append("")
    if st.outputs:
        out.append("Outputs:")
        for k, o in st.outputs.items():
            out.append(f"  {k} = {'(sensitive)' if o.sensitive else json.dumps(o.value, sort_keys=True)}")
    return "\n".join(out) + "\n"


def render_images(rows: list[dict[str, Any]]) -> str:
    """The local store's images as a table (imgb images)."""
    if not rows:
        return "No images.\n"
    cols = ["region", "id", "name", "family", "content_hash", "created", "size", "shared_with", "in_service"]
    table = [[_cell(r.get(c)) for c in cols] for r in rows]
    widths = [max(len(c), *(len(t[i]) for t in table)) for i, c in enumerate(cols)]
    lines = ["  ".join(c.upper().ljust(w) for c, w in zip(cols, widths, strict=True)).rstrip()]
    lines += ["  ".join(v.ljust(w) for v, w in zip(t, widths, strict=True)).rstrip() for t in table]
    return "\n".join(lines) + "\n"


def _cell(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, list | tuple):
        return ",".join(str(x) for x in v) or "-"
    s = str(v)
    return s[:12] if len(s) == 64 else s
