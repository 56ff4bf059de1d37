"""HCL for objects that import blocks adopt before the configuration declares them
(``imgb plan -generate-config-out=FILE``, as Terraform's): written from the attributes the
provider read, formatted as ``imgb fmt`` would, for the user to review and tidy."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from imgb.addresses import Address, Kind
from imgb.reconciler.fmt import format_source

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
HEADER = "# __generated__ by imgb plan -generate-config-out from the objects import blocks adopt.\n# Review it: attributes equal to their defaults can go.\n"

# Block attribute <- attribute the provider reads, in the order a person would write them.
_ATTRS = {
    Kind.COMPONENT: (("version", "version"), ("type", "type"), ("system_type", "system_type"),
                     ("description", "description"), ("content", "content"), ("tags", "tags")),
    Kind.TEMPLATE: (("description", "description"), ("base_image", "base_image"), ("instance_type", "instance_type"),
                    ("system_disk_size", "system_disk_size"),
                    ("internet_max_bandwidth_out", "internet_max_bandwidth_out"), ("vswitch_id", "vswitch_id"),
                    ("build", "build_content"), ("test", "test_content"), ("image_name", "image_name"),
                    ("image_family", "image_family"), ("image_description", "image_description"),
                    ("image_tags", "image_tags"), ("tags", "tags")),
}


def _value(v: Any) -> str:
    if isinstance(v, str) and "\n" in v.rstrip("\n"):
        body = "".join(f"    {ln}\n" if ln else "\n" for ln in v.rstrip("\n").split("\n"))
        return "<<-EOT\n" + body.replace("${", "$${").replace("%{", "%%{") + "  EOT"
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False).replace("${", "$${").replace("%{", "%%{")
    if isinstance(v, dict):
        items = ", ".join(f"{k if _IDENT.fullmatch(k) else json.dumps(k)} = {_value(x)}" for k, x in sorted(v.items()))
        return "{ " + items + " }" if items else "{}"
    return json.dumps(v, ensure_ascii=False, sort_keys=True)


def block_hcl(address: str, object_id: str, attrs: Mapping[str, Any]) -> str:
    addr = Address.parse(address)
    lines = [f"# {address}: imported from {object_id}", f'{addr.kind} "{addr.name}" {{']
    for name, source in _ATTRS.get(addr.kind, ()):
        v = attrs.get(source)
        if v in (None, "", {}, []):
            continue
        lines.append(f"  {name} = {_value(v)}")
    lines.append("}")
    return "\n".join(lines) + "\n"


def generated_config(objects: list[tuple[str, str, dict[str, Any]]]) -> str:
    text = HEADER + "\n" + "\n".join(block_hcl(a, i, attrs) for a, i, attrs in sorted(objects))
    formatted, _ = format_source(text, "generated.imgb.hcl")
    return formatted if formatted is not None else text
