"""``moved``, ``removed`` and ``import`` blocks to model objects, with Terraform's checks.

Their addresses are references that are never evaluated (``template.web`` need not, or must not,
be declared); ``import``'s ``id`` is an expression (a variable, say). What they mean for the state
is decided at plan time (``imgb.reconciler.refactor``), where the state is known.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from imgb.addresses import Address, Kind
from imgb.diagnostics import Diagnostics, SourcePos, did_you_mean
from imgb.reconciler.config import ast
from imgb.reconciler.config.model import Import, Moved, Removed
from imgb.reconciler.config.values import INVALID, ConversionError, to_bool, to_string
from imgb.unknown import Unknown

_ROOTS = ("component", "template")


def _reference(block: ast.Block, name: str, diags: Diagnostics, roots: tuple[str, ...] = _ROOTS) -> tuple[Address, SourcePos] | None:
    attr = next((a for a in block.body.attributes if a.name == name), None)
    if attr is None:
        return None  # reported as a missing required argument
    trav = ast.traversal(attr.expr)
    ok = trav is not None and trav[0] in roots and 1 <= len(trav[1]) <= 2 and isinstance(trav[1][0], str)
    if not ok or trav is None or (len(trav[1]) == 2 and not isinstance(trav[1][1], str)):
        diags.error(
            f"Invalid {block.type} address",
            f'"{name}" of a {block.type} block is the address of a {" or ".join(roots)}: component.NAME, '
            f'template.NAME or template.NAME["key"]{", image.NAME" if "image" in roots else ""} (written without quotes).',
            attr.pos,
        )
        return None
    root, steps = trav
    key = steps[1] if len(steps) == 2 else None
    return Address(Kind(root), str(steps[0]), key if isinstance(key, str) else None), attr.pos


def _declared(address: Address, blocks: set[str], instances: set[str]) -> bool:
    return str(address) in instances or (address.key is None and str(address) in blocks)


def _block(address: Address) -> str:
    """The block an address is of: template.web for template.web["a"]."""
    return str(Address(address.kind, address.name))


def build_refactoring(
    blocks: list[ast.Block],
    declared_blocks: set[str],
    declared_instances: set[str],
    evaluate: Callable[[ast.Expr], Any],
    diags: Diagnostics,
) -> tuple[tuple[Moved, ...], tuple[Removed, ...], tuple[Import, ...]]:
    moved: list[Moved] = []
    removed: list[Removed] = []
    imports: list[Import] = []
    for block in blocks:
        if block.type == "moved":
            src_ref, dst_ref = _reference(block, "from", diags), _reference(block, "to", diags)
            if src_ref is None or dst_ref is None:
                continue
            (src_addr, src_pos), (dst_addr, dst_pos) = src_ref, dst_ref
            src, dst = (str(src_addr), src_pos), (str(dst_addr), dst_pos)
            if src_addr.kind is not dst_addr.kind:
                diags.error(
                    "Invalid moved block",
                    f"A {src_addr.kind} cannot move to a {dst_addr.kind} ({src[0]} to {dst[0]}): "
                    "from and to must be of the same kind.",
                    block.pos,
                )
                continue
            if src[0] == dst[0]:
                diags.error("Invalid moved block", f"{src[0]} moves to itself; remove the block.", block.pos)
                continue
            if _declared(src_addr, declared_blocks, declared_instances):
                diags.error(
                    "Moved object still exists",
                    f"This block moves {src[0]} to {dst[0]}, but {src[0]} is still declared in the configuration. "
                    "Rename the block (or change its for_each key) to the new address, or remove the moved block.",
                    src[1],
                )
                continue
            if not _declared(dst_addr, declared_blocks, declared_instances):
                names = sorted(name for kind, _, name in (a.partition(".") for a in declared_blocks) if kind == dst_addr.kind)
                diags.warning(
                    "Moved object's target is not declared",
                    f"This block moves {src[0]} to {dst[0]}, which the configuration does not declare, so the plan "
                    f"deletes what moves there.{did_you_mean(dst_addr.name, names)}",
                    dst[1],
                )
            moved.append(Moved(from_address=src[0], to_address=dst[0], pos=block.pos))
        elif block.type == "removed":
            removed_ref = _reference(block, "from", diags)
            if removed_ref is None:
                continue
            src = (str(removed_ref[0]), removed_ref[1])
            destroy = True
            for nested in block.body.blocks:
                for attr in nested.body.attributes:
                    try:
                        value = evaluate(attr.expr)
                        destroy = to_bool(value) if value is not INVALID else destroy
                    except ConversionError as exc:
                        diags.error("Incorrect attribute value type", f'Inappropriate value for "destroy": {exc}.', attr.pos)
            if _declared(removed_ref[0], declared_blocks, declared_instances) or _block(removed_ref[0]) in declared_blocks:
                diags.error(
                    "Removed object still exists",
                    f"This removed block is for {src[0]}, which is still declared in the configuration. Remove the "
                    f"{_block(removed_ref[0])} block, or this removed block.",
                    src[1],
                )
                continue
            removed.append(Removed(from_address=src[0], destroy=destroy, pos=block.pos))
        elif block.type == "import":
            to_ref = _reference(block, "to", diags, (*_ROOTS, "image"))
            id_attr = next((a for a in block.body.attributes if a.name == "id"), None)
            if to_ref is None or id_attr is None:
                continue
            try:
                value = evaluate(id_attr.expr)
                if value is INVALID:
                    continue
                if isinstance(value, Unknown) or value is None:
                    raise ConversionError("the id must be known when planning")
                object_id = to_string(value)
            except ConversionError as exc:
                diags.error("Invalid import id", f'Inappropriate value for "id": {exc}.', id_attr.pos)
                continue
            if not object_id:
                diags.error("Invalid import id", "The id of an import block cannot be empty.", id_attr.pos)
                continue
            imports.append(Import(to_address=str(to_ref[0]), id=object_id, pos=block.pos))
    seen: dict[str, SourcePos] = {}
    for imp in imports:
        if imp.to_address in seen:
            diags.error(
                "Duplicate import configuration",
                f"{imp.to_address} is already imported by the block at {seen[imp.to_address]}; an object can be "
                "imported to one address once.",
                imp.pos,
            )
        seen[imp.to_address] = imp.pos
    return tuple(moved), tuple(removed), tuple(imports)
