"""imgb and Terraform side by side on generated configurations: ``python -m bench`` (see docs/performance.md).

Both tools run as a user runs them, one subprocess per command, in the same run and interleaved
rep by rep (so load on the machine hits both alike). Each command's wall time is taken around a
blocking ``wait4`` and its peak RSS comes from that call's rusage. Tables give medians.
"""

from __future__ import annotations

import argparse
import compileall
import contextlib
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench import generate, small, tf_state

REPO = Path(__file__).resolve().parents[1]
EXTRA_PROVIDERS = "sleep=bench.sleep_provider:SleepProvider"


@dataclass
class Run:
    seconds: float
    rss_mb: float
    code: int
    timed_out: bool = False
    log: str = ""
    cpu_s: float = 0.0
    """User + system CPU of the process: less sensitive than wall time to other load on the machine."""


@dataclass
class Case:
    shape: str
    n: int
    runs: dict[str, dict[str, list[Run]]] = field(default_factory=dict)
    """tool -> step -> runs."""
    notes: dict[str, str] = field(default_factory=dict)

    def add(self, tool: str, step: str, run: Run) -> None:
        self.runs.setdefault(tool, {}).setdefault(step, []).append(run)

    def median(self, tool: str, step: str) -> tuple[float, float] | None:
        runs = [r for r in self.runs.get(tool, {}).get(step, []) if r.code == 0 and not r.timed_out]
        if not runs:
            return None
        return statistics.median(r.seconds for r in runs), statistics.median(r.rss_mb for r in runs)


# -- running one command -------------------------------------------------------------------------
GNU_TIME = "/usr/bin/time"


def run(cmd: list[str], cwd: Path, env: dict[str, str], log: Path, timeout: float) -> Run:
    """Run ``cmd`` with output to ``log``: wall time around a blocking wait4, CPU from its rusage.

    Peak RSS comes from GNU time when it is installed: a child's ``ru_maxrss`` also counts the
    memory it shared with this (larger) process before its exec, which would put a floor under
    every figure; time forks the command from a 1 MB process instead.
    """
    timed_out = threading.Event()
    rss_file = log.with_suffix(".rss")
    wrapped = [GNU_TIME, "-f", "%M", "-o", str(rss_file), *cmd] if os.path.exists(GNU_TIME) else cmd
    with open(log, "wb") as out:
        t0 = time.perf_counter()
        p = subprocess.Popen(wrapped, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)

        def stop() -> None:
            timed_out.set()
            for sig in (signal.SIGINT, signal.SIGKILL):  # Terraform saves its state on an interrupt
                with contextlib.suppress(ProcessLookupError):
                    _signal_tree(p.pid, sig)
                time.sleep(30)

        timer = threading.Timer(timeout, stop)
        timer.daemon = True
        timer.start()
        _, status, usage = os.wait4(p.pid, 0)
        seconds = time.perf_counter() - t0
        timer.cancel()
    p.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
    rss_kb = float(usage.ru_maxrss)
    with contextlib.suppress(OSError, ValueError):
        rss_kb = float(rss_file.read_text().split()[-1])
    cpu = usage.ru_utime + usage.ru_stime  # includes the command, waited for by time
    return Run(seconds, rss_kb / 1024, p.returncode, timed_out.is_set(), str(log), cpu)


def _signal_tree(pid: int, sig: int) -> None:
    """Signal ``pid`` and its children (the command under GNU time)."""
    with contextlib.suppress(OSError):
        for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(child), sig)
    os.kill(pid, sig)


# -- the two tools ---------------------------------------------------------------------------------
class Tool:
    name = ""

    def __init__(self, directory: Path, logs: Path, timeout: float):
        self.dir = directory
        self.logs = logs
        self.timeout = timeout
        self.counter = 0

    def env(self) -> dict[str, str]:
        return dict(os.environ)

    def cmd(self, *args: str) -> list[str]:
        raise NotImplementedError

    def run(self, step: str, *args: str) -> Run:
        self.counter += 1
        log = self.logs / f"{self.name}.{self.counter:03d}.{step}.log"
        return run(self.cmd(*args), self.dir, self.env(), log, self.timeout)


class Imgb(Tool):
    name = "imgb"

    def __init__(self, directory: Path, logs: Path, timeout: float):
        super().__init__(directory, logs, timeout)
        self.cache = directory.parent / "imgb-cache"
        script = Path(sys.executable).with_name("imgb")
        self.base = [str(script)] if script.exists() else [sys.executable, "-m", "imgb.reconciler.cli"]

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            IMGB_PROVIDERS_EXTRA=EXTRA_PROVIDERS,
            PYTHONPATH=str(REPO) + os.pathsep + env.get("PYTHONPATH", ""),
            IMGB_CACHE_DIR=str(self.cache),
            IMGB_HOME=str(self.dir.parent / "imgb-home"),
        )
        env.pop("IMGB_WORKSPACE", None)
        # As an installation runs: bytecode written, so the dataclass code cache beside it
        # (imgb/dataclass_code.py) works after the first run; the .pyc files are compiled above.
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        return env

    def cmd(self, *args: str) -> list[str]:
        return self.base + list(args)

    def clear_cache(self) -> None:
        shutil.rmtree(self.cache, ignore_errors=True)

    def clear_state(self) -> None:
        for p in self.dir.glob("imgb.state.json*"):
            p.unlink()


class Terraform(Tool):
    name = "terraform"

    def __init__(self, directory: Path, logs: Path, timeout: float, binary: str, rcfile: Path):
        super().__init__(directory, logs, timeout)
        self.binary = binary
        self.rcfile = rcfile

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(TF_CLI_CONFIG_FILE=str(self.rcfile), TF_IN_AUTOMATION="1", CHECKPOINT_DISABLE="1")
        return env

    def cmd(self, *args: str) -> list[str]:
        return [self.binary, *args]

    def clear_state(self) -> None:
        for p in self.dir.glob("terraform.tfstate*"):
            p.unlink()


# -- one configuration -----------------------------------------------------------------------------
PLAN_SUMMARY = re.compile(r"Plan: (\d+) to add, (\d+) to change, (\d+) to destroy")


def summary(run_: Run) -> str:
    text = Path(run_.log).read_text(errors="replace")
    if "No changes" in text:
        return "no changes"
    m = PLAN_SUMMARY.search(text)
    return f"{m[1]} to add, {m[2]} to change, {m[3]} to destroy" if m else "?"


def measure(case: Case, work: Path, args: argparse.Namespace, terraform: str | None, say: Any) -> None:
    base = work / f"{case.shape}_{case.n}"
    logs = base / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    generate.write(base / "imgb", case.shape, case.n, "imgb")
    imgb = Imgb(base / "imgb", logs, args.timeout)
    tf: Terraform | None = None
    if terraform:
        generate.write(base / "tf", case.shape, case.n, "tf")
        rc = work / "empty.tfrc"
        rc.touch()
        tf = Terraform(base / "tf", logs, args.timeout, terraform, rc)
        init = tf.run("init", "init", "-input=false", "-no-color")
        if init.code:
            raise SystemExit(f"terraform init failed; see {init.log}")
    reps = args.reps

    def both(step: str, imgb_args: list[str], tf_args: list[str] | None, before: Any = None) -> None:
        for _ in range(reps):
            if before:
                before()
            case.add("imgb", step, checked(imgb.run(step, *imgb_args), step))
            if tf and tf_args is not None:
                case.add("terraform", step, checked(tf.run(step, *tf_args), step))

    def checked(r: Run, step: str) -> Run:
        if r.code and not r.timed_out:
            tail = Path(r.log).read_text(errors="replace")[-2000:]
            raise SystemExit(f"{step} failed with exit code {r.code} ({r.log}):\n{tail}")
        return r

    say(f"{case.shape} {case.n}: validate")
    both("validate_cold", ["validate"], None, imgb.clear_cache)
    both("validate", ["validate"], ["validate", "-no-color"])

    say(f"{case.shape} {case.n}: first apply")
    for _ in range(reps):
        imgb.clear_state()
        case.add("imgb", "apply", checked(imgb.run("apply", "apply", "--auto-approve"), "apply"))
    if tf:
        if case.n <= args.tf_apply_max:
            for _ in range(args.tf_apply_reps):
                tf.clear_state()
                r = checked(tf.run("apply", "apply", "-auto-approve", "-input=false", "-no-color", "-parallelism=10"), "apply")
                case.add("terraform", "apply", r)
                if r.timed_out:
                    case.notes["terraform apply"] = f"did not finish in {args.timeout:.0f} s"
                    break
        else:
            case.notes["terraform apply"] = f"not run above {args.tf_apply_max} resources (quadratic)"
        if case.n > args.tf_apply_max or "terraform apply" in case.notes:
            tf.clear_state()
            (tf.dir / "terraform.tfstate").write_bytes(tf_state.synthesize(generate.terraform_resources(case.shape, case.n)))
            case.notes["terraform state"] = "synthesized (bench/tf_state.py)"

    say(f"{case.shape} {case.n}: no-change plans")
    both("plan", ["plan"], ["plan", "-input=false", "-no-color"])
    both("plan_norefresh", ["plan", "--no-refresh"], ["plan", "-input=false", "-no-color", "-refresh=false"])
    both("plan_norefresh_cold", ["plan", "--no-refresh"], None, imgb.clear_cache)
    for tool in ("imgb", "terraform"):
        for r in case.runs.get(tool, {}).get("plan_norefresh", [])[:1]:
            case.notes[f"{tool} no-change plan"] = summary(r)

    say(f"{case.shape} {case.n}: plans after a 1% change")
    generate.write(imgb.dir, case.shape, case.n, "imgb", change=True)
    imgb.run("warm", "validate")  # the edited file's parse goes to the cache, as for the other plans
    if tf:
        generate.write(tf.dir, case.shape, case.n, "tf", change=True)
    both("plan_change", ["plan"], ["plan", "-input=false", "-no-color"])
    both("plan_change_norefresh", ["plan", "--no-refresh"], ["plan", "-input=false", "-no-color", "-refresh=false"])
    for tool in ("imgb", "terraform"):
        for r in case.runs.get(tool, {}).get("plan_change", [])[:1]:
            case.notes[f"{tool} plan after change"] = summary(r)


def measure_small(case: Case, work: Path, args: argparse.Namespace, terraform: str | None, say: Any) -> None:
    """The quickstart after its apply, and the commands every run pays for (version, --help)."""
    base = work / "quickstart"
    logs = base / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    imgb = Imgb(small.write(base / "imgb", "imgb"), logs, args.timeout)
    tf: Terraform | None = None
    if terraform:
        rc = work / "empty.tfrc"
        rc.touch()
        tf = Terraform(small.write(base / "tf", "tf"), logs, args.timeout, terraform, rc)
        if tf.run("init", "init", "-input=false", "-no-color").code:
            raise SystemExit(f"terraform init failed in {tf.dir}")
    say("quickstart: apply, then validate, plan, version and --help")
    if imgb.run("apply", "apply", "--auto-approve").code:
        raise SystemExit(f"imgb apply of the quickstart failed; see {logs}")
    if tf and tf.run("apply", "apply", "-auto-approve", "-input=false", "-no-color").code:
        raise SystemExit(f"terraform apply of the quickstart failed; see {logs}")
    steps = [
        ("validate", ["validate"], ["validate", "-no-color"]),
        ("plan", ["plan"], ["plan", "-input=false", "-no-color"]),
        ("version", ["version"], ["version"]),
        ("help", ["--help"], None),
    ]
    imgb.run("warm", "validate")  # the parse cache, as for every warm row
    for _ in range(args.small_reps):  # interleaved: load on the machine hits both alike
        for step, imgb_args, tf_args in steps:
            case.add("imgb", step, _ok(imgb.run(step, *imgb_args), step))
            if tf and tf_args is not None:
                case.add("terraform", step, _ok(tf.run(step, *tf_args), step))
    for tool in ("imgb", "terraform"):
        for r in case.runs.get(tool, {}).get("plan", [])[:1]:
            case.notes[f"{tool} plan"] = summary(r)


def _ok(r: Run, step: str) -> Run:
    if r.code and not r.timed_out:
        tail = Path(r.log).read_text(errors="replace")[-2000:]
        raise SystemExit(f"{step} failed with exit code {r.code} ({r.log}):\n{tail}")
    return r


# -- report ----------------------------------------------------------------------------------------
ROWS = [
    ("validate", "validate", "validate"),
    ("validate_cold", "validate, no parse cache", "validate"),
    ("apply", "first apply", "apply"),
    ("plan", "no-change plan", "plan"),
    ("plan_norefresh", "no-change plan, refresh off", "plan_norefresh"),
    ("plan_norefresh_cold", "same, no parse cache", "plan_norefresh"),
    ("plan_change", "plan after 1% change", "plan_change"),
    ("plan_change_norefresh", "same, refresh off", "plan_change_norefresh"),
    ("version", "version", "version"),
    ("help", "--help (Terraform: version)", "version"),
]


def goal(step: str, n: int, time_ratio: float | None, mem_ratio: float | None, seconds: float, shape: str = "") -> str:
    """The goals of issues #8 and #20, where one applies to this row: ✓ met, ✗ missed."""
    marks = []

    def check(ok: bool, text: str) -> None:
        marks.append(("✓ " if ok else "✗ ") + text)

    if shape == "quickstart":
        if time_ratio is not None and step in ("validate", "plan", "version", "help"):
            check(time_ratio <= 1.5, "time ≤ 1.5")
        return ", ".join(marks)
    if step == "validate_cold" and n in (1000, 5000) and time_ratio is not None:
        check(time_ratio <= 0.5, "time ≤ 0.5")

    if step == "plan_norefresh" and n == 2000 and time_ratio is not None:
        check(time_ratio <= 0.35, "time ≤ 0.35")
    if step == "plan_norefresh" and n == 5000:
        if time_ratio is not None:
            check(time_ratio <= 0.25, "time ≤ 0.25")
        if mem_ratio is not None:
            check(mem_ratio <= 0.5, "memory ≤ 0.5")
    if step == "apply" and n == 2000 and time_ratio is not None:
        check(time_ratio <= 0.05, "time ≤ 0.05")
    if step == "apply" and n == 5000:
        check(seconds < 10, "under 10 s")
    return ", ".join(marks)


def table(cases: list[Case]) -> str:
    lines = [
        "| shape | N | command | imgb s | imgb MB | Terraform s | Terraform MB | time imgb/TF | memory imgb/TF | goal |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for case in cases:
        for step, label, tf_step in ROWS:
            mine = case.median("imgb", step)
            if mine is None:
                continue
            theirs = case.median("terraform", tf_step)
            tr = mine[0] / theirs[0] if theirs else None
            mr = mine[1] / theirs[1] if theirs else None
            tf_cells = (f"{theirs[0]:.3f}", f"{theirs[1]:.0f}") if theirs else ("–", "–")
            lines.append(
                f"| {case.shape} | {case.n} | {label} | {mine[0]:.3f} | {mine[1]:.0f} | {tf_cells[0]} | {tf_cells[1]} | "
                f"{'' if tr is None else f'{tr:.3f}'} | {'' if mr is None else f'{mr:.2f}'} | "
                f"{goal(step, case.n, tr, mr, mine[0], case.shape)} |"
            )
    return "\n".join(lines)


def notes(cases: list[Case]) -> str:
    out = []
    for case in cases:
        if case.notes:
            out.append(f"- {case.shape} {case.n}: " + "; ".join(f"{k}: {v}" for k, v in sorted(case.notes.items())))
    return "\n".join(out)


def apply_scaling(cases: list[Case]) -> str:
    out = []
    for shape in dict.fromkeys(c.shape for c in cases):
        pts = [(c.n, m[0]) for c in cases if c.shape == shape and (m := c.median("imgb", "apply"))]
        if len(pts) > 1:
            per = ", ".join(f"{n}: {s:.2f} s ({1000 * s / n:.2f} s per 1000)" for n, s in pts)
            out.append(f"- imgb first apply, {shape}: {per}")
    return "\n".join(out)


def machine() -> str:
    cpu = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return f"{platform.node() or 'host'}: {os.cpu_count()} CPUs ({cpu}), Python {platform.python_version()}, {platform.platform()}"


def terraform_version(binary: str) -> str:
    out = subprocess.run([binary, "version"], capture_output=True, text=True, env={**os.environ, "CHECKPOINT_DISABLE": "1"})
    return out.stdout.splitlines()[0] if out.stdout else "terraform (version unknown)"


# -- command line ----------------------------------------------------------------------------------
def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(
        prog="python -m bench",
        description="Generate configurations of N resources, run imgb and Terraform side by side, print a table of medians.",
    )
    ap.add_argument("--sizes", default="1000,2000,5000", help="N for the indep and fanin shapes (fanin: multiples of 10)")
    ap.add_argument("--chain-sizes", default="200", help="N for the chain shape")
    ap.add_argument("--shapes", default=",".join((*generate.SHAPES, "quickstart")), help="indep, fanin, chain, quickstart, api (the alicloud request budget, not run by default)")
    ap.add_argument("--small-reps", type=int, default=11, help="runs of each quickstart command (they take 0.05-0.5 s)")
    ap.add_argument("--reps", type=int, default=3, help="runs of each command (median reported)")
    ap.add_argument("--quick", action="store_true", help="N=100 (chain 50), one rep: a smoke run")
    ap.add_argument("--no-terraform", action="store_true", help="imgb alone")
    ap.add_argument("--terraform", default=None, help="the terraform binary (default: from PATH)")
    ap.add_argument("--tf-apply-max", type=int, default=2000, help="largest N Terraform applies; above, its state is synthesized")
    ap.add_argument("--tf-apply-reps", type=int, default=1, help="Terraform first applies per size (51 s each at 2000)")
    ap.add_argument("--timeout", type=float, default=900.0, help="seconds before a command is interrupted")
    ap.add_argument("--json", dest="json_out", default=None, help="also write every run to this file")
    ap.add_argument("--work", default=None, help="keep the generated configurations and logs here")
    args = ap.parse_args(argv)
    if args.quick:
        args.sizes, args.chain_sizes, args.reps, args.small_reps = "100", "50", 1, 1
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    shapes = [s.strip() for s in args.shapes.split(",") if s.strip()]
    for s in shapes:
        if s not in (*generate.SHAPES, "quickstart", "api"):
            raise SystemExit(f"unknown shape {s!r}; use {', '.join(generate.SHAPES)}, quickstart or api")
    terraform = None if args.no_terraform else (args.terraform or shutil.which("terraform"))
    say = lambda msg: print(msg, file=sys.stderr, flush=True)  # noqa: E731
    if not args.no_terraform and terraform is None:
        say("terraform is not installed: reporting imgb alone")
    # An installed imgb has its bytecode compiled; a checkout run with PYTHONDONTWRITEBYTECODE may not.
    for pkg in ("imgb", "reconciler", "providers", "state", "bench"):
        compileall.compile_dir(str(REPO / pkg), quiet=2)

    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="imgb-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    cases: list[Case] = []
    budget: str | None = None
    try:
        for shape in shapes:
            if shape == "api":  # the alicloud provider's request counts (bench/api_budget.py), not timings
                from bench import api_budget

                size = (20, 3, 2) if args.quick else (200, 10, 5)  # templates, regions, accounts
                budget = api_budget.table(api_budget.measure(*size, work, say))
                continue
            if shape == "quickstart":
                case = Case(shape, 6)
                measure_small(case, work, args, terraform, say)
                cases.append(case)
                continue
            sizes = args.chain_sizes if shape == "chain" else args.sizes
            for n in (int(x) for x in sizes.split(",") if x.strip()):
                case = Case(shape, n)
                measure(case, work, args, terraform, say)
                cases.append(case)
    finally:
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)

    header = f"Machine: {machine()}. imgb at {REPO}; {terraform_version(terraform) if terraform else 'Terraform not run'}."
    print(header + f" Medians of {args.reps} run(s); N = resources in state after the first apply.\n")
    if cases:
        print(table(cases))
    if budget:
        print("\nAlibaba Cloud API budget (requests counted by the emulator):\n\n" + budget)
    extra = "\n".join(x for x in (notes(cases), apply_scaling(cases)) if x)
    if extra:
        print("\n" + extra)
    if args.json_out:
        doc = {
            "machine": machine(),
            "terraform": terraform_version(terraform) if terraform else None,
            "args": vars(args),
            "cases": [
                {"shape": c.shape, "n": c.n, "notes": c.notes,
                 "runs": {t: {s: [asdict(r) for r in rs] for s, rs in steps.items()} for t, steps in c.runs.items()}}
                for c in cases
            ],
        }
        Path(args.json_out).write_text(json.dumps(doc, indent=2) + "\n")
    return 0
