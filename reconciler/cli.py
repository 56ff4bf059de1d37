"""The imgb command line: flags in, a request to an operation (``reconciler/operations``), its result
rendered, an exit code out. Nothing here decides what imgb does.

Exit codes (Terraform's): 0 success or no changes, 1 error, 2 changes present (only with
--detailed-exitcode), 3 drift found by plan --refresh-only --detailed-exitcode. Anything a user can
fix prints as a diagnostic; an unexpected internal error prints one line and writes the traceback
to a debug log.
"""

from __future__ import annotations

import gc
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from imgb.fsops import ALLOW_NETWORK_ENV, ALLOW_PATHS_ENV
from imgb.reconciler import cli_authoring, cli_state
from imgb.reconciler import cli_io as io
from imgb.reconciler.cli_io import Exit
from imgb.reconciler.cli_options import AutoApproveOpt, InputOpt, LockOpt, LockTimeoutOpt, VarFileOpt, VarOpt
from imgb.reconciler.cli_plan import EXIT_DRIFT as EXIT_DRIFT  # the CLI's exit codes stay importable here
from imgb.reconciler.cli_plan import FORMATS, options, render, terminal

if TYPE_CHECKING:
    from imgb.reconciler.apply import ApplyResult
    from imgb.reconciler.planner import PlanOptions
    from imgb.reconciler.project import Project

app = typer.Typer(
    name="imgb",
    help="Declarative golden images: plan and apply components, templates and distribution.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
cli_state.add_groups(app)
cli_authoring.add_commands(app)

TargetOpt = Annotated[list[str] | None, typer.Option(
    "--target", help="Plan only this address (and its instances) and what it needs (repeatable).")]
ReplaceOpt = Annotated[list[str] | None, typer.Option(
    "--replace", help="Replace this object even if it did not change, e.g. image.web to rebuild (repeatable).")]
ParallelismOpt = Annotated[int, typer.Option(
    "--parallelism", min=1, help="How many actions (and provider reads) run at once; at least 1.")]
DestroyOpt = Annotated[bool, typer.Option("--destroy", help="Plan to delete everything imgb made.")]
RefreshOnlyOpt = Annotated[bool, typer.Option(
    "--refresh-only", help="Only check for objects changed outside imgb (drift); builds nothing.")]
RefreshOpt = Annotated[bool, typer.Option(
    "--refresh/--no-refresh", help="Read every object from its provider first (--refresh=false: do not).")]


@app.callback()
def _root(
    chdir: Annotated[str | None, typer.Option("-C", "--chdir", help="Work in DIR instead of the current directory.")] = None,
    allow_path: Annotated[list[str] | None, typer.Option(
        "--allow-path", help="Let the configuration keep its state or local store in DIR, outside its directory "
        "(the operator's decision, never the configuration's; also IMGB_ALLOW_PATHS).")] = None,
    allow_network: Annotated[bool, typer.Option(
        "--allow-network", help="Let local builds whose template asks for network access have it, in a network "
        "namespace of their own (also IMGB_ALLOW_NETWORK=1).")] = False,
    no_color: Annotated[bool, typer.Option(
        "--no-color", help="Print without colors (also NO_COLOR=1); before or after the command.")] = False,
    version: Annotated[bool, typer.Option(
        "--version", help="Print the imgb version and exit (as imgb version does).", is_eager=True,
        callback=lambda value: _version_flag(value))] = False,
) -> None:
    # Operator decisions travel in the environment, so the build workers see them too.
    if allow_path:
        old = os.environ.get(ALLOW_PATHS_ENV, "")
        os.environ[ALLOW_PATHS_ENV] = ":".join([*(p for p in old.split(":") if p), *map(os.path.abspath, allow_path)])
    if allow_network:
        os.environ[ALLOW_NETWORK_ENV] = "1"
    if no_color:
        os.environ["NO_COLOR"] = "1"  # https://no-color.org, which rich (the progress table) honours
    if chdir:
        p = Path(chdir)
        if not p.is_dir():
            io.fail(f"-C {chdir}: no such directory.")
        # Like terraform -chdir: every relative path on the command line (plan files, var files)
        # is then relative to DIR too. main() changes back when the command ends.
        io.DIR["path"] = p.resolve()
        os.chdir(p)


def _version_flag(value: bool) -> None:
    if value:
        version()
        raise Exit(0)


# -- version / validate / fmt --------------------------------------------------------------------------
@app.command()
def version() -> None:
    """Print the imgb version."""
    from imgb import __version__

    io.out(f"imgb v{__version__}\n")


@app.command()
def validate(
    json_: Annotated[bool, typer.Option("--json", help="Print diagnostics as JSON.")] = False,
    var: VarOpt = None,
    var_file: VarFileOpt = None,
) -> None:
    """Check the configuration: syntax, references, types, commands and documented limits."""
    from imgb.reconciler.cli_fast import validate_command

    code, stdout, stderr = validate_command(io.DIR["path"], json_, var or [], var_file or [])
    if stderr:
        io.err(stderr)
    if stdout:
        io.out(stdout)
    raise Exit(code)


@app.command()
def fmt(
    check: Annotated[bool, typer.Option("--check", help="Exit 1 when a file is not formatted; change nothing.")] = False,
    diff: Annotated[bool, typer.Option("--diff", help="Show what would change, as a unified diff.")] = False,
    recursive: Annotated[bool, typer.Option(
        "--recursive", help="Also format the files of subdirectories (hidden ones skipped).")] = False,
    list_: Annotated[bool, typer.Option(
        "--list/--no-list", help="Print the names of the files not in the canonical format (--list=false: do not).")] = True,
    write: Annotated[bool, typer.Option(
        "--write/--no-write", help="Rewrite those files (--write=false: change nothing; --check implies it).")] = True,
) -> None:
    """Rewrite *.imgb.hcl and *.imgbvars.hcl files in the canonical format."""
    from imgb.reconciler.fmt import format_diff, format_directory

    changed, diags = format_directory(io.DIR["path"], write=write and not check, recursive=recursive)
    for name, old, new in changed:
        if list_:
            io.out(name + "\n")
        if diff:
            io.out(format_diff(old, new, name))
    io.show_diags(diags)
    if diags.has_errors() or (check and changed):
        raise Exit(1)


# -- plan / apply ------------------------------------------------------------------------------------
@app.command()
def plan(
    out: Annotated[str | None, typer.Option("--out", help="Save the plan to FILE for imgb apply FILE.")] = None,
    json_: Annotated[bool, typer.Option("--json", help="Same as --format json.")] = False,
    format_: Annotated[str, typer.Option("--format", help="human, json or markdown.")] = "human",
    detailed_exitcode: Annotated[
        bool,
        typer.Option(
            "--detailed-exitcode",
            help="Exit 0 when there is nothing to do, 1 on errors, 2 when there are changes; "
            "with --refresh-only, 3 when objects changed outside imgb (drift).",
        ),
    ] = False,
    target: TargetOpt = None,
    replace: ReplaceOpt = None,
    destroy: DestroyOpt = False,
    refresh_only: RefreshOnlyOpt = False,
    refresh: RefreshOpt = True,
    detailed: Annotated[bool, typer.Option("--detailed", help="Show the cost of every build, copy and template.")] = False,
    var: VarOpt = None,
    var_file: VarFileOpt = None,
    parallelism: ParallelismOpt = 10,
    lock: LockOpt = True,
    lock_timeout: LockTimeoutOpt = "0s",
    input_: InputOpt = True,
    generate_config_out: Annotated[
        str | None,
        typer.Option("--generate-config-out", help="Write HCL for import blocks whose target is not declared to FILE (a new *.imgb.hcl)."),
    ] = None,
) -> None:
    """Show what apply would do: builds, copies, shares and deletes, with the reasons."""
    from imgb.reconciler.cli_plan import plan_command

    plan_command(
        out=out, json_=json_, format_=format_, detailed_exitcode=detailed_exitcode, target=target, replace=replace,
        destroy=destroy, refresh_only=refresh_only, refresh=refresh, detailed=detailed, var=var, var_file=var_file,
        parallelism=parallelism, lock=lock, lock_timeout=lock_timeout, generate_config_out=generate_config_out,
    )


@app.command()
def apply(
    planfile: Annotated[str | None, typer.Argument(help="A plan saved with imgb plan --out.")] = None,
    auto_approve: AutoApproveOpt = False,
    target: TargetOpt = None,
    replace: ReplaceOpt = None,
    destroy: DestroyOpt = False,
    refresh_only: RefreshOnlyOpt = False,
    refresh: RefreshOpt = True,
    var: VarOpt = None,
    var_file: VarFileOpt = None,
    parallelism: ParallelismOpt = 10,
    lock: LockOpt = True,
    lock_timeout: LockTimeoutOpt = "0s",
    input_: InputOpt = True,
) -> None:
    """Build, copy, share and delete so the images match the configuration."""
    plan_options = options(destroy=destroy, refresh=refresh, refresh_only=refresh_only, targets=target, replace=replace, parallelism=parallelism)
    _apply(planfile, auto_approve, plan_options, io.project(var, var_file, lock=lock, lock_timeout=lock_timeout))


def _apply(planfile: str | None, auto_approve: bool, options: PlanOptions, project: Project) -> None:
    from imgb.reconciler.operations.apply import ApplyRequest
    from imgb.reconciler.operations.apply import apply as apply_op
    from imgb.reconciler.views.terminal import NotConfirmed

    request = ApplyRequest(Path(planfile) if planfile else None, options)
    try:
        outcome = apply_op(project, request, terminal(auto_approve))
    except NotConfirmed as e:
        io.err("\n")
        io.fail(str(e))
    if outcome.cancelled:
        io.err("Apply cancelled.\n")
        raise Exit(1)
    if outcome.result is not None:
        _summarize(outcome.result, destroy=outcome.plan.mode == "destroy", adopted_seconds=outcome.adopted_seconds)
    elif outcome.adopted_seconds:
        io.out(f"\nFinished the operations an interrupted apply left in progress in {outcome.adopted_seconds:.1f}s.\n")


def _summarize(result: ApplyResult, destroy: bool = False, adopted_seconds: float = 0.0) -> None:
    if result.failed:
        io.err("\nApply failed:\n")
        for f in result.failed:
            rid = f" (request id {f.request_id})" if f.request_id else ""
            io.err(f"  - {f.address}: {f.code}: {f.message}{rid}\n")
        if result.skipped:
            io.err(f"  {len(result.skipped)} dependent action(s) skipped.\n")
        io.err("What completed is recorded in state; run imgb apply again to finish.\n")
        raise Exit(1)
    if result.interrupted:
        io.err("\nApply interrupted. Everything that finished is recorded in state; run imgb apply again to continue.\n")
        raise Exit(1)
    what = "Destroy" if destroy else "Apply"
    # the whole apply's time: what an interrupted apply left in flight was finished first
    adopted = f" ({adopted_seconds:.1f}s of it finishing what an interrupted apply left in progress)" if adopted_seconds else ""
    io.out(f"\n{what} complete! {len(result.done)} action(s) in {result.seconds + adopted_seconds:.1f}s{adopted}.\n")


@app.command()
def destroy(
    auto_approve: AutoApproveOpt = False,
    target: TargetOpt = None,
    var: VarOpt = None,
    var_file: VarFileOpt = None,
    parallelism: ParallelismOpt = 10,
    lock: LockOpt = True,
    lock_timeout: LockTimeoutOpt = "0s",
    input_: InputOpt = True,
) -> None:
    """Delete everything imgb made for this configuration."""
    project = io.project(var, var_file, lock=lock, lock_timeout=lock_timeout)
    _apply(None, auto_approve, options(destroy=True, targets=target, parallelism=parallelism), project)


@app.command()
def refresh(
    var: VarOpt = None,
    var_file: VarFileOpt = None,
    lock: LockOpt = True,
    lock_timeout: LockTimeoutOpt = "0s",
    input_: InputOpt = True,
) -> None:
    """Record in state what changed outside imgb (same as apply --refresh-only --auto-approve)."""
    _apply(None, True, options(refresh_only=True), io.project(var, var_file, lock=lock, lock_timeout=lock_timeout))


@app.command()
def show(
    planfile: Annotated[str | None, typer.Argument(help="A plan saved with imgb plan --out (default: show the state).")] = None,
    json_: Annotated[bool, typer.Option("--json", help="Print JSON (for a plan file, the same as --format json).")] = False,
    format_: Annotated[str, typer.Option("--format", help="For a plan file: human, json or markdown.")] = "human",
) -> None:
    """Show a saved plan, or the state."""
    from imgb.reconciler.project import read_plan_file
    from imgb.reconciler.views.state_text import render_state

    if planfile:
        if format_ not in FORMATS:
            io.fail(f'--format must be human, json or markdown, not "{format_}".')
        io.out(render(read_plan_file(Path(planfile)), "json" if json_ else format_))
        return
    state = io.project().state_manager().load()
    io.dump(state.normalized().model_dump(mode="json")) if json_ else io.out(render_state(state))


@app.command()
def graph(
    format_: Annotated[str, typer.Option("--format", help="dot or mermaid.")] = "dot",
    var: VarOpt = None,
    var_file: VarFileOpt = None,
) -> None:
    """Print the resource graph of the configuration."""
    from imgb.reconciler.graph import build_graph
    from imgb.reconciler.views.graph_text import render_dot, render_mermaid

    config, _ = io.project(var, var_file).load()
    g, diags = build_graph(config, {})
    io.show_diags(diags)
    if diags.has_errors():  # a cycle has no order to draw in
        raise Exit(1)
    io.out(render_mermaid(g) if format_ == "mermaid" else render_dot(g))


@app.command()
def output(
    name: Annotated[str | None, typer.Argument(help="Only this output (default: every output).")] = None,
    json_: Annotated[bool, typer.Option("--json", help="Print JSON, sensitive values included.")] = False,
    raw: Annotated[bool, typer.Option(
        "--raw", help="Print one output's string, number or bool as it is, without quotes or a newline (for "
        "scripts; sensitive values included).")] = False,
) -> None:
    """Show output values from the state."""
    from imgb.reconciler.console import format_value  # values as Terraform prints them
    from imgb.reconciler.project import dump_json

    if raw and json_:
        io.fail("--raw and --json cannot be used together: pick one.")
    if raw and name is None:
        io.fail("--raw prints one output value: give its name (imgb output -raw NAME).")
    outs = io.project().state_manager().load().outputs
    if name is not None:
        if name not in outs:
            io.fail(f'no output named "{name}" in the state. Outputs: {", ".join(sorted(outs)) or "none"}.')
        o = outs[name]
        if raw:
            io.out(_raw(name, o.value))
            return
        if json_:
            io.out(dump_json(o.value))
        else:
            io.out(("(sensitive)" if o.sensitive else format_value(o.value)) + "\n")
    elif json_:
        io.dump({k: {"value": v.value, "sensitive": v.sensitive} for k, v in sorted(outs.items())})
    else:
        for k, v in sorted(outs.items()):
            io.out(f"{k} = {'(sensitive)' if v.sensitive else format_value(v.value)}\n")


def _raw(name: str, value: Any) -> str:
    """``imgb output -raw``'s text of a value, as Terraform's: a string as it is, a number in its
    shortest form, a bool as true or false; anything else is refused."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)
    kind = "null" if value is None else "a list" if isinstance(value, list) else "a map or object"
    io.fail(
        f'--raw prints strings, numbers and bools; output "{name}" is {kind}. Use --json for values of other types.'
    )
    return ""


@app.command()
def console(var: VarOpt = None, var_file: VarFileOpt = None) -> None:
    """Evaluate expressions against the configuration and the state, like terraform console:
    interactive at a terminal; from a pipe, the last line's value (the first error exits 1)."""
    from imgb.reconciler.console import open_session, run
    from imgb.reconciler.outputs import known_values

    project = io.project(var, var_file)
    config, _ = project.load()
    known = known_values(config, project.state_manager().load())
    session, diags = open_session(
        io.DIR["path"], var_args=var or (), var_files=var_file or (), env=os.environ, known=known
    )
    if session is None:
        io.show_diags(diags)
        raise Exit(1)
    raise Exit(run(session, sys.stdin, sys.stdout, io.show_diags))


cli_state.add_commands(app)


# -- entry point ------------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    if argv is None:
        # The imgb process (not a caller passing argv): short-lived, and what it builds lives until
        # it exits, so the cyclic GC would only rescan it, again and again (a quarter of a plan's
        # CPU). An apply turns the collector back on before its engine runs.
        gc.disable()
    io.PROJECTS.clear()  # one command's projects (tests call main many times in one process)
    from imgb.reconciler.cli_argv import normalize
    from imgb.reconciler.cli_style import command, flag_table

    group = command(app)
    args = normalize(sys.argv[1:] if argv is None else argv, flag_table(group))
    cwd = os.getcwd()
    operator = {k: os.environ.get(k) for k in (ALLOW_PATHS_ENV, ALLOW_NETWORK_ENV, "NO_COLOR")}
    try:
        return _run(group, args)
    finally:
        io.DIR["path"] = Path(".")
        os.chdir(cwd)
        for k, v in operator.items():  # one command's flags (tests call main many times in one process)
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _run(group: Any, args: list[str]) -> int:
    def body() -> int:
        result = group.main(args=args, prog_name="imgb", standalone_mode=False)
        if isinstance(result, int) and result:
            # typer turns a Ctrl-C into an exit code it returns (not raises) without standalone mode.
            if result == 130:
                io.err("\nInterrupted.\n")
            return result
        return 0

    return io.outcome(body, _click_error)


def _click_error(e: Exception) -> int | None:
    """The exit code of the CLI framework's own exceptions (typer vendors click; they are
    recognised by shape rather than imported), None for any other."""
    code = getattr(e, "exit_code", None)
    if code is not None and hasattr(e, "show"):
        e.show()
        return 1  # usage errors are errors (exit 2 means "changes present")
    if code is not None:
        return int(code)
    if type(e).__name__ == "Abort":
        io.err("Aborted.\n")
        return 1
    return None


if __name__ == "__main__":
    raise SystemExit(main())
