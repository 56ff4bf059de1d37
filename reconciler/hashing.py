"""Content hashes: what decides an image's bytes, as a Merkle tree of named inputs.

An image's hash covers the resolved base image id, each referenced component (content, version,
type), the build and test commands, the bytes of every file COPY reads, and the build settings
that change the result. Each input is hashed on its own and kept in state, so the next plan can
say *which* input changed. All of it is known at plan time: component ids are not needed,
because a ``COMPONENT ${component.x.id}`` line hashes as the component's own content.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from imgb import digests, unknown
from imgb.reconciler.config.model import Component, Config, Template

BASE = "base image"
BUILD = "build commands"
TEST = "test commands"
SETTINGS = "build settings"
PROVIDER = "provider"


def digest(value: Any) -> str:
    data = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return digests.sha256_hex(data.encode())


def component_digest(component: Component) -> str:
    return digest(
        {
            "content": component.content,
            "version": component.version,
            "type": component.type,
            "system_type": component.system_type,
        }
    )


def referenced_components(text: str) -> list[str]:
    """Component addresses referenced through ``${component.x.id}`` markers, in order."""
    out: list[str] = []
    for ref in unknown.refs_in(text):
        if ref.startswith("component.") and ref.endswith(".id"):
            addr = ref[: -len(".id")]
            if addr not in out:
                out.append(addr)
    return out


def hash_inputs(config: Config, template: Template, base_image_id: str, provider_type: str, region: str) -> dict[str, str]:
    """Named inputs of the image built from ``template`` -> their digests."""
    inputs: dict[str, str] = {
        PROVIDER: digest([provider_type, region]),
        BASE: base_image_id,
        BUILD: digest(unknown.display(template.build)),
        TEST: digest(unknown.display(template.test)),
        SETTINGS: digest(
            {
                "system_disk_size": template.system_disk_size,
                "internet_max_bandwidth_out": template.internet_max_bandwidth_out,
                "instance_type": template.instance_type,
            }
        ),
    }
    contents = [(template.build, False), (template.test, False)]
    for addr in referenced_components(template.build) + referenced_components(template.test):
        comp = config.components.get(addr)
        if comp is not None:
            inputs[addr] = component_digest(comp)
            contents.append((comp.content, True))
    for rel, sha in copied_files(Path(config.directory), contents).items():
        inputs[f"file {rel}"] = sha
    return dict(sorted(inputs.items()))


def content_hash(inputs: Mapping[str, str]) -> str:
    return digest(dict(inputs))


def copied_files(directory: Path, contents: Iterable[tuple[str, bool]]) -> dict[str, str]:
    """relative path -> sha256 of every local file a COPY reads in ``contents``: (text, whether it
    is a component's content, which may be YAML).

    Missing or unsafe sources are left out here: validation reports them."""
    from imgb.commands.parse import parse_content
    from imgb.commands.paths import copy_inputs

    out: dict[str, str] = {}
    for text, component in contents:
        if not text or "copy" not in text.lower():
            continue  # no COPY instruction can be in a text without the word
        for ins in parse_content(text, component=component).instructions:
            if ins.name != "COPY":
                continue
            try:
                out.update(dict(copy_inputs(directory, [s for s in ins.copy_sources if "://" not in s])))
            except ValueError:
                continue
    return dict(sorted(out.items()))


def explain(old: Mapping[str, str], new: Mapping[str, str], base_label: str) -> list[str]:
    """Why the hash moved, for people: one line per changed input."""
    reasons: list[str] = []
    for key in sorted(set(old) | set(new)):
        a, b = old.get(key), new.get(key)
        if a == b:
            continue
        if key == BASE:
            reasons.append(f"base image {base_label} moved to {b}" if a else f"base image {base_label} is {b}")
        elif key in (BUILD, TEST):
            reasons.append(f"{key} changed")
        elif key == SETTINGS:
            reasons.append("build settings changed (system disk, bandwidth or instance type)")
        elif key == PROVIDER:
            reasons.append("provider or home region changed")
        elif key.startswith("file "):
            path = key[len("file ") :]
            reasons.append(f"{path} added" if a is None else f"{path} removed" if b is None else f"{path} changed")
        elif key.startswith("component."):
            if a is None:
                reasons.append(f"{key} added to the build")
            elif b is None:
                reasons.append(f"{key} removed from the build")
            else:
                reasons.append(f"{key} content changed")
        else:
            reasons.append(f"{key} changed")
    return reasons
