"""Terraform's spellings of every option, for every command, from one table (reconciler/cli_argv.py):
``-name`` and ``--name``, ``=VALUE`` or a separate value, ``-flag=false``, global options after
the command. Checked three ways: a property over random command lines (the CLI's own parser reads
the one-dash spelling exactly as the declared one), differentially against ``terraform`` for the
options both have, and through the ``imgb`` script as a user types them."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from imgb.reconciler.cli import app
from imgb.reconciler.cli_argv import normalize
from imgb.reconciler.cli_style import command, flag_table

GROUP = command(app)
TABLE = flag_table(GROUP)
LEAVES = sorted(path for path, (_, subcommands) in TABLE.items() if path and not subcommands)
ROOT_OPTIONS = {k: v for k, v in TABLE[""][0].items() if k not in ("help", "version", "-C")}
ROOT = Path(__file__).resolve().parents[2]


def parse(args: list[str]) -> dict[str, dict[str, Any]]:
    """What the CLI's parser makes of ``args`` (normalized), without running any command: the
    values of every option of the root and of each command on the way to the leaf, or the usage
    error (an unknown option, a flag given a value) as ``{"error": message}``. A missing argument
    is not an error here: options are parsed before arguments are checked."""
    try:
        return _parse(args)
    except Exception as e:  # click's usage errors, recognised by shape as cli.py does
        if type(e).__name__ == "MissingParameter":
            return {"missing": {"param": getattr(getattr(e, "param", None), "name", None)}}
        if hasattr(e, "format_message"):
            return {"error": {"message": e.format_message()}}
        raise


def _parse(args: list[str]) -> dict[str, dict[str, Any]]:
    import typer.core

    args = normalize(args, TABLE)
    out: dict[str, dict[str, Any]] = {}
    ctx = GROUP.make_context("imgb", list(args), resilient_parsing=False)
    cmd: Any = GROUP
    path = ""
    rest = [*ctx._protected_args, *ctx.args]
    out[path] = dict(ctx.params)
    while isinstance(cmd, typer.core.TyperGroup) and rest:
        name, cmd, rest = cmd.resolve_command(ctx, rest)
        path = f"{path} {name}".strip()
        ctx = cmd.make_context(name, rest, parent=ctx)
        rest = [*getattr(ctx, "_protected_args", []), *ctx.args]
        out[path] = dict(ctx.params)
    return out


@st.composite
def command_lines(draw: st.DrawFn) -> tuple[list[str], list[str]]:
    """(the declared spelling, a Terraform spelling) of one random command line."""
    path = draw(st.sampled_from(LEAVES))
    options = {k: v for k, v in TABLE[path][0].items() if k != "help" and not k.startswith("-")}
    declared: list[str] = []
    typed: list[str] = []
    chosen = draw(st.lists(st.sampled_from(sorted(options)), max_size=4, unique=True)) if options else []
    after: list[tuple[list[str], list[str]]] = []
    for name in chosen:
        kind = options[name]
        dashes = draw(st.sampled_from(["-", "--"]))
        if kind == "value":
            value = "3" if name == "parallelism" else draw(st.sampled_from(["x", "a=b", "image.web", "30s"]))
            declared.append(f"--{name}={value}")
            typed += draw(st.sampled_from([[f"{dashes}{name}={value}"], [f"{dashes}{name}", value]]))
        elif draw(st.booleans()):
            declared.append(f"--{name}")
            typed.append(draw(st.sampled_from([f"{dashes}{name}", f"{dashes}{name}=true", f"{dashes}{name}=1"])))
        else:  # false: the opposite spelling of a pair (-refresh=false), or a plain flag's default
            declared += [f"--{kind.partition(':')[2]}"] if ":" in kind else []
            typed.append(f"{dashes}{name}={draw(st.sampled_from(['false', 'f', '0', 'FALSE']))}")
    if draw(st.booleans()):  # a global option after the command
        name = draw(st.sampled_from(sorted(ROOT_OPTIONS)))
        value = ["/tmp"] if ROOT_OPTIONS[name] == "value" else []
        after.append(([f"--{name}", *value], [f"-{name}", *value]))
    words = path.split()
    root_declared = [w for d, _ in after for w in d]
    root_typed = [w for _, t in after for w in t]
    return [*root_declared, *words, *declared], [*words, *typed, *root_typed]


@settings(max_examples=300, deadline=None)
@given(command_lines())
def test_terraform_spellings_parse_as_the_declared_ones(lines: tuple[list[str], list[str]]) -> None:
    declared, typed = lines
    got = parse(typed)
    assert got == parse(declared), (typed, declared)
    assert "error" not in got, got


def test_every_long_option_of_every_command_takes_one_or_two_dashes() -> None:
    checked = 0
    for path, (options, _) in TABLE.items():
        for name, kind in options.items():
            if name.startswith("-") or name in ("help", "version"):
                continue
            words = path.split()
            arg = ["x"] if kind == "value" else []
            one = parse([*words, f"-{name}", *arg])
            two = parse([*words, f"--{name}", *arg])
            assert one == two, (path, name)
            checked += 1
    assert checked > 60


def test_unknown_options_are_reported_with_two_dashes_and_a_suggestion(capsys: pytest.CaptureFixture[str]) -> None:
    from imgb.reconciler.cli import main

    assert main(["plan", "-detailed-exit-code"]) == 1
    err = capsys.readouterr().err
    assert "No such option: --detailed-exit-code" in err and "--detailed-exitcode" in err
    assert main(["fmt", "-check=maybe"]) == 1
    assert "--check" in capsys.readouterr().err


def test_normalize_is_idempotent_and_stops_at_double_dash() -> None:
    line = ["-chdir=d", "plan", "-out", "p", "-refresh=false", "--", "-out", "x"]
    once = normalize(line, TABLE)
    assert once == ["--chdir=d", "plan", "--out", "p", "--no-refresh", "--", "-out", "x"]
    assert normalize(once, TABLE) == once


def test_the_values_of_options_are_never_rewritten() -> None:
    # -var's value starts with a dash; a positional that names a command is an argument
    assert normalize(["plan", "-var", "-x=1", "-target", "-refresh"], TABLE) == ["plan", "--var", "-x=1", "--target", "-refresh"]
    assert normalize(["state", "rm", "plan"], TABLE) == ["state", "rm", "plan"]
    assert normalize(["-C", "plan", "plan"], TABLE) == ["-C", "plan", "plan"]


# -- differential: the options imgb shares with terraform, in the spellings terraform accepts -------
TERRAFORM = shutil.which("terraform")
SHARED = {
    "plan": ["out=x", "target=a.b", "replace=a.b", "var=a=b", "var-file=f", "parallelism=3", "lock-timeout=3s",
             "destroy", "refresh-only", "refresh=false", "detailed-exitcode", "json", "no-color", "generate-config-out=g",
             "input=false", "lock=false"],
    "apply": ["auto-approve", "target=a.b", "replace=a.b", "var=a=b", "var-file=f", "parallelism=3", "lock-timeout=3s",
              "destroy", "refresh-only", "refresh=false", "no-color", "input=false", "lock=false"],
    "destroy": ["auto-approve", "var=a=b", "var-file=f", "parallelism=3", "lock-timeout=3s", "no-color", "input=false",
                "lock=false"],
    "refresh": ["var=a=b", "var-file=f", "lock-timeout=3s", "no-color", "input=false", "lock=false"],
    "validate": ["json", "no-color"],
    "fmt": ["check", "diff", "recursive", "list=false", "write=false", "no-color"],
    "output": ["json", "raw", "no-color"],
    "show": ["json", "no-color"],
    "import": ["var=a=b", "var-file=f", "lock-timeout=3s", "no-color", "input=false", "lock=false"],
    "workspace delete": ["force", "lock=false", "lock-timeout=3s"],
    "workspace select": ["or-create"],
    "state push": ["force", "lock=false", "lock-timeout=3s"],
    "state rm": ["lock=false", "lock-timeout=3s"],
    "state mv": ["lock=false", "lock-timeout=3s"],
}  # fmt: skip


def _terraform_rejects(words: list[str], flags: list[list[str]], tmp: Path) -> set[str]:
    """The flags terraform's parser refuses, among ``flags`` given together (it stops at the first
    it does not know and names it, so those are taken out one by one)."""
    env = {**os.environ, "TF_CLI_CONFIG_FILE": "/dev/null", "TF_IN_AUTOMATION": "1", "NO_COLOR": "1"}
    rejected: set[str] = set()
    while True:
        given = [w for f in flags if f[0] not in rejected for w in f]
        run = subprocess.run(["terraform", *words, *given], cwd=tmp, env=env, capture_output=True, text=True,
                             timeout=60, stdin=subprocess.DEVNULL)  # fmt: skip
        text = run.stdout + run.stderr
        if "flag provided but not defined: " not in text:
            return rejected
        name = re.search(r"flag provided but not defined: (-[a-z-]+)", text).group(1)  # type: ignore[union-attr]
        bad = [f[0] for f in flags if f[0].split("=")[0].lstrip("-") == name.lstrip("-") and f[0] not in rejected]
        assert bad, text
        rejected.add(bad[0])


def _spellings(option: str) -> list[list[list[str]]]:
    """-name[=v], --name[=v], and -name v for an option with a value (not a boolean)."""
    name, eq, value = option.partition("=")
    out = [[f"-{option}"]], [[f"--{option}"]]
    if eq and value not in ("true", "false"):
        return [*out, [[f"-{name}", value]]]
    return list(out)


@pytest.mark.skipif(TERRAFORM is None, reason="terraform 1.11 is part of the test environment (.ci/install)")
@pytest.mark.parametrize("words", sorted(SHARED), ids=sorted(SHARED))
def test_imgb_accepts_every_spelling_terraform_accepts(words: str, tmp_path: Path) -> None:
    """Terraform (Go's flag package) takes -name and --name, -name=value and -name value; for each
    option the same command has in both, imgb takes every spelling terraform takes."""
    (tmp_path / "f").write_text("")
    accepted = 0
    for style in range(3):
        flags = [_spellings(o)[style][0] for o in SHARED[words] if len(_spellings(o)) > style]
        rejected = _terraform_rejects(words.split(), flags, tmp_path)
        if style == 0:
            assert not rejected, f"terraform {words} has no {sorted(rejected)}: the table above is wrong"
        for flag in flags:
            if flag[0] in rejected:
                continue
            got = parse([*words.split(), *flag])
            assert "error" not in got, f"terraform {words} {' '.join(flag)} is accepted, imgb refuses it: {got}"
            accepted += 1
    assert accepted >= len(SHARED[words])


# -- through the imgb script, as a user types it -----------------------------------------------------
IMGB = str(Path(sys.executable).with_name("imgb"))


def imgb(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [IMGB, *args], cwd=cwd, capture_output=True, text=True, timeout=300,
        env={**os.environ, **(env or {})}, stdin=subprocess.DEVNULL,
    )  # fmt: skip


def test_version_in_every_spelling(tmp_path: Path) -> None:
    outs = {tuple(a): imgb(*a, cwd=tmp_path) for a in (["version"], ["-version"], ["--version"])}
    want = outs[("version",)]
    assert want.returncode == 0 and want.stdout.startswith("imgb v")
    for args in (("-version",), ("--version",)):
        assert (outs[args].stdout, outs[args].returncode) == (want.stdout, 0), args


def test_chdir_in_terraforms_spelling(tmp_path: Path) -> None:
    cfg = tmp_path / "cfg"
    cfg.mkdir()
    (cfg / "main.imgb.hcl").write_text('component "agent" {\n  content = "RUN true"\n}\n')
    for args in (["-chdir=cfg", "validate"], ["--chdir=cfg", "validate"], ["-C", "cfg", "validate"], ["validate", "-chdir=cfg"]):
        run = imgb(*args, cwd=tmp_path)
        assert run.returncode == 0 and "Success!" in run.stdout, (args, run.stderr)
    missing = imgb("-chdir=nosuch", "validate", cwd=tmp_path)
    assert missing.returncode == 1 and "nosuch" in missing.stderr


def test_no_color_anywhere_and_no_color_env(tmp_path: Path) -> None:
    (tmp_path / "main.imgb.hcl").write_text('component "agent" {\n  content = "RUN true"\n}\n')
    for args in (["-no-color", "validate"], ["validate", "-no-color"], ["validate", "--no-color"]):
        run = imgb(*args, cwd=tmp_path)
        assert run.returncode == 0 and "\x1b[" not in run.stdout + run.stderr, args
