"""Plan-time checks of what the local provider can do (no side effects)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from imgb.addresses import Kind
from imgb.commands.parse import parse_content
from imgb.commands.paths import is_url
from imgb.diagnostics import Diagnostic, SourcePos, error
from imgb.fsops import ALLOW_NETWORK_ENV, network_allowed
from imgb.providers.local.bases import BUILTIN, is_base
from imgb.providers.local.store import InvalidRegion, Store, check_region
from imgb.unknown import has_markers


def _pos(desired: Mapping[str, Any], field: str, line: int) -> SourcePos | None:
    """The user's file:line of ``line`` in text attribute ``field``, when the engine passed its
    origin as ``<field>_origin`` ({filename, line} or an object with ``pos``)."""
    origin = desired.get(f"{field}_origin")
    if origin is None:
        return None
    if hasattr(origin, "pos"):
        return origin.pos(line)
    if isinstance(origin, Mapping) and "filename" in origin:
        return SourcePos(str(origin["filename"]), int(origin.get("line", 1)) + line - 1)
    return None


def _content_diags(text: str, field: str, desired: Mapping[str, Any], address: str) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    parsed = parse_content(text, component=field == "content")
    if parsed.form == "yaml":
        from imgb.providers.local.builder import UNSUPPORTED_ACTIONS  # the build machinery: for YAML only

        for task in parsed.component.tasks if parsed.component else ():
            if task.action in UNSUPPORTED_ACTIONS:
                out.append(error(
                    f'The local provider cannot run "{task.action}"',
                    f'Task "{task.name}" uses the {task.action} action, which needs Alibaba Cloud services '
                    "(OSS, Cloud Assistant, Windows or the build instance's downloads). Local builds run "
                    "RunShellCommand and Reboot only: replace it with a RunShellCommand, or build this "
                    "template with the alicloud provider.",
                    _pos(desired, field, task.line), address))
        return out
    for ins in parsed.instructions:
        if ins.name == "COPY" and any(is_url(s) for s in ins.copy_sources):
            out.append(error(
                "The local provider cannot COPY from a URL",
                "Local builds read COPY sources from the configuration directory only. Download the file "
                "into the directory and COPY it from there, or fetch it with RUN (with "
                "internet_max_bandwidth_out above 0 to allow network access).",
                _pos(desired, field, ins.line), address))
    return out


def shadows_base(store: Store, region: str, name: str) -> bool:
    """Would an image built as ``name`` share its name with a base image of the home region?"""
    if name in BUILTIN:
        return True
    return any(r.get("name") == name and is_base(r) for r in store.records(region, "images"))


def check_desired(store: Store, region: str, kind: Kind, desired: Mapping[str, Any], address: str) -> list[Diagnostic]:
    """What the local provider (its ``store``, home ``region``) cannot do with ``desired``."""
    kind = Kind(kind)
    out: list[Diagnostic] = []
    if kind is Kind.COMPONENT:
        if desired.get("system_type") == "Windows":
            out.append(error("The local provider cannot build Windows components",
                             "Local builds run Linux containers. Set system_type to Linux, or use the "
                             "alicloud provider for Windows images.", None, address))
        out += _content_diags(str(desired.get("content") or ""), "content", desired, address)
    elif kind is Kind.TEMPLATE:
        for field in ("build_content", "test_content"):
            out += _content_diags(str(desired.get(field) or ""), field, desired, address)
        bandwidth = desired.get("internet_max_bandwidth_out")
        if isinstance(bandwidth, int | float) and not isinstance(bandwidth, bool) and bandwidth > 0 \
                and not network_allowed():
            out.append(error(
                "Network access for builds is not allowed here",
                f"The template sets internet_max_bandwidth_out = {bandwidth:g}, so its RUN steps would reach the "
                "network. Whether local builds may is the operator's decision, not the configuration's: run imgb "
                f"with -allow-network (or {ALLOW_NETWORK_ENV}=1) to allow it (builds then get a network namespace "
                "of their own, with no way to the host's loopback), or set internet_max_bandwidth_out = 0.",
                None, address))
        name = desired.get("image_name")
        if isinstance(name, str) and not has_markers(name) and shadows_base(store, region, name):
            out.append(error(
                f'Image name "{name}" is the name of a base image',
                f'"{name}" names an imported (or built-in) base image in local region {region}. An image '
                "built under that name could be mistaken for the base by every template that builds on it, so "
                "the local provider refuses it. Choose another image_name.", None, address))
        base = desired.get("base_image")
        if isinstance(base, str) and base and not has_markers(base) and base not in BUILTIN:
            images = store.records(region, "images")
            if not any(r["id"] == base or r.get("name") == base for r in images):
                out.append(error(
                    f'Base image "{base}" not found in local region {region}',
                    f'The local provider has the built-in base images {", ".join(BUILTIN)}, images it built, '
                    "and images imported with `imgb image import NAME SRC`. Use one of those, or import "
                    f'"{base}" first.', None, address))
    elif kind is Kind.COPY:
        target = desired.get("region")
        if isinstance(target, str) and not has_markers(target):
            try:
                check_region(target)
            except InvalidRegion as e:
                out.append(error("Invalid local region name", str(e), None, address))
    return out
