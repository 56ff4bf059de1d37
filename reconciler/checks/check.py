"""Offline checks of command content and documented limits over a loaded configuration.

Everything Image Builder would reject is reported here, before any API call, at the user's
file and line, with the Alibaba error code in the detail so users can match cloud errors too.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from imgb import plugins
from imgb.commands.model import DOCKERFILE_COMMANDS, Instruction, YamlComponent
from imgb.commands.parse import is_yaml, parse_content, value_matches_type
from imgb.commands.paths import ContextPathError, is_url, resolve_context_path
from imgb.diagnostics import Diagnostic, Diagnostics, SourcePos, did_you_mean
from imgb.diagnostics import error as error_diag
from imgb.diagnostics import warning as warning_diag
from imgb.providers.base import Limits, ProviderSchema
from imgb.reconciler.checks import limits
from imgb.reconciler.checks.refs import ComponentRef, classify_ref
from imgb.reconciler.config.model import Component, Config, Template, TextOrigin
from imgb.reconciler.graph import cloud_name, distribution_targets
from imgb.unknown import has_markers

_UNSUPPORTED_HINTS: dict[str, str] = {
    "ADD": "Use COPY for local files and URLs (URLs without a query string).",
    "ARG": "Use a variable in the configuration (${var.name}) or ENV instead.",
    "EXPOSE": "Images built by Image Builder are VM images; open ports with security groups instead.",
    "VOLUME": "Attach data disks to the instances launched from the image instead.",
    "ONBUILD": "There are no child builds; put the commands where they should run.",
    "STOPSIGNAL": "VM images have no container stop signal; remove it.",
    "HEALTHCHECK": "Check the image in the template's test commands instead.",
    "SHELL": "Commands run with /bin/sh; call another shell explicitly from RUN.",
    "MAINTAINER": 'Use LABEL maintainer="..." instead.',
}
_MAX_CONTENT_BYTES = 16 * 1024
_NO_LIMITS = Limits()


def provider_limits(config: Config, provider: str) -> Limits:
    """What the provider of a block accepts, as its schema declares (``imgb/plugins.py``)."""
    cfg = config.providers.get(provider)
    kind = plugins.provider_class(cfg.type) if cfg is not None else None
    schema = getattr(kind, "schema", None)
    if isinstance(schema, ProviderSchema):
        return schema.limits
    return _NO_LIMITS


def check_content(config: Config) -> Diagnostics:
    """Every problem with components' and templates' content and limits."""
    diags = Diagnostics()
    context = Path(config.directory)
    parsed_components: dict[str, YamlComponent | None] = {}
    for address in sorted(config.components):
        component = config.components[address]
        parsed_components[address] = _check_component(config, component, context, diags)
    for address in sorted(config.templates):
        _check_template(config, config.templates[address], context, parsed_components, diags)
    for address in sorted(config.distributions):
        dist = config.distributions[address]
        limits.check_regions(dist.regions, dist.attr_pos.get("regions", dist.pos), dist.address, diags)
        limits.check_accounts(dist.accounts, dist.attr_pos.get("accounts", dist.pos), dist.address, diags)
    result = Diagnostics()
    result.extend(_masked(d, config.sensitive_values) for d in diags.sorted())
    return result


def _masked(diag: Diagnostic, secrets: tuple[str, ...]) -> Diagnostic:
    """Messages quote the user's values; a sensitive one must never show (spec: sensitive)."""
    summary, detail = diag.summary, diag.detail
    # Longest first, so a secret containing another is masked whole. Very short values would
    # mask ordinary words and cannot be meaningful secrets.
    for secret in sorted((s for s in secrets if len(s) >= 3), key=len, reverse=True):
        summary = summary.replace(secret, "(sensitive)")
        detail = detail.replace(secret, "(sensitive)")
    if (summary, detail) == (diag.summary, diag.detail):
        return diag
    return dataclasses.replace(diag, summary=summary, detail=detail)


# ---------------------------------------------------------------------------------------------
# components


class _Positions:
    """Maps lines of a text value to the user's file, or to the attribute when it has no origin."""

    def __init__(self, origin: TextOrigin | None, fallback: SourcePos):
        self.origin = origin
        self.fallback = fallback

    def at(self, line: int) -> SourcePos:
        return self.origin.pos(line) if self.origin is not None else self.fallback


def _check_component(config: Config, component: Component, context: Path, diags: Diagnostics) -> YamlComponent | None:
    """Check one component; returns its parsed YAML (for parameter checks) or None."""
    addr = component.address
    attr = component.attr_pos
    limits.check_name(cloud_name(component.name, component.key), "component", component.pos, addr, diags)
    limits.check_description(
        component.description, "description", attr.get("description", component.pos), addr, diags
    )
    if component.version is not None:
        limits.check_version(component.version, attr.get("version", component.pos), addr, diags)
    limits.check_tags(component.tags, "tags", attr.get("tags", component.pos), addr, diags)

    content_attr = attr.get("content", component.pos)
    where = _Positions(component.content_origin, content_attr)
    text = component.content
    if not text.strip():
        diags.add(
            error_diag(
                "Empty component content",
                f"{addr} has no commands. Give it Dockerfile-style commands or a YAML document with Tasks. "
                "Alibaba Cloud would reject it with MissingParameter.Content.",
                content_attr,
                addr,
            )
        )
        return None
    _check_size(text, "content", "InvalidContent.LengthExceeded", content_attr, addr, diags)
    parsed = parse_content(text, component=True)
    if parsed.form == "yaml":
        doc = parsed.component
        for p in parsed.problems:
            diags.add(
                error_diag(
                    p.summary,
                    p.detail
                    + (
                        " Alibaba Cloud would reject it with InvalidParameter.Content."
                        if "Alibaba" not in p.detail
                        else ""
                    ),
                    where.at(p.line),
                    addr,
                )
            )
        if doc is not None:
            _check_yaml_os(component, doc, where, diags)
        return doc
    if component.system_type == "Windows":
        diags.add(
            error_diag(
                "Dockerfile-style commands in a Windows component",
                f"{addr} has system_type Windows, but Dockerfile-style commands run only on Linux. "
                "Write the component as a YAML document with RunPowerShellCommand tasks, or set system_type "
                "to Linux.",
                content_attr,
                addr,
            )
        )
    limit = provider_limits(config, component.provider).commands_per_content
    instructions = _check_commands(text, where, addr, diags, in_component=True, limit=limit)
    _check_copies(instructions, context, where, addr, diags)
    return None


def _check_yaml_os(component: Component, doc: YamlComponent, where: _Positions, diags: Diagnostics) -> None:
    wrong = "RunPowerShellCommand" if component.system_type == "Linux" else "RunShellCommand"
    for task in doc.tasks:
        if task.action == wrong:
            right = "RunShellCommand" if wrong == "RunPowerShellCommand" else "RunPowerShellCommand"
            diags.add(
                error_diag(
                    f"{wrong} in a {component.system_type} component",
                    f'Task "{task.name}" uses {wrong}, which does not run on {component.system_type}. '
                    f"Use {right}, or set the component's system_type to "
                    f"{'Windows' if component.system_type == 'Linux' else 'Linux'}.",
                    where.at(task.line),
                    component.address,
                )
            )


def _check_size(text: str, what: str, code: str, pos: SourcePos, addr: str, diags: Diagnostics) -> None:
    size = len(text.encode("utf-8"))
    if size > _MAX_CONTENT_BYTES:
        diags.add(
            error_diag(
                "Content too long",
                f"The {what} of {addr} is {size} bytes; Image Builder accepts at most 16 KB "
                f"({_MAX_CONTENT_BYTES} bytes). Move commands into components (each has its own 16 KB), "
                f"or shorten scripts by copying them in with COPY. Alibaba Cloud would reject it with {code}.",
                pos,
                addr,
            )
        )


def _check_commands(
    text: str, where: _Positions, addr: str, diags: Diagnostics, *, in_component: bool, limit: int | None
) -> tuple[Instruction, ...]:
    parsed = parse_content(text, component=False)
    instructions = parsed.instructions
    for p in parsed.problems:
        diags.add(error_diag(p.summary, p.detail, where.at(p.line), addr))
    allowed = DOCKERFILE_COMMANDS if in_component else (*DOCKERFILE_COMMANDS, "COMPONENT")
    for ins in instructions:
        pos = where.at(ins.line)
        name = ins.name
        if name == "FROM":
            if in_component:
                detail = (
                    "A component cannot choose the base image: the template's base_image or base_image_family "
                    "does. Remove the FROM line. Alibaba Cloud would reject it with NotSupportedCommand.FROM."
                )
            else:
                detail = (
                    "The base image is set by the template's base_image (an image id or name) or "
                    "base_image_family attribute, not by FROM. Remove the FROM line and set base_image instead."
                )
            diags.add(error_diag('Unsupported command "FROM"', detail, pos, addr))
        elif name == "COMPONENT" and in_component:
            diags.add(
                error_diag(
                    "COMPONENT inside a component",
                    "Components cannot include other components; only a template's build and test commands "
                    "can use COMPONENT. Reference both components from the template instead. "
                    "Alibaba Cloud would reject it with InvalidCommand.Component.",
                    pos,
                    addr,
                )
            )
        elif name not in allowed:
            diags.add(_unsupported(ins, allowed, pos, addr))
        elif name == "RESTART":
            if ins.args:
                diags.add(
                    error_diag(
                        "RESTART takes no arguments",
                        f'RESTART restarts the build instance and nothing may follow it, but "{ins.args}" does. '
                        "Remove the arguments. Alibaba Cloud would reject it with NotEmptyCommandContent.RESTART.",
                        pos,
                        addr,
                    )
                )
        elif not ins.args:
            diags.add(
                error_diag(
                    f"Empty {name} command",
                    f"{name} needs arguments; see the command's syntax in the Image Builder command reference. "
                    f"Alibaba Cloud would reject it with EmptyCommandContent.{name}.",
                    pos,
                    addr,
                )
            )
    if limit is not None and len(instructions) > limit:
        diags.add(
            error_diag(
                "Too many commands",
                f"{addr} has {len(instructions)} commands in one content; Image Builder accepts at most "
                f"{limit}. Join related RUN commands with && or move commands into components. "
                "Alibaba Cloud would reject it with InvalidImageTemplateCommandSize.ExceededMaxNumber.",
                where.at(instructions[limit].line),
                addr,
            )
        )
    return instructions


def _unsupported(ins: Instruction, allowed: tuple[str, ...], pos: SourcePos, addr: str) -> Diagnostic:
    keyword = ins.name
    hint = _UNSUPPORTED_HINTS.get(keyword)
    if hint is None:
        hint = did_you_mean(keyword, allowed).strip() or f"The supported commands are {' '.join(allowed)}."
    return error_diag(
        f'Unsupported command "{keyword}"',
        f"Image Builder does not support {keyword}. {hint} "
        "Alibaba Cloud would reject it with InvalidImageTemplateCommand.NotSupported.",
        pos,
        addr,
    )


def _check_copies(
    instructions: tuple[Instruction, ...], context: Path, where: _Positions, addr: str, diags: Diagnostics
) -> list[str]:
    """Report unusable COPY sources; return the URLs copied (they need internet access)."""
    urls: list[str] = []
    for ins in instructions:
        if ins.name != "COPY":
            continue
        for src in ins.copy_sources:
            if is_url(src):
                urls.append(src)
                if "?" in src:
                    diags.add(
                        error_diag(
                            "COPY URL with a query string",
                            f'"{src}" has a query string; Image Builder fetches COPY URLs with wget and does not '
                            "accept query strings. Host the file at a URL without one, or download it in a RUN "
                            "command. Alibaba Cloud would reject it with InvalidCommandContent.COPY.",
                            where.at(ins.line),
                            addr,
                        )
                    )
                continue
            try:
                resolve_context_path(context, src)
            except ContextPathError as exc:
                diags.add(error_diag("Invalid COPY source", str(exc), where.at(ins.line), addr))
    return urls


# ---------------------------------------------------------------------------------------------
# templates


def _check_template(
    config: Config,
    template: Template,
    context: Path,
    parsed_components: dict[str, YamlComponent | None],
    diags: Diagnostics,
) -> None:
    addr = template.address
    attr = template.attr_pos
    at = attr.get
    name = cloud_name(template.name, template.key)
    name_ok = not limits.check_name(name, "template", template.pos, addr, diags)
    limits.check_description(
        template.description, "description", at("description", template.pos), addr, diags
    )
    limits.check_range(
        template.system_disk_size,
        20,
        500,
        "system_disk_size",
        "GiB",
        "InvalidSystemDiskSize.NotSupportedValue",
        at("system_disk_size", template.pos),
        addr,
        diags,
    )
    limits.check_range(
        template.internet_max_bandwidth_out,
        0,
        100,
        "internet_max_bandwidth_out",
        "Mbit/s",
        "InvalidInternetMaxBandwidthOut.NotSupportedValue",
        at("internet_max_bandwidth_out", template.pos),
        addr,
        diags,
    )
    if template.retain < 1:
        diags.add(
            error_diag(
                "Invalid retain",
                f"retain is {template.retain}, but it counts the built images kept, the current one included, "
                "so it must be at least 1.",
                at("retain", template.pos),
                addr,
            )
        )
    if template.image_name is not None:
        limits.check_image_name(template.image_name, at("image_name", template.pos), addr, diags)
    elif name_ok:
        # Without image_name the images are named after the template (see imgb.reconciler.graph).
        limits.check_image_name(name, template.pos, addr, diags, default=True)
    if template.image_family is not None:
        limits.check_image_family(template.image_family, at("image_family", template.pos), addr, diags)
    if template.image_description is not None:
        limits.check_description(
            template.image_description,
            "image_description",
            at("image_description", template.pos),
            addr,
            diags,
        )
    limits.check_tags(template.tags, "tags", at("tags", template.pos), addr, diags)
    limits.check_tags(template.image_tags, "image_tags", at("image_tags", template.pos), addr, diags)
    both = len(set(template.tags) | set(template.image_tags))
    if max(len(template.tags), len(template.image_tags)) <= limits.MAX_USER_TAGS < both:
        # The built images carry both maps.
        limits.too_many_tags(both, "The images get tags and image_tags, together", at("image_tags", template.pos),
                             addr, diags)
    home = config.providers[template.provider].region if template.provider in config.providers else ""
    limits.check_distribution_union(
        template, *distribution_targets(template, home), provider_limits(config, template.provider), at("distribute", template.pos), diags
    )

    urls: list[str] = []
    for phase in ("build", "test"):
        text = template.build if phase == "build" else template.test
        origin = template.build_origin if phase == "build" else template.test_origin
        if not text.strip():
            continue
        phase_attr = at(phase, template.pos)
        where = _Positions(origin, phase_attr)
        code = "InvalidBuildContent.LengthExceeded" if phase == "build" else "InvalidParameter.TestContent"
        _check_size(text, f"{phase} commands", code, phase_attr, addr, diags)
        limit = provider_limits(config, template.provider).commands_per_content
        instructions = _check_commands(text, where, addr, diags, in_component=False, limit=limit)
        urls += _check_copies(instructions, context, where, addr, diags)
        for ins in instructions:
            if ins.name == "COMPONENT" and ins.component_ref is not None:
                _check_component_use(
                    config, template, phase, ins, where.at(ins.line), parsed_components, diags
                )
    if urls and template.internet_max_bandwidth_out == 0:
        diags.add(
            warning_diag(
                "COPY from a URL without internet access",
                f"{addr} copies {urls[0]}, but internet_max_bandwidth_out is 0, so the build instance has no "
                "internet access and the download will fail. Set internet_max_bandwidth_out to at least 1.",
                at("internet_max_bandwidth_out", at("build", template.pos)),
                addr,
            )
        )


def _check_component_use(
    config: Config,
    template: Template,
    phase: str,
    ins: Instruction,
    pos: SourcePos,
    parsed_components: dict[str, YamlComponent | None],
    diags: Diagnostics,
) -> None:
    addr = template.address
    assert ins.component_ref is not None
    ref: ComponentRef = classify_ref(ins.component_ref, config.components)
    if ref.problem is not None:
        diags.add(error_diag(ref.problem[0], ref.problem[1], pos, addr))
        return
    if ref.component is None:
        return  # an id or acs: reference to a component outside this configuration: checked by the cloud
    component = config.components[ref.component]
    wanted = "Build" if phase == "build" else "Test"
    if component.type != wanted:
        diags.add(
            error_diag(
                f"{component.type} component in {phase} commands",
                f"{ref.component} is a {component.type} component, but it is used in the template's {phase} "
                f"commands, which take only {wanted} components. Use it in "
                f'{"test" if phase == "build" else "build"}, or set its type to "{wanted}". '
                "Alibaba Cloud would reject it with InvalidImageComponent.NotSupported.",
                pos,
                addr,
            )
        )
    doc = parsed_components.get(ref.component)
    if doc is None:
        if ins.component_params and not is_yaml(component.content):
            diags.add(
                error_diag(
                    "Parameters for a component without parameters",
                    f"{ref.component} is written as Dockerfile-style commands, which take no parameters, but "
                    f"--{ins.component_params[0][0]} is passed. Remove the parameters, or write the component as "
                    "YAML with Parameters.",
                    pos,
                    addr,
                )
            )
        return
    declared = {p.name: p for p in doc.parameters}
    given: dict[str, str] = {}
    for name, value in ins.component_params:
        if name in given:
            diags.add(
                error_diag(
                    "Duplicate COMPONENT parameter",
                    f"--{name} is passed twice to {ref.component}. Pass each parameter once.",
                    pos,
                    addr,
                )
            )
            continue
        given[name] = value
        param = declared.get(name)
        if param is None:
            known = ", ".join(sorted(declared)) or "none"
            diags.add(
                error_diag(
                    "Unknown COMPONENT parameter",
                    f'{ref.component} has no parameter "{name}" (its parameters: {known}).'
                    + did_you_mean(name, declared),
                    pos,
                    addr,
                )
            )
        elif not has_markers(value) and not value_matches_type(value, param.type):
            expect = "true or false" if param.type == "Boolean" else "a number"
            diags.add(
                error_diag(
                    "COMPONENT parameter of the wrong type",
                    f'Parameter "{name}" of {ref.component} is a {param.type}, so --{name} must be {expect}, '
                    f'not "{value}".',
                    pos,
                    addr,
                )
            )
    for param in doc.parameters:
        if not param.has_default and param.name not in given:
            diags.add(
                error_diag(
                    "Missing COMPONENT parameter",
                    f'{ref.component} requires parameter "{param.name}" ({param.type}), which has no default. '
                    f"Pass it: COMPONENT ... --{param.name} value.",
                    pos,
                    addr,
                )
            )
