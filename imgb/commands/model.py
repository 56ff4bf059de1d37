"""Parsed command content: plain data shared by the checks, the hashing and the providers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

DOCKERFILE_COMMANDS = ("RUN", "ENV", "WORKDIR", "COPY", "USER", "LABEL", "CMD", "ENTRYPOINT", "RESTART")
TEMPLATE_ONLY_COMMANDS = ("COMPONENT",)
YAML_ACTIONS = (
    "RunShellCommand",
    "RunPowerShellCommand",
    "InvokeCommand",
    "OSSDownload",
    "OSSUpload",
    "WebDownload",
    "Reboot",
)


@dataclass(frozen=True)
class Instruction:
    """One Dockerfile-style command, continuation lines joined."""

    name: str
    """Upper-case keyword: RUN, ENV, COPY, COMPONENT..."""
    args: str
    """Everything after the keyword, continuation backslashes and newlines kept as in the source
    for RUN (the shell sees them), joined for the others."""
    line: int
    """1-based line of the keyword within the content."""
    end_line: int
    exec_form: tuple[str, ...] | None = None
    """CMD/ENTRYPOINT written as a JSON array."""
    pairs: tuple[tuple[str, str], ...] = ()
    """ENV and LABEL key/value pairs."""
    component_ref: str | None = None
    """COMPONENT: the id or acs: reference (may hold an unknown marker)."""
    component_params: tuple[tuple[str, str], ...] = ()
    """COMPONENT: --name value pairs, in order."""
    copy_sources: tuple[str, ...] = ()
    copy_dest: str | None = None


@dataclass(frozen=True)
class Parameter:
    """A YAML component's parameter."""

    name: str
    type: Literal["String", "Number", "Boolean"]
    default: Any = None
    has_default: bool = False


@dataclass(frozen=True)
class Task:
    """One task of a YAML component."""

    name: str
    action: str
    properties: dict[str, Any] = field(default_factory=dict)
    line: int = 1


@dataclass(frozen=True)
class YamlComponent:
    """A component written as Image Builder YAML (``Parameters``, ``Tasks``)."""

    parameters: tuple[Parameter, ...] = ()
    tasks: tuple[Task, ...] = ()


@dataclass(frozen=True)
class ParseProblem:
    """Something wrong in command content, found while parsing it."""

    line: int
    """1-based line within the content (not the file); ``TextOrigin.pos`` maps it."""
    summary: str
    detail: str


Content = tuple[Instruction, ...] | YamlComponent


@dataclass(frozen=True)
class Parsed:
    """One content parsed once (``parse.parse_content``): Dockerfile-style commands, or a YAML
    component. The checks, the content hashes and the providers read the same parse."""

    form: Literal["commands", "yaml"]
    instructions: tuple[Instruction, ...] = ()
    """Dockerfile-style commands (none for a YAML component)."""
    component: YamlComponent | None = None
    """A YAML component's parameters and tasks (None for commands, or YAML too broken to read)."""
    problems: tuple[ParseProblem, ...] = ()

    @property
    def copy_sources(self) -> tuple[str, ...]:
        """Every COPY source, in order (local paths and URLs)."""
        return tuple(s for ins in self.instructions if ins.name == "COPY" for s in ins.copy_sources)
