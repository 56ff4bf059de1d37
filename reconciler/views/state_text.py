"""The state as people read it (imgb show)."""

from __future__ import annotations

import json

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
