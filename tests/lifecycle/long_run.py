"""The lifecycle model's long run (docs/lifecycle.md, docs/reliability.md): new random cases,
run after run, until a number of steps or a deadline, in parallel processes.

    python -m tests.lifecycle.long_run --provider alicloud --steps 10000 --jobs 2 --out /tmp/lc
    python -m tests.lifecycle.long_run --summary /tmp/lc/report.jsonl

Each run is one pytest process of ``test_model.py`` (``IMGB_LIFECYCLE_RANDOM=1``, 10 cases of 50
steps); its counts go to ``OUT/report.jsonl`` whatever the outcome, and the log of a failing run is
kept as ``OUT/fail-N.log`` (hypothesis prints the steps to replay it). CI runs the fixed-seed size
instead; this belongs in a nightly job.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def summary(report: Path) -> Counter[str]:
    totals: Counter[str] = Counter()
    for line in report.read_text().splitlines():
        row = json.loads(line)
        totals.update({k: v for k, v in row.items() if isinstance(v, int)})
        totals[f"processes ({row.get('provider')})"] += 1
    return totals


def _one_run(provider: str, out: Path, n: int) -> bool:
    env = {**os.environ, "IMGB_LIFECYCLE_RANDOM": "1", "IMGB_LIFECYCLE_EXAMPLES": "10", "IMGB_LIFECYCLE_STEPS": "50",
           "IMGB_LIFECYCLE_REPORT": str(out / "report.jsonl"), "PYTHONPATH": str(ROOT)}
    log = out / f"run-{n}.log"
    with log.open("w") as f:
        code = subprocess.call([sys.executable, "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider",
                                "tests/lifecycle/test_model.py", "-k", provider], cwd=ROOT, env=env, stdout=f, stderr=f)
    if code != 0:
        log.rename(out / f"fail-{n}.log")
        return False
    log.unlink()
    return True


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tests.lifecycle.long_run", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--provider", choices=["alicloud", "local"], default="alicloud")
    ap.add_argument("--steps", type=int, default=10_000, help="stop once the reports add up to this many steps")
    ap.add_argument("--until", type=float, default=None, help="or stop starting runs after this many hours")
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--out", type=Path, default=Path("long-run"))
    ap.add_argument("--summary", type=Path, default=None, help="only add up a report file")
    args = ap.parse_args(argv)
    if args.summary is not None:
        print(json.dumps(dict(sorted(summary(args.summary).items())), indent=1))
        return 0
    args.out.mkdir(parents=True, exist_ok=True)
    report = args.out / "report.jsonl"
    deadline = time.time() + args.until * 3600 if args.until else None
    lock, counter, failed = threading.Lock(), [0], [0]

    def done() -> bool:
        steps = summary(report)["steps"] if report.exists() else 0
        return steps >= args.steps or (deadline is not None and time.time() >= deadline)

    def loop() -> None:
        while not done():
            with lock:
                counter[0] += 1
                n = counter[0]
            if not _one_run(args.provider, args.out, n):
                with lock:
                    failed[0] += 1

    threads = [threading.Thread(target=loop) for _ in range(args.jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    totals = summary(report) if report.exists() else Counter()
    print(f"{totals['steps']} steps in {counter[0]} processes, {failed[0]} failing (logs in {args.out})")
    return 1 if failed[0] else 0


if __name__ == "__main__":
    sys.exit(main())
