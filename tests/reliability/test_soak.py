"""Soak: random configuration edits, planned and applied on the local provider with real builds.

Each cycle makes one to three random edits (components, templates, distributions, regions and
accounts added, removed or changed; commands changed; retention changed) or rolls back to an
earlier configuration, then plans and applies: mostly through the CLI in this process, every
fifth cycle through ``python -m imgb.reconciler.cli`` in a child process, and every other cycle
through a saved plan file. After each cycle:

* a ``--refresh-only`` plan finds no drift, and a normal plan finds no changes;
* the store holds exactly what state says (images per region with their content hash, shares,
  templates, components; nothing extra, nothing missing, no image built twice);
* no image was built whose content hash state already retained, and a rollback to a
  configuration whose image is still retained makes that image current again without a build.

Cycles: ``IMGB_SOAK_CYCLES`` (default 25; docs/reliability.md has the 200-cycle run), seed:
``IMGB_SOAK_SEED`` (printed on failure).
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from imgb.reconciler.cli import main
from imgb.state.local import LocalBackend
from imgb.state.manager import StateManager
from imgb.state.model import State
from tests.reliability.soak_world import World, edit, retained_counts, store_mismatches

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
CYCLES = int(os.environ.get("IMGB_SOAK_CYCLES", "25"))
SEED = int(os.environ.get("IMGB_SOAK_SEED", "20240917"))


def _needs_sandbox() -> str | None:
    from tests.local.conftest import SANDBOX_REASON

    return SANDBOX_REASON


class Runner:
    def __init__(self, d: Path, capsys: pytest.CaptureFixture[str]):
        self.d = d
        self.capsys = capsys

    def imgb(self, *args: str, subprocess_cli: bool = False) -> tuple[int, str, str]:
        if subprocess_cli:
            r = subprocess.run([sys.executable, "-m", "imgb.reconciler.cli", "-C", str(self.d), *args], cwd=ROOT,
                               capture_output=True, text=True, timeout=600)
            return r.returncode, r.stdout, r.stderr
        code = main(["-C", str(self.d), *args])
        out, err = self.capsys.readouterr()
        return code, out, err

    def state(self) -> State:
        return StateManager(LocalBackend(self.d / "imgb.state.json")).load()


def _images(state: State) -> dict[tuple[str, str], str]:
    """(template, image hash) -> image id of every ok built image in state."""
    return {(r.template, r.image_hash): r.id for r in state.resources
            if r.kind == "image" and r.template and r.image_hash and r.status == "ok"}


def test_soak_random_edits_converge_and_store_matches_state(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    reason = _needs_sandbox()
    if reason:
        pytest.skip(f"no build sandbox here: {reason}")
    d = tmp_path / "soak"
    d.mkdir()
    run = Runner(d, capsys)
    rng = random.Random(SEED)
    world = World()
    history: list[tuple[World, dict[str, str]]] = []
    stats: Counter[str] = Counter()
    started = time.monotonic()
    for cycle in range(CYCLES):
        edits: list[str] = []
        try:
            rollback = None
            if history and rng.random() < 0.15:
                # Mostly a recent configuration (its images are likely still retained), sometimes any.
                recent = rng.random() < 0.7
                rollback = len(history) - rng.randint(2, min(4, len(history))) if recent and len(history) > 1 else rng.randrange(len(history))
                world = history[rollback][0]
                edits.append(f"rollback to cycle {rollback}")
            else:
                for _ in range(rng.randint(1, 3)):
                    world, what = edit(world, rng)
                    edits.append(what)
            world.write(d)
            _cycle(run, cycle, world, history[rollback][1] if rollback is not None else None, stats)
            history.append((world, dict(run.state().current)))
            stats["edits"] += len(edits)
        except AssertionError as e:
            raise AssertionError(
                f"soak failed at cycle {cycle} (IMGB_SOAK_SEED={SEED}, IMGB_SOAK_CYCLES={CYCLES}); edits: {edits}\n"
                f"configuration:\n{world.render()}\n{e}"
            ) from None
    seconds = time.monotonic() - started
    print(f"\nsoak: seed {SEED}, {CYCLES} cycles in {seconds:.1f}s; {dict(sorted(stats.items()))}")
    assert stats["builds"] > 0 and stats["applies"] == CYCLES


def _cycle(run: Runner, cycle: int, world: World, rolled_back_to: dict[str, str] | None, stats: Counter[str]) -> None:
    before = run.state()
    retained = _images(before)
    via_subprocess = cycle % 5 == 4
    code, out, err = run.imgb("plan", "--format", "json")
    assert code == 0, err
    plan = json.loads(out)
    for c in plan["resource_changes"]:
        if c["kind"] == "image" and c["action"] in ("create", "replace"):
            assert (c["template"], c["image_hash"]) not in retained, (
                f"{c['address']} is rebuilt though state retains an image with hash {c['image_hash']}")
            stats["builds"] += 1
        if c["action"] == "reuse":
            stats["reuses"] += 1
    expect_reuse: dict[str, tuple[str, str]] = {}
    if rolled_back_to is not None:
        for t, h in rolled_back_to.items():
            if t in plan["current_after"] and (t, h) in retained:
                assert plan["current_after"][t] == h, f"rollback of {t} should make {h[:12]} current again"
                expect_reuse[t] = (h, retained[(t, h)])
    if cycle % 2:
        code, out, err = run.imgb("apply", "--auto-approve", subprocess_cli=via_subprocess)
    else:
        planfile = str(run.d / "cycle.imgbplan")
        code, out, err = run.imgb("plan", "--out", planfile, subprocess_cli=via_subprocess)
        assert code == 0, err
        code, out, err = run.imgb("apply", planfile, subprocess_cli=via_subprocess)
    assert code == 0, out[-3000:] + err
    assert "Traceback" not in out + err
    stats["applies"] += 1
    stats["cli-subprocess"] += via_subprocess

    after = run.state()
    for t, (h, image_id) in expect_reuse.items():
        assert after.current.get(t) == h, f"{t} is not back on {h[:12]}"
        assert _images(after).get((t, h)) == image_id, f"{t}: the retained image {image_id} was not reused"
        stats["rollback-reuses"] += 1
    code, out, err = run.imgb("plan", "--refresh-only", "--detailed-exitcode")
    assert code == 0, f"refresh-only plan found drift after apply:\n{out}{err}"
    code, out, err = run.imgb("plan", "--detailed-exitcode")
    assert code == 0, f"a plan right after apply still has changes:\n{out}{err}"
    problems = store_mismatches(run.d / ".imgb" / "cloud", after)
    assert not problems, "\n".join(problems)
    counts = retained_counts(after)
    for t, n in counts.items():
        name = t.split(".", 1)[1]
        assert name in world.templates, f"{t} was removed from the configuration but state keeps {n} image(s)"
        assert n <= max(1, world.templates[name].retain), f"{t} keeps {n} images, retain is {world.templates[name].retain}"
