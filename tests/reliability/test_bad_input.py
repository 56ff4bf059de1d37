"""Bad input: always a diagnostic or a clean refusal, never a traceback, an internal error or a
hang, and the state untouched (snapshot, backup and journal compared byte for byte).

* hypothesis-generated configurations (structure-aware: input_hcl) through the loader, and
  through the CLI (validate, plan, plan --out, fmt --check, graph);
* hypothesis-generated variable files, --var arguments and IMGB_VAR_ values;
* malformed saved plans (truncated, bit flips, wrong versions, wrong schema, deep nesting) and
  plans edited with a recomputed checksum;
* malformed state files and journals, under every command that reads the state;
* hostile paths: COPY and file()/templatefile()/filesha256()/fileexists() with "..", absolute
  paths and symlinks out of the directory; COPY of the whole directory (imgb's own files and a
  store inside it are left out);
* huge inputs (a 10 MB heredoc, 100,000 blocks) in a child process with a time limit, and deep
  nesting.

Examples per hypothesis test: ``IMGB_BADINPUT_EXAMPLES`` (default 60; docs/reliability.md has
the full run).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from imgb.reconciler.fmt import format_source
from imgb.reconciler.plan import Plan
from imgb.reconciler.validate import validate_directory
from imgb.reconciler.views.diagnostics import render_human, render_json
from tests.reliability.input_hcl import CONFIGS, PRELUDE, VAR_ARG, VAR_FILE, VARS_CONFIG
from tests.reliability.input_site import (
    OUTSIDE_MARKER,
    SMALL_CONFIG,
    imgb,
    make_site,
    state_bytes,
)

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = int(os.environ.get("IMGB_BADINPUT_EXAMPLES", "60"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large,
                           HealthCheck.filter_too_much],
)


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Parse cache and debug log inside the test's directory; no IMGB_VAR_ from the caller."""
    monkeypatch.setenv("IMGB_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("IMGB_DEBUG_LOG", str(tmp_path / "imgb-debug.log"))
    for k in list(os.environ):
        if k.startswith("IMGB_VAR_"):
            monkeypatch.delenv(k)


def _no_debug_log(tmp_path: Path) -> None:
    log = tmp_path / "imgb-debug.log"
    assert not log.exists(), "an internal error was logged:\n" + log.read_text()[-3000:]


# -- generated configurations -----------------------------------------------------------------------
@FUZZ
@given(blocks=CONFIGS)
def test_generated_configurations_load_or_diagnose(tmp_path: Path, blocks: list[str]) -> None:
    d = tmp_path / "gen"
    if not d.exists():
        make_site(d)
    text = PRELUDE + "\n".join(blocks)
    (d / "main.imgb.hcl").write_text(text)
    config, diags = validate_directory(d, env={"IMGB_CACHE_DIR": str(tmp_path / "cache")})
    assert (config is None) == diags.has_errors()
    for diag in diags:
        assert diag.summary and diag.detail, diag
    render_human(diags, str(d))
    render_json(diags)
    format_source(text, "main.imgb.hcl")  # fmt: a result or diagnostics, never an exception


@settings(FUZZ, max_examples=max(10, EXAMPLES // 2))
@given(blocks=CONFIGS)
def test_generated_configurations_through_the_cli(tmp_path: Path, blocks: list[str]) -> None:
    d = tmp_path / "gen"
    if not d.exists():
        make_site(d)
    before = state_bytes(d)
    # No provider or imgb blocks here: a generated store root or backend path could point anywhere.
    safe = [b for b in blocks if not b.lstrip().startswith(("provider", "imgb"))]
    (d / "main.imgb.hcl").write_text(PRELUDE + "\n".join(safe))
    for args in (("validate",), ("plan",), ("plan", "--out", str(tmp_path / "gen.imgbplan")), ("fmt", "--check"), ("graph",)):
        imgb(d, *args).assert_clean()
    assert state_bytes(d) == before
    _no_debug_log(tmp_path)


@FUZZ
@given(var_file=VAR_FILE, auto_file=VAR_FILE, args=st.lists(VAR_ARG, max_size=3),
       env=st.dictionaries(st.sampled_from(["s", "n", "b", "l", "m", "o", "secret", "nope"]),
                           st.text(max_size=30).filter(lambda v: "\x00" not in v), max_size=3))
def test_generated_variable_inputs(tmp_path: Path, var_file: str, auto_file: str, args: list[str], env: dict[str, str]) -> None:
    d = tmp_path / "vars"
    if not d.exists():
        make_site(d, VARS_CONFIG)
    before = state_bytes(d)
    (d / "gen.auto.imgbvars.hcl").write_text(auto_file)
    (tmp_path / "given.imgbvars.hcl").write_text(var_file)
    environment = {"IMGB_CACHE_DIR": str(tmp_path / "cache"), **{f"IMGB_VAR_{k}": v for k, v in env.items()}}
    config, diags = validate_directory(d, var_args=args, var_files=[str(tmp_path / "given.imgbvars.hcl")], env=environment)
    assert (config is None) == diags.has_errors()
    flags = [f for a in args for f in ("--var", a)] + ["--var-file", str(tmp_path / "given.imgbvars.hcl")]
    old = {k: os.environ.get(k) for k in environment}
    os.environ.update(environment)
    try:
        for cmd in ("validate", "plan"):
            out = imgb(d, cmd, *flags)
            out.assert_clean()
            assert "VARS-CONFIG-SECRET-DEFAULT" not in out.out + out.err, "a sensitive default was shown"
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    assert state_bytes(d) == before
    _no_debug_log(tmp_path)


# -- saved plans ------------------------------------------------------------------------------------
def _resum(doc: dict) -> bytes:  # type: ignore[type-arg]
    payload = json.dumps(doc["plan"], sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    doc["sha256"] = hashlib.sha256(payload.encode()).hexdigest()
    return json.dumps(doc).encode()


def _edited(good: bytes, edit: str) -> bytes:
    doc = json.loads(good)
    changes = doc["plan"]["changes"]
    if edit == "action":  # a build turned into the delete of what exists
        changes[0]["action"] = "delete"
        changes[0]["prior_id"] = "ic-0123456789abcdef0123"
    elif edit == "share-account":  # the share redirected to someone else's account
        share = next(c for c in changes if c["kind"] == "share")
        share["address"] = 'share.web["local-2/666666666666"]'
        share["after"]["account"] = "666666666666"
    elif edit == "dropped-change":
        del changes[-1]
    elif edit == "mode":
        doc["plan"]["mode"] = "destroy"
    elif edit == "inner-version":
        doc["plan"]["format_version"] = "0.9"
    elif edit == "schema":
        changes[0] = {"address": "nonsense"}
    elif edit == "wrong-kind":
        changes[0]["kind"] = "copy"
    elif edit == "plan-is-a-string":
        doc["plan"] = "x"
    return _resum(doc)


def _plan_cases(good: bytes) -> dict[str, bytes]:
    cases: dict[str, bytes] = {
        "empty": b"",
        "truncated-1": good[:1],
        "truncated-half": good[: len(good) // 2],
        "truncated-last-byte": good[:-2],
        "not-utf8": b"\xff\xfe" + good,
        "garbage": bytes(range(256)) * 4,
        "outer-version": json.dumps({**json.loads(good), "imgb_plan": "9.9"}).encode(),
        "outer-version-type": json.dumps({**json.loads(good), "imgb_plan": [1]}).encode(),
        "no-checksum": json.dumps({k: v for k, v in json.loads(good).items() if k != "sha256"}).encode(),
        "deep-nesting": b'{"imgb_plan": "1.0", "sha256": "", "plan": ' + b"[" * 200_000 + b"]" * 200_000 + b"}",
        "deep-nesting-top": b"[" * 200_000 + b"]" * 200_000,
        "json-list": b"[1, 2, 3]",
        "state-file-instead": b'{"version": 1, "serial": 1, "lineage": "x", "resources": []}',
    }
    for at in (0.1, 0.3, 0.5, 0.7, 0.9):
        i = int(len(good) * at)
        cases[f"bit-flip-{at}"] = good[:i] + bytes([good[i] ^ 0x04]) + good[i + 1 :]
    # (A change dropped from a plan leaves a subset of the reviewed work, as -target does: it is
    # applied, and the next plan shows what was left out; test_a_plan_with_a_change_dropped...)
    for edit in ("action", "share-account", "mode", "inner-version", "schema", "wrong-kind", "plan-is-a-string"):
        cases[f"edited-resummed-{edit}"] = _edited(good, edit)
    return cases


@pytest.fixture
def plan_site(tmp_path: Path) -> tuple[Path, bytes]:
    d = make_site(tmp_path / "plans")
    out = imgb(d, "plan", "--out", str(tmp_path / "good.imgbplan"))
    out.assert_clean(0)
    return d, (tmp_path / "good.imgbplan").read_bytes()


def test_a_plan_with_a_change_dropped_does_only_what_is_left(plan_site: tuple[Path, bytes], tmp_path: Path) -> None:
    d, good = plan_site
    f = tmp_path / "dropped.imgbplan"
    f.write_bytes(_edited(good, "dropped-change"))
    imgb(d, "apply", str(f)).assert_clean(0)
    after = imgb(d, "plan", "--detailed-exitcode")
    assert after.code == 2 and "1 to add" in after.out, after.out  # the dropped change is still to do


def test_malformed_and_edited_plan_files_are_refused(plan_site: tuple[Path, bytes], tmp_path: Path) -> None:
    d, good = plan_site
    before = state_bytes(d)
    store_before = sorted(p.relative_to(d).as_posix() for p in (d / ".imgb").rglob("*") if "records" in p.parts)
    cases = _plan_cases(good)
    for name, data in cases.items():
        f = tmp_path / f"{name}.imgbplan"
        f.write_bytes(data)
        out = imgb(d, "apply", str(f))
        out.assert_clean(1)
        assert "plan" in out.err.lower(), (name, out.err)
        if not name.startswith("edited-resummed-") or name.endswith(("inner-version", "schema", "string")):
            for show in (("show", str(f)), ("show", "--json", str(f))):
                imgb(d, *show).assert_clean(1)
        assert state_bytes(d) == before, name
    store_after = sorted(p.relative_to(d).as_posix() for p in (d / ".imgb").rglob("*") if "records" in p.parts)
    assert store_after == store_before, "a refused plan changed the store"
    _no_debug_log(tmp_path)
    # The untouched plan still applies: the refusals above were about the files, not the site.
    imgb(d, "apply", str(tmp_path / "good.imgbplan")).assert_clean(0)


@FUZZ
@given(data=st.data())
def test_damaged_plan_bytes_are_refused_or_unchanged(plan_site: tuple[Path, bytes], data: st.DataObject) -> None:
    _, good = plan_site
    original = Plan.from_file_bytes(good)
    damaged = bytearray(good)
    for _ in range(data.draw(st.integers(1, 4))):
        op = data.draw(st.sampled_from(["flip", "truncate", "insert", "delete"]))
        i = data.draw(st.integers(0, max(0, len(damaged) - 1)))
        if op == "flip" and damaged:
            damaged[i] ^= 1 << data.draw(st.integers(0, 7))
        elif op == "truncate":
            del damaged[i:]
        elif op == "insert":
            damaged.insert(i, data.draw(st.integers(0, 255)))
        elif damaged:
            del damaged[i]
    try:
        plan = Plan.from_file_bytes(bytes(damaged))
    except ValueError:
        return
    # Accepted only when the damage did not change what the file says (a hex digit's case, say).
    assert plan == original


# -- state files ------------------------------------------------------------------------------------
def _state_cases(good: bytes) -> dict[str, bytes]:
    doc = json.loads(good)
    res = doc["resources"][0]
    return {
        "empty": b"",
        "truncated": good[: len(good) // 2],
        "garbage": bytes(range(256)),
        "not-utf8": b"\xff" + good,
        "json-list": b"[1, 2]",
        "newer-version": json.dumps({**doc, "version": doc["version"] + 1}).encode(),
        "serial-as-text": json.dumps({**doc, "serial": "7"}).encode(),
        "resources-as-map": json.dumps({**doc, "resources": {"a": 1}}).encode(),
        "resource-null": json.dumps({**doc, "resources": [None]}).encode(),
        "unknown-kind": json.dumps({**doc, "resources": [{**res, "kind": "vm"}]}).encode(),
        "bad-address": json.dumps({**doc, "resources": [{**res, "address": "zzz[[["}]}).encode(),
        "unknown-field": json.dumps({**doc, "surprise": True}).encode(),
        "deep-nesting": b'{"version": 1, "serial": 1, "resources": ' + b"[" * 200_000 + b"]" * 200_000 + b"}",
    }


STATE_COMMANDS = [("plan",), ("apply", "--auto-approve"), ("destroy", "--auto-approve"), ("refresh",), ("state", "list"),
                  ("state", "pull"), ("state", "rm", "component.app"), ("show",), ("output",), ("logs", "image.web")]


def test_malformed_state_files_are_refused_and_kept(tmp_path: Path) -> None:
    d = make_site(tmp_path / "state")
    good = (d / "imgb.state.json").read_bytes()
    tried = 0
    for name, data in _state_cases(good).items():
        (d / "imgb.state.json").write_bytes(data)
        before = state_bytes(d)
        for args in STATE_COMMANDS:
            out = imgb(d, *args)
            if name == "bad-address" and args in (("state", "pull"), ("output",)):
                out.assert_clean(0, 1)  # they print the document (or its outputs) as it is
            else:
                out.assert_clean(1)
                assert "state" in out.err.lower(), (name, args, out.err)
            assert state_bytes(d) == before, (name, args)
            tried += 1
    assert tried == len(_state_cases(good)) * len(STATE_COMMANDS)
    _no_debug_log(tmp_path)


def test_malformed_journals_are_refused_and_kept(tmp_path: Path) -> None:
    d = make_site(tmp_path / "journal")
    good = (d / "imgb.state.json.journal").read_bytes()
    header, *lines = good.split(b"\n")
    cases = {
        "garbage-header": b"garbage\n" + b"\n".join(lines),
        "bad-middle-line": header + b"\n" + b'{"entry": "x", "sha256": "0"}\n' + b"\n".join(lines),
        "valid-checksum-bad-entry": header + b"\n" + _journal_line(b'{"op": "explode"}') + b"\n".join(lines),
        "valid-checksum-deep-entry": header + b"\n" + _journal_line(b"[" * 100_000 + b"]" * 100_000) + b"\n".join(lines),
    }
    for name, data in cases.items():
        (d / "imgb.state.json.journal").write_bytes(data)
        before = state_bytes(d)
        for args in (("plan",), ("apply", "--auto-approve"), ("state", "list"), ("state", "pull")):
            out = imgb(d, *args)
            out.assert_clean(1)
            assert "journal" in out.err, (name, args, out.err)
            assert state_bytes(d) == before, (name, args)
    _no_debug_log(tmp_path)


def _journal_line(entry: bytes) -> bytes:
    from imgb.state.local import encode_journal_line

    return encode_journal_line(entry)


# -- hostile paths ------------------------------------------------------------------------------------
HOSTILE = {
    "copy-dotdot": ('content = "COPY ../../etc/passwd /p"', "leaves the configuration directory"),
    "copy-absolute": ('content = "COPY /etc/passwd /p"', "absolute path"),
    "copy-symlink-file": ('content = "COPY link-out /p"', "symlink"),
    "copy-through-symlink-dir": ('content = "COPY dir-link/passwd /p"', "symlink"),
    "copy-imgb-store": ('content = "COPY .imgb/cloud /p"', "imgb's own"),
    "copy-state-file": ('content = "COPY imgb.state.json /p"', "imgb's own"),
    "file-dotdot": ('content = file("../../etc/passwd")', "leaves the configuration directory"),
    "file-absolute": ('content = file("/etc/passwd")', "absolute path"),
    "file-symlink": ('content = file("link-out")', "symbolic link"),
    "file-through-symlink-dir": ('content = file("dir-link/passwd")', "symbolic link"),
    "templatefile-dotdot": ('content = templatefile("../../etc/passwd", {})', "leaves the configuration directory"),
    "filesha256-symlink": ('content = "RUN echo ${filesha256("link-out")}"', "symbolic link"),
    "fileexists-dotdot": ('content = fileexists("../../etc/passwd") ? "RUN a" : "RUN b"', "leaves the configuration directory"),
    "file-nul": ('content = file("files/a.txt\\u0000x")', "NUL"),
    "copy-nul": ('content = "COPY files/a.txt\\u0000x /p"', "COPY source"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_paths_are_diagnostics(tmp_path: Path, case: str) -> None:
    attr, expected = HOSTILE[case]
    d = make_site(tmp_path / "hostile", SMALL_CONFIG + f'\ncomponent "hostile" {{\n  {attr}\n}}\n')
    before = state_bytes(d)
    for args in (("validate",), ("plan",), ("apply", "--auto-approve")):
        out = imgb(d, *args)
        out.assert_clean(1)
        assert expected in out.err, (args, out.err)
        assert "main.imgb.hcl line " in out.err, out.err  # where: file and line
        assert OUTSIDE_MARKER not in out.out + out.err
    assert state_bytes(d) == before
    _no_debug_log(tmp_path)


def test_copy_of_the_whole_directory_leaves_imgb_files_and_outside_links_out(tmp_path: Path) -> None:
    """Regression: COPY . with the local store inside the directory copied the store into the
    build that was writing into it, without end; and state files made every plan rebuild."""
    from tests.local.conftest import SANDBOX_REASON

    if SANDBOX_REASON:
        pytest.skip(f"no build sandbox here: {SANDBOX_REASON}")
    d = tmp_path / "ctx"
    d.mkdir()
    make_site(d)
    (d / "imgb.state.json").unlink()
    (d / "imgb.state.json.backup").unlink()
    (d / "imgb.state.json.journal").unlink()
    (d / "main.imgb.hcl").write_text(
        'provider "local" {\n  root   = ".imgb/cloud"\n  region = "local-1"\n}\n'
        'template "web" {\n  base_image = "busybox"\n  build = "COPY . /ctx"\n'
        '  test  = "RUN test -f /ctx/files/a.txt && ! test -e /ctx/.imgb && ! test -e /ctx/imgb.state.json && '
        '! grep -rqs OUTSIDE-THE-CONFIGURATION /ctx/link-out /ctx/dir-link"\n}\n'
    )
    started = time.monotonic()
    r = subprocess.run([sys.executable, "-m", "imgb.reconciler.cli", "-C", str(d), "apply", "--auto-approve"], cwd=ROOT,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr
    assert time.monotonic() - started < 300
    for _ in range(2):  # the state and the store changed: the image must not
        out = imgb(d, "plan", "--detailed-exitcode", "--out", str(d / "again.imgbplan"))
        assert out.code == 0, out.out + out.err
    out = imgb(d, "apply", str(d / "again.imgbplan"))
    out.assert_clean(0)


# -- huge inputs and deep nesting ---------------------------------------------------------------------
def _cli(d: Path, *args: str, timeout: float) -> tuple[subprocess.CompletedProcess[str], float]:
    started = time.monotonic()
    r = subprocess.run([sys.executable, "-m", "imgb.reconciler.cli", "-C", str(d), *args], cwd=ROOT, capture_output=True,
                       text=True, timeout=timeout, env={**os.environ, "IMGB_DEBUG_LOG": str(d / "debug.log")})
    return r, time.monotonic() - started


@pytest.mark.slow
def test_huge_inputs_finish_in_bounded_time(tmp_path: Path) -> None:
    timings: dict[str, float] = {}
    line = "    RUN echo " + "x" * 90 + "\n"
    heredoc = make_site(tmp_path / "heredoc", SMALL_CONFIG + 'component "big" {\n  content = <<-EOT\n'
                        + line * (10 * 1024 * 1024 // len(line)) + "  EOT\n}\n")
    before = state_bytes(heredoc)
    for cmd in ("validate", "plan"):
        r, timings[f"10 MB heredoc {cmd}"] = _cli(heredoc, cmd, timeout=300)
        assert r.returncode == 1 and "Content too long" in r.stderr and "Traceback" not in r.stderr, r.stderr[-2000:]
    assert state_bytes(heredoc) == before

    one_line = make_site(tmp_path / "value", SMALL_CONFIG + 'variable "v" {\n  type = string\n}\n'
                         'component "big" {\n  content = "RUN echo ${var.v}"\n}\n')
    (tmp_path / "big.imgbvars.hcl").write_text('v = "' + "y" * (10 * 1024 * 1024) + '"\n')
    r, timings["10 MB variable value"] = _cli(one_line, "plan", "--var-file", str(tmp_path / "big.imgbvars.hcl"), timeout=300)
    assert r.returncode == 1 and "Content too long" in r.stderr and "Traceback" not in r.stderr, r.stderr[-2000:]

    blocks = make_site(tmp_path / "blocks")
    (blocks / "many.imgb.hcl").write_text("".join(
        f'distribution "d{i}" {{\n  regions  = ["local-{2 + i % 3}"]\n  accounts = ["{100000000000 + i}"]\n}}\n'
        for i in range(100_000)))
    r, timings["100,000 blocks validate"] = _cli(blocks, "validate", timeout=600)
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr[-2000:]
    print("\nhuge inputs: " + ", ".join(f"{k} {v:.1f}s" for k, v in timings.items()))
    assert not any((p / "debug.log").exists() for p in (heredoc, one_line, blocks))


NESTED = {
    "parentheses": lambda n: "(" * n + "1" + ")" * n,
    "lists": lambda n: "[" * n + "]" * n,
    "objects": lambda n: "{a = " * n + "1" + "}" * n,
    "calls": lambda n: "upper(" * n + '"x"' + ")" * n,
    "conditionals": lambda n: "true ? " * n + "1" + " : 0" * n,
    "interpolations": lambda n: '"${' * n + "1" + '}"' * n,
    "for-expressions": lambda n: "[for x in " * n + "[]" + " : x]" * n,
    "operators": lambda n: "-" * n + "1",
    "indexes": lambda n: "var.l" + "[0]" * n,
}


@pytest.mark.parametrize("kind", sorted(NESTED))
def test_deep_nesting_is_a_diagnostic(tmp_path: Path, kind: str) -> None:
    expr = NESTED[kind](20_000)
    d = make_site(tmp_path / "deep", SMALL_CONFIG + f'variable "l" {{\n  default = []\n}}\nlocals {{\n  deep = {expr}\n}}\n')
    before = state_bytes(d)
    out = imgb(d, "validate")
    out.assert_clean(1)
    assert "too deeply nested" in out.err or "Error" in out.err, out.err
    # fmt only needs the syntax: a reader that takes the nesting without recursing (an index
    # chain) may format it; otherwise it is the same diagnostic. Never a crash.
    source = (d / "main.imgb.hcl").read_bytes()
    out = imgb(d, "fmt")
    out.assert_clean(0, 1)
    if out.code == 1:
        assert "too deeply nested" in out.err or "Error" in out.err, out.err
    else:
        assert (d / "main.imgb.hcl").read_bytes() == source  # already in canonical form
    (tmp_path / "deep.imgbvars.hcl").write_text(f"l = {expr}\n")
    (d / "main.imgb.hcl").write_text(SMALL_CONFIG + 'variable "l" {\n  default = []\n}\n')
    imgb(d, "plan", "--var-file", str(tmp_path / "deep.imgbvars.hcl")).assert_clean(1)
    imgb(d, "plan", "--var", f"l={expr}").assert_clean(0, 1)  # an untyped --var may be taken as a string
    assert state_bytes(d) == before
    _no_debug_log(tmp_path)


def test_a_state_push_of_bad_files_is_refused(tmp_path: Path) -> None:
    d = make_site(tmp_path / "push")
    before = state_bytes(d)
    good = (d / "imgb.state.json").read_bytes()
    for name, data in _state_cases(good).items():
        if name == "serial-as-text":
            continue  # read as the number: a valid state to push
        f = tmp_path / f"{name}.json"
        f.write_bytes(data)
        out = imgb(d, "state", "push", str(f))
        out.assert_clean(1)
        assert state_bytes(d) == before, name
    shutil.rmtree(tmp_path / "cache", ignore_errors=True)
    _no_debug_log(tmp_path)
