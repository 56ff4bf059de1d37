"""Workspaces, migration between backends, open_backend, and state errors as diagnostics."""

from __future__ import annotations

from pathlib import Path

import pytest
from state_builders import component

from imgb.reconciler.errors import explain_exception
from imgb.state.backend import Backend, BackendError, LockError, LockInfo
from imgb.state.local import LocalBackend
from imgb.state.manager import PushRefused, StateManager
from imgb.state.names import WorkspaceError
from imgb.state.open import open_backend
from imgb.state.postgres import PostgresBackend
from imgb.state.workspace import (
    create_workspace,
    delete_workspace,
    list_workspaces,
    migrate,
    select_workspace,
    selected_workspace,
)


def test_workspace_lifecycle_local(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("IMGB_WORKSPACE", raising=False)
    b = LocalBackend(tmp_path / "imgb.state.json")
    assert list_workspaces(b) == ["default"]
    assert selected_workspace(tmp_path) == "default"

    staging = create_workspace(b, "staging")
    create_workspace(b, "prod")
    assert list_workspaces(b) == ["default", "prod", "staging"]
    assert (tmp_path / "imgb.state.d" / "staging" / "imgb.state.json").exists()
    assert StateManager(b, "staging").load().lineage == staging.lineage
    with pytest.raises(WorkspaceError, match="already exists"):
        create_workspace(b, "staging")
    with pytest.raises(WorkspaceError, match="not a valid workspace name"):
        create_workspace(b, "no/slashes")

    select_workspace(tmp_path, b, "staging")
    assert (tmp_path / ".imgb" / "environment").read_text() == "staging\n"
    assert selected_workspace(tmp_path) == "staging"
    monkeypatch.setenv("IMGB_WORKSPACE", "prod")
    assert selected_workspace(tmp_path) == "prod"
    monkeypatch.delenv("IMGB_WORKSPACE")
    with pytest.raises(WorkspaceError, match='Did you mean "staging"'):
        select_workspace(tmp_path, b, "stagin")

    with StateManager(b, "prod").session("apply") as s:
        s.put(component(1))
    with pytest.raises(WorkspaceError, match="still manages 1 resource"):
        delete_workspace(b, "prod")
    with pytest.raises(WorkspaceError, match="selected"):
        delete_workspace(b, "staging", selected="staging")
    with pytest.raises(WorkspaceError, match="cannot be deleted"):
        delete_workspace(b, "default")
    delete_workspace(b, "prod", force=True)
    delete_workspace(b, "staging")
    assert list_workspaces(b) == ["default"]
    assert not (tmp_path / "imgb.state.d" / "prod").exists()


def test_delete_refuses_a_locked_workspace(tmp_path: Path) -> None:
    b = LocalBackend(tmp_path / "s.json")
    create_workspace(b, "dev")
    holder = LocalBackend(tmp_path / "s.json")
    holder.lock(LockInfo(operation="apply"), workspace="dev")
    with pytest.raises(LockError):
        delete_workspace(b, "dev")
    assert "dev" in list_workspaces(b)


@pytest.mark.pg
def test_workspace_lifecycle_pg(pg_dsn: str, pg_schema: str) -> None:
    b = PostgresBackend(pg_dsn, pg_schema)
    try:
        create_workspace(b, "blue")
        assert list_workspaces(b) == ["default", "blue"]  # "default" first, then by name
        delete_workspace(b, "blue")
        assert list_workspaces(b) == ["default"]
    finally:
        b.close()


def _fill(b: Backend, journaled: int) -> StateManager:
    mgr = StateManager(b)
    with mgr.session("apply") as s:
        s.put(component(1))
        s.put(component(2))
    s = mgr.session("apply")
    s.__enter__()
    for i in range(journaled):
        s.put(component(f"j{i}"))
    b.close()  # leave the journal pending, as a crash would
    return mgr


@pytest.mark.pg
def test_migrate_local_to_pg_and_back(tmp_path: Path, pg_dsn: str, pg_schema: str) -> None:
    local = LocalBackend(tmp_path / "s.json")
    _fill(local, journaled=2)
    before = StateManager(LocalBackend(tmp_path / "s.json")).load()
    pg = PostgresBackend(pg_dsn, pg_schema)
    try:
        copied = migrate(LocalBackend(tmp_path / "s.json"), pg)
        assert copied is not None
        moved = StateManager(pg).load()
        assert moved.lineage == before.lineage
        assert moved.serial == before.serial + 1  # the journal's changes make it newer than its snapshot
        assert sorted(r.address for r in moved.resources) == sorted(r.address for r in before.resources)
        assert pg.journal() == [] and pg.lock_holder() is None

        back = LocalBackend(tmp_path / "back.json")
        migrate(pg, back)
        again = StateManager(back).load()
        assert (again.lineage, again.serial) == (moved.lineage, moved.serial)  # no journal: serial kept

        # Refused: a different state already there, unless forced.
        other = LocalBackend(tmp_path / "other.json")
        with StateManager(other).session("apply") as s:
            s.put(component("x"))
        with pytest.raises(PushRefused, match="different state"):
            migrate(pg, other)
        migrate(pg, other, force=True)
        assert StateManager(other).load().lineage == moved.lineage
    finally:
        pg.close()


def test_migrate_of_an_empty_source_copies_nothing(tmp_path: Path) -> None:
    assert migrate(LocalBackend(tmp_path / "a.json"), LocalBackend(tmp_path / "b.json")) is None
    assert not (tmp_path / "b.json").exists()


def test_open_backend(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    b = open_backend("local", {}, tmp_path)
    assert isinstance(b, LocalBackend) and b.path == tmp_path / "imgb.state.json"
    b = open_backend("local", {"path": "states/web.json"}, tmp_path)
    assert isinstance(b, LocalBackend) and b.path == tmp_path / "states" / "web.json"
    # Outside the configuration directory only where the operator allows it.
    with pytest.raises(BackendError, match="IMGB_ALLOW_PATHS=/var/lib/imgb"):
        open_backend("local", {"path": "/var/lib/imgb/s.json"}, tmp_path)
    monkeypatch.setenv("IMGB_ALLOW_PATHS", "/srv:/var/lib/imgb")
    b = open_backend("local", {"path": "/var/lib/imgb/s.json"}, tmp_path)
    assert isinstance(b, LocalBackend) and b.path == Path("/var/lib/imgb/s.json")
    monkeypatch.setenv("IMGB_PG_CONN_STR", "host=127.0.0.1 port=1 dbname=x")
    pg = open_backend("pg", {"schema_name": "web"}, tmp_path)
    assert isinstance(pg, PostgresBackend) and pg.schema == "web" and pg.target == "127.0.0.1:1/x"


def test_errors_become_messages(tmp_path: Path) -> None:
    a, b = LocalBackend(tmp_path / "s.json"), LocalBackend(tmp_path / "s.json")
    info = LockInfo(operation="apply")
    a.lock(info)
    with pytest.raises(LockError) as e:
        b.lock(LockInfo())
    text = explain_exception(e.value) or ""
    assert text.startswith("Error: Error acquiring the state lock")
    assert f"ID:        {info.id}" in text and "Operation: apply" in text and "imgb force-unlock LOCK_ID" in text
    assert explain_exception(WorkspaceError('there is no workspace "x".')) == 'Error: there is no workspace "x".\n'
