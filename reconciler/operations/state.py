"""State surgery, imports and locks: ``imgb state list|show|rm|mv|pull|push|migrate``,
``imgb import`` and ``imgb force-unlock``."""

from __future__ import annotations

from pathlib import Path

from imgb.addresses import Address, Kind, moved
from imgb.diagnostics import DiagnosticError, error
from imgb.reconciler.errors import OperationError
from imgb.reconciler.project import Project
from imgb.state.backend import LockError, LockInfo, hostname, pid_alive
from imgb.state.local import LocalBackend
from imgb.state.manager import parse_state
from imgb.state.model import ResourceState, State
from imgb.state.workspace import migrate


def show(project: Project, address: str) -> list[tuple[str, ResourceState]]:
    """The resources at ``address`` (as shown, or as recorded) with the address they are shown at."""
    state = project.state_manager().load().normalized()
    # image.web is the image in service; a retained one is shown at image.web (retained HASH).
    found = [(state.display_address(r), r) for r in state.resources if state.display_address(r) == address]
    if not found:
        others = [state.display_address(r) for r in state.resources if r.address == address]
        hint = f" {address} has nothing in service; state holds {', '.join(others)}." if others else ""
        raise OperationError(f'no resource "{address}" in the state.{hint} Run imgb state list to see what is there.')
    return found


def remove(project: Project, addresses: list[str]) -> list[str]:
    """Forget resources without deleting them: all or, when one is not in the state, none.
    Returns the addresses given, once per object forgotten."""
    manager = project.state_manager()
    with manager.session("state rm") as session:
        st = session.state
        found: list[tuple[str, ResourceState]] = []
        for a in addresses:
            matches = [r for r in st.resources if st.display_address(r) == a or r.address == a]
            if not matches:
                raise OperationError(f'no resource "{a}" in the state.')
            found += [(a, r) for r in matches]
        for _, r in found:
            session.remove(r.address, r.image_hash)
        session.checkpoint()
    return [a for a, _ in found]


def move(project: Project, source: str, destination: str) -> int:
    """Move what is at ``source`` to ``destination`` (a template with its images, copies and
    shares); returns how many objects moved."""
    src, dst = Address.parse(source), Address.parse(destination)
    if src.kind != dst.kind:
        raise OperationError("a resource can only move to an address of the same kind.")
    manager = project.state_manager()
    with manager.session("state mv") as session:
        st = session.state
        if st.operations:
            raise OperationError("an interrupted apply left operations in progress; run imgb apply first, then move.")
        moves: list[tuple[ResourceState, str]] = []
        for r in st.resources:
            dest = moved(Address.parse(r.address), src, dst)
            if dest is not None:
                moves.append((r, str(dest)))
        taken = {(r.address, r.image_hash) for r in st.resources} - {(r.address, r.image_hash) for r, _ in moves}
        clash = sorted(to for r, to in moves if (to, r.image_hash) in taken)
        if clash:
            raise OperationError(f'"{clash[0]}" is already in the state; remove it or choose another destination.')
        for r, _ in moves:
            session.remove(r.address, r.image_hash)
        for r, to in moves:
            template = r.template and str(moved(Address.parse(r.template), src, dst) or r.template)
            session.put(r.model_copy(update={"address": to, "template": template}))
        for tmpl in sorted(set(st.current) | set(st.in_service) | set(st.failures)):
            to_t = moved(Address.parse(tmpl), src, dst)
            if to_t is not None and str(to_t) != tmpl:
                session.move_template(tmpl, str(to_t))  # what is in service, since when, goes along
        session.checkpoint()
    if not moves:
        raise OperationError(f'no resource "{source}" in the state.')
    return len(moves)


def push(project: Project, path: Path, *, force: bool) -> None:
    """Replace the state with a JSON file (refused across lineages or to an older serial)."""
    try:
        state = parse_state(path.read_bytes())  # a version 1 state is migrated
    except Exception as e:
        raise OperationError(f"{path} is not an imgb state file: {str(e).splitlines()[0]}") from None
    project.state_manager().push(state, force=force)


def migrate_local(project: Project, *, from_local: Path | None, to_local: Path | None, force: bool) -> State:
    """Copy a local state file into the configured backend (``from_local``), or the configured
    backend's state into a local file (``to_local``), keeping lineage and serial."""
    configured = project.backend()
    local = LocalBackend(from_local or to_local or Path())
    src, dst = (local, configured) if from_local else (configured, local)
    state = migrate(src, dst, project.workspace, force=force)
    if state is None:
        raise OperationError("the source has no state to migrate.")
    return state


def import_object(project: Project, address: str, object_id: str) -> Address:
    """Read an existing object through its provider and record it in state at ``address``."""
    config, _ = project.load()
    addr = Address.parse(address)
    declared = str(addr.template)
    block = config.components.get(declared) or config.templates.get(declared)
    if block is None:
        raise DiagnosticError(error("Import to an address not in the configuration", f"{declared} is not declared; add it first."))
    manager = project.state_manager()
    _refuse_managed(manager.load(), addr, object_id)  # before asking the provider
    provider = project.providers()[block.provider]
    attrs = provider.read(addr.kind, object_id, {})
    if attrs is None:
        raise DiagnosticError(error("Object not found", f'The {block.provider} provider has no {addr.kind} "{object_id}".'))
    with manager.session("import") as session:
        _refuse_managed(session.state, addr, object_id)  # and again under the lock
        session.put(
            ResourceState(
                address=str(addr), kind=addr.kind, provider=block.provider, id=object_id, attributes=project.masker()(attrs),
                template=declared if addr.kind not in (Kind.COMPONENT, Kind.TEMPLATE) else None,
            )
        )
        session.checkpoint()
    return addr


def force_unlock(project: Project, lock_id: str) -> LockInfo:
    """Remove a lock left behind; refused while the process holding it still runs on this host.
    Returns the holder that was removed."""
    manager = project.state_manager()
    holder = manager.lock_holder()
    if holder is None:
        raise OperationError(f"{manager.describe()} is not locked; there is nothing to unlock.")
    if holder.id == lock_id and holder.host == hostname() and pid_alive(holder.pid):
        raise OperationError(
            f"process {holder.pid} ({holder.who}, {holder.operation} since {holder.created}) still holds "
            f"the lock on {manager.describe()}. Wait for it to finish, or stop it (kill {holder.pid}); "
            "a lock whose process has ended is released by itself or can then be removed."
        )
    try:
        manager.force_unlock(lock_id)
    except LockError as e:
        raise OperationError(f"{e}.") from None
    return holder


def _refuse_managed(state: State, addr: Address, object_id: str) -> None:
    """An address holds one object (an image's retained generations are its own), and an object
    is managed at one address: importing either again would record it twice."""
    at = [r for r in state.resources if r.address == str(addr)]
    if at:
        ids = ", ".join(sorted({r.id or "?" for r in at}))
        raise DiagnosticError(error(
            "Resource already managed",
            f"{addr} is already in the state ({ids}). To import another object there, forget this one first "
            f"(imgb state rm {addr}); to manage it under another name, imgb state mv.",
        ))
    same = [r for r in state.resources if r.id == object_id]
    if same:
        raise DiagnosticError(error(
            "Object already managed",
            f'"{object_id}" is already managed as {same[0].address}; one object is managed at one address. '
            f"To move it, use imgb state mv {same[0].address} {addr}.",
        ))
