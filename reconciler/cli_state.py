"""The commands that read and change the state and the local store: ``imgb state``,
``imgb workspace``, ``imgb image``, ``import``, ``force-unlock``, ``images`` and ``logs``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from imgb.reconciler import cli_io as io
from imgb.reconciler import cli_options as opts

state_app = typer.Typer(help="Read and change the state.", no_args_is_help=True)
workspace_app = typer.Typer(help="Manage workspaces (separate states for one configuration).", no_args_is_help=True)
image_app = typer.Typer(help="Manage base images of the local provider.", no_args_is_help=True)


def add_groups(app: typer.Typer) -> None:
    app.add_typer(state_app, name="state")
    app.add_typer(workspace_app, name="workspace")
    app.add_typer(image_app, name="image")


def add_commands(app: typer.Typer) -> None:
    app.command("force-unlock")(force_unlock)
    app.command("import")(import_)
    app.command()(images)
    app.command()(logs)


def force_unlock(lock_id: Annotated[str, typer.Argument(help="The lock's id, as the error about the held lock shows it.")]) -> None:
    """Remove a lock left behind. Refused while the process holding it still runs on this host."""
    from imgb.reconciler.operations import state as ops

    holder = ops.force_unlock(io.project(), lock_id)
    io.out(f"The state lock {lock_id} (held by {holder.who}, operation {holder.operation}, since {holder.created}) has been removed.\n")


def import_(
    address: Annotated[str, typer.Argument(help="The declared address to record it at, e.g. template.web.")],
    id: Annotated[str, typer.Argument(help="The object's id at its provider.")],
    var: opts.VarOpt = None,
    var_file: opts.VarFileOpt = None,
    lock: opts.LockOpt = True,
    lock_timeout: opts.LockTimeoutOpt = "0s",
    input_: opts.InputOpt = True,
) -> None:
    """Read an existing object through its provider and record it in state at ADDRESS."""
    from imgb.reconciler.operations import state as ops

    project = io.project(var, var_file, lock=lock, lock_timeout=lock_timeout)
    io.out(f"Imported {id} as {ops.import_object(project, address, id)}.\n")


# -- state subcommands -------------------------------------------------------------------------------
@state_app.command("list")
def state_list() -> None:
    """List the resources in the state."""
    state = io.project().state_manager().load().normalized()
    for r in state.resources:
        io.out(state.display_address(r) + "\n")


@state_app.command("show")
def state_show(address: Annotated[str, typer.Argument(help="The resource's address (imgb state list shows them).")]) -> None:
    """Show one resource in the state."""
    from imgb.reconciler.operations import state as ops
    from imgb.reconciler.project import dump_json

    for shown, r in ops.show(io.project(), address):
        io.out(f"# {shown}\n" + dump_json(r.model_dump(mode="json")))


@state_app.command("rm")
def state_rm(
    addresses: Annotated[list[str], typer.Argument(help="The addresses to forget (their objects stay).")],
    lock: opts.LockOpt = True,
    lock_timeout: opts.LockTimeoutOpt = "0s",
) -> None:
    """Forget resources without deleting them."""
    from imgb.reconciler.operations import state as ops

    for a in ops.remove(io.project(lock=lock, lock_timeout=lock_timeout), addresses):
        io.out(f"Removed {a}\n")


@state_app.command("mv")
def state_mv(
    source: Annotated[str, typer.Argument(help="The address in state.")],
    destination: Annotated[str, typer.Argument(help="The new address, of the same kind.")],
    lock: opts.LockOpt = True,
    lock_timeout: opts.LockTimeoutOpt = "0s",
) -> None:
    """Move a resource to another address (after renaming a block), without rebuilding."""
    from imgb.reconciler.operations import state as ops

    count = ops.move(io.project(lock=lock, lock_timeout=lock_timeout), source, destination)
    io.out(f"Moved {source} to {destination} ({count} object(s)).\n")


@state_app.command("pull")
def state_pull() -> None:
    """Print the state as JSON."""
    io.dump(io.project().state_manager().load().model_dump(mode="json"))


@state_app.command("push")
def state_push(
    path: Annotated[str, typer.Argument(help="A state file written by imgb state pull.")],
    force: Annotated[bool, typer.Option("--force", help="Overwrite even a different lineage or a newer serial.")] = False,
    lock: opts.LockOpt = True,
    lock_timeout: opts.LockTimeoutOpt = "0s",
) -> None:
    """Replace the state with a JSON file (refused across lineages or to an older serial)."""
    from imgb.reconciler.operations import state as ops

    ops.push(io.project(lock=lock, lock_timeout=lock_timeout), Path(path), force=force)
    io.out("State pushed.\n")


@state_app.command("migrate")
def state_migrate(
    from_local: Annotated[str | None, typer.Option("--from-local", help="Copy this local state file into the configured backend.")] = None,
    to_local: Annotated[str | None, typer.Option("--to-local", help="Copy the configured backend's state into this local file.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite a destination of another lineage or a newer serial.")] = False,
) -> None:
    """Move state between the local file backend and the configured backend (e.g. PostgreSQL),
    keeping its lineage and serial."""
    from imgb.reconciler.operations import state as ops

    if bool(from_local) == bool(to_local):
        io.fail("give exactly one of --from-local FILE or --to-local FILE.")
    state = ops.migrate_local(
        io.project(), from_local=Path(from_local) if from_local else None, to_local=Path(to_local) if to_local else None, force=force
    )
    io.out(f"Migrated {len(state.resources)} resource(s), lineage {state.lineage}, serial {state.serial}.\n")


# -- workspaces ------------------------------------------------------------------------------------------
WorkspaceName = Annotated[str, typer.Argument(help="The workspace's name: 1 to 90 letters, digits, -, _ or ., starting with a letter or a digit.")]


@workspace_app.command("list")
def workspace_list() -> None:
    """List the workspaces; * marks the selected one."""
    from imgb.reconciler.operations import workspaces

    names, current = workspaces.list_all(io.project())
    for n in names:
        io.out(("* " if n == current else "  ") + n + "\n")


@workspace_app.command("show")
def workspace_show() -> None:
    """Print the name of the selected workspace."""
    io.out(io.project().workspace + "\n")


@workspace_app.command("new")
def workspace_new(name: WorkspaceName) -> None:
    """Create a workspace, with an empty state of its own, and select it."""
    from imgb.reconciler.operations import workspaces

    workspaces.new(io.project(), name)
    io.out(f'Created and switched to workspace "{name}".\n\nIts state is empty: imgb plan there plans every object anew. '
           "Put imgb.workspace in the names of what it makes, so two workspaces do not share names.\n")


@workspace_app.command("select")
def workspace_select(
    name: WorkspaceName,
    or_create: Annotated[bool, typer.Option("--or-create", help="Create the workspace when it does not exist.")] = False,
) -> None:
    """Select a workspace: the commands that follow use its state."""
    from imgb.reconciler.operations import workspaces

    created = workspaces.select(io.project(), name, or_create=or_create)
    io.out(f'Created and switched to workspace "{name}".\n' if created else f'Switched to workspace "{name}".\n')


@workspace_app.command("delete")
def workspace_delete(
    name: WorkspaceName,
    force: Annotated[bool, typer.Option(
        "--force", help="Delete it even though its state still manages objects or has operations in progress "
        "(they are forgotten, not deleted).")] = False,
    lock: opts.LockOpt = True,
    lock_timeout: opts.LockTimeoutOpt = "0s",
) -> None:
    """Delete a workspace and its state. Refused for "default", the selected workspace, and one that
    still manages objects, unless --force."""
    from imgb.reconciler.operations import workspaces

    workspaces.delete(io.project(lock=lock, lock_timeout=lock_timeout), name, force=force)
    io.out(f'Deleted workspace "{name}".\n')


# -- local provider helpers --------------------------------------------------------------------------------
def images(json_: opts.JsonOpt = False, var: opts.VarOpt = None, var_file: opts.VarFileOpt = None) -> None:
    """List the images in the local provider's store, per region."""
    from imgb.reconciler.operations import local_store
    from imgb.reconciler.views.state_text import render_images

    rows = local_store.images(io.project(var, var_file))
    if json_:
        io.dump(rows)
        return
    io.out(render_images(rows))


def logs(
    address: Annotated[str, typer.Argument(help="An image's address in state: image.web, or image.web (retained 3f2a9c1d).")],
    var: opts.VarOpt = None,
    var_file: opts.VarFileOpt = None,
) -> None:
    """Print the build log of an image: the latest build, or a retained or failed one."""
    from imgb.reconciler.operations import local_store

    log, note = local_store.build_log(io.project(var, var_file), address)
    io.err(note + "\n")
    io.out(log)


@image_app.command("import")
def image_import(
    name: Annotated[str, typer.Argument(help="The name templates give as base_image.")],
    src: Annotated[str, typer.Argument(help="A root file system directory or tarball, oci:DIR[:tag], or docker-archive:FILE.")],
    region: Annotated[str | None, typer.Option("--region", help="Local region (default: the provider's home region).")] = None,
) -> None:
    """Import a base image (rootfs directory or tarball, oci:DIR[:tag], docker-archive:FILE) into the local store."""
    from imgb.reconciler.operations import local_store

    record, where = local_store.import_base_image(io.project(), name, src, region)
    io.out(f"Imported {src} as {name} ({record['id']}, {record['size']} bytes) in {where}.\n")
