"""Storage faults, whole system: the disk fills up while state is written, the state file is
truncated, corrupted or deleted, its backup is missing (or both), the PostgreSQL connection drops
or the server restarts mid-apply. Each ends in a clear message (no traceback), the documented way
back (docs/state.md, "When the state is damaged") is followed, and then the next apply converges
with state exactly the cloud and nothing made twice: nothing was lost.

Trials: ``IMGB_RELIABILITY_TRIALS`` (default 3; the full run uses 100 where a test loops).
"""

from __future__ import annotations

import random
import shutil
import time
from pathlib import Path
from typing import Any

import pytest
from pgserver import pg_dsn, pg_schema  # noqa: F401  (fixtures)

from tests.reliability.crash_sites import TRACEBACK, Run, Site, report, trials
from tests.reliability.faults_storage import (
    DAMAGE,
    Terminator,
    can_mount_tmpfs,
    damage,
    fill,
    small_filesystem,
)

pytestmark = pytest.mark.slow


def _clean_stop(r: Run, *needles: str) -> None:
    """An error a person can act on: exit 1, no traceback, not an internal error, saying ``needles``."""
    assert r.code == 1, r.text()
    assert TRACEBACK not in r.out + r.err and "internal error" not in r.err, r.text()
    for needle in needles:
        assert needle in r.err, f"{needle!r} not in the message:\n{r.text()}"


def _quickstart(tmp_path: Path, **kw: Any) -> Site:
    site = Site.create(tmp_path / "qs", "quickstart", "local", **kw)
    site.converge()
    return site


# -- the disk fills up -------------------------------------------------------------------------------
def _disk_full_trials(site: Site, run_full: Any, free_space: Any, label: str) -> None:
    """Each trial changes the configuration and applies with the disk running out at some point;
    then the state still loads, space comes back, and the next apply converges losing nothing."""
    rng = random.Random(label)
    stopped = 0
    for i in range(trials(3)):
        what = site.mutate(rng)
        r = run_full(rng)
        if r.code != 0:
            _clean_stop(r, "disk is full")
            stopped += 1
        listing = site.cli("state", "list")
        assert listing.code == 0, listing.text()
        free_space()
        site.converge()
        site.check_true_to_cloud()
        report({"suite": "storage", "fault": label, "trial": i, "change": what, "stopped": r.code != 0, "lost": 0})
    assert stopped, "the disk never filled up during an apply: the test is not testing"


def test_disk_full_while_state_is_written_injected(tmp_path: Path) -> None:
    """ENOSPC raised inside the local backend's own write path from its Nth write on (any user)."""
    site = _quickstart(tmp_path)

    def run_full(rng: random.Random) -> Run:
        return site.apply(env={"IMGB_ENOSPC_AT": str(rng.randint(1, max(2, site.most_writes)))})

    _disk_full_trials(site, run_full, lambda: None, "disk full (injected ENOSPC)")


def test_disk_full_on_a_small_filesystem(tmp_path: Path) -> None:
    """The state on a real 1 MiB tmpfs, filled up to a random few KiB before each apply (root only)."""
    if not can_mount_tmpfs(tmp_path / "probe"):
        pytest.skip("needs root to mount a tmpfs; test_disk_full_while_state_is_written_injected covers the rest")
    with small_filesystem(tmp_path / "small", 1024) as small:
        site = _quickstart(tmp_path, state_path=small / "imgb.state.json")
        filler: list[Path] = []

        def run_full(rng: random.Random) -> Run:
            filler.append(fill(small, rng.randint(0, 3 * len(site.state_file.read_bytes()))))
            return site.apply()

        def free_space() -> None:
            while filler:
                filler.pop().unlink(missing_ok=True)

        _disk_full_trials(site, run_full, free_space, "disk full (tmpfs)")


# -- damaged state files -----------------------------------------------------------------------------
# Every damage after an apply and after a killed one in the full run; a mix of both in CI.
_DAMAGE_CASES = (
    [(how, journal) for how in sorted(DAMAGE) for journal in (False, True)]
    if trials(3) > 3
    else [("truncated", False), ("bit-flipped", False), ("deleted", True), ("garbage", True), ("wrong-field", True)]
)


@pytest.mark.parametrize(("how", "journal"), _DAMAGE_CASES, ids=[f"{h}-{'killed' if j else 'after'}-apply" for h, j in _DAMAGE_CASES])
def test_damaged_state_file_is_refused_and_the_backup_restores_all(tmp_path: Path, how: str, journal: bool) -> None:
    site = _quickstart(tmp_path)
    site.mutate(random.Random(how))
    site.converge()
    if journal:  # an apply killed part way: changes only in the journal since the last snapshot
        site.knobs.version += 1
        site.write_config()
        r = site.apply(env={"IMGB_CRASH_AT": "4"})
        assert r.killed, r.text()
    state_file = site.state_file
    damage(state_file, how)
    damaged = state_file.read_bytes() if state_file.exists() else None
    for args in (("plan",), ("apply", "--auto-approve"), ("state", "list")):
        _clean_stop(site.cli(*args), str(state_file), "cp ")
    assert (state_file.read_bytes() if state_file.exists() else None) == damaged, "imgb wrote over the damage"

    # The documented way back: keep the damaged file aside, copy the backup over it.
    if damaged is not None:
        state_file.rename(state_file.with_name("imgb.state.json.damaged"))
    shutil.copyfile(state_file.with_name("imgb.state.json.backup"), state_file)
    site.converge()
    site.check_true_to_cloud()
    report({"suite": "storage", "fault": f"state file {how}", "journal": journal, "lost": 0})


def test_missing_backup_is_written_again(tmp_path: Path) -> None:
    site = _quickstart(tmp_path)
    backup = site.state_file.with_name("imgb.state.json.backup")
    backup.unlink()
    assert site.cli("plan", "--detailed-exitcode").code == 0
    site.mutate(random.Random(1))
    site.converge()
    assert backup.read_bytes() == site.state_file.read_bytes()
    site.check_true_to_cloud()
    report({"suite": "storage", "fault": "backup missing", "lost": 0})


@pytest.mark.parametrize("how", ["truncated", "garbage", "deleted"])
def test_damaged_state_file_and_no_backup(tmp_path: Path, how: str) -> None:
    """Both copies gone: the message says there is no backup and how to bring the state back from a
    copy of one's own (here the output of an earlier `imgb state pull`)."""
    site = _quickstart(tmp_path)
    site.mutate(random.Random(how))
    site.converge()
    copy = site.cli("state", "pull")
    assert copy.code == 0
    (tmp_path / "pulled.json").write_text(copy.out)
    site.state_file.with_name("imgb.state.json.backup").unlink()
    damage(site.state_file, how)
    if how != "deleted":  # a deleted file with no backup is indistinguishable from a new state
        for args in (("plan",), ("apply", "--auto-approve")):
            _clean_stop(site.cli(*args), str(site.state_file), "no backup", "imgb state push")
        site.state_file.rename(site.state_file.with_name("imgb.state.json.damaged"))
    r = site.cli("state", "push", str(tmp_path / "pulled.json"))
    assert r.code == 0, r.text()
    site.converge()
    site.check_true_to_cloud()
    report({"suite": "storage", "fault": f"state file {how} and no backup", "lost": 0})


# -- PostgreSQL goes away --------------------------------------------------------------------------
def test_pg_connection_dropped_mid_apply(tmp_path: Path, pg_dsn: str, pg_schema: str) -> None:  # noqa: F811
    site = Site.create(tmp_path / "qs", "quickstart", "pg", pg_dsn=pg_dsn, pg_schema=pg_schema)
    site.converge()
    rng = random.Random(3)
    dropped = 0
    for i in range(trials(3)):
        what = site.mutate(rng)
        delay = rng.uniform(0.0, max(0.2, site.slowest - 0.5))
        with Terminator(pg_dsn, delay) as t:
            r = site.apply()
        if r.code != 0:
            _clean_stop(r, "PostgreSQL", "Run it again")
            dropped += 1
        assert site.cli("state", "list").code == 0
        site.converge()
        site.check_true_to_cloud()
        report({"suite": "storage", "fault": "pg connection dropped", "trial": i, "change": what,
                "terminated": t.terminated, "stopped": r.code != 0, "lost": 0})
    assert dropped, "no connection was dropped mid-apply: the test is not testing"


def test_pg_server_restarted_mid_apply(tmp_path: Path, pg_dsn: str, pg_schema: str) -> None:  # noqa: F811
    import pgserver

    server = pgserver.pg_server()
    if server is None or server.datadir is None or server.bindir is None or server.tmp is None:
        pytest.skip("the server comes from IMGB_PG_DSN: not ours to restart")
    site = Site.create(tmp_path / "qs", "quickstart", "pg", pg_dsn=pg_dsn, pg_schema=pg_schema)
    site.converge()
    rng = random.Random(4)
    for i in range(max(1, trials(3) // 3)):
        what = site.mutate(rng)
        delay = rng.uniform(0.6, 1.2)

        def restart(delay: float = delay) -> None:
            time.sleep(delay)
            # -l: the server must not keep pg_ctl's output pipe open (the same log as the first start).
            pgserver._run_pg([str(server.bindir / "pg_ctl"), "-D", str(server.datadir), "-l", str(server.tmp / "log"),
                              "-m", "fast", "-w", "restart"])

        r = site.apply(during=restart)
        if r.code != 0:
            _clean_stop(r, "PostgreSQL")
        assert site.cli("state", "list").code == 0
        site.converge()
        site.check_true_to_cloud()
        report({"suite": "storage", "fault": "pg server restarted", "trial": i, "change": what,
                "stopped": r.code != 0, "lost": 0})
