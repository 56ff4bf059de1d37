"""The PostgreSQL backend: states, journals and lock holders in tables of one schema.

* ``states``: one row per workspace (data as text, so the bytes read are the bytes written;
  serial, lineage, updated_at). ``write`` is one transaction with a compare-and-swap on the
  serial (``UPDATE ... WHERE serial = expected``), so a lost update is impossible even without
  the lock; the journal is cleared in the same transaction.
* ``journal``: entries per workspace, ordered by a sequence.
* ``locks``: who holds each workspace's lock, for display.

The lock itself is a session-level advisory lock keyed per state (a hash of schema and
workspace): PostgreSQL frees it when the holder's connection ends, so a killed process never
leaves a lock behind, and unrelated states never block each other (Terraform's pg backend used
one global key for workspace creation and did, hashicorp/terraform#33217).

The connection string comes from the argument or ``IMGB_PG_CONN_STR``; libpq reads its own
environment (PGHOST, PGPASSWORD, PGSSLMODE, ...). It never appears in errors: messages name the
server as host:port/dbname and mask any password.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from imgb.state.backend import DEFAULT_WORKSPACE, BackendError, LockError, LockInfo, SerialConflict
from imgb.state.names import check_workspace_name

if TYPE_CHECKING:
    import psycopg

T = TypeVar("T")

CONN_STR_ENV = "IMGB_PG_CONN_STR"
_SCHEMA_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
_URL_USERINFO_RE = re.compile(r"(postgres(?:ql)?://)[^@/\s]*@")
_PASSWORD_KV_RE = re.compile(r"(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)", re.IGNORECASE)


def advisory_key(schema: str, workspace: str) -> int:
    """A signed 64-bit advisory-lock key for one state: never shared between schemas or workspaces."""
    digest = hashlib.sha256(f"imgb\0{schema}\0{workspace}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def mask_secrets(text: str, conn_str: str = "") -> str:
    """``text`` with the connection string and any password in it replaced by ****."""
    if conn_str:
        text = text.replace(conn_str, "****")
        try:
            from psycopg.conninfo import conninfo_to_dict

            password = conninfo_to_dict(conn_str).get("password")
        except Exception:
            password = None
        if password:
            text = text.replace(str(password), "****")
    text = _URL_USERINFO_RE.sub(r"\1****@", text)
    return _PASSWORD_KV_RE.sub(r"\1****", text)


class PostgresBackend:
    """State in PostgreSQL; see the module docstring."""

    def __init__(self, conn_str: str | None = None, schema_name: str = "imgb", *, connect_timeout: int = 10):
        try:
            import psycopg  # noqa: F401
        except ImportError as e:
            raise BackendError(
                'the "pg" backend needs the psycopg package: install imgb with the pg extra '
                "(pip install 'imgb[pg]')."
            ) from e
        if not _SCHEMA_RE.match(schema_name):
            raise BackendError(
                f'"{schema_name}" is not a valid schema_name: use letters, digits and "_", starting with a '
                'letter or "_", at most 63 characters.'
            )
        resolved = conn_str if conn_str is not None else os.environ.get(CONN_STR_ENV)
        if resolved is None:
            if not any(os.environ.get(v) for v in ("PGHOST", "PGSERVICE", "PGDATABASE")):
                raise BackendError(
                    f'the "pg" backend has no connection string: set conn_str in the backend block or the '
                    f"environment variable {CONN_STR_ENV} (or the libpq variables PGHOST, PGDATABASE, ...)."
                )
            resolved = ""  # libpq takes everything from its environment
        self._conn_str = resolved
        self.schema = schema_name
        self._connect_timeout = connect_timeout
        self._mutex = threading.RLock()
        self._conn: psycopg.Connection[Any] | None = None
        self._schema_ready = False
        self._held: dict[str, LockInfo] = {}

    # -- naming and errors ---------------------------------------------------------------------
    @property
    def target(self) -> str:
        """host:port/dbname, for messages: never the password or the whole connection string."""
        try:
            from psycopg.conninfo import conninfo_to_dict

            params = conninfo_to_dict(self._conn_str)
        except Exception:
            params = {}
        host = str(params.get("host") or os.environ.get("PGHOST") or "localhost")
        port = str(params.get("port") or os.environ.get("PGPORT") or "5432")
        db = str(params.get("dbname") or os.environ.get("PGDATABASE") or "")
        return mask_secrets(f"{host}:{port}/{db}", self._conn_str)

    def describe(self, workspace: str = DEFAULT_WORKSPACE) -> str:
        return f'PostgreSQL {self.target} schema "{self.schema}" workspace "{workspace}"'

    def recovery_hint(self, workspace: str = DEFAULT_WORKSPACE) -> str:
        return (
            f'Inspect the row of workspace "{workspace}" in {self.schema}.states (and its entries in '
            f"{self.schema}.journal); push a good copy with `imgb state push --force` if you have one, then "
            "run `imgb refresh`."
        )

    def _mask(self, e: BaseException) -> str:
        """The error's message on one line, secrets masked, ending with a full stop."""
        text = " ".join(mask_secrets(str(e), self._conn_str).split()) or type(e).__name__
        return text if text[-1] in ".?!" else text + "."

    # -- connection ----------------------------------------------------------------------------
    def _connect(self) -> psycopg.Connection[Any]:
        import psycopg

        try:
            conn = psycopg.connect(
                self._conn_str,
                autocommit=True,
                connect_timeout=self._connect_timeout,
                application_name="imgb",
            )
        except psycopg.Error as e:
            raise BackendError(
                f"cannot connect to PostgreSQL at {self.target}: {self._mask(e)} Check the backend's conn_str "
                f"(or {CONN_STR_ENV}), that the server is running and that this machine may connect."
            ) from None
        try:
            if not self._schema_ready:
                self._create_schema(conn)
                self._schema_ready = True
            self._retake_locks(conn)
        except BaseException:
            conn.close()
            raise
        return conn

    def _create_schema(self, conn: psycopg.Connection[Any]) -> None:
        s = self.schema
        with conn.transaction():
            # Serialise concurrent creators of this schema only (a per-schema key, not a global one).
            conn.execute("SELECT pg_advisory_xact_lock(%s)", [advisory_key(s, "\0schema")])
            conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{s}"')
            conn.execute(
                f'CREATE TABLE IF NOT EXISTS "{s}".states ('
                "workspace text PRIMARY KEY, serial bigint NOT NULL, lineage text NOT NULL DEFAULT '', "
                "data text NOT NULL, updated_at timestamptz NOT NULL DEFAULT now())"
            )
            conn.execute(
                f'CREATE TABLE IF NOT EXISTS "{s}".journal ('
                "workspace text NOT NULL, seq bigserial NOT NULL, entry text NOT NULL, "
                "created timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (workspace, seq))"
            )
            conn.execute(
                f'CREATE TABLE IF NOT EXISTS "{s}".locks ('
                "workspace text PRIMARY KEY, id text NOT NULL, who text NOT NULL, host text NOT NULL, "
                "pid integer NOT NULL, operation text NOT NULL, created text NOT NULL)"
            )

    def _retake_locks(self, conn: psycopg.Connection[Any]) -> None:
        """After a reconnect, take back the locks the lost session held, or say they are gone."""
        for ws, info in sorted(self._held.items()):
            row = conn.execute("SELECT pg_try_advisory_lock(%s)", [advisory_key(self.schema, ws)]).fetchone()
            if not row or not row[0]:
                del self._held[ws]
                raise BackendError(
                    f"the connection to PostgreSQL at {self.target} was lost and another process has taken the "
                    f'lock of workspace "{ws}" since. This run stops here; the state holds everything it recorded '
                    "before the connection was lost. Run the command again."
                )
            self._upsert_lock_row(conn, ws, info)

    def _run(self, doing: str, fn: Callable[[psycopg.Connection[Any]], T]) -> T:
        import psycopg

        with self._mutex:
            if self._conn is None or self._conn.closed:
                self._conn = self._connect()
            conn = self._conn
            try:
                return fn(conn)
            except psycopg.OperationalError as e:
                if conn.closed or conn.broken:
                    self._conn = None
                    raise BackendError(
                        f"lost the connection to PostgreSQL at {self.target} while {doing}: {self._mask(e)} "
                        "Each write is one transaction, so the stored state is either the one before or the "
                        "one after this step, never a mix; the next command reconnects. Run it again."
                    ) from None
                raise BackendError(
                    f"PostgreSQL at {self.target} failed while {doing}: {self._mask(e)}"
                ) from None
            except psycopg.Error as e:
                raise BackendError(
                    f"PostgreSQL at {self.target} failed while {doing}: {self._mask(e)}"
                ) from None

    def _t(self, table: str) -> str:
        return f'"{self.schema}".{table}'

    # -- snapshot ------------------------------------------------------------------------------
    def read(self, workspace: str = DEFAULT_WORKSPACE) -> bytes | None:
        check_workspace_name(workspace)

        def go(conn: psycopg.Connection[Any]) -> bytes | None:
            row = conn.execute(
                f"SELECT data FROM {self._t('states')} WHERE workspace = %s", [workspace]
            ).fetchone()
            return None if row is None else str(row[0]).encode("utf-8")

        return self._run(f'reading the state of workspace "{workspace}"', go)

    def write(
        self,
        data: bytes,
        *,
        serial: int,
        expected_serial: int | None,
        workspace: str = DEFAULT_WORKSPACE,
        clear_journal: bool = False,
    ) -> None:
        check_workspace_name(workspace)
        text = _utf8(data, "the state")
        lineage = _lineage(text)
        states = self._t("states")

        def go(conn: psycopg.Connection[Any]) -> None:
            with conn.transaction():
                if expected_serial is None:
                    conn.execute(
                        f"INSERT INTO {states} (workspace, serial, lineage, data) VALUES (%s, %s, %s, %s) "
                        "ON CONFLICT (workspace) DO UPDATE SET serial = EXCLUDED.serial, "
                        "lineage = EXCLUDED.lineage, data = EXCLUDED.data, updated_at = now()",
                        [workspace, serial, lineage, text],
                    )
                else:
                    cur = conn.execute(
                        f"UPDATE {states} SET serial = %s, lineage = %s, data = %s, updated_at = now() "
                        "WHERE workspace = %s AND serial = %s",
                        [serial, lineage, text, workspace, expected_serial],
                    )
                    if cur.rowcount == 0 and expected_serial == 0:
                        cur = conn.execute(
                            f"INSERT INTO {states} (workspace, serial, lineage, data) VALUES (%s, %s, %s, %s) "
                            "ON CONFLICT (workspace) DO NOTHING",
                            [workspace, serial, lineage, text],
                        )
                    if cur.rowcount == 0:
                        row = conn.execute(
                            f"SELECT serial FROM {states} WHERE workspace = %s", [workspace]
                        ).fetchone()
                        actual = row[0] if row else 0
                        raise SerialConflict(
                            f"{self.describe(workspace)} is at serial {actual}, not {expected_serial} as expected: "
                            "another process wrote it since it was read. Run the command again."
                        )
                if clear_journal:
                    conn.execute(f"DELETE FROM {self._t('journal')} WHERE workspace = %s", [workspace])

        self._run(f'writing the state of workspace "{workspace}"', go)

    # -- journal -------------------------------------------------------------------------------
    def append(self, entries: list[bytes], workspace: str = DEFAULT_WORKSPACE) -> None:
        check_workspace_name(workspace)
        if not entries:
            return
        texts = [_utf8(e, "a journal entry") for e in entries]

        def go(conn: psycopg.Connection[Any]) -> None:
            # One statement, one commit: the batch is durable together, in order.
            conn.execute(
                f"INSERT INTO {self._t('journal')} (workspace, entry) "
                "SELECT %s, e FROM unnest(%s::text[]) WITH ORDINALITY AS t(e, n) ORDER BY n",
                [workspace, texts],
            )

        self._run(f'appending to the journal of workspace "{workspace}"', go)

    def journal(self, workspace: str = DEFAULT_WORKSPACE) -> list[bytes]:
        check_workspace_name(workspace)

        def go(conn: psycopg.Connection[Any]) -> list[bytes]:
            rows = conn.execute(
                f"SELECT entry FROM {self._t('journal')} WHERE workspace = %s ORDER BY seq", [workspace]
            ).fetchall()
            return [str(r[0]).encode("utf-8") for r in rows]

        return self._run(f'reading the journal of workspace "{workspace}"', go)

    # -- locking -------------------------------------------------------------------------------
    def _upsert_lock_row(self, conn: psycopg.Connection[Any], workspace: str, info: LockInfo) -> None:
        conn.execute(
            f"INSERT INTO {self._t('locks')} (workspace, id, who, host, pid, operation, created) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT (workspace) DO UPDATE SET id = EXCLUDED.id, "
            "who = EXCLUDED.who, host = EXCLUDED.host, pid = EXCLUDED.pid, operation = EXCLUDED.operation, "
            "created = EXCLUDED.created",
            [workspace, info.id, info.who, info.host, info.pid, info.operation, info.created],
        )

    def _lock_message(self, holder: LockInfo | None, workspace: str) -> str:
        where = self.describe(workspace)
        if holder is None:
            return f"{where} is locked by another session"
        return (
            f"{where} is locked by {holder.who} (pid {holder.pid} on {holder.host}, operation "
            f"{holder.operation or 'unknown'}, since {holder.created}, lock ID {holder.id})"
        )

    def lock(self, info: LockInfo, *, timeout: float = 0.0, workspace: str = DEFAULT_WORKSPACE) -> None:
        check_workspace_name(workspace)
        key = advisory_key(self.schema, workspace)
        with self._mutex:
            if workspace in self._held:
                held = self._held[workspace]
                raise LockError(held, self._lock_message(held, workspace) + " (this process)")

            def go(conn: psycopg.Connection[Any]) -> bool:
                row = conn.execute("SELECT pg_try_advisory_lock(%s)", [key]).fetchone()
                if (not row or not row[0]) and timeout > 0:
                    # Wait in the server rather than polling: the lock passes to us the moment the
                    # holder lets go. lock_timeout bounds the wait.
                    from psycopg import errors

                    conn.execute(
                        "SELECT set_config('lock_timeout', %s, false)", [f"{max(int(timeout * 1000), 1)}ms"]
                    )
                    try:
                        conn.execute("SELECT pg_advisory_lock(%s)", [key])
                        row = (True,)
                    except errors.LockNotAvailable:
                        row = (False,)
                    finally:
                        conn.execute("SELECT set_config('lock_timeout', '0', false)")
                if not row or not row[0]:
                    return False
                try:
                    self._upsert_lock_row(conn, workspace, info)
                except BaseException:
                    conn.execute("SELECT pg_advisory_unlock(%s)", [key])
                    raise
                return True

            if self._run(f'locking workspace "{workspace}"', go):
                self._held[workspace] = info
                return
        holder = self.lock_holder(workspace)
        raise LockError(holder, self._lock_message(holder, workspace))

    def unlock(self, lock_id: str, workspace: str = DEFAULT_WORKSPACE) -> None:
        with self._mutex:
            held = self._held.get(workspace)
            if held is None or held.id != lock_id:
                raise LockError(
                    held,
                    f"cannot unlock {self.describe(workspace)}: this process does not hold lock {lock_id}",
                )
            del self._held[workspace]
            self._release(workspace, lock_id)

    def _release(self, workspace: str, lock_id: str) -> None:
        def go(conn: psycopg.Connection[Any]) -> None:
            conn.execute(
                f"DELETE FROM {self._t('locks')} WHERE workspace = %s AND id = %s", [workspace, lock_id]
            )
            conn.execute("SELECT pg_advisory_unlock(%s)", [advisory_key(self.schema, workspace)])

        # A lost connection has released the advisory lock already; nothing else to undo.
        if self._conn is not None and not self._conn.closed:
            self._run(f'unlocking workspace "{workspace}"', go)

    def _holder_pids(self, conn: psycopg.Connection[Any], workspace: str) -> list[int]:
        key = advisory_key(self.schema, workspace)
        rows = conn.execute(
            "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1 "
            "AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
            "AND classid = %s::bigint::oid AND objid = %s::bigint::oid",
            [(key >> 32) & 0xFFFFFFFF, key & 0xFFFFFFFF],
        ).fetchall()
        return sorted(int(r[0]) for r in rows)

    def lock_holder(self, workspace: str = DEFAULT_WORKSPACE) -> LockInfo | None:
        check_workspace_name(workspace)
        with self._mutex:
            if workspace in self._held:
                return self._held[workspace]

            def go(conn: psycopg.Connection[Any]) -> LockInfo | None:
                pids = self._holder_pids(conn, workspace)
                if not pids:
                    return None  # a row left by a killed holder is stale: its session is gone
                row = conn.execute(
                    f"SELECT id, who, host, pid, operation, created FROM {self._t('locks')} WHERE workspace = %s",
                    [workspace],
                ).fetchone()
                if row is None:
                    return LockInfo(
                        id="", operation="", who=f"PostgreSQL session {pids[0]}", host="", pid=0, created=""
                    )
                return LockInfo(
                    id=row[0], who=row[1], host=row[2], pid=row[3], operation=row[4], created=row[5]
                )

            return self._run(f'reading the lock of workspace "{workspace}"', go)

    def force_unlock(self, lock_id: str, workspace: str = DEFAULT_WORKSPACE) -> None:
        check_workspace_name(workspace)
        with self._mutex:
            holder = self.lock_holder(workspace)
            if holder is None:
                raise LockError(None, f"{self.describe(workspace)} is not locked")
            if holder.id != lock_id:
                raise LockError(
                    holder,
                    f"{self.describe(workspace)} is locked with ID {holder.id}, not {lock_id}; check the ID and "
                    "run force-unlock again",
                )
            if workspace in self._held:
                self.unlock(lock_id, workspace)
                return

            def go(conn: psycopg.Connection[Any]) -> list[int]:
                # The advisory lock belongs to the holder's session: ending that session frees it.
                pids = self._holder_pids(conn, workspace)
                refused = []
                for pid in pids:
                    row = conn.execute("SELECT pg_terminate_backend(%s)", [pid]).fetchone()
                    if not row or not row[0]:
                        refused.append(pid)
                conn.execute(
                    f"DELETE FROM {self._t('locks')} WHERE workspace = %s AND id = %s", [workspace, lock_id]
                )
                return refused

            try:
                refused = self._run(f'force-unlocking workspace "{workspace}"', go)
            except BackendError as e:
                raise BackendError(
                    f"{e} Ending another session needs the pg_signal_backend role or the holder's role; ask an "
                    "administrator to run SELECT pg_terminate_backend(pid) for the session holding the lock."
                ) from None
            if refused:
                raise BackendError(
                    f"could not end PostgreSQL session(s) {refused} holding the lock of {self.describe(workspace)}. "
                    "Ask an administrator to run SELECT pg_terminate_backend(pid) for them."
                )
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                if not self._run(
                    "waiting for the lock to be freed", lambda c: self._holder_pids(c, workspace)
                ):
                    return
                time.sleep(0.05)

    # -- workspaces ----------------------------------------------------------------------------
    def workspaces(self) -> list[str]:
        def go(conn: psycopg.Connection[Any]) -> list[str]:
            rows = conn.execute(f"SELECT workspace FROM {self._t('states')}").fetchall()
            return [str(r[0]) for r in rows]

        return sorted({DEFAULT_WORKSPACE, *self._run("listing workspaces", go)})

    def delete_workspace(self, workspace: str) -> None:
        check_workspace_name(workspace)
        if workspace == DEFAULT_WORKSPACE:
            raise BackendError('the "default" workspace cannot be deleted')

        def go(conn: psycopg.Connection[Any]) -> None:
            with conn.transaction():
                for table in ("states", "journal"):
                    conn.execute(f"DELETE FROM {self._t(table)} WHERE workspace = %s", [workspace])

        self._run(f'deleting workspace "{workspace}"', go)

    def close(self) -> None:
        with self._mutex:
            for ws, info in sorted(self._held.items()):
                try:
                    self.unlock(info.id, ws)
                except BackendError:
                    pass  # the connection is gone, and with it the locks
            self._held.clear()
            if self._conn is not None:
                self._conn.close()
                self._conn = None


def _utf8(data: bytes, what: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise BackendError(f"{what} is not UTF-8 text; this is a bug in imgb, please report it") from e


def _lineage(text: str) -> str:
    """The lineage of a state document, for the states table (queries and humans); '' when absent."""
    try:
        doc = json.loads(text)
    except ValueError:
        return ""
    lineage = doc.get("lineage") if isinstance(doc, dict) else None
    return lineage if isinstance(lineage, str) else ""
