"""A real PostgreSQL for tests: ``IMGB_PG_DSN`` when set, else a throwaway cluster on loopback.

The cluster is started once per test process (``pg_server()`` caches it) from the binaries in
``/usr/lib/postgresql/*/bin``, in a temporary directory with its unix socket there too, and is
stopped at exit. As root, the server runs as the ``postgres`` system user (PostgreSQL refuses
to run as root). Import the ``pg_dsn`` fixture into a test module or conftest to use it.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass
class PgServer:
    dsn: str
    datadir: Path | None = None
    bindir: Path | None = None
    tmp: Path | None = None

    def stop(self) -> None:
        if self.datadir is None or self.bindir is None or self.tmp is None:
            return
        with contextlib.suppress(Exception):
            _run_pg([str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-m", "immediate", "-w", "stop"])
        shutil.rmtree(self.tmp, ignore_errors=True)
        self.datadir = None


def pg_bindir() -> Path | None:
    """The newest installed server binaries, or None."""
    found = [p for p in Path("/usr/lib/postgresql").glob("*/bin") if (p / "initdb").exists()]
    found.sort(key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0)
    return found[-1] if found else None


def _run_pg(argv: list[str]) -> subprocess.CompletedProcess[str]:
    if os.geteuid() == 0:
        argv = ["runuser", "-u", "postgres", "--", *argv]
    return subprocess.run(argv, check=True, capture_output=True, text=True, timeout=120, cwd="/")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _reap_orphans(bindir: Path) -> None:
    """Stop clusters left by test processes that were killed before their atexit ran."""
    for owner_file in Path(tempfile.gettempdir()).glob("imgb-pg-*/owner.pid"):
        try:
            owner = int(owner_file.read_text())
            os.kill(owner, 0)
            continue  # its test process is still running
        except ProcessLookupError:
            pass
        except (OSError, ValueError):
            continue
        PgServer("", owner_file.parent / "data", bindir, owner_file.parent).stop()


def start_cluster() -> PgServer:
    bindir = pg_bindir()
    if bindir is None:
        raise RuntimeError("no PostgreSQL server binaries in /usr/lib/postgresql/*/bin")
    _reap_orphans(bindir)
    tmp = Path(tempfile.mkdtemp(prefix="imgb-pg-"))
    (tmp / "owner.pid").write_text(str(os.getpid()))
    datadir = tmp / "data"
    if os.geteuid() == 0:
        shutil.chown(tmp, "postgres", "postgres")
    os.chmod(tmp, 0o700)
    try:
        _run_pg(
            [
                str(bindir / "initdb"),
                "-D",
                str(datadir),
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
            ]
        )
        for _ in range(5):
            port = _free_port()
            opts = (
                f"-p {port} -k {tmp} -c listen_addresses=127.0.0.1 -c fsync=off "
                "-c synchronous_commit=off -c full_page_writes=off -c max_connections=60"
            )
            try:
                _run_pg(
                    [
                        str(bindir / "pg_ctl"),
                        "-D",
                        str(datadir),
                        "-o",
                        opts,
                        "-l",
                        str(tmp / "log"),
                        "-w",
                        "-t",
                        "60",
                        "start",
                    ]
                )
                break
            except subprocess.CalledProcessError:
                continue  # the port was taken between probing and starting: try another
        else:
            raise RuntimeError(f"PostgreSQL did not start; see {tmp / 'log'}")
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return PgServer(f"host=127.0.0.1 port={port} user=postgres dbname=postgres", datadir, bindir, tmp)


_server: PgServer | None = None


def pg_server() -> PgServer | None:
    """The session's server: from IMGB_PG_DSN, else a started cluster; None when neither is possible."""
    global _server
    if _server is None:
        env = os.environ.get("IMGB_PG_DSN")
        if env:
            _server = PgServer(env)
        elif pg_bindir() is not None:
            _server = start_cluster()
            atexit.register(_server.stop)
    return _server


@pytest.fixture(scope="session")
def pg_dsn() -> str:
    server = pg_server()
    if server is None:
        pytest.skip("no PostgreSQL: set IMGB_PG_DSN or install the postgresql package (.ci/install)")
    return server.dsn


@pytest.fixture
def pg_schema(pg_dsn: str) -> Iterator[str]:
    """A fresh schema name per test, dropped afterwards, so tests never see each other's states."""
    import psycopg

    name = "t_" + uuid.uuid4().hex[:12]
    yield name
    with contextlib.suppress(Exception), psycopg.connect(pg_dsn, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")
