"""Any text imports without a traceback: a Dockerfile BuildKit refuses gives an error diagnostic,
and whatever HCL the import writes parses back (imgb validate) with the commands it meant."""

from __future__ import annotations

import os
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from imgb.reconciler.dockerfile_import import Options, import_dockerfile
from imgb.reconciler.validate import validate_directory
from imgb.reconciler.views.diagnostics import render_human

EXAMPLES = int(os.environ.get("IMGB_FUZZ_EXAMPLES", "60"))
KEYWORDS = ["FROM", "RUN", "ENV", "ARG", "COPY", "ADD", "WORKDIR", "USER", "LABEL", "CMD", "ENTRYPOINT", "SHELL",
            "EXPOSE", "VOLUME", "ONBUILD", "HEALTHCHECK", "STOPSIGNAL", "MAINTAINER", "from", "Run"]
PIECES = st.sampled_from([
    " ", "  ", "\t", "\\", "\\\n", "\n", "#", "# c\n", "$", "${", "}", "${A:-x}", "$A", "'", '"', "[", "]", '["a", "b"]',
    "--mount=type=cache,target=/c", "--from=base", "--chown=1000:1000", "--chmod=644", "--", "<<EOF", "\nEOF\n",
    "<<-'X'", "\nX\n", "a", "b.txt", "*.txt", "dir/", "/abs", ".", "..", "=", "A=1", "base", "AS", "busybox", "\u2028",
    "\f", "\ufeff", "é", "`",
])


def line() -> st.SearchStrategy[str]:
    return st.builds(lambda k, rest: k + " " + "".join(rest), st.sampled_from(KEYWORDS), st.lists(PIECES, max_size=8))


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.lists(line(), min_size=1, max_size=8), st.booleans())
def test_any_text_imports_cleanly(tmp_path_factory: object, lines: list[str], with_from: bool) -> None:
    text = ("FROM busybox\n" if with_from else "") + "\n".join(lines) + "\n"
    result = import_dockerfile(text, "Dockerfile", name="fuzz", template=True, options=Options(platform="linux/amd64"))
    if result.hcl is None:
        assert result.diagnostics.has_errors()
        assert not any(d.summary == "The import would be misread" for d in result.diagnostics.items), text
        return
    d = Path(str(tmp_path_factory.mktemp("fuzz")))  # type: ignore[attr-defined]
    (d / "main.imgb.hcl").write_text(result.hcl)
    for needed in _copy_sources(result.hcl):
        p = d / needed
        p.parent.mkdir(parents=True, exist_ok=True)
        if not p.exists():
            p.write_text("x")
    config, diags = validate_directory(d)
    assert config is not None, render_human(diags, d)
    blocking = [x for x in diags.items if x.severity == "error" and "COPY source" not in x.summary]
    assert not blocking, render_human(diags, d) + "\n" + text


def _copy_sources(hcl: str) -> list[str]:
    import json
    import re
    import shlex

    out = []
    for args in re.findall(r"^\s*COPY\s+(.*)$", hcl, re.M):
        try:
            words = json.loads(args) if args.startswith("[") else shlex.split(args)
        except ValueError:
            continue
        out += [w for w in words[:-1] if not w.startswith(("http", "/")) and ".." not in w and w not in (".", "./")]
    return out
