"""Parsing of Image Builder command content: Dockerfile-style commands and YAML components.

Pure functions over text. They never raise on bad input: what cannot be understood becomes a
``ParseProblem`` at a line of the content, and the checks (``check.py``) map it to the user's file.
Which commands are allowed where is the checks' business, not the parser's: an unknown keyword still
parses into an ``Instruction`` so the checks can name it.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import re
import shlex
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from imgb.commands.model import (
    YAML_ACTIONS,
    Instruction,
    Parameter,
    Parsed,
    ParseProblem,
    Task,
    YamlComponent,
)
from imgb.diagnostics import did_you_mean
from imgb.unknown import CLOSE, OPEN

if TYPE_CHECKING:
    import yaml  # YAML components are rare: PyYAML loads when one is read (a quarter of validate's imports)

# A trailing backslash (optionally followed by blanks, as Docker allows) continues the command.
_CONTINUATION_RE = re.compile(r"\\[ \t]*$")
_ENV_KEY_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_KEYWORD_RE = re.compile(r"^(\S+)(?:[ \t]+(.*))?$", re.DOTALL)
_MARKER_RE = re.compile(OPEN + "[^" + CLOSE + "]*" + CLOSE)


def parse_content(text: str, *, component: bool) -> Parsed:
    """``text`` parsed once per process, whoever asks. A component's content is a YAML component
    when it is one (``is_yaml``) or starts like one (so a broken document is reported as YAML);
    a template's build and test commands are always Dockerfile-style."""
    if component and (is_yaml(text) or looks_like_yaml(text)):
        return _yaml_content(text)
    return _commands(text)


@functools.lru_cache(maxsize=1 << 14)
def _commands(text: str) -> Parsed:
    instructions, problems = parse_dockerfile(text)
    return Parsed("commands", instructions=instructions, problems=tuple(problems))


@functools.lru_cache(maxsize=1 << 12)
def _yaml_content(text: str) -> Parsed:
    doc, problems = parse_yaml_component(text)
    return Parsed("yaml", component=doc, problems=tuple(problems))


# ---------------------------------------------------------------------------------------------
# Dockerfile-style content


def parse_dockerfile(text: str) -> tuple[tuple[Instruction, ...], list[ParseProblem]]:
    """Split ``text`` into instructions, joining continuation lines.

    Blank lines and lines starting with ``#`` are skipped, also inside a continued command
    (as Docker does). RUN keeps its continuation backslashes and newlines, because the shell
    sees them; the other commands are joined with single spaces.
    """
    instructions: list[Instruction] = []
    problems: list[ParseProblem] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        raw = lines[i]
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            i += 1
            continue
        start = i
        pieces = [raw.lstrip()]
        last = raw  # the last line that belongs to the command (comment lines do not)
        while _CONTINUATION_RE.search(last) and i + 1 < len(lines):
            i += 1
            nxt = lines[i]
            if nxt.strip().startswith("#"):
                continue
            pieces.append(nxt)
            last = nxt
        if _CONTINUATION_RE.search(last) and i + 1 >= len(lines):
            problems.append(
                ParseProblem(
                    i + 1,
                    "Line continuation at the end of the content",
                    "The last line ends with a backslash, which continues the command onto a line that "
                    "does not exist. Remove the trailing backslash.",
                )
            )
        instructions.append(_instruction(pieces, start + 1, i + 1, problems))
        i += 1
    return tuple(instructions), problems


def _instruction(pieces: list[str], line: int, end_line: int, problems: list[ParseProblem]) -> Instruction:
    m = _KEYWORD_RE.match(pieces[0])
    assert m is not None  # the first piece is a non-blank line
    keyword = m.group(1)
    name = keyword.upper()
    if name == "RUN":
        # Everything after the keyword exactly as written, continuations included.
        args = "\n".join([m.group(2) or "", *pieces[1:]]).strip()
    else:
        joined = [_CONTINUATION_RE.sub("", p).strip() for p in [m.group(2) or "", *pieces[1:]]]
        args = " ".join(p for p in joined if p)
    base = Instruction(name=name, args=args, line=line, end_line=end_line)
    if not args:
        return base
    parse = _ARG_PARSERS.get(name)
    if parse is None:
        return base
    return parse(base, problems)


def _problem(ins: Instruction, summary: str, detail: str) -> ParseProblem:
    return ParseProblem(ins.line, summary, detail)


def _split_words(ins: Instruction, problems: list[ParseProblem]) -> list[str] | None:
    # A value known after apply stands as a marker holding its reference, which may hold quotes
    # (component.agent["x"].id): shlex must not take them for shell quoting.
    markers: list[str] = []

    def hide(m: re.Match[str]) -> str:
        markers.append(m.group(0))
        return f"\0{len(markers) - 1}\0"

    args = _MARKER_RE.sub(hide, ins.args)
    try:
        words = shlex.split(args, posix=True)
    except ValueError:
        problems.append(
            _problem(
                ins,
                f"Unterminated quote in {ins.name}",
                f"The arguments of {ins.name} open a quote that is never closed. Close the quote. "
                f"Alibaba Cloud would reject it with InvalidCommandContent.{ins.name}.",
            )
        )
        return None
    return [re.sub("\0([0-9]+)\0", lambda m: markers[int(m.group(1))], w) for w in words]


def _parse_pairs(ins: Instruction, problems: list[ParseProblem], *, env: bool) -> Instruction:
    words = _split_words(ins, problems)
    if words is None:
        return ins
    pairs: list[tuple[str, str]] = []
    if words and "=" not in words[0]:
        # The legacy one-pair form: ENV key the rest of the line.
        key = words[0]
        rest = ins.args[len(ins.args.split(None, 1)[0]) :].strip()
        if not rest:
            problems.append(
                _problem(
                    ins,
                    f"{ins.name} without a value",
                    f'{ins.name} {key} has no value. Write {ins.name} {key}="value" (or {ins.name} {key} value). '
                    f"Alibaba Cloud would reject it with InvalidCommandContent.{ins.name}.",
                )
            )
            return ins
        pairs.append((key, _unquote(rest)))
    else:
        for word in words:
            key, eq, value = word.partition("=")
            if not eq or not key:
                problems.append(
                    _problem(
                        ins,
                        f"Malformed {ins.name} pair",
                        f'"{word}" is not a key=value pair. Write each as key="value", separated by spaces. '
                        f"Alibaba Cloud would reject it with InvalidCommandContent.{ins.name}.",
                    )
                )
                return ins
            pairs.append((key, value))
    if env:
        for key, _ in pairs:
            if not _ENV_KEY_RE.match(key):
                problems.append(
                    _problem(
                        ins,
                        "Invalid environment variable name",
                        f'"{key}" is not a valid environment variable name: use letters, digits and '
                        "underscores, not starting with a digit. "
                        "Alibaba Cloud would reject it with InvalidCommandContent.ENV.",
                    )
                )
                return ins
    return _replace(ins, pairs=tuple(pairs))


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


def _parse_env(ins: Instruction, problems: list[ParseProblem]) -> Instruction:
    return _parse_pairs(ins, problems, env=True)


def _parse_label(ins: Instruction, problems: list[ParseProblem]) -> Instruction:
    return _parse_pairs(ins, problems, env=False)


def _parse_exec(ins: Instruction, problems: list[ParseProblem]) -> Instruction:
    if not ins.args.startswith("["):
        return ins
    try:
        value = json.loads(ins.args)
    except json.JSONDecodeError:
        value = None
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        problems.append(
            _problem(
                ins,
                f"Invalid {ins.name} exec form",
                f'{ins.name} starts with "[" but is not a JSON array of strings. Write it as '
                f'{ins.name} ["executable", "param1"] with double quotes, or without brackets for the shell form. '
                f"Alibaba Cloud would reject it with InvalidCommandContent.{ins.name}.",
            )
        )
        return ins
    return _replace(ins, exec_form=tuple(value))


def _parse_copy(ins: Instruction, problems: list[ParseProblem]) -> Instruction:
    words: list[str] | None
    if ins.args.startswith("["):
        try:
            value = json.loads(ins.args)
        except json.JSONDecodeError:
            value = None
        words = value if isinstance(value, list) and all(isinstance(v, str) for v in value) else None
        if words is None:
            problems.append(
                _problem(
                    ins,
                    "Invalid COPY array form",
                    'COPY starts with "[" but is not a JSON array of strings. Write COPY ["src", "dest/"] or '
                    "COPY src dest/. Alibaba Cloud would reject it with InvalidCommandContent.COPY.",
                )
            )
            return ins
    else:
        words = _split_words(ins, problems)
        if words is None:
            return ins
    options = [w for w in words if w.startswith("--")]
    if options:
        problems.append(
            _problem(
                ins,
                "Unsupported COPY option",
                f'Image Builder\'s COPY takes no options such as "{options[0]}". Remove it and, for example, '
                "change ownership with a RUN chown command. "
                "Alibaba Cloud would reject it with InvalidCommandContent.COPY.",
            )
        )
        return ins
    if len(words) < 2:
        problems.append(
            _problem(
                ins,
                "COPY without a destination",
                "COPY needs one or more sources and a destination directory: COPY files/app.conf /etc/app/. "
                "Alibaba Cloud would reject it with InvalidCommandContent.COPY.",
            )
        )
        return ins
    return _replace(ins, copy_sources=tuple(words[:-1]), copy_dest=words[-1])


def _parse_user(ins: Instruction, problems: list[ParseProblem]) -> Instruction:
    if len(ins.args.split()) > 1:
        problems.append(
            _problem(
                ins,
                "USER takes one user name",
                f'"USER {ins.args}" has more than one word. Write USER name (or USER name:group). '
                "Alibaba Cloud would reject it with InvalidCommandContent.USER.",
            )
        )
    return ins


def _parse_component(ins: Instruction, problems: list[ParseProblem]) -> Instruction:
    words = _split_words(ins, problems)
    if not words:
        return ins
    ref, rest = words[0], words[1:]
    params: list[tuple[str, str]] = []
    i = 0
    while i < len(rest):
        word = rest[i]
        if not word.startswith("--") or len(word) == 2:
            problems.append(
                _problem(
                    ins,
                    "Malformed COMPONENT parameter",
                    f'"{word}" is not a parameter. Pass parameters as --name value after the component '
                    "reference: COMPONENT ${component.agent.id} --port 8080.",
                )
            )
            return _replace(ins, component_ref=ref, component_params=tuple(params))
        name, eq, value = word[2:].partition("=")
        if not eq:
            if i + 1 >= len(rest):
                problems.append(
                    _problem(
                        ins,
                        "COMPONENT parameter without a value",
                        f"--{name} has no value. Write --{name} value (quote values with spaces).",
                    )
                )
                return _replace(ins, component_ref=ref, component_params=tuple(params))
            value = rest[i + 1]
            i += 1
        params.append((name, value))
        i += 1
    return _replace(ins, component_ref=ref, component_params=tuple(params))


def _replace(ins: Instruction, **changes: Any) -> Instruction:
    return dataclasses.replace(ins, **changes)


_ARG_PARSERS = {
    "ENV": _parse_env,
    "LABEL": _parse_label,
    "CMD": _parse_exec,
    "ENTRYPOINT": _parse_exec,
    "COPY": _parse_copy,
    "USER": _parse_user,
    "COMPONENT": _parse_component,
}


# ---------------------------------------------------------------------------------------------
# YAML components


@dataclass(frozen=True)
class _PropertySpec:
    """A property a YAML task's action takes."""

    required: bool
    kind: str = "String"
    """String, Number, Boolean or Json."""


_STRING = _PropertySpec(True)
_OPTIONAL = _PropertySpec(False)

# §2.2 of the Image Builder reference: the properties of each action.
ACTION_PROPERTIES: dict[str, dict[str, _PropertySpec]] = {
    "RunShellCommand": {"commandContent": _STRING, "workingDir": _OPTIONAL, "username": _OPTIONAL},
    "RunPowerShellCommand": {
        "commandContent": _STRING,
        "workingDir": _OPTIONAL,
        "username": _OPTIONAL,
        "windowsPasswordName": _OPTIONAL,
    },
    "InvokeCommand": {
        "commandId": _STRING,
        "username": _OPTIONAL,
        "parameters": _PropertySpec(False, "Json"),
    },
    "OSSDownload": {
        "bucketName": _STRING,
        "destinationDir": _STRING,
        "objectName": _STRING,
        "ossRegion": _OPTIONAL,
        "validTime": _PropertySpec(False, "Number"),
    },
    "OSSUpload": {
        "bucketName": _STRING,
        "fileToUpload": _STRING,
        "objectName": _STRING,
        "ossRegion": _OPTIONAL,
        "validTime": _PropertySpec(False, "Number"),
    },
    "WebDownload": {
        "sourcePath": _STRING,
        "tokenInfo": _OPTIONAL,
        "destinationDir": _STRING,
        "timeout": _PropertySpec(False, "Number"),
    },
    "Reboot": {"forceStop": _PropertySpec(False, "Boolean")},
}

# Actions whose output later tasks may read as {{ task.stdout }}.
ACTIONS_WITH_STDOUT = ("RunShellCommand", "RunPowerShellCommand")
PARAMETER_TYPES = ("String", "Number", "Boolean")

_REF_RE = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
_PLACEHOLDER_RE = re.compile(r"__imgb_ref_(\d+)__")
_YAML_HEAD_RE = re.compile(r"^(Parameters|Tasks)\s*:")


def _protect_refs(text: str) -> tuple[str, list[str]]:
    """Replace each ``{{ ref }}`` by a plain placeholder.

    Image Builder substitutes references in the text, so ``key: {{ task.stdout }}`` is accepted
    although, read as YAML, it would be a nested flow mapping.
    """
    refs: list[str] = []

    def repl(m: re.Match[str]) -> str:
        refs.append(m.group(0))
        return f"__imgb_ref_{len(refs) - 1}__"

    return _REF_RE.sub(repl, text), refs


def _restore_refs(value: Any, refs: list[str]) -> Any:
    if isinstance(value, str):
        return _PLACEHOLDER_RE.sub(lambda m: refs[int(m.group(1))], value)
    if isinstance(value, list):
        return [_restore_refs(v, refs) for v in value]
    if isinstance(value, dict):
        return {_restore_refs(k, refs): _restore_refs(v, refs) for k, v in value.items()}
    return value


def _compose(text: str) -> tuple[yaml.SafeLoader, yaml.Node | None]:
    import yaml

    loader = yaml.SafeLoader(text)
    try:
        return loader, loader.get_single_node()
    finally:
        loader.dispose()


@functools.lru_cache(maxsize=1 << 14)
def is_yaml(text: str) -> bool:
    """A component's content is YAML when it parses as a mapping with ``Tasks``."""
    if "Tasks" not in text and "\\" not in text:
        return False  # no such key, not even escaped: skip the YAML parse (most contents are commands)
    protected, _ = _protect_refs(text)
    if "Tasks" not in text and not _may_be_a_mapping(protected):
        return False  # escapes, but where no mapping can be: no PyYAML (a Dockerfile's line continuations)
    import yaml

    try:
        value = yaml.safe_load(protected)
    except yaml.YAMLError:
        return False
    return isinstance(value, dict) and "Tasks" in value


_LINE_BREAKS_RE = re.compile("[\r\n\x85\u2028\u2029]")
_VALUE_INDICATOR_RE = re.compile(r":(?:[ \t]|$)")


def _may_be_a_mapping(text: str) -> bool:
    """False only when YAML cannot read ``text`` as a mapping: its first line with content (YAML's
    line breaks; blank lines and comments skipped) starts with a letter or digit, so it is no
    quoted key, flow collection, tag, anchor, alias, directive or document marker, and holds no
    ``:`` followed by a blank or the line's end, so it is no ``key:`` either. A root mapping's
    first key stands on that line (an implicit key takes one line), so the document is a scalar,
    a sequence or an error: never a mapping with ``Tasks``."""
    for line in _LINE_BREAKS_RE.split(text.lstrip("\ufeff")):
        s = line.strip(" \t")
        if not s or s.startswith("#"):
            continue
        return not (s[0].isascii() and s[0].isalnum()) or _VALUE_INDICATOR_RE.search(s) is not None
    return False  # no content: an empty document is null


def looks_like_yaml(text: str) -> bool:
    """True when the first meaningful line starts a YAML component (``Parameters:`` or ``Tasks:``),
    so that a broken YAML document is reported as YAML rather than as unknown commands."""
    for line in text.splitlines():
        s = line.strip()
        if s and not s.startswith("#") and s != "---":
            return bool(_YAML_HEAD_RE.match(s))
    return False


def _line(node: yaml.Node) -> int:
    return int(node.start_mark.line) + 1


def _scalar(node: yaml.Node) -> str | None:
    import yaml

    return str(node.value) if isinstance(node, yaml.ScalarNode) else None


def _mapping_items(node: yaml.MappingNode) -> list[tuple[yaml.Node, yaml.Node]]:
    return list(node.value)


def parse_yaml_component(text: str) -> tuple[YamlComponent | None, list[ParseProblem]]:
    """Parse a YAML component: ``Parameters`` (optional) and ``Tasks`` (one or more)."""
    import yaml

    problems: list[ParseProblem] = []
    protected, refs = _protect_refs(text)
    try:
        loader, root = _compose(protected)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = int(mark.line) + 1 if mark is not None else 1
        reason = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        problems.append(
            ParseProblem(
                line,
                "Invalid YAML in component content",
                f"The content is not valid YAML: {reason}. Fix the YAML syntax "
                "(indentation, colons, quotes). Alibaba Cloud would reject it with InvalidParameter.Content.",
            )
        )
        return None, problems
    if not isinstance(root, yaml.MappingNode):
        problems.append(
            ParseProblem(
                1,
                "YAML component is not a mapping",
                "A YAML component is a mapping with Tasks (and optionally Parameters) at the top level.",
            )
        )
        return None, problems

    def construct(node: yaml.Node) -> Any:
        return _restore_refs(loader.construct_object(node, deep=True), refs)

    params_node: yaml.Node | None = None
    tasks_node: yaml.Node | None = None
    for key_node, value_node in _mapping_items(root):
        key = _scalar(key_node)
        if key == "Parameters":
            params_node = value_node
        elif key == "Tasks":
            tasks_node = value_node
        else:
            problems.append(
                ParseProblem(
                    _line(key_node),
                    "Unknown key in YAML component",
                    f'"{key}" is not a top-level key of a component; only Parameters and Tasks are.'
                    + did_you_mean(str(key), ("Parameters", "Tasks")),
                )
            )

    parameters = _parse_parameters(params_node, construct, problems)
    if tasks_node is None:
        problems.append(
            ParseProblem(
                1,
                "YAML component without Tasks",
                "A YAML component needs a Tasks list with at least one task. "
                "Alibaba Cloud would reject it with InvalidParameter.Content.",
            )
        )
        return YamlComponent(parameters=parameters), problems
    tasks = _parse_tasks(tasks_node, construct, problems)
    _check_references(parameters, tasks, problems)
    return YamlComponent(parameters=parameters, tasks=tasks), problems


def _parse_parameters(
    node: yaml.Node | None, construct: Any, problems: list[ParseProblem]
) -> tuple[Parameter, ...]:
    import yaml

    if node is None or (isinstance(node, yaml.ScalarNode) and node.value == ""):
        return ()
    if not isinstance(node, yaml.MappingNode):
        problems.append(
            ParseProblem(
                _line(node),
                "Parameters is not a mapping",
                "Parameters maps each parameter name to its Type (String, Number or Boolean) and an "
                "optional DefaultValue.",
            )
        )
        return ()
    parameters: list[Parameter] = []
    for key_node, value_node in _mapping_items(node):
        name = _scalar(key_node) or ""
        value = construct(value_node)
        if not isinstance(value, dict):
            problems.append(
                ParseProblem(
                    _line(key_node),
                    "Parameter without a Type",
                    f'Parameter "{name}" must be a mapping with Type: String, Number or Boolean.',
                )
            )
            continue
        unknown = sorted(str(k) for k in value if k not in ("Type", "DefaultValue"))
        for k in unknown:
            problems.append(
                ParseProblem(
                    _line(key_node),
                    "Unknown parameter attribute",
                    f'Parameter "{name}" has "{k}"; a parameter has only Type and DefaultValue.'
                    + did_you_mean(k, ("Type", "DefaultValue")),
                )
            )
        ptype = value.get("Type")
        if ptype not in PARAMETER_TYPES:
            problems.append(
                ParseProblem(
                    _line(key_node),
                    "Invalid parameter type",
                    f'Parameter "{name}" has Type {_show(ptype)}; it must be String, Number or Boolean.'
                    + did_you_mean(str(ptype), PARAMETER_TYPES),
                )
            )
            continue
        has_default = "DefaultValue" in value and value["DefaultValue"] is not None
        default = value.get("DefaultValue")
        if has_default and not value_matches_type(default, ptype):
            problems.append(
                ParseProblem(
                    _line(key_node),
                    "Parameter default of the wrong type",
                    f'Parameter "{name}" is a {ptype} but its DefaultValue is {_show(default)}. '
                    f"Give a {ptype.lower()} default or change the Type.",
                )
            )
        parameters.append(Parameter(name=name, type=ptype, default=default, has_default=has_default))
    return tuple(parameters)


def _show(value: Any) -> str:
    """A YAML value as the user would recognise it in a message."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return json.dumps(value, ensure_ascii=False, default=str)


def value_matches_type(value: Any, ptype: str) -> bool:
    """Whether a parameter value (from YAML, or the text of a --param) fits String/Number/Boolean."""
    if ptype == "String":
        return True
    if ptype == "Boolean":
        if isinstance(value, bool):
            return True
        return isinstance(value, str) and value.lower() in ("true", "false")
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return True
    if isinstance(value, str):
        try:
            float(value)
        except ValueError:
            return False
        return value.strip().lower() not in ("nan", "inf", "-inf", "+inf", "infinity")
    return False


def _parse_tasks(node: yaml.Node, construct: Any, problems: list[ParseProblem]) -> tuple[Task, ...]:
    import yaml

    if not isinstance(node, yaml.SequenceNode) or not node.value:
        problems.append(
            ParseProblem(
                _line(node),
                "Tasks is not a list of tasks",
                "Tasks must be a list with at least one task, each with Name, Action and Properties. "
                "Alibaba Cloud would reject it with InvalidParameter.Content.",
            )
        )
        return ()
    tasks: list[Task] = []
    seen: dict[str, int] = {}
    for item in node.value:
        line = _line(item)
        value = construct(item)
        if not isinstance(value, dict):
            problems.append(
                ParseProblem(
                    line, "Task is not a mapping", "Each task is a mapping with Name, Action and Properties."
                )
            )
            continue
        for k in sorted(str(k) for k in value if k not in ("Name", "Action", "Properties")):
            problems.append(
                ParseProblem(
                    line,
                    "Unknown task key",
                    f'"{k}" is not a task key; a task has Name, Action and Properties.'
                    + did_you_mean(k, ("Name", "Action", "Properties")),
                )
            )
        name = value.get("Name")
        if not isinstance(name, str) or not name:
            problems.append(
                ParseProblem(
                    line, "Task without a Name", "Every task needs a Name, unique within the component."
                )
            )
            name = ""
        elif name in seen:
            problems.append(
                ParseProblem(
                    line,
                    "Duplicate task name",
                    f'Task "{name}" is already defined at line {seen[name]} of the content. Task names must be unique.',
                )
            )
        else:
            seen[name] = line
        action = value.get("Action")
        props = value.get("Properties") or {}
        if not isinstance(props, dict):
            problems.append(
                ParseProblem(
                    line, "Properties is not a mapping", f'Properties of task "{name}" must be a mapping.'
                )
            )
            props = {}
        if action not in YAML_ACTIONS:
            problems.append(
                ParseProblem(
                    line,
                    "Unknown task action",
                    f'Task "{name}" has Action {_show(action)}; the actions are {", ".join(YAML_ACTIONS)}.'
                    + did_you_mean(str(action), YAML_ACTIONS),
                )
            )
        else:
            _check_properties(name, str(action), props, line, problems)
        tasks.append(Task(name=name, action=str(action), properties=dict(props), line=line))
    return tuple(tasks)


def _check_properties(
    name: str, action: str, props: dict[str, Any], line: int, problems: list[ParseProblem]
) -> None:
    spec = ACTION_PROPERTIES[action]
    for prop in sorted(p for p, s in spec.items() if s.required and p not in props):
        problems.append(
            ParseProblem(
                line,
                "Missing task property",
                f'Task "{name}" ({action}) needs the property {prop}. Add it under Properties.',
            )
        )
    for prop in sorted(str(p) for p in props):
        if prop not in spec:
            allowed = ", ".join(spec) or "none"
            problems.append(
                ParseProblem(
                    line,
                    "Unknown task property",
                    f'{action} has no property "{prop}" (task "{name}"); its properties are {allowed}.'
                    + did_you_mean(prop, spec),
                )
            )
            continue
        value = props[prop]
        kind = spec[prop].kind
        if isinstance(value, str) and _REF_RE.fullmatch(value.strip()):
            continue  # a reference: its type is known only when the task runs
        ok = (
            (kind == "String" and isinstance(value, str | int | float) and not isinstance(value, bool))
            or (kind in ("Number", "Boolean") and value_matches_type(value, kind))
            or (kind == "Json" and isinstance(value, dict | list | str))
        )
        if not ok:
            problems.append(
                ParseProblem(
                    line,
                    "Task property of the wrong type",
                    f'{action} property {prop} (task "{name}") must be a {kind}, not {_show(value)}.',
                )
            )


def _check_references(
    parameters: tuple[Parameter, ...], tasks: tuple[Task, ...], problems: list[ParseProblem]
) -> None:
    param_names = [p.name for p in parameters]
    task_index = {t.name: i for i, t in enumerate(tasks) if t.name}
    for i, task in enumerate(tasks):
        for ref in sorted(set(_refs_in_value(task.properties))):
            head, dot, attr = ref.partition(".")
            if not dot:
                if ref not in param_names:
                    hint = did_you_mean(ref, param_names)
                    problems.append(
                        ParseProblem(
                            task.line,
                            "Reference to an undeclared parameter",
                            f'Task "{task.name}" uses {{{{ {ref} }}}} but the component declares no parameter '
                            f'"{ref}". Declare it under Parameters, or fix the name.{hint}',
                        )
                    )
                continue
            j = task_index.get(head)
            if j is None:
                hint = did_you_mean(head, task_index)
                problems.append(
                    ParseProblem(
                        task.line,
                        "Reference to an unknown task",
                        f'Task "{task.name}" uses {{{{ {ref} }}}} but no task is named "{head}".{hint}',
                    )
                )
            elif j >= i:
                problems.append(
                    ParseProblem(
                        task.line,
                        "Reference to a later task",
                        f'Task "{task.name}" uses {{{{ {ref} }}}}, but task "{head}" runs '
                        f"{'at the same time' if j == i else 'after it'}. Tasks run in order, so a task can "
                        "only read the output of an earlier one.",
                    )
                )
            elif attr != "stdout" or tasks[j].action not in ACTIONS_WITH_STDOUT:
                problems.append(
                    ParseProblem(
                        task.line,
                        "Unknown task output",
                        f'Task "{task.name}" uses {{{{ {ref} }}}}, but the only output a task has is stdout, '
                        f"and only {' and '.join(ACTIONS_WITH_STDOUT)} tasks produce it.",
                    )
                )


def _refs_in_value(value: Any) -> list[str]:
    if isinstance(value, str):
        return _REF_RE.findall(value)
    if isinstance(value, dict):
        return [r for v in value.values() for r in _refs_in_value(v)]
    if isinstance(value, list):
        return [r for v in value for r in _refs_in_value(v)]
    return []
