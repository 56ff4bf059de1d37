"""The commands that write configuration or check it outside a plan: ``imgb init``,
``imgb import-dockerfile`` and ``imgb policy test``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from imgb.reconciler import cli_io as io
from imgb.reconciler.cli_io import Exit

policy_app = typer.Typer(help="Work with the Rego policies plans are checked against.", no_args_is_help=True)


def add_commands(app: typer.Typer) -> None:
    app.command()(init)
    app.command("import-dockerfile")(import_dockerfile)
    app.add_typer(policy_app, name="policy")
    policy_app.command("test")(policy_test)


# -- init / import-dockerfile ------------------------------------------------------------------------
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

    target = io.DIR["path"] / directory if directory else io.DIR["path"]
    result = scaffold(target, provider=provider, backend=backend, force=force)
    io.show_diags(result.diagnostics)
    if result.diagnostics.has_errors():
        raise Exit(1)
    for path in result.written:
        io.out(f"Created {_shown(path)}\n")
    for path in result.updated:
        io.out(f"Added imgb's lines to {_shown(path)}\n")
    if result.root != target.resolve():
        io.out(f"\nThe workflows run the configuration in {result.imgb_dir} (IMGB_DIR) of the repository {result.root}.\n")
    if not result.pinned:
        io.out(
            f"\nBefore pushing: pin the imgb that CI installs in {result.root}/ci/imgb/requirements.txt "
            "(a commit, or an archive with its hash: the file says how). This imgb was not installed from "
            "such a source, so imgb init could not write it for you.\n"
        )
    where = f"cd {target} && " if directory else ""
    if provider == "local":
        io.out(f"\nNext: {where}imgb apply --auto-approve builds the image with the local provider.\n")
    else:
        io.out(f"\nNext: {where}imgb plan shows what imgb would build, with your Alibaba Cloud credentials.\n")


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


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
        io.err(render_human(odiags, "."))
        raise Exit(1)
    result = convert(text, file, name=name or default_name(path), template=template, options=options)
    result.diagnostics.extend(odiags)
    if result.diagnostics:
        io.err(render_human(result.diagnostics, "."))
    if result.hcl is None:
        raise Exit(1)
    if out:
        Path(out).write_text(result.hcl, encoding="utf-8")
        io.err(f"Wrote {out}. Check it with imgb validate.\n")
    else:
        io.out(result.hcl)


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

    directory = io.DIR["path"]
    configured = tuple(paths) if paths else _policy_paths(directory)
    try:
        files = policy.policy_files(directory, configured, tests=True, operator=bool(paths))
        modules = policy.load_modules(directory, files)
    except FileNotFoundError as e:
        io.show_diags([error("Policy path not found", f'"{e.args[0]}" does not exist (relative to {directory}).')])
        raise Exit(1) from None
    except (policy.PolicyOutside, OutsideDirectory) as e:
        io.show_diags([policy.path_problem(e, directory)])
        raise Exit(1) from None
    try:
        outcomes = policy_tests.run(modules, run)
    except RegoError as e:
        io.show_diags([error("Policy tests could not run", e.message, SourcePos(e.filename, e.line or 1, 1) if e.filename else None)])
        raise Exit(1) from None
    io.out(policy_tests.report(outcomes, verbose))
    raise Exit(0 if outcomes and all(o.status == "PASS" for o in outcomes) else 1)


def _policy_paths(directory: Path) -> tuple[str, ...] | None:
    """``imgb { policy_paths }`` when the configuration loads, else the default ``policy`` directory."""
    from imgb.reconciler.validate import validate_directory

    config, _ = validate_directory(directory, var_args=(), var_files=(), env=os.environ)
    return config.policy_paths if config is not None else None
