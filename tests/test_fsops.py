"""imgb/fsops.py opens short symlink-free paths one component at a time (sparing ctypes); every
path must open what openat2 opens, under every rule, and fail as it fails."""

from __future__ import annotations

import errno
import itertools
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from imgb import fsops

NAMES = ["d", "f", "in", "out", "abs", "dangling", "loop", "..", ".", "missing", "fifo"]
FLAGS = [
    os.O_PATH,
    os.O_PATH | os.O_NOFOLLOW,
    os.O_RDONLY | os.O_NONBLOCK,  # never O_RDONLY alone: opening the fifo would wait for a writer
    os.O_RDONLY | os.O_DIRECTORY,
    os.O_WRONLY | os.O_CREAT,
    os.O_WRONLY | os.O_CREAT | os.O_EXCL,
]


def tree(top: Path) -> None:
    """Directories, files and every kind of link, the same under ``top`` and under ``top/d``."""
    for base in (top, top / "d"):
        base.mkdir(parents=True, exist_ok=True)
        (base / "f").write_text("file")
        (base / "in").symlink_to("f")
        (base / "out").symlink_to("../../..")
        (base / "abs").symlink_to("/etc")
        (base / "dangling").symlink_to("nowhere")
        (base / "loop").symlink_to("loop")
        os.mkfifo(base / "fifo")
    (top / "d" / "d").mkdir()
    (top / "d" / "d" / "f").write_text("deep")


def outcome(opener: Callable[[int, str, int], int], dirfd: int, path: str, flags: int) -> str:
    try:
        fd = opener(dirfd, path, flags)
    except OSError as e:
        return errno.errorcode.get(e.errno or 0, str(e.errno))
    try:
        return os.readlink(f"/proc/self/fd/{fd}")
    finally:
        os.close(fd)


@pytest.mark.parametrize("rule", ["open_beneath", "open_inside", "open_in_root"])
def test_short_paths_open_what_openat2_opens(tmp_path: Path, rule: str, monkeypatch: pytest.MonkeyPatch) -> None:
    fast, slow = tmp_path / "fast", tmp_path / "slow"
    tree(fast)
    tree(slow)
    function = getattr(fsops, rule)

    def opener(dirfd: int, path: str, flags: int) -> int:
        return int(function(dirfd, path, flags) if rule == "open_inside" else function(dirfd, path, flags, 0o600))

    paths = ["/".join(p) for n in (1, 2, 3) for p in itertools.product(NAMES, repeat=n)] + ["", "/f", "d//f/"]
    plain_used = 0
    for path, flags in itertools.product(paths, FLAGS):
        if flags & os.O_CREAT and not path.endswith("missing"):
            continue  # creating files elsewhere would make the two trees differ
        fastfd = os.open(fast, os.O_PATH | os.O_DIRECTORY)
        slowfd = os.open(slow, os.O_PATH | os.O_DIRECTORY)
        try:
            before = fsops._plain(fastfd, path, flags | os.O_PATH if not flags & os.O_CREAT else os.O_PATH, 0)
            if before is not None:
                plain_used += 1
                os.close(before)
            got = outcome(opener, fastfd, path, flags)
            with monkeypatch.context() as m:
                m.setattr(fsops, "_plain", lambda *a: None)  # openat2 alone
                want = outcome(opener, slowfd, path, flags)
        finally:
            os.close(fastfd)
            os.close(slowfd)
        assert got.replace(str(fast), "TOP") == want.replace(str(slow), "TOP"), (path, flags)
    assert plain_used > 30  # the fast path really ran (f, d, fifo, d/f, d/d, d/d/f... under each flag)


def test_reading_a_configuration_does_not_load_ctypes(tmp_path: Path) -> None:
    (tmp_path / "components").mkdir()
    (tmp_path / "components" / "x.txt").write_text("x")
    probe = (
        "import sys; from imgb import fsops\n"
        f"assert fsops.read_inside({str(tmp_path)!r}, 'components/x.txt') == b'x'\n"
        "print('ctypes' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
