"""A large parse-cache entry stored by a child process (``store_behind``): the same entry as an
in-line store, there once the command has returned, and only when a fork can pay.

Each case runs in a fresh interpreter: a fork belongs to a process of one thread, which a test
runner's process need not be."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.config.generate import generate

ROOT = Path(__file__).resolve().parents[2]

PROBE = r"""
import json, os, pickle, sys, threading
from imgb.reconciler.config import cache, store_behind

data = open(sys.argv[1], "rb").read()
if sys.argv[2] == "thread":
    stop = threading.Event()
    threading.Thread(target=stop.wait, daemon=True).start()
if sys.argv[2] == "one-cpu":
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
stores = []  # in this process; the child's own list is its copy
inline = cache.store
cache.store = lambda path, result: (stores.append(os.getpid()), inline(path, result))
parses = []
parse_text = cache.parse_text
cache.parse_text = lambda data, name: (parses.append(name), parse_text(data, name))[1]
store_behind.enable()
if sys.argv[2] == "slow-child":  # the child inherits this: its store ends well after this process would
    import time
    cache.store = lambda path, result: (time.sleep(0.5), inline(path, result))
    cache.parse_cached(data, "main.imgb.hcl")
    print(json.dumps({"children": len(store_behind._children), "path": str(cache.entry_path(data, "main.imgb.hcl"))}))
    sys.exit(0)  # the exit handler waits for the child
result = cache.parse_cached(data, "main.imgb.hcl")
children = list(store_behind._children)
store_behind._reap()
path = cache.entry_path(data, "main.imgb.hcl")
entry = pickle.loads(cache.unseal(path.read_bytes()))
parsed = len(parses)
again = cache.parse_cached(data, "main.imgb.hcl")
print(json.dumps({
    "children": len(children),
    "stored_here": stores.count(os.getpid()),
    "entry_is_the_parse": entry == result == parse_text(data, "main.imgb.hcl"),
    "private": oct(path.stat().st_mode & 0o777),
    "hit": again == result and len(parses) == parsed,
}))
if sys.argv[2] == "thread":
    stop.set()
"""


def probe(tmp_path: Path, blocks: int, mode: str = "") -> dict[str, object]:
    cfg = generate(tmp_path / f"cfg{blocks}", blocks, files=1)
    env = dict(os.environ, IMGB_CACHE_DIR=str(tmp_path / "cache"), XDG_CONFIG_HOME=str(tmp_path / "config"))
    out = subprocess.run(
        [sys.executable, "-c", PROBE, str(next(cfg.glob("*.imgb.hcl"))), mode],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=120, check=True,
    )
    return dict(json.loads(out.stdout))


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="a fork pays only with a second CPU")
def test_a_large_entry_is_stored_by_a_child_as_it_would_be_here(tmp_path: Path) -> None:
    got = probe(tmp_path, 200)
    assert got["children"] == 1 and got["stored_here"] == 0
    assert got["entry_is_the_parse"] and got["private"] == "0o600"
    assert got["hit"]  # the next parse takes the child's entry instead of parsing again


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="a fork pays only with a second CPU")
def test_the_process_ends_after_its_child_has_stored(tmp_path: Path) -> None:
    got = probe(tmp_path, 200, "slow-child")
    assert got["children"] == 1 and Path(str(got["path"])).is_file()


def test_a_stuck_child_is_not_waited_on_forever(tmp_path: Path) -> None:
    code = (
        "import os, signal, time; from imgb.reconciler.config import store_behind as s\n"
        "s.WAIT_SECONDS = 0.3\n"
        "pid = os.fork()\n"
        "if pid == 0:\n    time.sleep(30); os._exit(0)\n"
        "s._children.append(pid); t = time.monotonic(); s._reap(); waited = time.monotonic() - t\n"
        "os.kill(pid, signal.SIGKILL); os.waitpid(pid, 0)\n"
        "print(round(waited, 1), s._children == [pid])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.split() == ["0.3", "True"]


@pytest.mark.parametrize("blocks, mode", [(5, ""), (200, "thread"), (200, "one-cpu")])
def test_a_small_file_another_thread_or_one_cpu_store_here(tmp_path: Path, blocks: int, mode: str) -> None:
    got = probe(tmp_path, blocks, mode)
    assert got["children"] == 0 and got["stored_here"] == 1
    assert got["entry_is_the_parse"] and got["private"] == "0o600"


def test_the_entry_exists_when_imgb_validate_returns(tmp_path: Path) -> None:
    """Through the imgb script's own code: the command waits for the child, and the child writes
    nothing to the command's output."""
    cfg = generate(tmp_path / "cfg", 300, files=1)
    env = dict(os.environ, IMGB_CACHE_DIR=str(tmp_path / "cache"), XDG_CONFIG_HOME=str(tmp_path / "config"))
    script = "import sys; sys.argv = ['imgb', 'validate']; from imgb.reconciler.launch import entry; entry()"
    runs = []
    for _ in range(2):
        r = subprocess.run([sys.executable, "-c", script], env=env, cwd=cfg, capture_output=True, text=True, timeout=120)
        entries = sorted((tmp_path / "cache" / "parsed").glob("*.pickle"))
        runs.append((r.returncode, r.stdout, r.stderr, [(p.name, p.stat().st_mtime_ns) for p in entries]))
    assert runs[0] == runs[1]  # the second run took the first one's entry, unchanged
    code, stdout, stderr, entries = runs[0]
    assert (code, stdout, stderr) == (0, "Success! The configuration is valid.\n", "") and len(entries) == 1
