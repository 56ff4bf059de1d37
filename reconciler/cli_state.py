"""The commands that read and change the state and the local store: ``imgb state``,
``imgb workspace``, ``imgb image``, ``import``, ``force-unlock``, ``images`` and ``logs``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from imgb.reconciler import cli_io as io

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


def force_unlock(lock_id: str) -> None:
    """Remove a lock left behind. Refused while the process holding it still runs on this host."""
    from imgb.reconciler.operations import state as ops

    holder = ops.force_unlock(io.project(), lock_id)
    io.out(f"The state lock {lock_id} (held by {holder.who}, operation {holder.operation}, since {holder.created}) has been removed.\n")


def import_(address: str, id: str, var: io.VarOpt = None, var_file: io.VarFileOpt = None) -> None:
    """Read an existing object through its provider and record it in state at ADDRESS."""
    from imgb.reconciler.operations import state as ops

    io.out(f"Imported {id} as {ops.import_object(io.project(var, var_file), address, id)}.\n")


# -- state subcommands -------------------------------------------------------------------------------
@state_app.command("list")
def state_list() -> None:
    """List the resources in the state."""
    state = io.project().state_manager().load().normalized()
    for r in state.resources:
        io.out(state.display_address(r) + "\n")


@state_app.command("show")
def state_show(address: str) -> None:
    """Show one resource in the state."""
    from imgb.reconciler.operations import state as ops
    from imgb.reconciler.project import dump_json

    for shown, r in ops.show(io.project(), address):
        io.out(f"# {shown}\n" + dump_json(r.model_dump(mode="json")))


@state_app.command("rm")
def state_rm(addresses: list[str]) -> None:
    """Forget resources without deleting them."""
    from imgb.reconciler.operations import state as ops

    for a in ops.remove(io.project(), addresses):
        io.out(f"Removed {a}\n")


@state_app.command("mv")
def state_mv(source: str, destination: str) -> None:
    """Move a resource to another address (after renaming a block), without rebuilding."""
    from imgb.reconciler.operations import state as ops

    count = ops.move(io.project(), source, destination)
    io.out(f"Moved {source} to {destination} ({count} object(s)).\n")


@state_app.command("pull")
def state_pull() -> None:
    """Print the state as JSON."""
    io.dump(io.project().state_manager().load().model_dump(mode="json"))


@state_app.command("push")
def state_push(
    path: str,
    force: Annotated[bool, typer.Option("--force", help="Overwrite even a different lineage or a newer serial.")] = False,
) -> None:
    """Replace the state with a JSON file (refused across lineages or to an older serial)."""
    from imgb.reconciler.operations import state as ops

    ops.push(io.project(), Path(path), force=force)
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
@workspace_app.command("list")
def workspace_list() -> None:
    from imgb.reconciler.operations import workspaces

    names, current = workspaces.list_all(io.project())
    for n in names:
        io.out(("* " if n == current else "  ") + n + "\n")


@workspace_app.command("new")
def workspace_new(name: str) -> None:
    from imgb.reconciler.operations import workspaces

    workspaces.new(io.project(), name)
    io.out(f'Created and switched to workspace "{name}".\n')


@workspace_app.command("select")
def workspace_select(name: str) -> None:
    from imgb.reconciler.operations import workspaces

    workspaces.select(io.project(), name)
    io.out(f'Switched to workspace "{name}".\n')


@workspace_app.command("delete")
def workspace_delete(name: str, force: Annotated[bool, typer.Option("--force")] = False) -> None:
    from imgb.reconciler.operations import workspaces

    workspaces.delete(io.project(), name, force=force)
    io.out(f'Deleted workspace "{name}".\n')


# -- local provider helpers --------------------------------------------------------------------------------
def images(json_: Annotated[bool, typer.Option("--json")] = False, var: io.VarOpt = None, var_file: io.VarFileOpt = None) -> None:
    """List the images in the local provider's store, per region."""
    from imgb.reconciler.operations import local_store
    from imgb.reconciler.views.state_text import render_images

    rows = local_store.images(io.project(var, var_file))
    if json_:
        io.dump(rows)
        return
    io.out(render_images(rows))


def logs(address: str, var: io.VarOpt = None, var_file: io.VarFileOpt = None) -> None:
    """Print the build log of an image."""
    from imgb.reconciler.operations import local_store

    io.out(local_store.build_log(io.project(var, var_file), address))


@image_app.command("import")
def image_import(
    name: str,
    src: str,
    region: Annotated[str | None, typer.Option("--region", help="Local region (default: the provider's home region).")] = None,
) -> None:
    """Import a base image (rootfs directory or tarball, oci:DIR[:tag], docker-archive:FILE) into the local store."""
    from imgb.reconciler.operations import local_store

    record, where = local_store.import_base_image(io.project(), name, src, region)
    io.out(f"Imported {src} as {name} ({record['id']}, {record['size']} bytes) in {where}.\n")
