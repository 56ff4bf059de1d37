"""Help written for people, and documentation that agrees with it: every command's ``--help``
describes every option and argument, shows no Python type, and ``imgb --help`` gives whole
summaries; every command of the CLI is in the README's command list and in docs/language.md, and
every ``imgb ...`` example there names a real command with options it really has."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from imgb.reconciler.cli import app, main
from imgb.reconciler.cli_style import command, flag_table, summary, walk

ROOT = Path(__file__).resolve().parents[2]
GROUP = command(app)
TABLE = flag_table(GROUP)
COMMANDS = [(path, cmd) for path, cmd in walk(GROUP) if path]
LEAVES = sorted(" ".join(path) for path, cmd in COMMANDS if not getattr(cmd, "commands", None))
PYTHON_TYPES = re.compile(r"<[a-z]+(\[[^\]]*\])?( range)?>|\blist\[|\bint range\b|\bx[<>]=|\bNoneType\b")


def help_of(path: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("COLUMNS", "80")
    assert main([*path, "--help"]) == 0
    return capsys.readouterr().out


@pytest.mark.parametrize("path", [p for p, _ in COMMANDS], ids=[" ".join(p) for p, _ in COMMANDS])
def test_every_option_and_argument_is_described_without_python_types(
    path: tuple[str, ...], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    cmd = dict(COMMANDS)[path]
    text = help_of(list(path), capsys, monkeypatch)
    assert not PYTHON_TYPES.search(text), f"imgb {' '.join(path)} --help shows a Python type:\n{text}"
    assert cmd.help, f"imgb {' '.join(path)} has no description"
    undescribed = [p.opts[-1] if p.param_type_name == "option" else p.name for p in cmd.params if not (p.help or "").strip()]
    assert not undescribed, f"imgb {' '.join(path)}: no description for {undescribed}"
    for p in cmd.params:  # and the description is what --help prints
        first_words = " ".join((p.help or "").split()[:3])
        assert first_words in " ".join(text.split()), (path, p.name)


def test_the_list_of_commands_gives_whole_summaries(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    for path, cmd in [((), GROUP), *((p, c) for p, c in COMMANDS if getattr(c, "commands", None))]:
        text = " ".join(help_of(list(path), capsys, monkeypatch).split())
        for name, sub in cmd.commands.items():
            line = summary(sub.help or "")
            assert line and f"{name} {line}" in text, f"imgb {' '.join(path)} --help: the summary of {name} is not whole"
            assert not line.endswith("..."), name


# -- the README and docs/language.md against the CLI ----------------------------------------------
def _section(text: str, heading: str) -> str:
    start = text.index(heading)
    end = text.find("\n## ", start + len(heading))
    return text[start : end if end != -1 else len(text)]


README = _section((ROOT / "README.md").read_text(encoding="utf-8"), "## Commands")
LANGUAGE = _section((ROOT / "docs" / "language.md").read_text(encoding="utf-8"), "## Command line")
_SPAN = re.compile(r"`(imgb (?!v\d)[^`]+)`", re.S)  # not `imgb v0.1.0`, which is output
_FLAG = re.compile(r"(?<![\w.-])--?([a-z][a-z0-9-]*)")


def commands_named(span: str) -> tuple[list[str], str]:
    """The commands an ``imgb ...`` span names (``imgb state list|show`` names two) and the rest."""
    words = span.split()[1:]
    paths = [""]
    i = 0
    while i < len(words):
        alternatives = words[i].split("|")
        subcommands = TABLE.get(paths[0], ({}, ()))[1]
        if not all(a in subcommands for a in alternatives):
            break
        paths = [f"{paths[0]} {a}".strip() for a in alternatives]
        i += 1
    return paths, " ".join(words[i:])


def _check_spans(text: str, where: str) -> list[str]:
    named: list[str] = []
    for m in _SPAN.finditer(text):
        paths, rest = commands_named(m.group(1))
        assert paths != [""] or not rest.split()[0:1] or rest.startswith(("-", "[")), (
            f"{where}: `{m.group(1)}` names no imgb command"
        )
        for path in paths:
            options = {**TABLE[""][0], **TABLE[path][0]}
            unknown = [f for f in _FLAG.findall(rest) if not {f, f"-{f}", f.removeprefix("no-")} & options.keys()]
            assert not unknown, f"{where}: `{m.group(1)}`: imgb {path} has no option {unknown}"
        named += paths
    return named


def test_the_readme_lists_every_command_with_options_it_has() -> None:
    named = set(_check_spans(README, "README.md"))
    missing = [c for c in LEAVES if c not in named]
    assert not missing, f"README.md's command list lacks {missing}"


def test_docs_language_names_real_commands_and_options() -> None:
    named = set(_check_spans(LANGUAGE, "docs/language.md"))
    missing = [c for c in LEAVES if c not in named]
    assert not missing, f"docs/language.md's command line section lacks {missing}"


def test_exit_codes_agree() -> None:
    readme = {int(c) for c in re.findall(r"\b(\d+) [a-z]", README.split("Exit codes:")[1].split("\n\n")[0])}
    table = _section(LANGUAGE, "### Exit codes")
    docs = {int(c) for c in re.findall(r"^\| (\d+) \|", table, re.M)}
    assert readme == docs == {0, 1, 2, 3, 130}


def test_help_spans_are_checked() -> None:
    """The span reader above really reads: a made-up option and command are caught."""
    with pytest.raises(AssertionError, match="has no option"):
        _check_spans("`imgb plan [--frobnicate]`", "x")
    with pytest.raises(AssertionError, match="names no imgb command"):
        _check_spans("`imgb frobnicate now`", "x")
    assert _check_spans("`imgb state list|rm`", "x") == ["state list", "state rm"]

