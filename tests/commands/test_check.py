"""check_content over hand-built configurations: commands, components, parameters and limits."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from content_builders import FILE, component, config, dist_ref, distribution, lines, ref, summaries, template

from imgb.diagnostics import Severity
from imgb.reconciler.checks.check import check_content

AGENT_YAML = """\
Parameters:
  endpoint:
    Type: String
  interval:
    Type: Number
    DefaultValue: 60
  verbose:
    Type: Boolean
    DefaultValue: false
Tasks:
  - Name: install
    Action: RunShellCommand
    Properties:
      commandContent: echo {{ endpoint }} {{ interval }} {{ verbose }}
"""


def test_clean_configuration_has_no_diagnostics(tmp_path: Path) -> None:
    (tmp_path / "files").mkdir()
    (tmp_path / "files" / "app.conf").write_text("x=1\n")
    cfg = config(
        tmp_path,
        components=[
            component("agent", AGENT_YAML, version="1.0.0", description="Monitoring agent"),
            component("smoke", "RUN true\n", line=40, type="Test"),
        ],
        templates=[
            template(
                "web",
                f"COMPONENT {ref('agent')} --endpoint https://m.example.com\nCOPY files/app.conf /etc/app/\n"
                "RUN echo ok\n",
                f"COMPONENT {ref('smoke')}\n",
                image_name="web-1-0",
                image_family="web",
            )
        ],
    )
    assert list(check_content(cfg)) == []


def test_from_in_template_and_component(tmp_path: Path) -> None:
    cfg = config(
        tmp_path,
        components=[component("base", "FROM ubuntu\nRUN true\n", line=10)],
        templates=[template("web", "RUN true\nFROM ubuntu:22.04\n")],
    )
    diags = check_content(cfg)
    froms = [d for d in diags if d.summary == 'Unsupported command "FROM"']
    assert [(d.pos.line if d.pos else 0) for d in froms] == [11, 102]
    assert "NotSupportedCommand.FROM" in froms[0].detail
    assert "base_image" in froms[1].detail


@pytest.mark.parametrize(
    ("line", "summary", "words"),
    [
        ("ADD files/x /x", 'Unsupported command "ADD"', "Use COPY"),
        ("ARG X=1", 'Unsupported command "ARG"', "var.name"),
        ("EXPOSE 80", 'Unsupported command "EXPOSE"', "security groups"),
        ("VOLUME /data", 'Unsupported command "VOLUME"', "InvalidImageTemplateCommand.NotSupported"),
        ("ONBUILD RUN x", 'Unsupported command "ONBUILD"', "NotSupported"),
        ("STOPSIGNAL 9", 'Unsupported command "STOPSIGNAL"', "NotSupported"),
        ("HEALTHCHECK CMD x", 'Unsupported command "HEALTHCHECK"', "test commands"),
        ('SHELL ["bash"]', 'Unsupported command "SHELL"', "NotSupported"),
        ("MAINTAINER me", 'Unsupported command "MAINTAINER"', "LABEL maintainer"),
        ("RUNN echo", 'Unsupported command "RUNN"', 'Did you mean "RUN"?'),
        ("WORKDIRR /x", 'Unsupported command "WORKDIRR"', 'Did you mean "WORKDIR"?'),
        ("BOGUS x", 'Unsupported command "BOGUS"', "The supported commands are"),
        ("RESTART now", "RESTART takes no arguments", "NotEmptyCommandContent.RESTART"),
        ("RUN", "Empty RUN command", "EmptyCommandContent.RUN"),
        ("ENV", "Empty ENV command", "EmptyCommandContent.ENV"),
        ("COPY", "Empty COPY command", "EmptyCommandContent.COPY"),
        ("LABEL", "Empty LABEL command", "EmptyCommandContent.LABEL"),
        ("WORKDIR", "Empty WORKDIR command", "EmptyCommandContent.WORKDIR"),
        ("USER", "Empty USER command", "EmptyCommandContent.USER"),
        ("CMD", "Empty CMD command", "EmptyCommandContent.CMD"),
        ("ENTRYPOINT", "Empty ENTRYPOINT command", "EmptyCommandContent.ENTRYPOINT"),
    ],
)
def test_command_rules_in_a_component(tmp_path: Path, line: str, summary: str, words: str) -> None:
    cfg = config(tmp_path, components=[component("cc", f"RUN true\n{line}\n", line=20)])
    diags = check_content(cfg)
    assert [(d.summary, d.pos.line if d.pos else 0) for d in diags] == [(summary, 22)]
    assert words in diags.items[0].detail
    assert diags.items[0].address == "component.cc"


def test_component_inside_a_component(tmp_path: Path) -> None:
    cfg = config(tmp_path, components=[component("cc", "COMPONENT ic-abc\n", line=5)])
    diags = check_content(cfg)
    assert summaries(diags) == ["COMPONENT inside a component"]
    assert "InvalidCommand.Component" in diags.items[0].detail


def test_empty_component_content(tmp_path: Path) -> None:
    diags = check_content(config(tmp_path, components=[component("cc", "  \n", line=5)]))
    assert summaries(diags) == ["Empty component content"]


def test_size_and_command_count_limits(tmp_path: Path) -> None:
    big = "RUN echo " + "x" * (16 * 1024) + "\n"
    many = "".join(f"RUN echo {i}\n" for i in range(128))
    ok = "".join(f"RUN echo {i}\n" for i in range(127))
    cfg = config(
        tmp_path,
        components=[
            component("big", big, line=1),
            component("many", many, line=200),
            component("ok", ok, line=400),
        ],
    )
    diags = check_content(cfg)
    assert sorted((d.summary, d.address) for d in diags) == [
        ("Content too long", "component.big"),
        ("Too many commands", "component.many"),
    ]
    too_many = next(d for d in diags if d.summary == "Too many commands")
    assert too_many.pos is not None and too_many.pos.line == 201 + 127  # the 128th command
    assert "InvalidContent.LengthExceeded" in next(d for d in diags if d.summary == "Content too long").detail


def test_size_counts_utf8_bytes(tmp_path: Path) -> None:
    text = "RUN echo " + "é" * 8200 + "\n"  # 8200 characters, 16400 bytes
    diags = check_content(config(tmp_path, components=[component("cc", text)]))
    assert summaries(diags) == ["Content too long"]


def test_component_parameters(tmp_path: Path) -> None:
    build = (
        f"COMPONENT {ref('agent')} --interval 30\n"  # endpoint missing
        f"COMPONENT {ref('agent')} --endpoint e --intervall 5\n"  # unknown, did you mean
        f"COMPONENT {ref('agent')} --endpoint e --interval soon --verbose yes\n"  # wrong types
        f"COMPONENT {ref('agent')} --endpoint e --interval 1.5 --verbose TRUE\n"  # fine
        f"COMPONENT {ref('plain')} --x 1\n"  # dockerfile component takes none
    )
    cfg = config(
        tmp_path,
        components=[component("agent", AGENT_YAML), component("plain", "RUN true\n", line=30)],
        templates=[template("web", build)],
    )
    diags = check_content(cfg)
    got = [(d.pos.line if d.pos else 0, d.summary) for d in diags]
    assert got == [
        (101, "Missing COMPONENT parameter"),
        (102, "Unknown COMPONENT parameter"),
        (103, "COMPONENT parameter of the wrong type"),
        (103, "COMPONENT parameter of the wrong type"),
        (105, "Parameters for a component without parameters"),
    ]
    assert 'Did you mean "interval"?' in diags.items[1].detail


def test_component_references(tmp_path: Path) -> None:
    from imgb.unknown import marker

    build = (
        "COMPONENT ic-bp18hy47cqavewsb\n"
        "COMPONENT acs:ecs:cn-hangzhou:1234567890:imagecomponent/Base/1.0.*\n"
        "COMPONENT acs:ecs:cn-hangzhou:1234567890:imagecomponent/Base:1.0.0\n"
        "COMPONENT component.agent.id\n"
        "COMPONENT nginx\n"
        f"COMPONENT {marker('template.other.id')}\n"
        f"COMPONENT {marker('component.agent.version')}\n"
    )
    cfg = config(tmp_path, components=[component("agent", "RUN true\n")], templates=[template("web", build)])
    got = [(d.pos.line if d.pos else 0, d.summary) for d in check_content(cfg)]
    assert got == [
        (103, "Component reference with a colon before the version"),
        (104, "Component reference without interpolation"),
        (105, "Unknown component reference"),
        (106, "COMPONENT reference to something that is not a component"),
        (107, "COMPONENT reference to a component attribute other than id"),
    ]


def test_test_component_in_build_and_build_component_in_test(tmp_path: Path) -> None:
    cfg = config(
        tmp_path,
        components=[component("smoke", "RUN true\n", type="Test"), component("base", "RUN true\n", line=10)],
        templates=[template("web", f"COMPONENT {ref('smoke')}\n", f"COMPONENT {ref('base')}\n")],
    )
    got = [(d.pos.line if d.pos else 0, d.summary) for d in check_content(cfg)]
    assert got == [(101, "Test component in build commands"), (150, "Build component in test commands")]


def test_copy_sources(tmp_path: Path) -> None:
    import os

    ctx = tmp_path / "cfg"
    ctx.mkdir()
    (tmp_path / "outside").write_text("x")
    os.symlink("../outside", ctx / "link")
    build = (
        "COPY ../outside /x/\nCOPY link /x/\nCOPY missing /x/\nCOPY https://example.com/a.tgz?sig=1 /x/\n"
        "COPY https://example.com/b.tgz /x/\n"
    )
    cfg = config(ctx, templates=[template("web", build, internet_max_bandwidth_out=10)])
    got = [(d.pos.line if d.pos else 0, d.summary) for d in check_content(cfg)]
    assert got == [
        (101, "Invalid COPY source"),
        (102, "Invalid COPY source"),
        (103, "Invalid COPY source"),
        (104, "COPY URL with a query string"),
    ]


def test_copy_url_without_bandwidth_warns(tmp_path: Path) -> None:
    cfg = config(tmp_path, templates=[template("web", "COPY https://example.com/b.tgz /x/\n")])
    diags = check_content(cfg)
    assert [(d.severity, d.summary) for d in diags] == [
        (Severity.WARNING, "COPY from a URL without internet access")
    ]


@pytest.mark.parametrize(
    ("fields", "summary", "code"),
    [
        ({"system_disk_size": 10}, "Invalid system_disk_size", "InvalidSystemDiskSize.NotSupportedValue"),
        ({"system_disk_size": 501}, "Invalid system_disk_size", "InvalidSystemDiskSize.NotSupportedValue"),
        (
            {"internet_max_bandwidth_out": 101},
            "Invalid internet_max_bandwidth_out",
            "InvalidInternetMaxBandwidthOut",
        ),
        (
            {"internet_max_bandwidth_out": -1},
            "Invalid internet_max_bandwidth_out",
            "InvalidInternetMaxBandwidthOut",
        ),
        ({"retain": 0}, "Invalid retain", "at least 1"),
        ({"image_name": "1web"}, "Invalid image_name", "InvalidImageName.Malformed"),
        ({"image_name": "w"}, "Invalid image_name", "InvalidImageName.Malformed"),
        ({"image_name": "web image"}, "Invalid image_name", '" "'),
        ({"image_name": "w" * 65}, "Invalid image_name", "65 characters"),
        ({"image_family": "acs:ubuntu"}, "Invalid image_family", "InvalidImageFamily.Malformed"),
        ({"image_family": "aliyun_web"}, "Invalid image_family", "reserved"),
        ({"description": "x"}, "Invalid description", "InvalidDescription.Malformed"),
        ({"image_description": "d" * 257}, "Invalid image_description", "2 to 256"),
        ({"tags": {"aliyun:x": "v"}}, "Invalid tag key", "InvalidTagKey.Malformed"),
        ({"tags": {"k": "acs:v"}}, "Invalid tag value", "InvalidTagValue.Malformed"),
        ({"image_tags": {"k": "see https://x"}}, "Invalid tag value", "http"),
        ({"tags": {f"k{i}": "v" for i in range(21)}}, "Too many tags", "at most 20"),
    ],
)
def test_template_limits(tmp_path: Path, fields: dict[str, object], summary: str, code: str) -> None:
    diags = check_content(config(tmp_path, templates=[template("web", "RUN true\n", **fields)]))
    assert summaries(diags) == [summary]
    assert code in diags.items[0].detail


def test_boundaries_are_accepted(tmp_path: Path) -> None:
    templates = [
        template(
            "low", "RUN true\n", system_disk_size=20, internet_max_bandwidth_out=0, retain=1, image_name="ab"
        ),
        template(
            "high", "RUN true\n", system_disk_size=500, internet_max_bandwidth_out=100, image_name="w" * 64
        ),
    ]
    assert list(check_content(config(tmp_path, templates=templates))) == []


def test_component_name_version_and_tags(tmp_path: Path) -> None:
    cfg = config(
        tmp_path,
        components=[
            component("x", "RUN true\n", line=1),
            component("agent", "RUN true\n", line=10, version="1.2"),
            component("ok_one", "RUN true\n", line=20, version="01.0.0"),
        ],
    )
    got = [(d.address, d.summary) for d in check_content(cfg)]
    assert sorted(got) == [
        ("component.agent", "Invalid component version"),
        ("component.ok_one", "Invalid component version"),
        ("component.x", "Invalid component name"),
    ]


def test_distribution_regions_and_accounts(tmp_path: Path) -> None:
    wide = distribution("wide", regions=tuple(f"region-{i}" for i in range(21)))
    many = distribution("many", accounts=tuple(str(10**15 + i) for i in range(21)))
    bad = distribution("bad", regions=("CN_Shanghai",), accounts=("12ab",))
    exactly = distribution("exactly", regions=tuple(f"r-{i}" for i in range(20)) + ("local-1",))
    cfg = config(
        tmp_path,
        templates=[
            template("ta", "RUN true\n", distribute=(dist_ref(wide),)),
            template("tb", "RUN true\n", line=300, distribute=(dist_ref(many),)),
            template("tc", "RUN true\n", line=600, distribute=(dist_ref(exactly),)),
        ],
        distributions=[wide, many, bad, exactly],
    )
    got = sorted((d.address or "", d.summary) for d in check_content(cfg))
    assert got == [
        ("distribution.bad", "Invalid account id"),
        ("distribution.bad", "Invalid region id"),
        ("template.ta", "Too many distribution regions"),
        ("template.tb", "Too many share accounts"),
    ]


def test_union_over_distributions_counts_each_region_once(tmp_path: Path) -> None:
    d1 = distribution("d1", regions=tuple(f"r-{i}" for i in range(15)))
    d2 = distribution("d2", regions=tuple(f"r-{i}" for i in range(10, 21)))
    d3 = distribution("d3", regions=tuple(f"r-{i}" for i in range(20)))
    cfg = config(
        tmp_path,
        templates=[
            template("over", "RUN true\n", distribute=(dist_ref(d1), dist_ref(d2))),
            template("fine", "RUN true\n", line=300, distribute=(dist_ref(d1), dist_ref(d3))),
        ],
        distributions=[d1, d2, d3],
    )
    assert [(d.address, d.summary) for d in check_content(cfg)] == [
        ("template.over", "Too many distribution regions")
    ]


def test_yaml_component_problems_map_to_file_lines(tmp_path: Path) -> None:
    text = (
        "Tasks:\n  - Name: a\n    Action: RunPowerShellCommand\n    Properties:\n      commandContent: dir\n"
    )
    cfg = config(tmp_path, components=[component("cc", text, line=10)])
    diags = check_content(cfg)
    assert [(d.pos.line if d.pos else 0, d.summary) for d in diags] == [
        (12, "RunPowerShellCommand in a Linux component")
    ]


def test_broken_yaml_is_reported_as_yaml(tmp_path: Path) -> None:
    cfg = config(tmp_path, components=[component("cc", "Tasks:\n  - Name: a\n   Action: [x\n", line=10)])
    assert summaries(check_content(cfg)) == ["Invalid YAML in component content"]


def test_dockerfile_in_windows_component(tmp_path: Path) -> None:
    cfg = config(tmp_path, components=[component("cc", "RUN dir\n", system_type="Windows")])
    assert summaries(check_content(cfg)) == ["Dockerfile-style commands in a Windows component"]


def test_positions_fall_back_to_the_attribute_without_origin(tmp_path: Path) -> None:
    c = replace(component("cc", "ADD x y\n", line=7), content_origin=None)
    diags = check_content(config(tmp_path, components=[c]))
    assert lines(diags, 'Unsupported command "ADD"') == [7]
    assert diags.items[0].pos is not None and diags.items[0].pos.filename == FILE


def test_output_is_sorted_and_deterministic(tmp_path: Path) -> None:
    cfg = config(
        tmp_path,
        components=[component("z", "ADD a b\n", line=50), component("a", "EXPOSE 1\n", line=1)],
        templates=[template("web", "RUNN x\nFROM y\n", system_disk_size=1)],
    )
    first = [d.to_json() for d in check_content(cfg)]
    assert first == [d.to_json() for d in check_content(cfg)]
    assert [d["line"] for d in first] == sorted(d["line"] for d in first)  # type: ignore[type-var]


def test_sensitive_values_never_appear(tmp_path: Path) -> None:
    cfg = config(tmp_path, templates=[template("web", "RESTART hunter2-secret\n")])
    cfg = replace(cfg, sensitive_values=("hunter2-secret",))
    diags = check_content(cfg)
    assert summaries(diags) == ["RESTART takes no arguments"]
    assert "hunter2-secret" not in diags.items[0].detail
    assert "(sensitive)" in diags.items[0].detail


def test_for_each_instance_names_include_the_key(tmp_path: Path) -> None:
    ok = replace(component("agent", "RUN true\n"), key="ubuntu")
    bad = replace(component("agent", "RUN true\n"), key="ubuntu 22/04")
    diags = check_content(config(tmp_path, components=[ok, bad]))
    assert [(d.address, d.summary) for d in diags] == [('component.agent["ubuntu 22/04"]', "Invalid component name")]
    assert '"agent-ubuntu 22/04"' in diags.items[0].detail


def test_default_image_name_is_the_template_name(tmp_path: Path) -> None:
    long_name = "w" * 70  # a valid template name, too long for an image name
    diags = check_content(config(tmp_path, templates=[template(long_name, "RUN true\n")]))
    assert summaries(diags) == ["Invalid image_name"]
    assert "Set image_name" in diags.items[0].detail
    named = template(long_name, "RUN true\n", image_name="web")
    assert list(check_content(config(tmp_path, templates=[named]))) == []
