"""An unclosed block is reported where it opens (as HCL does), not at the end of the file."""

from __future__ import annotations

import pytest

from imgb.reconciler.config.hcl import parse

CASES = [
    ('component "a" {\n  content = "RUN true"\n\ntemplate "t" {\n  build = "x"\n}\n', 1),
    ('component "a" {\n  content = "RUN true"\n}\ntemplate "t" {\n  tags = { a = "}" }\n', 4),
    ('template "t" {\n  build = "${ {a = 1}["a"] } }"\n  test = <<-EOT\n    }}}\n  EOT\n  # }\n', 1),
    ('a {\n  b {\n    /* } */\n    c = "%{ if true }}%{ endif }"\n', 2),
]


@pytest.mark.parametrize(("text", "line"), CASES)
def test_unclosed_block_is_reported_at_its_opening_line(text: str, line: int) -> None:
    _, diags = parse(text, "main.imgb.hcl")
    found = [d for d in diags if d.summary == "Unclosed configuration block"]
    assert found and found[0].pos is not None and found[0].pos.line == line, [(d.summary, d.pos) for d in diags]
