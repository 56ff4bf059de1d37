"""The local provider's store, as ``imgb images``, ``imgb logs`` and ``imgb image import`` see it."""

from __future__ import annotations

from typing import Any

from imgb.addresses import Address, Kind
from imgb.reconciler.errors import OperationError
from imgb.reconciler.project import Project
from imgb.state.model import DEPOSED, TEST_FAILED, BuildFailure, ResourceState, State


def images(project: Project) -> list[dict[str, Any]]:
    """Every image of every local store the configuration names, per region."""
    from imgb.providers.local import list_images
    from imgb.providers.local.schema import store_root

    config, _ = project.load()  # the configuration names the stores: its variables must have values
    try:
        roots = {store_root(p.attrs, project.directory) for p in config.providers.values() if p.type == "local"}
    except ValueError as e:  # a root outside the configuration directory, not allowed by the operator
        raise OperationError(f"the local provider's store: {e}.") from None
    rows = [row for root in sorted(roots) for row in list_images(root)]
    state = project.state_manager().load()
    in_service = {
        (str(r.attributes.get("region") or ""), r.id): r.template
        for r in state.resources
        if r.kind in (Kind.IMAGE, Kind.COPY) and r.template and r.status == "ok" and state.is_current(r)
    }
    for row in rows:
        row["in_service"] = in_service.get((row["region"], row["id"]))
    return rows


def build_log(project: Project, address: str) -> tuple[str, str]:
    """The build log of the image at ``address``, masked, and a note saying which build it is:
    ``image.web`` is the template's latest build (a failed one, or one whose tests failed, when it
    came after the image in service); ``image.web (retained HASH)`` any image or failed build."""
    state = project.state_manager().load()
    addr = Address.parse(address)
    if addr.kind is not Kind.IMAGE:
        raise OperationError("logs are kept for images: give an address like image.web.")
    found = _build_for_logs(state, addr)
    if found is None:
        raise OperationError(f'no image "{address}" in the state.')
    provider_key, image_id, attrs, note = found
    providers = project.providers()  # the configuration names the provider: its variables must have values
    if provider_key not in providers:
        raise OperationError(f'provider "{provider_key}" is not configured, so the log of {address} cannot be read.')
    masked: str = project.masker()(providers[provider_key].logs(Kind.IMAGE, image_id, attrs))  # logs may predate masking
    return masked, note


def _build_for_logs(state: State, addr: Address) -> tuple[str, str, dict[str, Any], str] | None:
    """(provider, image id, attributes, note) of the build ``addr`` names."""
    template, plain = str(addr.template), str(addr.current())
    images = [r for r in state.resources if r.address == plain and r.kind is Kind.IMAGE and r.status != DEPOSED]
    failure = state.failures.get(template)
    failure = failure if failure is not None and failure.address == plain else None

    def failed_build(f: BuildFailure) -> tuple[str, str, dict[str, Any], str]:
        return f.provider, "", dict(f.handle), f"# {plain}: the build of {f.hash[:8]} that failed at {f.at} ({f.code})"

    def image(r: ResourceState) -> tuple[str, str, dict[str, Any], str]:
        h = (r.image_hash or "")[:8]
        if r.status == TEST_FAILED:
            note = f"# {plain}: image {r.id} ({h}), whose tests failed at {r.created_at}"
        elif state.current.get(template) == r.image_hash:
            note = f"# {plain}: image {r.id} ({h}), in service"
        else:
            note = f"# {plain}: image {r.id} ({h}), retained"
        return r.provider, r.id, dict(r.attributes), note

    if addr.retained:
        for r in images:
            if (r.image_hash or "").startswith(addr.retained):
                return image(r)
        return failed_build(failure) if failure is not None and failure.hash.startswith(addr.retained) else None
    if failure is not None:  # kept only while no later build got through
        return failed_build(failure)
    by_time = sorted(images, key=lambda r: (r.created_at or "", r.image_hash or ""))
    current = [r for r in images if r.image_hash == state.current.get(template)]
    since = (current[0].created_at or "") if current else ""
    later_failed = [r for r in by_time if r.status == TEST_FAILED and (not current or (r.created_at or "") > since)]
    if later_failed:
        return image(later_failed[-1])
    if current:
        return image(current[0])
    return image(by_time[-1]) if by_time else None


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


