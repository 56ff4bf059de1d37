"""`imgb import-dockerfile`: a Dockerfile as an imgb component (and, optionally, a template
whose base image is the Dockerfile's FROM), with the meaning BuildKit gives it.

The front end reads the file as BuildKit does (``parser``, ``instructions``, ``shell``), the
build context as BuildKit sends it (``context``), and ``convert`` writes Image Builder commands
that build the same files; ``sh`` writes the shell text. What cannot be carried over is listed in
a comment above the component and reported as warnings, one per distinct cause with every line it
applies to; the result is formatted by ``imgb.reconciler.fmt``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from imgb.commands.parse import parse_dockerfile
from imgb.diagnostics import Diagnostics, SourcePos
from imgb.reconciler.dockerfile_import.context import BuildContext
from imgb.reconciler.dockerfile_import.convert import Note, Options, convert, line_list
from imgb.reconciler.fmt import format_source

NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{1,63}$")
MAX_COMMANDS = 127
MAX_CONTENT_BYTES = 16 * 1024
MAX_DESCRIPTION = 256

__all__ = ["BuildContext", "ImportResult", "Options", "default_name", "import_dockerfile", "import_options"]


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
    options: Options | None = None,
) -> ImportResult:
    """``filename`` is how diagnostics name the Dockerfile; ``options`` carries the build context
    (COPY sources are matched there), the platform, build arguments and target stage."""
    result = ImportResult(None)
    diags = result.diagnostics
    if not NAME_RE.match(name):
        diags.error(
            "Invalid name",
            f'"{name}" cannot name a component: use 2 to 64 letters, digits, hyphens and underscores, '
            "starting with a letter (--name).",
        )
        return result
    conv = convert(text, options)
    for note in group_notes(conv.notes):
        summary = note.summary if not note.dropped else f"Not carried over: {note.summary}"
        diags.warning(summary, note.detail, SourcePos(filename, note.line))
    if conv.error is not None:
        diags.error(conv.error.summary, conv.error.detail, SourcePos(filename, conv.error.line))
        return result
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
    misread = _misread(conv.commands)
    if misread:
        diags.error(
            "The import would be misread",
            f"Image Builder would read the command written for this Dockerfile differently: {misread}. This is a bug "
            "in imgb import-dockerfile: please report it with the Dockerfile.",
            SourcePos(filename, 1),
        )
        return result
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


_PLATFORM = re.compile(r"^[a-z0-9]+/[a-z0-9_]+(/[a-z0-9]+)?$")


def import_options(
    dockerfile: Path,
    *,
    context: str | None,
    out: str | None,
    platform: str | None,
    build_args: list[str],
    target: str | None,
) -> tuple[Options, Diagnostics]:
    """The command line's options. COPY sources are written relative to the configuration
    directory, where imgb reads them: OUT's directory (the current one without -o)."""
    diags = Diagnostics()
    opts = Options(target=target)
    if platform:
        if not _PLATFORM.match(platform):
            diags.error("Invalid platform", f'"{platform}" is not os/arch[/variant], as linux/amd64 or linux/arm64.')
        opts.platform = platform
    for item in build_args:
        key, eq, value = item.partition("=")
        if not key or not eq:
            diags.error("Invalid --build-arg", f'"{item}" is not NAME=VALUE.')
            continue
        opts.build_args[key] = value
    ctx_dir = Path(context) if context else dockerfile.parent
    if not ctx_dir.is_dir():
        diags.error("Build context not found", f"{ctx_dir} is not a directory. Pass the build context with --context.")
        return opts, diags
    root = ctx_dir.resolve()
    config_dir = (Path(out).parent if out else Path(".")).resolve()
    never: set[str] = set()
    if out:
        target_file = Path(out).resolve()
        if root in target_file.parents:
            never.add(target_file.relative_to(root).as_posix())
    opts.context = BuildContext.load(root, dockerfile.resolve(), frozenset(never))
    if root == config_dir:
        opts.source_prefix = ""
    elif config_dir in root.parents:
        opts.source_prefix = root.relative_to(config_dir).as_posix()
    else:
        diags.warning(
            "The build context is outside the configuration directory",
            f"imgb reads COPY sources from the configuration directory ({config_dir}), and the build context {root} is "
            "not inside it, so COPY names the files as they are in the build context. Write the configuration into "
            "the build context (-o CONTEXT/NAME.imgb.hcl), or copy the files next to it.",
        )
    return opts, diags


def _misread(commands: list[str]) -> str:
    """The written commands, read back by Image Builder's parser (imgb.commands.parse), must be
    the commands meant: the two languages differ, and this keeps the converter honest."""
    parsed, problems = parse_dockerfile("\n".join(commands) + "\n")
    if problems:
        return f"{problems[0].summary} (line {problems[0].line})"
    if len(parsed) != len(commands):
        return f"{len(commands)} commands read as {len(parsed)}"
    for meant, got in zip(commands, parsed, strict=True):
        keyword, _, args = meant.partition(" ")
        if got.name != keyword or (keyword == "RUN" and got.args != args):
            return f"{meant.splitlines()[0][:60]!r} read as {got.name} {got.args.splitlines()[0][:60]!r}"
    return ""


def group_notes(notes: list[Note]) -> list[Note]:
    """One note per distinct cause (same summary and detail), at its first line, naming the
    other lines it applies to."""
    groups: dict[tuple[str, str, bool], list[Note]] = {}
    for n in notes:
        groups.setdefault((n.summary, n.detail, n.dropped), []).append(n)
    out = []
    for (summary, detail, dropped), items in groups.items():
        lines = sorted({n.line for n in items})
        first = min(items, key=lambda n: n.line)
        if len(lines) > 1:
            detail = f"{detail} (Lines {line_list(lines)}.)"
        out.append(Note(first.line, summary, detail, dropped, first.text))
    return sorted(out, key=lambda n: (n.line, n.summary))



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
        seen = set()
        for n in sorted(dropped, key=lambda n: n.line):
            line = f"#   line {n.line}: {_comment(n.text or n.summary)}"
            if line not in seen:
                seen.add(line)
                out.append(line)
    out.append("")
    body = "\n".join(commands)
    delim = "EOT"
    while any(ln.strip() == delim for ln in body.split("\n")):
        delim += "_"
    content = "\n".join("    " + ln for ln in _hcl_template_escape(body).split("\n"))
    description = _description(filename)
    out += [
        f'component "{name}" {{',
        f"  description = {_hcl_string(description)}",
        f"  content = <<-{delim}",
        content,
        f"  {delim}",
        "}",
    ]
    if template:
        out += [
            "",
            f'template "{name}" {{',
            f"  description = {_hcl_string(description)}",
            f"  base_image = {_hcl_string(base_image)}",
            "  build = <<-EOT",
            f"    COMPONENT ${{component.{name}.id}}",
            "  EOT",
        ]
        if needs_internet:
            out.append("  internet_max_bandwidth_out = 10 # COPY of URLs downloads on the build instance")
        out.append("}")
    return "\n".join(out) + "\n"


def _description(filename: str) -> str:
    """``Imported from NAME``, within Image Builder's 256 characters."""
    base = Path(filename).name or "Dockerfile"
    text = f"Imported from {' '.join(base.split())}"
    if len(text) > MAX_DESCRIPTION:
        text = text[: MAX_DESCRIPTION - 3] + "..."
    return text


def _hcl_template_escape(text: str) -> str:
    """HCL would read ${ and %{ as interpolation and directives; $${ and %%{ are the literals."""
    return text.replace("${", "$${").replace("%{", "%%{")


def _hcl_string(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return '"' + _hcl_template_escape(escaped) + '"'


def _comment(text: str) -> str:
    return " ".join(text.split())
