"""`imgb import-dockerfile`: a Dockerfile as an imgb component (and, optionally, a template
whose base image is the Dockerfile's FROM), the way Alibaba's console imports Dockerfiles.

What could not be carried over is listed in a comment above the component and reported as
diagnostics at the Dockerfile's lines; the result is formatted by ``imgb.reconciler.fmt``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from imgb.diagnostics import Diagnostics, SourcePos
from imgb.reconciler.dockerfile_import.convert import Note, convert
from imgb.reconciler.fmt import format_source

NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{1,63}$")
MAX_COMMANDS = 127
MAX_CONTENT_BYTES = 16 * 1024


@dataclass
class ImportResult:
    hcl: str | None
    diagnostics: Diagnostics = field(default_factory=Diagnostics)


def default_name(path: Path) -> str:
    """nginx/Dockerfile -> nginx, web.Dockerfile -> web, Dockerfile.dev -> dev."""
    stem = path.name
    if stem.lower() == "dockerfile":
        stem = path.resolve().parent.name
    elif stem.lower().endswith(".dockerfile"):
        stem = stem[: -len(".dockerfile")]
    elif stem.lower().startswith("dockerfile."):
        stem = stem[len("dockerfile.") :]
    name = re.sub(r"[^A-Za-z0-9_-]+", "-", stem).strip("-_")[:64]
    if not name or not name[0].isalpha():
        name = ("image-" + name)[:64]
    return name if len(name) >= 2 else "image"


def import_dockerfile(
    text: str,
    filename: str,
    *,
    name: str,
    template: bool = False,
    context: Path | None = None,
) -> ImportResult:
    """``filename`` is how diagnostics name the Dockerfile; ``context`` is its build context
    (wildcard COPY sources are matched there)."""
    result = ImportResult(None)
    diags = result.diagnostics
    if not NAME_RE.match(name):
        diags.error(
            "Invalid name",
            f'"{name}" cannot name a component: use 2 to 64 letters, digits, hyphens and underscores, '
            "starting with a letter (--name).",
        )
        return result
    conv = convert(text, context)
    for note in conv.notes:
        summary = note.summary if not note.dropped else f"Not carried over: {note.summary}"
        diags.warning(summary, note.detail, SourcePos(filename, note.line))
    if conv.base_image is None:
        diags.error(
            "No FROM in the Dockerfile",
            f"{filename} has no FROM instruction, so it is not a Dockerfile imgb can import.",
            SourcePos(filename, 1),
        )
        return result
    if not conv.commands:
        diags.error(
            "Nothing to import",
            f"None of the instructions of {filename} can be carried over, and a component needs at least one "
            "command.",
            SourcePos(filename, 1),
        )
        return result
    content = "\n".join(conv.commands) + "\n"
    if len(conv.commands) > MAX_COMMANDS or len(content.encode()) > MAX_CONTENT_BYTES:
        diags.warning(
            "Over Image Builder's content limits",
            f"The component has {len(conv.commands)} commands and {len(content.encode())} bytes; Image Builder "
            f"accepts {MAX_COMMANDS} commands and 16 KB per component. Split it into several components.",
            SourcePos(filename, 1),
        )
    hcl = _render(conv.commands, conv.base_image, conv.notes, filename, name, template, conv.needs_internet)
    formatted, fdiags = format_source(hcl, f"{name}.imgb.hcl")
    if formatted is None:  # cannot happen for what _render writes; keep the unformatted text
        diags.extend(fdiags)
        formatted = hcl
    result.hcl = formatted
    if template and conv.base_image not in ("busybox", "scratch"):
        diags.warning(
            "The base image is a container image",
            f'The template\'s base_image is "{conv.base_image}", the Dockerfile\'s FROM. For the local provider, '
            f"import it first (docker save -o base.tar {conv.base_image}, then imgb image import "
            f"{conv.base_image} docker-archive:base.tar); for Alibaba Cloud, use an ECS image id or set "
            "base_image_family instead.",
            SourcePos(filename, conv.base_line),
        )
    return result


def _render(
    commands: list[str],
    base_image: str,
    notes: list[Note],
    filename: str,
    name: str,
    template: bool,
    needs_internet: bool,
) -> str:
    out = [f"# Imported from {_comment(filename)} by imgb import-dockerfile."]
    dropped = [n for n in notes if n.dropped]
    if dropped:
        out.append("# Not carried over (the import's warnings explain each):")
        for n in sorted(dropped, key=lambda n: n.line):
            out.append(f"#   line {n.line}: {_comment(n.text or n.summary)}")
    out.append("")
    body = "\n".join(commands)
    delim = "EOT"
    while any(ln.strip() == delim for ln in body.split("\n")):
        delim += "_"
    content = "\n".join("    " + ln for ln in _hcl_template_escape(body).split("\n"))
    out += [
        f'component "{name}" {{',
        f"  description = {_hcl_string('Imported from ' + Path(filename).name)}",
        f"  content = <<-{delim}",
        content,
        f"  {delim}",
        "}",
    ]
    if template:
        out += [
            "",
            f'template "{name}" {{',
            f"  description = {_hcl_string('Imported from ' + Path(filename).name)}",
            f"  base_image = {_hcl_string(base_image)}",
            "  build = <<-EOT",
            f"    COMPONENT ${{component.{name}.id}}",
            "  EOT",
        ]
        if needs_internet:
            out.append("  internet_max_bandwidth_out = 10 # COPY of URLs downloads on the build instance")
        out.append("}")
    return "\n".join(out) + "\n"


def _hcl_template_escape(text: str) -> str:
    """HCL would read ${ and %{ as interpolation and directives; $${ and %%{ are the literals."""
    return text.replace("${", "$${").replace("%{", "%%{")


def _hcl_string(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return '"' + _hcl_template_escape(escaped) + '"'


def _comment(text: str) -> str:
    return " ".join(text.split())
