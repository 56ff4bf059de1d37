"""Server-side checks of component and template content (reference §2.7), and COMPONENT refs."""

from __future__ import annotations

import re

from .errors import ApiError, bad, not_found

MAX_CONTENT_BYTES = 16 * 1024
MAX_COMMANDS = 127
_COMMANDS = {"RUN", "ENV", "WORKDIR", "COPY", "USER", "LABEL", "CMD", "ENTRYPOINT", "RESTART"}
_NEEDS_ARG = {"RUN", "ENV", "LABEL", "COPY", "ENTRYPOINT", "CMD", "WORKDIR", "USER"}
COMPONENT_ID_RE = re.compile(r"\bic-[0-9a-z]+")


def _is_yaml(text: str) -> bool:
    return bool(re.match(r"\s*(Parameters|Tasks)\s*:", text))


def _instructions(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.rstrip()
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        pending += line[:-1] + " " if line.endswith("\\") else line
        if line.endswith("\\"):
            continue
        word, _, args = pending.strip().partition(" ")
        out.append((word.upper(), args.strip()))
        pending = ""
    if pending.strip():
        word, _, args = pending.strip().partition(" ")
        out.append((word.upper(), args.strip()))
    return out


def check(text: str, *, template: bool, length_code: str) -> list[str]:
    """Validate ``text``; return the component references it makes (ids or acs: ARNs)."""
    if len(text.encode()) > MAX_CONTENT_BYTES:
        raise bad(length_code, "The content exceeds 16 KB.")
    if _is_yaml(text):
        if template:
            raise bad("InvalidParameter.BuildContent", "Template content must use Dockerfile-style commands.")
        return []
    instructions = _instructions(text)
    if len(instructions) > MAX_COMMANDS:
        raise bad("InvalidImageTemplateCommandSize.ExceededMaxNumber", "The number of commands exceeds 127.")
    refs: list[str] = []
    for name, args in instructions:
        if name == "FROM":
            if template:
                continue  # deprecated and ignored in templates
            raise not_found("NotSupportedCommand.FROM", "The FROM command is not supported in image components.")
        if name == "COMPONENT":
            if not template:
                raise bad("InvalidCommand.Component", "Image component does not support component command.")
            if not args:
                raise bad("InvalidParameter.BuildContent", "COMPONENT needs a component id.")
            refs.append(args.split()[0])
            continue
        if name not in _COMMANDS:
            raise bad("InvalidImageTemplateCommand.NotSupported", f"The command {name} is not supported.")
        if name == "RESTART" and args:
            raise bad("NotEmptyCommandContent.RESTART", "Nothing may follow RESTART.")
        if name in _NEEDS_ARG and not args:
            raise bad(f"EmptyCommandContent.{name}", f"The command {name} has no content.")
        if name == "COPY" and len(args.split()) < 2:
            raise bad("InvalidCommandContent.COPY", "COPY needs a source and a destination.")
    return refs


def resolve_refs(refs: list[str], known: dict[str, object]) -> list[str]:
    """Component ids referenced; ``acs:`` ARNs are accepted as they are (name/version lookups)."""
    ids: list[str] = []
    for ref in refs:
        if ref.startswith("acs:"):
            continue
        if ref not in known:
            raise ApiError(404, "ImageComponent.NotFound", f"The image component {ref} does not exist.")
        ids.append(ref)
    return ids
