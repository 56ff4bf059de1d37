"""The imgb command line: parse flags, call the engine, pick a view, map the result to an exit code.

Exit codes (Terraform's): 0 success or no changes, 1 error, 2 changes present (only with
--detailed-exitcode), 3 drift found by plan --refresh-only --detailed-exitcode. Anything a user can fix prints as a diagnostic; an unexpected internal
error prints one line and writes the traceback to a debug log.
"""

from __future__ import annotations

import contextlib
import gc
import os
import sys
import traceback
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from imgb.fsops import ALLOW_NETWORK_ENV, ALLOW_PATHS_ENV

if TYPE_CHECKING:
    from imgb.reconciler.apply import ApplyResult
    from imgb.reconciler.plan import Plan
    from imgb.reconciler.project import Project

app = typer.Typer(
    name="imgb",
    help="Declarative golden images: plan and apply components, templates and distribution.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
state_app = typer.Typer(help="Read and change the state.", no_args_is_help=True)
workspace_app = typer.Typer(help="Manage workspaces (separate states for one configuration).", no_args_is_help=True)
image_app = typer.Typer(help="Manage base images of the local provider.", no_args_is_help=True)
policy_app = typer.Typer(help="Work with the Rego policies plans are checked against.", no_args_is_help=True)
app.add_typer(state_app, name="state")
app.add_typer(workspace_app, name="workspace")
app.add_typer(image_app, name="image")
app.add_typer(policy_app, name="policy")

_DIR: dict[str, Path] = {"path": Path(".")}

VarOpt = Annotated[list[str] | None, typer.Option("--var", help="Set a variable: name=value (repeatable).")]
VarFileOpt = Annotated[list[str] | None, typer.Option("--var-file", help="Read variable values from a file.")]
TargetOpt = Annotated[list[str] | None, typer.Option("--target", help="Plan only this address and what it needs.")]
ReplaceOpt = Annotated[list[str] | None, typer.Option("--replace", help="Force replacement of this address.")]


EXIT_DRIFT = 3
"""imgb plan --refresh-only --detailed-exitcode: objects changed outside imgb."""


class Exit(Exception):
    def __init__(self, code: int):
        self.code = code


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
            _err(f"Error: -C {chdir}: no such directory.\n")
            raise Exit(1)
        # Like terraform -chdir: every relative path on the command line (plan files, var files)
        # is then relative to DIR too. main() changes back when the command ends.
        _DIR["path"] = p.resolve()
        os.chdir(p)


def _version_flag(value: bool) -> None:
    if value:
        version()
        raise Exit(0)


# -- output helpers ------------------------------------------------------------------------------
def _out(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


def _err(text: str) -> None:
    sys.stderr.write(text)
    sys.stderr.flush()


def _show_diags(diags: Any, *, as_json: bool = False) -> None:
    from imgb.reconciler.views.diagnostics import render_human, render_json

    if not diags:
        return
    if as_json:
        _out(render_json(diags))
    else:
        _err(render_human(diags, str(_DIR["path"])))


_PROJECTS: list[Project] = []
"""Projects this command opened: the debug log masks their sensitive values."""


def _project(var: list[str] | None = None, var_file: list[str] | None = None) -> Project:
    from imgb.reconciler.project import Project, VarInputs

    project = Project(_DIR["path"], VarInputs(tuple(var or ()), tuple(var_file or ())))
    _PROJECTS.append(project)
    return project


# -- init / import-dockerfile ------------------------------------------------------------------------
@app.command()
def init(
    directory: Annotated[str | None, typer.Argument(help="Where to create the configuration (default: here).")] = None,
    provider: Annotated[str, typer.Option("--provider", help="local (builds on this machine) or alicloud.")] = "local",
    backend: Annotated[str, typer.Option("--backend", help="local (a state file) or pg (PostgreSQL, for CI).")] = "local",
    force: Annotated[bool, typer.Option("--force", help="Overwrite files that already exist.")] = False,
) -> None:
    """Start a repository: a configuration, .gitignore, and CI workflows (GitHub Actions, GitLab CI)
    that plan on pull requests and apply the reviewed plan on merge. The workflows go into the
    root of the Git repository DIRECTORY is in, and name DIRECTORY as the configuration to run."""
    from imgb.reconciler.scaffold import scaffold

    target = _DIR["path"] / directory if directory else _DIR["path"]
    result = scaffold(target, provider=provider, backend=backend, force=force)
    _show_diags(result.diagnostics)
    if result.diagnostics.has_errors():
        raise Exit(1)
    def shown(path: Path) -> str:
        try:
            return str(path.resolve().relative_to(Path.cwd().resolve()))
        except ValueError:
            return str(path)

    for path in result.written:
        _out(f"Created {shown(path)}\n")
    for path in result.updated:
        _out(f"Added imgb's lines to {shown(path)}\n")
    if result.root != target.resolve():
        _out(f"\nThe workflows run the configuration in {result.imgb_dir} (IMGB_DIR) of the repository {result.root}.\n")
    if not result.pinned:
        _out(
            f"\nBefore pushing: pin the imgb that CI installs in {result.root}/ci/imgb/requirements.txt "
            "(a commit, or an archive with its hash: the file says how). This imgb was not installed from "
            "such a source, so imgb init could not write it for you.\n"
        )
    where = f"cd {target} && " if directory else ""
    if provider == "local":
        _out(f"\nNext: {where}imgb apply --auto-approve builds the image with the local provider.\n")
    else:
        _out(f"\nNext: {where}imgb plan shows what imgb would build, with your Alibaba Cloud credentials.\n")


@app.command("import-dockerfile")
def import_dockerfile(
    file: Annotated[str, typer.Argument(help="The Dockerfile.")],
    name: Annotated[str | None, typer.Option("--name", help="Block name (default: from the file or its directory).")] = None,
    template: Annotated[bool, typer.Option("--template", help="Also write a template whose base_image is the FROM.")] = False,
    out: Annotated[str | None, typer.Option("-o", "--out", help="Write the HCL to OUT instead of standard output.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite OUT if it exists.")] = False,
    context: Annotated[
        str | None, typer.Option("--context", help="The build context (default: the Dockerfile's directory).")
    ] = None,
    platform: Annotated[
        str | None, typer.Option("--platform", help="Target platform for TARGETOS/TARGETARCH... (default: this machine).")
    ] = None,
    build_arg: Annotated[
        list[str] | None, typer.Option("--build-arg", help="NAME=VALUE for an ARG, as docker build --build-arg.")
    ] = None,
    target: Annotated[str | None, typer.Option("--target", help="The stage to import (default: the last one).")] = None,
) -> None:
    """Turn a Dockerfile into a component (and a template with --template) that builds what
    docker build would. What cannot be carried over is reported with its line and listed in a
    comment above the component."""
    from imgb.diagnostics import DiagnosticError, error
    from imgb.reconciler.dockerfile_import import default_name, import_options
    from imgb.reconciler.dockerfile_import import import_dockerfile as convert
    from imgb.reconciler.views.diagnostics import render_human

    path = Path(file)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        reason = e.strerror if isinstance(e, OSError) else "it is not UTF-8 text"
        raise DiagnosticError(error("Cannot read the Dockerfile", f"{file}: {reason}.")) from None
    if out and Path(out).exists() and not force:
        raise DiagnosticError(error("Output file exists", f"{out} already exists; use --force to overwrite it."))
    options, odiags = import_options(path, context=context, out=out, platform=platform, build_args=build_arg or [], target=target)
    if odiags.has_errors():
        _err(render_human(odiags, "."))
        raise Exit(1)
    result = convert(text, file, name=name or default_name(path), template=template, options=options)
    result.diagnostics.extend(odiags)
    if result.diagnostics:
        _err(render_human(result.diagnostics, "."))
    if result.hcl is None:
        raise Exit(1)
    if out:
        Path(out).write_text(result.hcl, encoding="utf-8")
        _err(f"Wrote {out}. Check it with imgb validate.\n")
    else:
        _out(result.hcl)


# -- validate / fmt / version -----------------------------------------------------------------------
@policy_app.command("test")
def policy_test(
    paths: Annotated[list[str] | None, typer.Argument(help="Rego files or directories (default: the configuration's policies).")] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="List every test, not only the failures.")] = False,
    run: Annotated[str | None, typer.Option("--run", help="Only the tests whose name contains this text.")] = None,
) -> None:
    """Run the policies' unit tests (rules named test_...) as opa test does; exit 1 when one fails."""
    from imgb.diagnostics import SourcePos, error
    from imgb.fsops import OutsideDirectory
    from imgb.reconciler.guardrails import policy, policy_tests
    from imgb.reconciler.guardrails.rego import RegoError

    directory = _DIR["path"]
    configured = tuple(paths) if paths else _policy_paths(directory)
    try:
        files = policy.policy_files(directory, configured, tests=True, operator=bool(paths))
        modules = policy.load_modules(directory, files)
    except FileNotFoundError as e:
        _show_diags([error("Policy path not found", f'"{e.args[0]}" does not exist (relative to {directory}).')])
        raise Exit(1) from None
    except (policy.PolicyOutside, OutsideDirectory) as e:
        _show_diags([policy.path_problem(e, directory)])
        raise Exit(1) from None
    try:
        outcomes = policy_tests.run(modules, run)
    except RegoError as e:
        _show_diags([error("Policy tests could not run", e.message, SourcePos(e.filename, e.line or 1, 1) if e.filename else None)])
        raise Exit(1) from None
    _out(policy_tests.report(outcomes, verbose))
    raise Exit(0 if outcomes and all(o.status == "PASS" for o in outcomes) else 1)


def _policy_paths(directory: Path) -> tuple[str, ...] | None:
    """``imgb { policy_paths }`` when the configuration loads, else the default ``policy`` directory."""
    from imgb.reconciler.validate import validate_directory

    config, _ = validate_directory(directory, var_args=(), var_files=(), env=os.environ)
    return config.policy_paths if config is not None else None


@app.command()
def version() -> None:
    """Print the imgb version."""
    from imgb import __version__

    _out(f"imgb v{__version__}\n")


@app.command()
def validate(
    json_: Annotated[bool, typer.Option("--json", help="Print diagnostics as JSON.")] = False,
    var: VarOpt = None,
    var_file: VarFileOpt = None,
) -> None:
    """Check the configuration: syntax, references, types, commands and documented limits."""
    from imgb.reconciler.validate import validate_directory
    from imgb.reconciler.views.diagnostics import render_human, render_json

    config, diags = validate_directory(_DIR["path"], var_args=var or (), var_files=var_file or (), env=os.environ)
    if json_:
        _out(render_json(diags))
    else:
        if diags:
            _err(render_human(diags, str(_DIR["path"])))
        if not diags.has_errors():
            _out("Success! The configuration is valid.\n")
    raise Exit(1 if diags.has_errors() else 0)


@app.command()
def fmt(
    check: Annotated[bool, typer.Option("--check", help="Exit 1 when a file is not formatted; change nothing.")] = False,
    diff: Annotated[bool, typer.Option("--diff", help="Show what would change.")] = False,
) -> None:
    """Rewrite *.imgb.hcl files in the canonical format."""
    from imgb.diagnostics import Diagnostics, SourcePos
    from imgb.fsops import read_inside, write_inside
    from imgb.reconciler.fmt import format_diff, format_source

    directory = _DIR["path"]
    files = sorted(directory.glob("*.imgb.hcl")) + sorted(directory.glob("*.imgbvars.hcl"))
    all_diags = Diagnostics()
    changed = []
    for f in files:
        # Read and written below the directory, as plan reads them: a committed link to a host
        # file is neither shown (-diff) nor rewritten.
        try:
            text = read_inside(directory, f.name).decode()
        except OSError as exc:
            all_diags.error("Failed to read file", f'"{f.name}" cannot be read: {exc.strerror}.', SourcePos(f.name, 1))
            continue
        new, diags = format_source(text, f.name)
        all_diags.extend(diags)
        if new is None or new == text:
            continue
        changed.append(f.name)
        if diff:
            _out(format_diff(text, new, f.name))
        if not check:
            write_inside(directory, f.name, new.encode())
    _show_diags(all_diags)
    for name in changed:
        _out(name + "\n")
    if all_diags.has_errors() or (check and changed):
        raise Exit(1)


# -- plan / apply ------------------------------------------------------------------------------------
def _make_plan(
    project: Project,
    session_state: Any,
    state_exists: bool,
    *,
    destroy: bool,
    refresh: bool,
    refresh_only: bool,
    targets: list[str],
    replace: list[str],
    parallelism: int,
) -> Plan:
    from imgb.diagnostics import DiagnosticError
    from imgb.reconciler.planner import PlanOptions, make_plan

    config, load_diags = project.load()
    _show_diags([d for d in load_diags if d.severity == "warning"] and load_diags)
    _check_addresses(targets + replace)
    providers = project.providers()
    plan, diags = make_plan(
        config,
        session_state,
        providers,
        PlanOptions(destroy=destroy, refresh=refresh, refresh_only=refresh_only, targets=targets, replace=replace, parallelism=parallelism),
        state_existed=state_exists,
    )
    if plan is None:
        raise DiagnosticError(diags)
    mask = project.masker()
    for c in plan.changes:
        c.before = mask(c.before)
        c.after = mask(c.after)
    from imgb.reconciler.config.cache import cache_dir
    from imgb.reconciler.guardrails.review import review

    denied = review(plan, config, session_state, providers, cache_dir())
    if denied:
        raise DiagnosticError(denied)
    return plan


def _check_addresses(addrs: list[str]) -> None:
    from imgb.addresses import Address, AddressError
    from imgb.diagnostics import DiagnosticError, error

    for a in addrs:
        base = a.split("[")[0]
        try:
            Address.parse(a if "[" in a else base)
        except AddressError as e:
            raise DiagnosticError(error("Invalid resource address", str(e))) from None


def _render(plan: Plan, fmt_: str, detailed: bool = False) -> str:
    from imgb.reconciler.views.plan_json import render_json
    from imgb.reconciler.views.plan_markdown import render_markdown
    from imgb.reconciler.views.plan_text import render_plan

    if fmt_ == "human":
        return render_plan(plan, detailed=detailed)
    return {"json": render_json, "markdown": render_markdown}[fmt_](plan)


def _lock_timeout(text: str) -> float:
    text = text.strip()
    units = {"ms": 0.001, "s": 1, "m": 60, "h": 3600}
    for u in ("ms", "s", "m", "h"):
        if text.endswith(u) and text[: -len(u)].replace(".", "", 1).isdigit():
            return float(text[: -len(u)]) * units[u]
    if text.replace(".", "", 1).isdigit():
        return float(text)
    _err(f'Error: invalid --lock-timeout "{text}"; use a duration such as 30s or 5m.\n')
    raise Exit(1)


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
    destroy: Annotated[bool, typer.Option("--destroy", help="Plan to delete everything imgb made.")] = False,
    refresh_only: Annotated[bool, typer.Option("--refresh-only", help="Only check for objects changed outside imgb (drift); builds nothing.")] = False,
    refresh: Annotated[bool, typer.Option("--refresh/--no-refresh", help="Read every object from the provider first.")] = True,
    detailed: Annotated[bool, typer.Option("--detailed", help="Show the cost of every build, copy and template.")] = False,
    var: VarOpt = None,
    var_file: VarFileOpt = None,
    parallelism: Annotated[int, typer.Option("--parallelism", min=1)] = 10,
    lock_timeout: Annotated[str, typer.Option("--lock-timeout")] = "0s",
    generate_config_out: Annotated[
        str | None,
        typer.Option("--generate-config-out", help="Write HCL for import blocks whose target is not declared to FILE (a new *.imgb.hcl)."),
    ] = None,
) -> None:
    """Show what apply would do: builds, copies, shares and deletes, with the reasons."""
    from imgb.reconciler.project import write_private

    if generate_config_out:
        _generate_config(generate_config_out, var, var_file, lock_timeout)
    project = _project(var, var_file)
    fmt_ = "json" if json_ else format_
    if fmt_ not in ("human", "json", "markdown"):
        _err(f'Error: --format must be human, json or markdown, not "{fmt_}".\n')
        raise Exit(1)
    manager = project.state_manager()
    with manager.session("plan", lock_timeout=_lock_timeout(lock_timeout), reader=True) as session:
        the_plan = _make_plan(
            project,
            session.state,
            manager.exists(),
            destroy=destroy,
            refresh=refresh,
            refresh_only=refresh_only,
            targets=target or [],
            replace=replace or [],
            parallelism=parallelism,
        )
    _out(_render(the_plan, fmt_, detailed))
    if out:
        write_private(Path(out), the_plan.to_file_bytes())
        if fmt_ == "human":
            _out(f"\nSaved the plan to {out}. To apply exactly this plan, run: imgb apply {out}\n")
    if detailed_exitcode:
        if refresh_only:
            # Its own code, so a scheduled drift check tells drift from an ordinary pending change.
            if the_plan.drift or the_plan.actionable():
                raise Exit(EXIT_DRIFT)
        elif the_plan.actionable() or the_plan.drift:
            raise Exit(2)


def _generate_config(path: str, var: list[str] | None, var_file: list[str] | None, lock_timeout: str) -> None:
    """Write HCL for the targets of import blocks that the configuration does not declare, read
    from the objects; the plan that follows then includes them."""
    from imgb.diagnostics import DiagnosticError, error
    from imgb.reconciler.generate import generated_config
    from imgb.reconciler.project import write_private
    from imgb.reconciler.refactor import plan_refactoring

    target = Path(path)
    if target.exists():
        raise DiagnosticError(error("Target generated file already exists",
                                    f"{path} already exists; -generate-config-out writes a new file. Remove it or choose another name."))
    if not target.name.endswith(".imgb.hcl") or target.resolve().parent != _DIR["path"].resolve():
        raise DiagnosticError(error("Invalid generated file name",
                                    f"{path} would not be part of the configuration: give a new *.imgb.hcl file in {_DIR['path']}."))
    project = _project(var, var_file)
    config, _ = project.load()
    manager = project.state_manager()
    with manager.session("plan", lock_timeout=_lock_timeout(lock_timeout), reader=True) as session:
        refactoring = plan_refactoring(config, session.state, project.providers(), project.masker())
    if refactoring.diagnostics.has_errors():
        raise DiagnosticError(refactoring.diagnostics)
    project.close()
    if not refactoring.unconfigured_imports:
        _err("Every import block's target is declared; nothing to generate.\n")
        return
    write_private(target, generated_config(refactoring.unconfigured_imports).encode())
    _err(f"Wrote {path} for {', '.join(a for a, _, _ in refactoring.unconfigured_imports)}. Review it.\n\n")


def _run_apply(project: Project, manager: Any, session: Any, the_plan: Plan, parallelism: int) -> ApplyResult:
    from contextlib import nullcontext

    from imgb.reconciler.apply import Engine
    from imgb.reconciler.views.progress import LineHooks, LiveHooks

    bases = {p.template: p.image_id for p in the_plan.pinned_bases}
    desired = project.desired_attrs(bases) if the_plan.mode == "normal" else {}
    actionable = the_plan.actionable()
    hooks: LineHooks
    if sys.stdout.isatty():
        hooks = LiveHooks(len(actionable), sum(c.eta_s or 0 for c in actionable if c.kind in ("image", "copy")))
        live: Any = hooks
    else:
        hooks, live = LineHooks(_out), nullcontext()
    engine = Engine(
        the_plan,
        session,
        project.providers(),
        desired=desired,
        parallelism=parallelism,
        hooks=hooks,
        context_dir=str(project.directory.resolve()),
        mask=project.masker(),
    )
    if not gc.isenabled():
        gc.freeze()  # the plan's objects live until exit: the collections of a long apply skip them
        gc.enable()
    from imgb.reconciler.refactor import apply_refactoring

    apply_refactoring(session, the_plan)  # moved and import blocks, before the actions that follow them
    for m in the_plan.moves:
        _out(f"{m.from_address}: Moved to {m.to_address}\n")
    for c in the_plan.changes:
        if c.importing is not None:
            _out(f"{c.address}: Imported {c.importing}\n")
    with live:
        result = engine.run(install_signal_handlers=True)
    _record_outputs(project, session)
    session.checkpoint()
    return result


def _record_outputs(project: Project, session: Any) -> bool:
    """Record the outputs in state when they changed; True if they did."""
    from imgb.reconciler.outputs import evaluate_outputs

    outputs = evaluate_outputs(project.config, session.state)
    if outputs == session.state.outputs:
        return False
    session.set_outputs(outputs)
    return True


def _summarize(result: ApplyResult, destroy: bool = False) -> None:
    if result.failed:
        _err("\nApply failed:\n")
        for f in result.failed:
            rid = f" (request id {f.request_id})" if f.request_id else ""
            _err(f"  - {f.address}: {f.code}: {f.message}{rid}\n")
        if result.skipped:
            _err(f"  {len(result.skipped)} dependent action(s) skipped.\n")
        _err("What completed is recorded in state; run imgb apply again to finish.\n")
        raise Exit(1)
    if result.interrupted:
        _err("\nApply interrupted. Everything that finished is recorded in state; run imgb apply again to continue.\n")
        raise Exit(1)
    what = "Destroy" if destroy else "Apply"
    _out(f"\n{what} complete! {len(result.done)} action(s) in {result.seconds:.1f}s.\n")


@app.command()
def apply(
    planfile: Annotated[str | None, typer.Argument(help="A plan saved with imgb plan --out.")] = None,
    auto_approve: Annotated[bool, typer.Option("--auto-approve", help="Do not ask for confirmation.")] = False,
    target: TargetOpt = None,
    replace: ReplaceOpt = None,
    destroy: Annotated[bool, typer.Option("--destroy")] = False,
    refresh_only: Annotated[bool, typer.Option("--refresh-only")] = False,
    refresh: Annotated[bool, typer.Option("--refresh/--no-refresh")] = True,
    var: VarOpt = None,
    var_file: VarFileOpt = None,
    parallelism: Annotated[int, typer.Option("--parallelism", min=1)] = 10,
    lock_timeout: Annotated[str, typer.Option("--lock-timeout")] = "0s",
) -> None:
    """Build, copy, share and delete so the images match the configuration."""
    _apply(planfile, auto_approve, target or [], replace or [], destroy, refresh_only, refresh, var, var_file, parallelism, lock_timeout)


def _apply(
    planfile: str | None,
    auto_approve: bool,
    targets: list[str],
    replace: list[str],
    destroy: bool,
    refresh_only: bool,
    refresh: bool,
    var: list[str] | None,
    var_file: list[str] | None,
    parallelism: int,
    lock_timeout: str,
) -> None:
    from imgb.diagnostics import DiagnosticError, error
    from imgb.reconciler.planner import config_digest
    from imgb.reconciler.project import read_plan_file, stale_reasons
    from imgb.reconciler.views.plan_text import render_plan

    project = _project(var, var_file)
    manager = project.state_manager()
    saved = read_plan_file(Path(planfile)) if planfile else None
    try:
        with manager.session("apply", lock_timeout=_lock_timeout(lock_timeout)) as session:
            if saved is not None:
                config, _ = project.load()
                bases: dict[str, str] = {}
                providers = project.providers()
                for p in saved.pinned_bases:
                    tmpl = config.templates.get(p.template)
                    if tmpl is not None and tmpl.provider in providers:
                        try:
                            bases[p.template] = providers[tmpl.provider].resolve_base_image(tmpl.base_image, tmpl.base_image_family)
                        except Exception:
                            pass
                reasons = stale_reasons(saved, session.state, manager.exists(), config_digest(config), bases)
                if reasons:
                    raise DiagnosticError(
                        error(
                            "Saved plan is stale",
                            "The given plan file can no longer be applied: "
                            + "; ".join(reasons)
                            + ". Run imgb plan again to make a new plan.",
                        )
                    )
                _check_saved_plan(project, session, manager, saved, parallelism)
                the_plan = saved
            else:
                if session.state.operations:
                    from imgb.reconciler.apply import adopt_operations

                    project.load()
                    from imgb.reconciler.views.progress import LineHooks

                    _out("Finishing operations an interrupted apply left in progress:\n")
                    providers = project.providers()
                    adopt_operations(session, providers, LineHooks(_out), context_dir=str(project.directory.resolve()))
                    _out("\n")
                    stuck = [o.address for o in session.state.operations if o.provider in providers]
                    if stuck:
                        # Planning now could start them again under new tokens: a second object.
                        left = ", ".join(stuck)
                        raise DiagnosticError(
                            error(
                                "Operations left in progress could not be finished",
                                f"A transient error (above) kept imgb from finishing {left}, which an "
                                "interrupted apply started. They stay recorded in state so that nothing is "
                                "started twice; nothing else was done. Run imgb apply again.",
                            )
                        )
                the_plan = _make_plan(
                    project,
                    session.state,
                    manager.exists(),
                    destroy=destroy,
                    refresh=refresh,
                    refresh_only=refresh_only,
                    targets=targets,
                    replace=replace,
                    parallelism=parallelism,
                )
                _out(render_plan(the_plan))
                if not the_plan.actionable():
                    if the_plan.drift and refresh_only:
                        pass
                    else:
                        # Outputs added or changed alone are recorded (as Terraform does), and a
                        # value recorded before it was masked is replaced.
                        if _record_outputs(project, session):
                            session.checkpoint()
                        return
                if not auto_approve:
                    if not sys.stdin.isatty():
                        _err("\nError: imgb apply needs confirmation; run it in a terminal or pass --auto-approve.\n")
                        raise Exit(1)
                    answer = input("\nDo you want to perform these actions? Only 'yes' will be accepted: ")
                    if answer.strip() != "yes":
                        _err("Apply cancelled.\n")
                        raise Exit(1)
            _out("\n")
            result = _run_apply(project, manager, session, the_plan, parallelism)
    finally:
        project.close()
    _summarize(result, destroy=the_plan.mode == "destroy")


def _check_saved_plan(project: Project, session: Any, manager: Any, saved: Plan, parallelism: int) -> None:
    """Refuse a saved plan that is not what this configuration and state make now.

    The checksum catches damage, not intent: a plan edited and re-checksummed could delete, or
    share with an account, what the configuration never asked for. Configuration, state and base
    images are unchanged (checked just before), so planning again must give the same changes."""
    from imgb.diagnostics import DiagnosticError, error

    fresh = _make_plan(
        project,
        session.state,
        manager.exists(),
        destroy=saved.mode == "destroy",
        refresh=saved.refreshed,
        refresh_only=saved.mode == "refresh-only",
        targets=list(saved.targets),
        replace=list(saved.replace),
        parallelism=parallelism,
    )
    if fresh.model_dump(mode="json") != saved.model_dump(mode="json"):
        raise DiagnosticError(
            error(
                "Saved plan does not match the configuration",
                "Planning again from the same configuration and state gives different changes: the plan "
                "file was edited after it was written, or objects changed outside imgb since. Run imgb plan "
                "again to make a new plan.",
            )
        )


@app.command()
def destroy(
    auto_approve: Annotated[bool, typer.Option("--auto-approve")] = False,
    target: TargetOpt = None,
    var: VarOpt = None,
    var_file: VarFileOpt = None,
    parallelism: Annotated[int, typer.Option("--parallelism", min=1)] = 10,
    lock_timeout: Annotated[str, typer.Option("--lock-timeout")] = "0s",
) -> None:
    """Delete everything imgb made for this configuration."""
    _apply(None, auto_approve, target or [], [], True, False, True, var, var_file, parallelism, lock_timeout)


@app.command()
def refresh(
    var: VarOpt = None,
    var_file: VarFileOpt = None,
    lock_timeout: Annotated[str, typer.Option("--lock-timeout")] = "0s",
) -> None:
    """Record in state what changed outside imgb (same as apply --refresh-only --auto-approve)."""
    _apply(None, True, [], [], False, True, True, var, var_file, 10, lock_timeout)


@app.command()
def show(
    planfile: Annotated[str | None, typer.Argument()] = None,
    json_: Annotated[bool, typer.Option("--json")] = False,
    format_: Annotated[str, typer.Option("--format", help="For a plan file: human, json or markdown.")] = "human",
) -> None:
    """Show a saved plan, or the state."""
    from imgb.reconciler.project import dump_json, read_plan_file

    if planfile:
        if format_ not in ("human", "json", "markdown"):
            _err(f'Error: --format must be human, json or markdown, not "{format_}".\n')
            raise Exit(1)
        the_plan = read_plan_file(Path(planfile))
        _out(_render(the_plan, "json" if json_ else format_))
        return
    state = _project().state_manager().load()
    if json_:
        _out(dump_json(state.normalized().model_dump(mode="json")))
        return
    from imgb.reconciler.views.state_text import render_state

    _out(render_state(state))


@app.command()
def graph(
    format_: Annotated[str, typer.Option("--format", help="dot or mermaid.")] = "dot",
    var: VarOpt = None,
    var_file: VarFileOpt = None,
) -> None:
    """Print the resource graph of the configuration."""
    from imgb.reconciler.graph import build_graph
    from imgb.reconciler.views.graph_text import render_dot, render_mermaid

    config, _ = _project(var, var_file).load()
    g, diags = build_graph(config, {})
    _show_diags(diags)
    if diags.has_errors():  # a cycle has no order to draw in
        raise Exit(1)
    _out(render_mermaid(g) if format_ == "mermaid" else render_dot(g))


@app.command()
def output(
    name: Annotated[str | None, typer.Argument()] = None,
    json_: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Show output values from the state."""
    from imgb.reconciler.project import dump_json

    state = _project().state_manager().load()
    outs = state.outputs
    if name is not None:
        if name not in outs:
            _err(f'Error: no output named "{name}" in the state. Outputs: {", ".join(sorted(outs)) or "none"}.\n')
            raise Exit(1)
        o = outs[name]
        val = "(sensitive)" if o.sensitive and not json_ else o.value
        _out(dump_json(val) if json_ or not isinstance(val, str) else val + "\n")
        return
    if json_:
        _out(dump_json({k: {"value": v.value, "sensitive": v.sensitive} for k, v in sorted(outs.items())}))
        return
    for k, v in sorted(outs.items()):
        _out(f"{k} = {'(sensitive)' if v.sensitive else dump_json(v.value).strip()}\n")


@app.command("force-unlock")
def force_unlock(lock_id: str) -> None:
    """Remove a lock left behind. Refused while the process holding it still runs on this host."""
    import socket

    from imgb.state.backend import LockError, pid_alive

    manager = _project().state_manager()
    holder = manager.lock_holder()
    if holder is None:
        _err(f"Error: {manager.describe()} is not locked; there is nothing to unlock.\n")
        raise Exit(1)
    if holder.id == lock_id and holder.host == socket.gethostname() and pid_alive(holder.pid):
        _err(
            f"Error: process {holder.pid} ({holder.who}, {holder.operation} since {holder.created}) still holds "
            f"the lock on {manager.describe()}. Wait for it to finish, or stop it (kill {holder.pid}); "
            "a lock whose process has ended is released by itself or can then be removed.\n"
        )
        raise Exit(1)
    try:
        manager.force_unlock(lock_id)
    except LockError as e:
        _err(f"Error: {e}.\n")
        raise Exit(1) from None
    who = f" (held by {holder.who}, operation {holder.operation}, since {holder.created})" if holder else ""
    _out(f"The state lock {lock_id}{who} has been removed.\n")


@app.command("import")
def import_(
    address: str,
    id: str,
    var: VarOpt = None,
    var_file: VarFileOpt = None,
) -> None:
    """Read an existing object through its provider and record it in state at ADDRESS."""
    from imgb.addresses import Address, Kind
    from imgb.diagnostics import DiagnosticError, error
    from imgb.state.model import ResourceState

    project = _project(var, var_file)
    config, _ = project.load()
    addr = Address.parse(address)
    declared = str(addr.template)
    block = config.components.get(declared) or config.templates.get(declared)
    if block is None:
        raise DiagnosticError(error("Import to an address not in the configuration", f"{declared} is not declared; add it first."))
    provider = project.providers()[block.provider]
    attrs = provider.read(addr.kind, id, {})
    if attrs is None:
        raise DiagnosticError(error("Object not found", f'The {block.provider} provider has no {addr.kind} "{id}".'))
    manager = project.state_manager()
    with manager.session("import") as session:
        if session.state.get(str(addr)) is not None:
            raise DiagnosticError(error("Resource already managed", f"{addr} is already in the state."))
        session.put(
            ResourceState(
                address=str(addr), kind=addr.kind, provider=block.provider, id=id, attributes=project.masker()(attrs),
                template=declared if addr.kind not in (Kind.COMPONENT, Kind.TEMPLATE) else None,
            )
        )
        session.checkpoint()
    _out(f"Imported {id} as {addr}.\n")


# -- state subcommands -------------------------------------------------------------------------------
@state_app.command("list")
def state_list() -> None:
    """List the resources in the state."""
    state = _project().state_manager().load()
    for r in state.normalized().resources:
        _out(state.display_address(r) + "\n")


@state_app.command("show")
def state_show(address: str) -> None:
    """Show one resource in the state."""
    from imgb.reconciler.project import dump_json

    state = _project().state_manager().load()
    found = [r for r in state.normalized().resources if state.display_address(r) == address or r.address == address]
    if not found:
        _err(f'Error: no resource "{address}" in the state. Run imgb state list to see what is there.\n')
        raise Exit(1)
    for r in found:
        _out(f"# {state.display_address(r)}\n" + dump_json(r.model_dump(mode="json")))


@state_app.command("rm")
def state_rm(addresses: list[str]) -> None:
    """Forget resources without deleting them."""
    manager = _project().state_manager()
    with manager.session("state rm") as session:
        for a in addresses:
            matches = [r for r in session.state.resources if session.state.display_address(r) == a or r.address == a]
            if not matches:
                _err(f'Error: no resource "{a}" in the state.\n')
                raise Exit(1)
            for r in matches:
                session.remove(r.address, r.image_hash)
                _out(f"Removed {session.state.display_address(r) if False else a}\n")
        session.checkpoint()


@state_app.command("mv")
def state_mv(source: str, destination: str) -> None:
    """Move a resource to another address (after renaming a block), without rebuilding."""
    from imgb.addresses import Address, moved
    from imgb.state.model import ResourceState

    src, dst = Address.parse(source), Address.parse(destination)
    if src.kind != dst.kind:
        _err("Error: a resource can only move to an address of the same kind.\n")
        raise Exit(1)
    manager = _project().state_manager()
    with manager.session("state mv") as session:
        st = session.state
        if st.operations:
            _err("Error: an interrupted apply left operations in progress; run imgb apply first, then move.\n")
            raise Exit(1)
        moves: list[tuple[ResourceState, str]] = []
        for r in st.resources:
            dest = moved(Address.parse(r.address), src, dst)
            if dest is not None:
                moves.append((r, str(dest)))
        taken = {(r.address, r.image_hash) for r in st.resources} - {(r.address, r.image_hash) for r, _ in moves}
        clash = sorted(to for r, to in moves if (to, r.image_hash) in taken)
        if clash:
            _err(f'Error: "{clash[0]}" is already in the state; remove it or choose another destination.\n')
            raise Exit(1)
        for r, _ in moves:
            session.remove(r.address, r.image_hash)
        for r, to in moves:
            template = r.template and str(moved(Address.parse(r.template), src, dst) or r.template)
            session.put(r.model_copy(update={"address": to, "template": template}))
        for tmpl, h in sorted(st.current.items()):
            to_t = moved(Address.parse(tmpl), src, dst)
            if to_t is not None:
                session.drop_current(tmpl)
                session.set_current(str(to_t), h)
        session.checkpoint()
    if not moves:
        _err(f'Error: no resource "{source}" in the state.\n')
        raise Exit(1)
    _out(f"Moved {source} to {destination} ({len(moves)} object(s)).\n")


@state_app.command("pull")
def state_pull() -> None:
    """Print the state as JSON."""
    from imgb.reconciler.project import dump_json

    state = _project().state_manager().load()
    _out(dump_json(state.model_dump(mode="json")))


@state_app.command("push")
def state_push(
    path: str,
    force: Annotated[bool, typer.Option("--force", help="Overwrite even a different lineage or a newer serial.")] = False,
) -> None:
    """Replace the state with a JSON file (refused across lineages or to an older serial)."""
    from imgb.state.model import State

    try:
        state = State.model_validate_json(Path(path).read_bytes())
    except Exception as e:
        _err(f"Error: {path} is not an imgb state file: {str(e).splitlines()[0]}\n")
        raise Exit(1) from None
    _project().state_manager().push(state, force=force)
    _out("State pushed.\n")


@state_app.command("migrate")
def state_migrate(
    from_local: Annotated[str | None, typer.Option("--from-local", help="Copy this local state file into the configured backend.")] = None,
    to_local: Annotated[str | None, typer.Option("--to-local", help="Copy the configured backend's state into this local file.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite a destination of another lineage or a newer serial.")] = False,
) -> None:
    """Move state between the local file backend and the configured backend (e.g. PostgreSQL),
    keeping its lineage and serial."""
    from imgb.state.local import LocalBackend
    from imgb.state.workspace import migrate

    if bool(from_local) == bool(to_local):
        _err("Error: give exactly one of --from-local FILE or --to-local FILE.\n")
        raise Exit(1)
    project = _project()
    configured = project.backend()
    local = LocalBackend(Path(from_local or to_local or ""))
    src, dst = (local, configured) if from_local else (configured, local)
    state = migrate(src, dst, project.workspace, force=force)
    if state is None:
        _err("Error: the source has no state to migrate.\n")
        raise Exit(1)
    _out(f"Migrated {len(state.resources)} resource(s), lineage {state.lineage}, serial {state.serial}.\n")


# -- workspaces ------------------------------------------------------------------------------------------
@workspace_app.command("list")
def workspace_list() -> None:
    project = _project()
    current = project.workspace
    names = set(project.backend().workspaces()) | {"default", current}
    for n in sorted(names):
        _out(("* " if n == current else "  ") + n + "\n")


@workspace_app.command("new")
def workspace_new(name: str) -> None:
    from imgb.state.names import check_workspace_name

    check_workspace_name(name)  # before anything is written; a WorkspaceError explains the rule
    project = _project()
    if name in project.backend().workspaces():
        _err(f'Error: workspace "{name}" already exists.\n')
        raise Exit(1)
    project.select_workspace(name)
    _out(f'Created and switched to workspace "{name}".\n')


@workspace_app.command("select")
def workspace_select(name: str) -> None:
    from imgb.state.names import check_workspace_name

    check_workspace_name(name)
    project = _project()
    if name != "default" and name not in project.backend().workspaces():
        _err(f'Error: workspace "{name}" does not exist. Create it with imgb workspace new {name}.\n')
        raise Exit(1)
    project.select_workspace(name)
    _out(f'Switched to workspace "{name}".\n')


@workspace_app.command("delete")
def workspace_delete(name: str, force: Annotated[bool, typer.Option("--force")] = False) -> None:
    from imgb.state.manager import StateManager

    project = _project()
    if name == project.workspace:
        _err("Error: cannot delete the selected workspace; select another one first.\n")
        raise Exit(1)
    backend = project.backend()
    state = StateManager(backend, name).load()
    if state.resources and not force:
        _err(f'Error: workspace "{name}" still manages {len(state.resources)} object(s); destroy them first or use --force.\n')
        raise Exit(1)
    backend.delete_workspace(name)
    _out(f'Deleted workspace "{name}".\n')


# -- local provider helpers --------------------------------------------------------------------------------
@app.command()
def images(
    json_: Annotated[bool, typer.Option("--json")] = False, var: VarOpt = None, var_file: VarFileOpt = None
) -> None:
    """List the images in the local provider's store, per region."""
    from imgb.providers.local import list_images
    from imgb.providers.registry import local_root
    from imgb.reconciler.project import dump_json

    project = _project(var, var_file)  # the configuration names the store: its variables must have values
    config, _ = project.load()
    try:
        roots = {local_root(p, project.directory) for p in config.providers.values() if p.type == "local"}
    except ValueError as e:
        _err(f"Error: the local provider's store: {e}.\n")
        raise Exit(1) from None
    rows = [row for root in sorted(roots) for row in list_images(root)]
    if json_:
        _out(dump_json(rows))
        return
    if not rows:
        _out("No images.\n")
        return
    cols = ["region", "id", "name", "family", "content_hash", "created", "size", "shared_with"]
    table = [[_cell(r.get(c)) for c in cols] for r in rows]
    widths = [max(len(c), *(len(t[i]) for t in table)) for i, c in enumerate(cols)]
    _out("  ".join(c.upper().ljust(w) for c, w in zip(cols, widths, strict=True)).rstrip() + "\n")
    for t in table:
        _out("  ".join(v.ljust(w) for v, w in zip(t, widths, strict=True)).rstrip() + "\n")


def _cell(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, list | tuple):
        return ",".join(str(x) for x in v) or "-"
    s = str(v)
    return s[:12] if len(s) == 64 else s


@app.command()
def logs(address: str, var: VarOpt = None, var_file: VarFileOpt = None) -> None:
    """Print the build log of an image."""
    from imgb.addresses import Address, Kind

    project = _project(var, var_file)  # the configuration names the provider: its variables must have values
    state = project.state_manager().load()
    addr = Address.parse(address)
    if addr.kind is not Kind.IMAGE:
        _err("Error: logs are kept for images: give an address like image.web.\n")
        raise Exit(1)
    h = state.current.get(str(addr.template)) if addr.retained is None else None
    candidates = [r for r in state.resources if r.address == str(addr.current()) and (h is None or r.image_hash == h)]
    if addr.retained:
        candidates = [r for r in candidates if (r.image_hash or "").startswith(addr.retained)]
    if not candidates:
        _err(f'Error: no image "{address}" in the state.\n')
        raise Exit(1)
    r = candidates[0]
    providers = project.providers()
    _out(project.masker()(providers[r.provider].logs(r.kind, r.id, r.attributes)))  # logs may predate masking


@image_app.command("import")
def image_import(
    name: str,
    src: str,
    region: Annotated[str | None, typer.Option("--region", help="Local region (default: the provider's home region).")] = None,
) -> None:
    """Import a base image (rootfs directory or tarball, oci:DIR[:tag], docker-archive:FILE) into the local store."""
    from imgb.providers.local.baseimages import BaseImageError, import_image
    from imgb.providers.registry import default_local_root, local_root

    project = _project()
    try:
        config, _ = project.load()
        local = [p for p in config.providers.values() if p.type == "local"]
    except Exception:
        local = []
    try:
        root = local_root(local[0], project.directory) if local else default_local_root()
    except ValueError as e:
        _err(f"Error: the local provider's store: {e}.\n")
        raise Exit(1) from None
    reg = region or (local[0].region if local else "local-1")
    try:
        record = import_image(root, reg, name, src)
    except BaseImageError as e:
        _err(f"Error: cannot import {src}: {e}\n")
        raise Exit(1) from None
    _out(f"Imported {src} as {name} ({record['id']}, {record['size']} bytes) in {reg}.\n")


# -- entry point ------------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    if argv is None:
        # The imgb process (not a caller passing argv): short-lived, and what it builds lives until
        # it exits, so the cyclic GC would only rescan it, again and again (a quarter of a plan's
        # CPU). An apply turns the collector back on before its engine runs.
        gc.disable()
    _PROJECTS.clear()  # one command's projects (tests call main many times in one process)
    from imgb.reconciler.cli_argv import normalize
    from imgb.reconciler.cli_style import command, flag_table

    group = command(app)
    args = normalize(sys.argv[1:] if argv is None else argv, flag_table(group))
    cwd = os.getcwd()
    operator = {k: os.environ.get(k) for k in (ALLOW_PATHS_ENV, ALLOW_NETWORK_ENV, "NO_COLOR")}
    try:
        return _run(group, args)
    finally:
        _DIR["path"] = Path(".")
        os.chdir(cwd)
        for k, v in operator.items():  # one command's flags (tests call main many times in one process)
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _run(group: Any, args: list[str]) -> int:
    from imgb.diagnostics import DiagnosticError

    try:
        group.main(args=args, prog_name="imgb", standalone_mode=False)
        return 0
    except Exit as e:
        return e.code
    except DiagnosticError as e:
        _show_diags(e.diagnostics)
        return 1
    except KeyboardInterrupt:
        _err("\nInterrupted.\n")
        return 130
    except SystemExit as e:
        return int(e.code or 0)
    except Exception as e:
        # typer vendors click; recognise its exceptions by shape rather than import them.
        code = getattr(e, "exit_code", None)
        if code is not None and hasattr(e, "show"):
            e.show()
            return 1  # usage errors are errors (exit 2 means "changes present")
        if code is not None:
            return int(code)
        if type(e).__name__ == "Abort":
            _err("Aborted.\n")
            return 1
        return _internal_error(e)


def _internal_error(e: BaseException) -> int:
    from imgb.reconciler.errors import explain_exception

    known = explain_exception(e)
    if known is not None:
        _err(known)
        return 1
    log = Path(os.environ.get("IMGB_DEBUG_LOG", Path.cwd() / "imgb-debug.log"))
    try:
        fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        with contextlib.suppress(OSError):
            os.fchmod(fd, 0o600)  # an older log may have been created readable by others
        with os.fdopen(fd, "a") as f:
            f.write(f"--- {datetime.now(UTC).isoformat()} imgb {' '.join(sys.argv[1:2])}\n")
            f.write(_scrub("".join(traceback.format_exception(e))))
        where = f" The details are in {log}."
    except OSError:
        where = ""
    _err(f"Error: internal error in imgb ({type(e).__name__}).{where} Please report it as a bug.\n")
    return 1


def _scrub(text: str) -> str:
    """Tracebacks can quote values: mask every secret-looking environment value, every --var
    value and every sensitive value of the configurations this command loaded."""
    words = ("SECRET", "TOKEN", "PASSWORD", "CONN_STR", "ACCESS_KEY", "DSN")
    values = [v for k, v in os.environ.items() if k.startswith("IMGB_VAR_") or any(w in k.upper() for w in words)]
    for project in _PROJECTS:
        values += [arg.partition("=")[2] for arg in project.vars.var_args]
        if project._config is not None:
            values += list(project._config.sensitive_values)
    for value in sorted({v for v in values if len(v) >= 4}, key=len, reverse=True):
        text = text.replace(value, "(sensitive)")
    return text


if __name__ == "__main__":
    raise SystemExit(main())
