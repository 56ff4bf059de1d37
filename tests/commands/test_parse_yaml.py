"""parse_yaml_component and is_yaml, with the examples of the Image Builder reference (§2.2)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from imgb.commands.parse import is_yaml, looks_like_yaml, parse_yaml_component

# The reference's example: parameters x, y, z and a task reading an earlier task's stdout.
DOC_EXAMPLE = """\
Parameters:
  x:
    Type: String
  y:
    Type: String
  z:
    Type: String
Tasks:
  - Name: count
    Action: RunShellCommand
    Properties:
      commandContent: echo $((3 * {{x}} + 2 * {{y}} + {{z}}))
  - Name: doubled
    Action: RunShellCommand
    Properties:
      commandContent: echo $(({{count.stdout}}+{{count.stdout}}))
"""


def test_reference_example_parses_cleanly() -> None:
    assert is_yaml(DOC_EXAMPLE)
    doc, problems = parse_yaml_component(DOC_EXAMPLE)
    assert problems == []
    assert doc is not None
    assert [(p.name, p.type, p.has_default) for p in doc.parameters] == [
        ("x", "String", False),
        ("y", "String", False),
        ("z", "String", False),
    ]
    assert [(t.name, t.action, t.line) for t in doc.tasks] == [
        ("count", "RunShellCommand", 9),
        ("doubled", "RunShellCommand", 13),
    ]
    assert doc.tasks[1].properties["commandContent"] == "echo $(({{count.stdout}}+{{count.stdout}}))"


def test_unquoted_reference_as_whole_value_is_accepted() -> None:
    # As read by YAML alone, {{ a.stdout }} would be a nested flow mapping; Image Builder substitutes text.
    text = (
        "Tasks:\n  - Name: a\n    Action: RunShellCommand\n    Properties:\n      commandContent: hostname\n"
        "  - Name: b\n    Action: RunShellCommand\n    Properties:\n      commandContent: {{ a.stdout }}\n"
    )
    doc, problems = parse_yaml_component(text)
    assert problems == []
    assert doc is not None and doc.tasks[1].properties["commandContent"] == "{{ a.stdout }}"


@pytest.mark.parametrize(
    ("action", "props"),
    [
        ("RunShellCommand", {"commandContent": "ls", "workingDir": "/tmp", "username": "root"}),
        ("RunPowerShellCommand", {"commandContent": "dir", "windowsPasswordName": "p"}),
        ("InvokeCommand", {"commandId": "c-123", "parameters": '{"a": 1}'}),
        ("OSSDownload", {"bucketName": "b", "destinationDir": "/d", "objectName": "o", "validTime": 60}),
        (
            "OSSUpload",
            {"bucketName": "b", "fileToUpload": "/f", "objectName": "o", "ossRegion": "cn-hangzhou"},
        ),
        ("WebDownload", {"sourcePath": "https://x/y", "destinationDir": "/d", "timeout": 600}),
        ("Reboot", {"forceStop": True}),
        ("Reboot", {}),
    ],
)
def test_every_action_with_valid_properties(action: str, props: dict[str, object]) -> None:
    import yaml

    text = yaml.safe_dump({"Tasks": [{"Name": "t", "Action": action, "Properties": props}]})
    doc, problems = parse_yaml_component(text)
    assert problems == [], problems
    assert doc is not None and doc.tasks[0].action == action


def test_missing_unknown_and_mistyped_properties() -> None:
    text = """\
Tasks:
  - Name: dl
    Action: WebDownload
    Properties:
      sourcePath: https://example.com/f
      timeout: soon
      destinaton: /opt
  - Name: oss
    Action: OSSDownload
    Properties:
      bucketName: b
"""
    _, problems = parse_yaml_component(text)
    got = sorted((p.line, p.summary) for p in problems)
    assert got == [
        (2, "Missing task property"),  # destinationDir
        (2, "Task property of the wrong type"),  # timeout
        (2, "Unknown task property"),  # destinaton
        (8, "Missing task property"),  # destinationDir
        (8, "Missing task property"),  # objectName
    ]
    unknown = next(p for p in problems if p.summary == "Unknown task property")
    assert 'Did you mean "destinationDir"?' in unknown.detail


def test_reference_problems() -> None:
    text = """\
Parameters:
  port:
    Type: Number
    DefaultValue: 80
Tasks:
  - Name: first
    Action: RunShellCommand
    Properties:
      commandContent: echo {{ prot }} {{ second.stdout }} {{ ghost.stdout }}
  - Name: second
    Action: Reboot
  - Name: third
    Action: RunShellCommand
    Properties:
      commandContent: echo {{ second.stdout }} {{ first.exitcode }} {{ port }}
"""
    _, problems = parse_yaml_component(text)
    got = sorted((p.line, p.summary) for p in problems)
    assert got == [
        (6, "Reference to a later task"),
        (6, "Reference to an undeclared parameter"),
        (6, "Reference to an unknown task"),
        (12, "Unknown task output"),
        (12, "Unknown task output"),
    ]
    undeclared = next(p for p in problems if p.summary == "Reference to an undeclared parameter")
    assert 'Did you mean "port"?' in undeclared.detail


def test_parameter_problems() -> None:
    text = """\
Parameters:
  a:
    Type: Integer
  b:
    Type: Boolean
    DefaultValue: 3
  c:
    Type: Number
    DefaultValue: "12.5"
Tasks:
  - Name: t
    Action: RunShellCommand
    Properties:
      commandContent: echo {{ c }}
"""
    doc, problems = parse_yaml_component(text)
    assert sorted((p.line, p.summary) for p in problems) == [
        (2, "Invalid parameter type"),
        (4, "Parameter default of the wrong type"),
    ]
    assert doc is not None
    assert [p.name for p in doc.parameters] == ["b", "c"]


def test_structure_problems() -> None:
    assert [p.summary for p in parse_yaml_component("Parameters: {}\n")[1]] == [
        "YAML component without Tasks"
    ]
    assert [p.summary for p in parse_yaml_component("Tasks: []\n")[1]] == ["Tasks is not a list of tasks"]
    _, problems = parse_yaml_component("Tasks:\n  - Name: a\n    Action: Nope\nTask: x\n")
    assert sorted(p.summary for p in problems) == ["Unknown key in YAML component", "Unknown task action"]
    _, problems = parse_yaml_component(
        "Tasks:\n  - Name: a\n    Action: Reboot\n  - Name: a\n    Action: Reboot\n"
    )
    assert [(p.line, p.summary) for p in problems] == [(4, "Duplicate task name")]


def test_yaml_syntax_error_has_a_line() -> None:
    doc, problems = parse_yaml_component("Tasks:\n  - Name: a\n   Action: [unclosed\n")
    assert doc is None
    assert problems[0].summary == "Invalid YAML in component content"
    assert problems[0].line >= 2


def test_is_yaml_and_looks_like_yaml() -> None:
    assert not is_yaml("RUN echo hi\n")
    assert not is_yaml("Parameters:\n  x: [\n")
    assert looks_like_yaml("# comment\nParameters:\n  x: [\n")
    assert not looks_like_yaml("RUN echo Tasks:\n")
    assert not is_yaml("key: value\n")


# -- is_yaml's shortcut: no PyYAML for a content that cannot be a mapping ----------------------------
FRAGMENTS = ["RUN", "echo", " ", "  ", "\t", ":", ": ", ":\t", "\\", "\\\n", '"', "'", "\n", "\r\n", "\r", "\x85", "\u2028",
             "\ufeff", "#", "-", "---", "?", "&a", "*a", "!!map", "{", "}", "[", "]", ",", "%YAML 1.1", "{{ a: b }}",
             "{{ x\n}}", "Tasks", "\\x54asks", '"\\x54asks"', "\\u0054asks", '"Ta\\\nsks"', "name", "1", "|", ">", ".", "_"]


def _slow_is_yaml(text: str) -> bool:
    import yaml

    from imgb.commands.parse import _protect_refs

    try:
        value = yaml.safe_load(_protect_refs(text)[0])
    except yaml.YAMLError:
        return False
    return isinstance(value, dict) and "Tasks" in value


@settings(max_examples=3000, deadline=None)
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=14))
def test_is_yaml_skips_pyyaml_only_where_pyyaml_finds_no_mapping(parts: list[str]) -> None:
    from imgb.commands.parse import _may_be_a_mapping, _protect_refs

    text = "".join(parts)
    if not _may_be_a_mapping(_protect_refs(text)[0]):
        assert not _slow_is_yaml(text), repr(text)
    assert is_yaml.__wrapped__(text) == _slow_is_yaml(text), repr(text)  # type: ignore[attr-defined]


def test_is_yaml_shortcut_cases() -> None:
    from imgb.commands.parse import _may_be_a_mapping

    continued = 'RUN echo "app:x:1000" >> /etc/passwd && \\\n    mkdir -p /srv\nCOPY a b\n'
    assert not _may_be_a_mapping(continued) and not is_yaml(continued)  # the quickstart's: no PyYAML
    for text in ('"\\x54asks":\n  - x', "# c\n\n  key: v\n", "a:", "&x\nTasks: 1", "--- \nk: v", "{a: 1}", "?\n", "\u2028k: v"):
        assert _may_be_a_mapping(text), repr(text)
    escaped = '"\\x54asks":\n  - name: a\n    action: ExecuteBash\n    inputs: {commands: [x]}\n'
    assert is_yaml(escaped) == _slow_is_yaml(escaped)
