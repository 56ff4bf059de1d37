"""Measure the local provider: a five-step busybox build, and copying a 100 MB image to a region.

Run: .venv/bin/python bench/local_provider.py [--runs N]
Prints medians; not a test (timings depend on the machine). Run it as an ordinary user (with
/etc/subuid entries and newuidmap) to measure rootless builds, e.g. as root:
``runuser -u USER -- /usr/bin/python3 bench/local_provider.py`` with the dependencies importable.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from imgb.addresses import Kind  # noqa: E402
from imgb.providers.base import no_progress  # noqa: E402
from imgb.providers.local import LocalProvider, import_image  # noqa: E402

FIVE_STEPS = """\
RUN echo "app:x:1000:1000:app:/home/app:/bin/sh" >> /etc/passwd && mkdir -p /home/app && chown 1000 /home/app
COPY files/index.html /srv/www/
ENV GREETING=hello
USER app
RUN echo "$GREETING" > /home/app/greeting
"""


def bench_build(root: Path, ctx: Path, runs: int) -> tuple[list[float], list[float]]:
    p = LocalProvider(root, "local-1")
    base = p.resolve_base_image("busybox", None)
    tid = p.wait(Kind.TEMPLATE, p.start(Kind.TEMPLATE, {"name": "b", "base_image": base, "build_content": FIVE_STEPS,
                                                    "image_name": "b"}, "tpl"), no_progress)["id"]
    end_to_end, in_worker = [], []
    for _ in range(runs):
        t0 = time.perf_counter()
        img = p.wait(Kind.IMAGE, p.start(Kind.IMAGE, {"template_id": tid, "context_dir": str(ctx)}, str(uuid.uuid4())),
                     no_progress)
        end_to_end.append(time.perf_counter() - t0)
        in_worker.append(_worker_seconds(p, img))
    return end_to_end, in_worker


def _worker_seconds(p: LocalProvider, img: dict) -> float:
    # The worker logs its timing just after it records the result, so the line may lag a little.
    deadline = time.monotonic() + 10
    while True:
        lines = [x for x in p.logs(Kind.IMAGE, img["id"], img).splitlines() if "build finished in" in x]
        if lines or time.monotonic() > deadline:
            return float(lines[-1].split("build finished in ")[1].split("s")[0])
        time.sleep(0.01)


def bench_copy(root: Path, runs: int) -> list[float]:
    src = root.parent / "big-rootfs"
    (src / "data").mkdir(parents=True, exist_ok=True)
    with open(src / "data" / "blob.bin", "wb") as f:
        f.write(os.urandom(100 * 1024 * 1024))
    img = import_image(root, "local-1", "big", str(src))
    p = LocalProvider(root, "local-1")
    times = []
    for i in range(runs):
        t0 = time.perf_counter()
        p.wait(Kind.COPY, p.start(Kind.COPY, {"source_image_id": img["id"], "source_region": "local-1",
                                        "region": f"bench-{i}"}, f"copy-{i}"), no_progress)
        times.append(time.perf_counter() - t0)
    return times


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="imgb-bench-") as d:
        root, ctx = Path(d) / "cloud", Path(d) / "ctx"
        (ctx / "files").mkdir(parents=True)
        (ctx / "files" / "index.html").write_text("<h1>bench</h1>\n")
        e2e, worker = bench_build(root, ctx, args.runs)
        print(f"five-step busybox build: median {statistics.median(e2e):.3f}s start→wait "
              f"(min {min(e2e):.3f}s), {statistics.median(worker):.3f}s inside the build worker")
        copies = bench_copy(root, args.runs)
        print(f"copy of a 100 MB image into a new region: median {statistics.median(copies) * 1000:.1f} ms "
              f"(min {min(copies) * 1000:.1f} ms)")


if __name__ == "__main__":
    main()
