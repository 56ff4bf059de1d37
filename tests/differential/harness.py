"""The differential suite: expressions evaluated by Terraform and by imgb, compared.

Cases live in ``cases/*.txt``: one expression per line (``#`` starts a comment line), or several
lines between a ``<<<`` line and a ``>>>`` line. Each is evaluated as ``local.v`` with
``locals { v = EXPRESSION }`` beside ``fixture/main.hcl`` (and ``fixture/files``), by
``terraform console`` and by ``imgb console``'s evaluation, and printed the way the console prints.
Terraform's answers are recorded in ``golden/*.json`` so that CI needs no Terraform.

    python -m tests.differential.harness              # compare imgb with the golden files
    python -m tests.differential.harness --regenerate # ask terraform again (when on PATH), then compare
    python -m tests.differential.harness --show FILE  # every disagreement of one case file

Two answers agree when both are values printed identically, or both are errors (messages differ
between the two tools and are not compared). ``differences.json`` lists the disagreements that
remain, each with its reason; docs/language.md explains them.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
CASES = HERE / "cases"
GOLDEN = HERE / "golden"
FIXTURE = HERE / "fixture"
DIFFERENCES = HERE / "differences.json"
_ANSI = re.compile(r"\x1b\[[0-9;]*m")

Answer = dict[str, Any]


def load_cases() -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for path in sorted(CASES.glob("*.txt")):
        cases: list[str] = []
        block: list[str] | None = None
        for line in path.read_text().split("\n"):
            if block is not None:
                if line == ">>>":
                    cases.append("\n".join(block))
                    block = None
                else:
                    block.append(line)
                continue
            if line == "<<<":
                block = []
            elif line.strip() and not line.lstrip().startswith("#"):
                cases.append(line)
        if block is not None:
            raise SystemExit(f"{path.name}: a <<< block is not closed")
        out[path.stem] = cases
    return out


def case_text(expr: str) -> str:
    return "locals {\n  v = " + expr + "\n}\n"


@contextlib.contextmanager
def _workdir(expr: str, main_name: str, case_name: str) -> Iterator[Path]:
    d = Path(tempfile.mkdtemp(prefix="imgb-diff-"))
    try:
        shutil.copytree(FIXTURE / "files", d / "files")
        (d / main_name).write_text((FIXTURE / "main.hcl").read_text())
        (d / case_name).write_text(case_text(expr))
        yield d
    finally:
        shutil.rmtree(d, ignore_errors=True)


def terraform_answer(expr: str, terraform: str = "terraform") -> Answer:
    with _workdir(expr, "main.tf", "case.tf") as d:
        env = {**os.environ, "TF_CLI_CONFIG_FILE": "/dev/null", "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1"}
        # Bytes, decoded without newline translation: a "\r" in a value must reach the comparison.
        raw = subprocess.run([terraform, "console"], input=b"local.v\n", cwd=d, env=env, capture_output=True, timeout=120)
        p = subprocess.CompletedProcess(raw.args, raw.returncode, raw.stdout.decode(), raw.stderr.decode())
        errors = _ANSI.sub("", p.stderr)
        if p.returncode == 0 and "Error: " not in errors:
            out = p.stdout
            if out.endswith("\n"):
                out = out[:-1]
            return {"ok": True, "out": out}
        # A local that fails is reported while the console loads, then shown as unknown: an error.
        return {"ok": False, "error": _terraform_error(p.stderr if "Error: " in errors else p.stderr + p.stdout)}


def _terraform_error(text: str) -> str:
    text = _ANSI.sub("", text)
    lines = [ln[2:] if ln.startswith("│ ") else ln for ln in text.splitlines()]
    lines = [ln for ln in lines if ln.strip() not in ("│", "╷", "╵") and "CLI configuration" not in ln]
    summary = next((ln[len("Error: ") :] for ln in lines if ln.startswith("Error: ")), "")
    detail = [ln.strip() for ln in lines if ln.strip() and not ln.startswith(("Error: ", "  on ", "  (source"))]
    detail = [ln for ln in detail if not ln.startswith(("on ", "(source code not available)", "Warning:"))]
    return (summary + ": " + " ".join(detail)).strip(": ")[:600]


_IMGB_DIR: list[Path] = []
atexit.register(lambda: [shutil.rmtree(p, ignore_errors=True) for d in _IMGB_DIR for p in (d, d.parent / (d.name + "-cache"))])


def _imgb_dir() -> Path:
    """One directory for every imgb evaluation: the fixture written once, the case rewritten."""
    if not _IMGB_DIR:
        d = Path(tempfile.mkdtemp(prefix="imgb-diff-"))
        shutil.copytree(FIXTURE / "files", d / "files")
        (d / "main.imgb.hcl").write_text((FIXTURE / "main.hcl").read_text())
        _IMGB_DIR.append(d)
    return _IMGB_DIR[0]


def imgb_answer(expr: str) -> Answer:
    from imgb.reconciler.console import open_session

    d = _imgb_dir()
    (d / "case.imgb.hcl").write_text(case_text(expr))
    env = {"IMGB_CACHE_DIR": str(d.parent / (d.name + "-cache")), "HOME": os.environ.get("HOME", "/root")}
    try:
        session, diags = open_session(d, env=env)
        if session is None:
            errors = [x for x in diags.sorted() if x.severity == "error"]
            first = errors[0] if errors else None
            return {"ok": False, "error": f"{first.summary}: {first.detail}" if first else "error"}
        out, _, diags = session.evaluate("local.v")
        if diags.has_errors():
            first = [x for x in diags.sorted() if x.severity == "error"][0]
            return {"ok": False, "error": f"{first.summary}: {first.detail}"}
        return {"ok": True, "out": out}
    except Exception as exc:  # noqa: BLE001 - an internal error is an answer of its own
        return {"ok": False, "error": f"INTERNAL ERROR: {type(exc).__name__}: {exc}", "internal": True}


def agree(tf: Answer, mine: Answer) -> bool:
    if mine.get("internal"):
        return False
    if tf["ok"] != mine["ok"]:
        return False
    return not tf["ok"] or tf["out"] == mine["out"]


def load_golden(name: str) -> dict[str, Answer]:
    path = GOLDEN / f"{name}.json"
    if not path.exists():
        return {}
    return {row["expr"]: row["terraform"] for row in json.loads(path.read_text())}


def write_golden(name: str, answers: dict[str, Answer], order: list[str]) -> None:
    rows = [{"expr": e, "terraform": answers[e]} for e in order if e in answers]
    GOLDEN.mkdir(exist_ok=True)
    (GOLDEN / f"{name}.json").write_text(json.dumps(rows, indent=1, ensure_ascii=False) + "\n")


def load_differences() -> dict[str, str]:
    """expression -> why imgb's answer differs (kept in differences.json)."""
    if not DIFFERENCES.exists():
        return {}
    return {row["expr"]: row["why"] for row in json.loads(DIFFERENCES.read_text())}


def regenerate(cases: dict[str, list[str]], only_missing: bool, jobs: int, terraform: str) -> None:
    for name, exprs in cases.items():
        known = load_golden(name)
        todo = [e for e in exprs if not (only_missing and e in known)]
        if todo:
            with ThreadPoolExecutor(jobs) as pool:
                for e, ans in zip(todo, pool.map(lambda x: terraform_answer(x, terraform), todo), strict=True):
                    known[e] = ans
            print(f"{name}: {len(todo)} asked", file=sys.stderr)
        write_golden(name, known, exprs)


def compare(cases: dict[str, list[str]], show: str | None = None) -> tuple[int, int, list[tuple[str, str, Answer, Answer]]]:
    total = agreed = 0
    bad: list[tuple[str, str, Answer, Answer]] = []
    for name, exprs in cases.items():
        golden = load_golden(name)
        for e in exprs:
            if e not in golden:
                continue
            total += 1
            mine = imgb_answer(e)
            if agree(golden[e], mine):
                agreed += 1
            else:
                bad.append((name, e, golden[e], mine))
    return total, agreed, bad


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--regenerate", action="store_true", help="ask terraform for every case again")
    ap.add_argument("--missing", action="store_true", help="ask terraform only for cases without a golden answer")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--terraform", default=shutil.which("terraform") or "terraform")
    ap.add_argument("--show", default=None, help="only this case file")
    ap.add_argument("--all", action="store_true", help="print documented differences too")
    args = ap.parse_args(argv)
    cases = load_cases()
    if args.show:
        cases = {k: v for k, v in cases.items() if k == args.show}
    if args.regenerate or args.missing:
        if not shutil.which(args.terraform):
            print("terraform is not on PATH: comparing with the recorded answers only", file=sys.stderr)
        else:
            regenerate(cases, args.missing and not args.regenerate, args.jobs, args.terraform)
    total, agreed, bad = compare(cases)
    documented = load_differences()
    undocumented = [b for b in bad if b[1] not in documented]
    for name, e, tf, mine in bad if args.all else undocumented:
        print(f"--- {name}: {e}")
        print(f"  terraform: {tf}")
        print(f"  imgb:      {mine}")
    print(f"{agreed}/{total} agree; {len(bad) - len(undocumented)} documented differences; "
          f"{len(undocumented)} undocumented")
    return 0 if not undocumented else 1


if __name__ == "__main__":
    raise SystemExit(main())
