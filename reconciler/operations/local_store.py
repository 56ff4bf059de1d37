"""The local provider's store, as ``imgb images``, ``imgb logs`` and ``imgb image import`` see it."""

from __future__ import annotations

from typing import Any

from imgb.addresses import Address, Kind
from imgb.reconciler.errors import OperationError
from imgb.reconciler.project import Project


def images(project: Project) -> list[dict[str, Any]]:
    """Every image of every local store the configuration names, per region."""
    from imgb.providers.local import list_images
    from imgb.providers.local.schema import store_root

    config, _ = project.load()  # the configuration names the stores: its variables must have values
    try:
        roots = {store_root(p.attrs, project.directory) for p in config.providers.values() if p.type == "local"}
    except ValueError as e:  # a root outside the configuration directory, not allowed by the operator
        raise OperationError(f"the local provider's store: {e}.") from None
    return [row for root in sorted(roots) for row in list_images(root)]


def build_log(project: Project, address: str) -> str:
    """The build log of the image at ``address`` (current, or ``(retained HASH)``), masked."""
    state = project.state_manager().load()
    addr = Address.parse(address)
    if addr.kind is not Kind.IMAGE:
        raise OperationError("logs are kept for images: give an address like image.web.")
    h = state.current.get(str(addr.template)) if addr.retained is None else None
    candidates = [r for r in state.resources if r.address == str(addr.current()) and (h is None or r.image_hash == h)]
    if addr.retained:
        candidates = [r for r in candidates if (r.image_hash or "").startswith(addr.retained)]
    if not candidates:
        raise OperationError(f'no image "{address}" in the state.')
    r = candidates[0]
    providers = project.providers()  # the configuration names the provider: its variables must have values
    masked: str = project.masker()(providers[r.provider].logs(r.kind, r.id, r.attributes))  # logs may predate masking
    return masked


def import_base_image(project: Project, name: str, src: str, region: str | None) -> tuple[dict[str, Any], str]:
    """Import a base image into the store of the configuration's local provider (or the default
    store); returns its record and the region it went to."""
    from imgb.providers.local.baseimages import BaseImageError, import_image
    from imgb.providers.local.schema import default_root, store_root

    try:
        config, _ = project.load()
        local = [p for p in config.providers.values() if p.type == "local"]
    except Exception:
        local = []
    try:
        root = store_root(local[0].attrs, project.directory) if local else default_root()
    except ValueError as e:
        raise OperationError(f"the local provider's store: {e}.") from None
    reg = region or (local[0].region if local else "local-1")
    try:
        return import_image(root, reg, name, src), reg
    except BaseImageError as e:
        raise OperationError(f"cannot import {src}: {e}") from None


