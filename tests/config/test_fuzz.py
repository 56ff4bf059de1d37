"""Mutated example configurations never make the loader raise: they load, or they produce
diagnostics. Bytes, tokens and whole lines are mutated at random."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from imgb.reconciler.config.load import load_config
from imgb.reconciler.views.diagnostics import render_human, render_json

EXAMPLES = Path(__file__).parents[2] / "examples"
_TOKEN_RE = re.compile(r'\s+|"[^"\n]*"|[A-Za-z_][\w-]*|[0-9.]+|<<-?\w+|\$\{|%\{|.', re.S)
_FRAGMENTS = ["{", "}", "[", "]", "(", ")", '"', "${", "%{", "<<EOT\n", "=", ",", "...", "for", "\n", "\ue000", "\\",
              "var.", "local.nope", "component.", "file(\"../x\")", "null", "-1", "1e999", "each.key"]  # fmt: skip


def mutate_bytes(data: bytes, ops: list[tuple[int, int, int]]) -> bytes:
    b = bytearray(data)
    for kind, where, value in ops:
        if not b:
            break
        i = where % len(b)
        if kind == 0:
            b[i] = value
        elif kind == 1:
            b.insert(i, value)
        else:
            del b[i]
    return bytes(b)


def mutate_tokens(text: str, ops: list[tuple[int, int, int]]) -> str:
    tokens = _TOKEN_RE.findall(text)
    for kind, where, value in ops:
        if not tokens:
            break
        i = where % len(tokens)
        if kind == 0:
            del tokens[i]
        elif kind == 1:
            tokens.insert(i, tokens[value % len(tokens)])
        else:
            tokens.insert(i, _FRAGMENTS[value % len(_FRAGMENTS)])
    return "".join(tokens)


def mutate_lines(text: str, ops: list[tuple[int, int, int]]) -> str:
    lines = text.splitlines(keepends=True)
    for kind, where, value in ops:
        if not lines:
            break
        i = where % len(lines)
        j = value % len(lines)
        if kind == 0:
            del lines[i]
        elif kind == 1:
            lines.insert(i, lines[j])
        else:
            lines[i], lines[j] = lines[j], lines[i]
    return "".join(lines)


OPS = st.lists(st.tuples(st.integers(0, 2), st.integers(0, 10**6), st.integers(0, 255)), min_size=1, max_size=6)


def check(example: str, mutate: str, ops: list[tuple[int, int, int]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        cfg = Path(tmp) / "cfg"
        shutil.copytree(EXAMPLES / example, cfg, symlinks=True)
        main = cfg / "main.imgb.hcl"
        data = main.read_bytes()
        if mutate == "bytes":
            main.write_bytes(mutate_bytes(data, ops))
        elif mutate == "tokens":
            main.write_text(mutate_tokens(data.decode(), ops))
        else:
            main.write_text(mutate_lines(data.decode(), ops))
        env = {"IMGB_CACHE_DIR": os.path.join(tmp, "cache")}
        config, diags = load_config(cfg, env=env)
        assert (config is None) == diags.has_errors()
        for d in diags:
            assert d.summary and d.detail, d
        render_human(diags, cfg)
        render_json(diags)


@pytest.mark.parametrize("example", ["quickstart", "alicloud"])
@pytest.mark.parametrize("mutate", ["bytes", "tokens", "lines"])
@settings(max_examples=int(os.environ.get("IMGB_FUZZ_EXAMPLES", "25")), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=OPS)
def test_mutated_examples_never_raise(example: str, mutate: str, ops: list[tuple[int, int, int]]) -> None:
    check(example, mutate, ops)
