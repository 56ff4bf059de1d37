"""The state layer's ids and times (``state/stamps.py``) are written exactly as the standard
library writes them (``uuid.uuid4()``, ``datetime.now(UTC).isoformat``), without importing it."""

from __future__ import annotations

import getpass
import re
import socket
import subprocess
import sys
import uuid
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from imgb.state import stamps
from imgb.state.backend import LockInfo, hostname
from imgb.state.model import State, timestamp


@given(st.binary(min_size=16, max_size=16))
def test_uuid4_is_uuids_version_4(raw: bytes) -> None:
    assert stamps.uuid4_of(raw) == str(uuid.UUID(bytes=raw, version=4))


def test_uuid4_is_random_and_parses_as_version_4() -> None:
    ids = {stamps.uuid4() for _ in range(100)}
    assert len(ids) == 100
    assert all(uuid.UUID(i).version == 4 and str(uuid.UUID(i)) == i for i in ids)
    assert uuid.UUID(State().lineage).version == 4


# Nanoseconds from 1970 to 9999 (datetime's range), including every millisecond and second edge.
_NS = st.integers(min_value=0, max_value=253402300799_999_999_999)


@given(_NS)
def test_times_are_datetimes_isoformat(ns: int) -> None:
    # datetime.now floors the clock to microseconds; isoformat truncates those to milliseconds
    at = datetime.fromtimestamp(ns // 1000 // 1_000_000, UTC).replace(microsecond=ns // 1000 % 1_000_000)
    assert stamps.utc_iso_of(ns, milliseconds=True) == at.isoformat(timespec="milliseconds")
    assert stamps.utc_iso_of(ns, milliseconds=False) == at.isoformat(timespec="seconds")


def test_now_is_now() -> None:
    before = datetime.now(UTC).isoformat(timespec="milliseconds")
    now = timestamp()
    after = datetime.now(UTC).isoformat(timespec="milliseconds")
    assert before <= now <= after
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", LockInfo().created)


def test_lock_holder_is_named_as_socket_and_getpass_name_it(monkeypatch: pytest.MonkeyPatch) -> None:
    assert hostname() == socket.gethostname()
    info = LockInfo()
    assert info.host == socket.gethostname()
    assert info.who == f"{getpass.getuser()}@{socket.gethostname()}"
    for name in ("LOGNAME", "USER", "LNAME", "USERNAME"):
        monkeypatch.delenv(name, raising=False)
    assert LockInfo().who == f"{getpass.getuser()}@{socket.gethostname()}"  # from the passwd entry
    monkeypatch.setenv("USERNAME", "someone")
    assert LockInfo().who == f"someone@{socket.gethostname()}"


def test_a_lock_and_a_new_state_import_neither_uuid_nor_datetime_nor_socket() -> None:
    code = ("import sys\nfrom imgb.state.backend import LockInfo\nfrom imgb.state.model import State\n"
            "LockInfo(); State()\nprint(sorted({'uuid', 'datetime', 'socket', 'getpass', 'platform'} & set(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
