"""resolve_context_path and copy_inputs on real directories with symlinks."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from imgb.commands.paths import ContextPathError, copy_inputs, resolve_context_path


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    ctx = tmp_path / "cfg"
    (ctx / "files" / "sub").mkdir(parents=True)
    (ctx / "files" / "a.conf").write_text("a\n")
    (ctx / "files" / "sub" / "b.txt").write_text("b\n")
    (tmp_path / "secret").write_text("outside\n")
    os.symlink("../secret", ctx / "escape")
    os.symlink("a.conf", ctx / "files" / "alias.conf")
    os.symlink("missing", ctx / "dangling")
    return ctx


def test_resolves_files_and_directories_inside(tree: Path) -> None:
    assert resolve_context_path(tree, "files/a.conf") == (tree / "files" / "a.conf").resolve()
    assert resolve_context_path(tree, "./files/../files/sub") == (tree / "files" / "sub").resolve()
    assert resolve_context_path(tree, "files/alias.conf") == (tree / "files" / "a.conf").resolve()


@pytest.mark.parametrize(
    ("src", "words"),
    [
        ("../secret", "leaves the configuration directory"),
        ("files/../../secret", "leaves the configuration directory"),
        ("/etc/passwd", "absolute path"),
        ("escape", "resolves outside"),
        ("nope.txt", "does not exist"),
        ("dangling", "does not exist"),
        ("", "empty"),
    ],
)
def test_rejects(tree: Path, src: str, words: str) -> None:
    with pytest.raises(ContextPathError, match=words):
        resolve_context_path(tree, src)


def test_copy_inputs_hash_every_file_sorted(tree: Path) -> None:
    got = copy_inputs(tree, ["files", "files/a.conf", "https://example.com/x.tgz"])
    sha = lambda b: hashlib.sha256(b).hexdigest()  # noqa: E731
    assert got == [
        ("files/a.conf", sha(b"a\n")),
        ("files/alias.conf", sha(b"symlink:a.conf")),
        ("files/sub/b.txt", sha(b"b\n")),
    ]


def test_copy_inputs_change_with_content(tree: Path) -> None:
    before = copy_inputs(tree, ["files"])
    (tree / "files" / "sub" / "b.txt").write_text("changed\n")
    assert copy_inputs(tree, ["files"]) != before


def test_copy_inputs_raise_for_bad_sources(tree: Path) -> None:
    with pytest.raises(ContextPathError):
        copy_inputs(tree, ["files", "escape"])
