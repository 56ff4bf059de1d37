"""The alicloud provider's API budget (issue #20, goal 3): how many requests an apply and a
refreshing plan make, counted by the API emulator, for T templates distributed to R regions and
shared with A accounts (T images, T*R copies, T*R*A shares).

    python -m bench.api_budget                      # 200 templates, 10 regions, 5 accounts
    python -m bench.api_budget --templates 20 --json out.json

The CLI runs as a user runs it (a subprocess per command) against the emulator on loopback. Time is
scaled down, the proportions kept: each build status lasts 0.2 s and each copy 1 s while imgb polls
every 0.1 s (in the cloud: minutes, against a 10 s poll), so an apply polls each build and copy
several times, as it would for real. After the apply, one copy is deleted and one account unshared
behind imgb's back: the plan must find both (the same drift as one read per object).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
HOME = "cn-hangzhou"
REGIONS = ("cn-shanghai", "cn-beijing", "cn-qingdao", "cn-zhangjiakou", "cn-huhehaote", "cn-shenzhen",
           "cn-chengdu", "ap-southeast-1", "ap-northeast-1", "eu-central-1", "us-west-1", "us-east-1")
BASE = "ubuntu_22_04_x64_20G_alibase_20240520.vhd"


def configuration(templates: int, regions: int, accounts: int, endpoint: str) -> str:
    targets = ", ".join(f'"{r}"' for r in REGIONS[:regions])
    account_ids = ", ".join(f'"{2000000000000000 + i}"' for i in range(accounts))
    blocks = [f'''provider "alicloud" {{
  region   = "{HOME}"
  endpoint = "{endpoint}"
}}

component "base" {{
  version = "1.0.0"
  content = "RUN echo base"
}}

distribution "all" {{
  regions  = [{targets}]
  accounts = [{account_ids}]
}}
''']
    for i in range(templates):
        blocks.append(f'''template "t{i:03d}" {{
  base_image = "{BASE}"
  build      = "COMPONENT ${{component.base.id}}\\nRUN echo {i}"
  image_name = "t{i:03d}"
  distribute = [distribution.all]
}}
''')
    return "\n".join(blocks)


def _cli(directory: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "imgb.reconciler.cli", "-C", str(directory), *args], cwd=REPO,
                          env=env, capture_output=True, text=True, timeout=7200)


def measure(templates: int, regions: int, accounts: int, work: Path, say: Any = print, *, phase_seconds: float = 0.2,
            copy_seconds: float = 1.0, poll_seconds: float = 0.1) -> dict[str, Any]:
    sys.path.insert(0, str(REPO))
    from tests.alicloud.emulator import TEST_ACCESS_KEY_ID, TEST_ACCESS_KEY_SECRET, Emulator

    out: dict[str, Any] = {"templates": templates, "regions": regions, "accounts": accounts,
                           "timing": {"phase": phase_seconds, "copy": copy_seconds, "poll": poll_seconds}}
    with Emulator(seed=20, phase_seconds=phase_seconds, copy_seconds=copy_seconds, regions=(HOME, *REGIONS)) as em:
        directory = work / f"budget-{templates}-{regions}-{accounts}"
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "main.imgb.hcl").write_text(configuration(templates, regions, accounts, f"http://{em.endpoint}"))
        env = {**os.environ, "ALIBABA_CLOUD_ACCESS_KEY_ID": TEST_ACCESS_KEY_ID,
               "ALIBABA_CLOUD_ACCESS_KEY_SECRET": TEST_ACCESS_KEY_SECRET, "IMGB_ALICLOUD_POLL_SECONDS": str(poll_seconds)}
        for step, args in (("apply", ("apply", "-auto-approve", "-parallelism=20")), ("plan", ("plan",)),
                           ("drift", ("plan", "-detailed-exitcode"))):
            if step == "drift":
                copy = next(i for i in em.world.custom_images() if i.copy_source and i.region == REGIONS[0])
                del em.world.images[(copy.region, copy.id)]
                shared = next(i for i in em.world.custom_images() if i.copy_source and i.region == REGIONS[-1 % regions])
                gone_account = sorted(shared.shared_with)[0]
                del shared.shared_with[gone_account]
            em.reset_log()
            t0 = time.monotonic()
            r = _cli(directory, env, *args)
            seconds = round(time.monotonic() - t0, 1)
            counts = em.request_counts()
            out[step] = {"requests": sum(counts.values()), "by_action": dict(sorted(counts.items())),
                         "seconds": seconds, "code": r.returncode}
            say(f"{step}: {sum(counts.values())} requests in {seconds} s (exit {r.returncode})")
            if step == "apply" and r.returncode != 0:
                raise SystemExit(r.stdout[-3000:] + r.stderr[-3000:])
            if step == "drift":
                found = (f"{copy.id}" in r.stdout or "was deleted outside imgb" in r.stdout) and \
                    f"{shared.id}/{gone_account}" in r.stdout
                out["drift"]["found"] = bool(found and r.returncode == 2)
        objects = Counter("copy" if i.copy_source else "image" for i in em.world.custom_images())
        out["objects"] = {**objects, "shares": sum(len(i.shared_with) for i in em.world.custom_images())}
    return out


def table(result: dict[str, Any]) -> str:
    rows = ["| step | requests | seconds | requests by action |", "| --- | --- | --- | --- |"]
    for step in ("apply", "plan", "drift"):
        s = result[step]
        by = ", ".join(f"{a} {n}" for a, n in sorted(s["by_action"].items(), key=lambda kv: -kv[1]))
        rows.append(f"| {step} | {s['requests']} | {s['seconds']} | {by} |")
    o = result["objects"]
    head = (f"{result['templates']} templates, {result['regions']} regions, {result['accounts']} accounts: "
            f"{o.get('image', 0)} images, {o.get('copy', 0)} copies, {o.get('shares', 0)} shares. "
            f"Drift found by the plan: {'yes' if result['drift'].get('found') else 'NO'}.")
    return head + "\n\n" + "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.api_budget", description=__doc__.split("\n\n")[0])
    ap.add_argument("--templates", type=int, default=200)
    ap.add_argument("--regions", type=int, default=10)
    ap.add_argument("--accounts", type=int, default=5)
    ap.add_argument("--phase-seconds", type=float, default=0.2, help="how long each build status lasts")
    ap.add_argument("--copy-seconds", type=float, default=1.0, help="how long a copy takes")
    ap.add_argument("--poll-seconds", type=float, default=0.1, help="IMGB_ALICLOUD_POLL_SECONDS")
    ap.add_argument("--json", dest="json_out", default=None)
    ap.add_argument("--work", default=None)
    args = ap.parse_args(argv)
    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="imgb-budget-"))
    try:
        result = measure(args.templates, args.regions, args.accounts, work,
                         lambda m: print(m, file=sys.stderr, flush=True), phase_seconds=args.phase_seconds,
                         copy_seconds=args.copy_seconds, poll_seconds=args.poll_seconds)
    finally:
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)
    print(table(result))
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
