"""The PostgreSQL backend against a real server: concurrent applies, killed holders, lost connections, secrets."""

from __future__ import annotations

import multiprocessing
import signal
import time
from collections.abc import Iterator
from multiprocessing import Queue

import psycopg
import pytest
from state_builders import component

from imgb.state.backend import BackendError, LockError, LockInfo, SerialConflict
from imgb.state.contract import doc
from imgb.state.manager import StateManager
from imgb.state.postgres import PostgresBackend, advisory_key, mask_secrets
from imgb.state.workspace import create_workspace

pytestmark = pytest.mark.pg


def _apply_child(n: int, dsn: str, schema: str, results: Queue) -> None:  # type: ignore[type-arg]
    """One apply in a forked process: session, a few puts, checkpoint; reports when it held the lock."""
    backend = PostgresBackend(dsn, schema)
    with StateManager(backend).session(f"apply-{n}", lock_timeout=120) as s:
        got = time.time()
        before = s.serial
        for i in range(3):
            s.put(
                component(f"p{n}_{i}").model_copy(update={"address": f"component.p{n}_{i}", "id": f"{n}-{i}"})
            )
        s.put(component("shared", seen=len(s.state.resources)).model_copy(update={"id": f"by-{n}"}))
        time.sleep(0.02)  # hold the lock a little, so overlaps would show
        s.checkpoint()
        after = s.serial
        released = time.time()
    backend.close()
    results.put({"n": n, "got": got, "released": released, "before": before, "after": after})


@pytest.fixture
def backends(pg_dsn: str, pg_schema: str) -> Iterator[list[PostgresBackend]]:
    opened: list[PostgresBackend] = []
    yield opened
    for b in opened:
        b.close()


def _open(opened: list[PostgresBackend], dsn: str, schema: str) -> PostgresBackend:
    b = PostgresBackend(dsn, schema)
    opened.append(b)
    return b


def _holder_session_pids(dsn: str, schema: str, workspace: str = "default") -> list[int]:
    key = advisory_key(schema, workspace)
    with psycopg.connect(dsn, autocommit=True) as admin:
        rows = admin.execute(
            "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1 "
            "AND classid = %s::bigint::oid AND objid = %s::bigint::oid",
            [(key >> 32) & 0xFFFFFFFF, key & 0xFFFFFFFF],
        ).fetchall()
    return [int(r[0]) for r in rows]


def _terminate(dsn: str, pids: list[int]) -> None:
    with psycopg.connect(dsn, autocommit=True) as admin:
        for pid in pids:
            admin.execute("SELECT pg_terminate_backend(%s, 5000)", [pid])


def test_ten_processes_apply_one_after_another(
    pg_dsn: str, pg_schema: str, backends: list[PostgresBackend]
) -> None:
    b = _open(backends, pg_dsn, pg_schema)
    create_workspace_default = StateManager(b)
    with create_workspace_default.session("init") as s:
        s.put(component("init"))  # creates the state at serial 1
    # Forked, so the ten start in milliseconds instead of re-importing everything.
    ctx = multiprocessing.get_context("fork")
    results = ctx.Queue()
    procs = [ctx.Process(target=_apply_child, args=(n, pg_dsn, pg_schema, results)) for n in range(10)]
    for p in procs:
        p.start()
    runs = [results.get(timeout=180) for _ in procs]
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    runs.sort(key=lambda r: r["got"])

    # One holder at a time: each took the lock after the previous released it.
    for prev, nxt in zip(runs, runs[1:], strict=False):
        assert nxt["got"] >= prev["released"]
    # Serial rose by exactly one per write, in lock order: 1 -> 2 -> ... -> 11.
    assert [(r["before"], r["after"]) for r in runs] == [(k + 1, k + 2) for k in range(10)]

    final = StateManager(b).load()
    assert final.serial == 11
    # Equal to applying them one after another: each saw all earlier processes' resources.
    expected_ids = {"component.cinit": "id-init", "component.cshared": f"by-{runs[-1]['n']}"}
    for r in runs:
        expected_ids.update({f"component.p{r['n']}_{i}": f"{r['n']}-{i}" for i in range(3)})
    assert {res.address: res.id for res in final.resources} == expected_ids
    shared = final.get("component.cshared")
    assert shared is not None and shared.attributes == {"seen": 1 + 3 * 10 + 1}
    assert b.journal() == []


def test_killed_holder_frees_the_lock_and_its_journal_survives(
    pg_dsn: str, pg_schema: str, backends: list[PostgresBackend]
) -> None:
    from imgb.state.contract import BackendTarget, Child

    target = BackendTarget({"type": "pg", "conn_str": pg_dsn, "schema_name": pg_schema})
    child = Child(target, "apply-and-hang", "default", "4")
    try:
        child.expect("applied")
        b = _open(backends, pg_dsn, pg_schema)
        with pytest.raises(LockError) as e:
            b.lock(LockInfo())
        assert e.value.holder is not None and e.value.holder.operation == "contract-apply"
        assert e.value.holder.pid == child.proc.pid
    finally:
        child.kill()
    with StateManager(b).session("next", lock_timeout=10) as s:  # no force-unlock needed
        assert len(s.state.resources) == 4


def test_lost_connection_during_apply_is_a_clear_error_and_reconnects(
    pg_dsn: str, pg_schema: str, backends: list[PostgresBackend]
) -> None:
    b = _open(backends, pg_dsn, pg_schema)
    mgr = StateManager(b)
    with pytest.raises(BackendError) as e, mgr.session("apply") as s:
        s.put(component(1))
        _terminate(pg_dsn, _holder_session_pids(pg_dsn, pg_schema))
        s.put(component(2))
    assert "lost the connection to PostgreSQL" in str(e.value)
    assert "Run it again" in str(e.value)
    # Leaving the session, the checkpoint reconnected, took the lock back and saved both puts.
    loaded = StateManager(_open(backends, pg_dsn, pg_schema)).load()
    assert sorted(r.address for r in loaded.resources) == ["component.c1", "component.c2"]
    assert b.lock_holder() is None
    b.read()  # the next call simply works


def test_lock_taken_by_another_while_disconnected_stops_the_run(
    pg_dsn: str, pg_schema: str, backends: list[PostgresBackend]
) -> None:
    b = _open(backends, pg_dsn, pg_schema)
    other = _open(backends, pg_dsn, pg_schema)
    b.write(doc(1), serial=1, expected_serial=0)
    info = LockInfo(operation="first")
    b.lock(info)
    _terminate(pg_dsn, _holder_session_pids(pg_dsn, pg_schema))
    theirs = LockInfo(operation="second")
    other.lock(theirs, timeout=5)
    with pytest.raises(BackendError, match="lost the connection"):
        b.append([b'{"op":"end","address":"x"}'])
    with pytest.raises(BackendError, match="another process has taken the lock"):
        b.append([b'{"op":"end","address":"x"}'])  # reconnects, cannot get its lock back: stops
    assert other.journal() == []  # nothing slipped in under someone else's lock
    assert other.lock_holder() == theirs


def test_compare_and_swap_without_the_lock(
    pg_dsn: str, pg_schema: str, backends: list[PostgresBackend]
) -> None:
    a, b = _open(backends, pg_dsn, pg_schema), _open(backends, pg_dsn, pg_schema)
    a.write(doc(1), serial=1, expected_serial=0)
    a.write(doc(2, by="a"), serial=2, expected_serial=1)
    with pytest.raises(SerialConflict, match="serial 2, not 1"):
        b.write(doc(2, by="b"), serial=2, expected_serial=1)
    assert b.read() == doc(2, by="a")
    with psycopg.connect(pg_dsn, autocommit=True) as admin:
        row = admin.execute(
            f"SELECT serial, lineage FROM {pg_schema}.states WHERE workspace = 'default'"
        ).fetchone()
    assert row == (2, "contract-lineage")


def test_unrelated_schemas_never_block_each_other(
    pg_dsn: str, pg_schema: str, backends: list[PostgresBackend]
) -> None:
    a = _open(backends, pg_dsn, pg_schema)
    b = _open(backends, pg_dsn, pg_schema + "_other")
    try:
        a.lock(LockInfo())
        b.lock(LockInfo())  # same workspace name, other schema: another key
        create_workspace(b, "staging")  # creating workspaces takes no global lock either
        assert advisory_key(pg_schema, "default") != advisory_key(pg_schema + "_other", "default")
        assert advisory_key(pg_schema, "default") != advisory_key(pg_schema, "staging")
    finally:
        b.close()
        with psycopg.connect(pg_dsn, autocommit=True) as admin:
            admin.execute(f"DROP SCHEMA IF EXISTS {pg_schema}_other CASCADE")


def test_connection_string_and_password_never_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    secret = "s3cr3t-Pa55"
    for conn_str in (
        f"postgresql://imgb:{secret}@127.0.0.1:1/imgb?connect_timeout=2",
        f"host=127.0.0.1 port=1 user=imgb password={secret} dbname=imgb connect_timeout=2",
    ):
        b = PostgresBackend(conn_str)
        with pytest.raises(BackendError) as e:
            b.read()
        text = str(e.value)
        assert secret not in text and conn_str not in text
        assert "127.0.0.1:1/imgb" in text
        assert e.value.__cause__ is None  # the driver's exception (and its details) is not chained
    assert secret not in mask_secrets(f"failed for postgres://u:{secret}@h/db and password='{secret}'")
    monkeypatch.delenv("IMGB_PG_CONN_STR", raising=False)
    for var in ("PGHOST", "PGSERVICE", "PGDATABASE"):
        monkeypatch.delenv(var, raising=False)
    with pytest.raises(BackendError, match="IMGB_PG_CONN_STR"):
        PostgresBackend(None)


def test_bad_schema_name_is_refused() -> None:
    with pytest.raises(BackendError, match="not a valid schema_name"):
        PostgresBackend("host=127.0.0.1", 'imgb"; DROP TABLE x; --')


def test_sigkill_of_whole_process_group_is_not_needed(pg_dsn: str, pg_schema: str) -> None:
    """A holder stopped with SIGSTOP keeps the lock (it is alive); SIGKILL frees it."""
    from imgb.state.contract import BackendTarget, Child

    target = BackendTarget({"type": "pg", "conn_str": pg_dsn, "schema_name": pg_schema})
    child = Child(target, "hold-lock")
    b = PostgresBackend(pg_dsn, pg_schema)
    try:
        child.expect("locked")
        child.proc.send_signal(signal.SIGSTOP)
        with pytest.raises(LockError):
            b.lock(LockInfo(), timeout=0.2)
    finally:
        child.kill()
    b.lock(LockInfo(), timeout=10)
    b.close()
