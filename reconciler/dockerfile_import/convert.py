"""Dockerfile instructions into Image Builder commands, with BuildKit's meaning.

What BuildKit does, and how the result does the same with Image Builder's commands (RUN, ENV,
WORKDIR, COPY, USER, LABEL, CMD, ENTRYPOINT):

* Stages: the target (the last stage, or ``target``) and the stages it is built FROM, in order;
  a stage built FROM another inherits its environment, ARG values included. Other stages are
  not built (BuildKit skips them too) unless COPY --from or RUN --mount names them: that is
  reported where it happens.
* ARG: a build argument has the ``build_args`` value, else its default (expanded), else the value
  of the global ARG of that name, else none. With a value it joins the build environment that
  later instructions expand with and that RUN commands see; a later ENV of the name wins, and an
  ARG after an ENV wins over it. Image Builder has no ARG, so each RUN exports the ARG values in
  effect; an ARG without a value stays unset. The platform ARGs (TARGETPLATFORM, TARGETOS,
  TARGETARCH, TARGETVARIANT, BUILDPLATFORM, BUILDOS, BUILDARCH, BUILDVARIANT) are predefined
  globally from ``platform`` (default: this machine).
* Expansion (``shell.Lexer``) happens where Docker expands: FROM, ENV, ARG, LABEL, WORKDIR, USER,
  COPY/ADD paths and ``--chown``/``--chmod``, EXPOSE, VOLUME. Never in RUN, CMD or ENTRYPOINT: the
  shell reads those, with the ARG values in its environment.
* RUN: Docker's joined line is the shell's text (``sh.layout``); the exec form runs without a
  shell; heredocs become the script BuildKit hands the shell; SHELL changes the shell.
* COPY/ADD: sources are matched in the build context with ``.dockerignore`` and Docker's wildcard
  rules (``context.BuildContext``), copied with imgb's COPY (which reads the configuration
  directory: the build context), and the owners and modes BuildKit would give (``--chown``,
  ``--chmod``, new directories) are set by RUN commands around the COPY.
"""

from __future__ import annotations

import difflib
import json
import os
import platform as host_platform
import posixpath
import re
from dataclasses import dataclass, field

from imgb.reconciler.dockerfile_import.context import (
    BuildContext,
    IgnoreRules,
    PatternError,
    clean_source,
    has_wildcards,
)
from imgb.reconciler.dockerfile_import.instructions import (
    InstructionError,
    arg_pairs,
    blank_words,
    key_values,
    parse_flags,
    parse_from,
)
from imgb.reconciler.dockerfile_import.parser import (
    DockerfileError,
    Heredoc,
    Instruction,
    heredoc_token,
    onbuild_trigger,
    parse,
)
from imgb.reconciler.dockerfile_import.sh import (
    has_line_breaks,
    layout,
    one_line,
    protect_end,
    quote,
    script_command,
    single_quote,
    write_bytes,
)
from imgb.reconciler.dockerfile_import.shell import Lexer, ShellError

DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
DEFAULT_SHELL = ["/bin/sh", "-c"]
KNOWN_BASES = {"busybox": {"PATH": DEFAULT_PATH}, "scratch": {"PATH": DEFAULT_PATH}}
"""Base images whose environment the import knows (imgb's built-in ones)."""
PROXY_ARGS = ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "FTP_PROXY", "ftp_proxy", "NO_PROXY", "no_proxy",
              "ALL_PROXY", "all_proxy")
"""Build arguments RUN commands get without an ARG, when given (``--build-arg``)."""
PLATFORM_ARGS = ("TARGETPLATFORM", "TARGETOS", "TARGETARCH", "TARGETVARIANT", "BUILDPLATFORM", "BUILDOS", "BUILDARCH", "BUILDVARIANT")
_ENV_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# BuildKit's SecretsUsedInArgOrEnv lint: a name word that says it holds a secret.
_SECRET_NAME = re.compile(r"(?i)(?:_|^)(?:apikey|auth|credential|credentials|key|password|pword|passwd|secret|token)(?:_|$)")
_ARCHIVE_NAME = re.compile(r"\.(tar|tar\.gz|tgz|tar\.bz2|tbz2?|tar\.xz|txz|tar\.zst|tzst|tar\.lz|tar\.lzma)$", re.I)
_GIT_URL = re.compile(r"(^git@|\.git(#.*)?$|^git://|^https?://[^/]*github\.com/[^/]+/[^/]+(\.git)?#)")
# distribution/reference's grammar: [domain[:port]/]path[:tag][@digest], path components lower case.
_IMAGE_REFERENCE = re.compile(
    r"(?:(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*"
    r"(?::[0-9]+)?/)?"
    r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*"
    r"(?::[\w][\w.-]{0,127})?"
    r"(?:@[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,})?"
)
_SYMBOLIC_MODE = re.compile(r"[ugoa]*(?:[-+=](?:[rwxXst]*|[ugo]))+(?:,[ugoa]*(?:[-+=](?:[rwxXst]*|[ugo]))+)*")
_ARCHIVE_MAGIC = (b"\x1f\x8b", b"BZh", b"\xfd7zXZ\x00", b"\x28\xb5\x2f\xfd")
_NOT_IN_IMAGE_BUILDER = {
    "EXPOSE": "Image Builder images are VM images: open the ports with security groups instead.",
    "VOLUME": "Image Builder images are VM images: attach data disks to the instances instead.",
    "HEALTHCHECK": "Check the image in the template's test commands instead.",
    "STOPSIGNAL": "VM images have no container stop signal.",
    "ONBUILD": "Image Builder images have no child builds: put the commands where they should run.",
    "MAINTAINER": 'It sets the image author, which Image Builder images do not record; write LABEL maintainer="..." '
    "if you want it kept.",
}


def host_platform_string() -> str:
    machine = host_platform.machine().lower()
    arch = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64", "armv7l": "arm/v7",
            "armv6l": "arm/v6", "i386": "386", "i686": "386", "ppc64le": "ppc64le", "s390x": "s390x",
            "riscv64": "riscv64"}.get(machine, machine)
    return f"linux/{arch}"


def platform_args(target: str, build: str) -> dict[str, str]:
    out = {}
    for prefix, value in (("TARGET", target), ("BUILD", build)):
        parts = value.split("/")
        out[prefix + "PLATFORM"] = value
        out[prefix + "OS"] = parts[0]
        out[prefix + "ARCH"] = parts[1] if len(parts) > 1 else ""
        out[prefix + "VARIANT"] = parts[2] if len(parts) > 2 else ""
    return out


@dataclass
class Options:
    platform: str = field(default_factory=host_platform_string)
    """TARGETPLATFORM (``--platform``)."""
    build_platform: str = field(default_factory=host_platform_string)
    build_args: dict[str, str] = field(default_factory=dict)
    target: str | None = None
    context: BuildContext | None = None
    source_prefix: str = ""
    """Prepended to COPY sources: where the build context is, from the configuration directory."""


@dataclass
class Note:
    line: int
    summary: str
    detail: str
    dropped: bool = False
    """The instruction (or part of it) is not in the result."""
    text: str = ""
    """The instruction as written, first line, for the result's header."""


def line_list(numbers: list[int]) -> str:
    """1, 2 and 3."""
    words = [str(n) for n in numbers]
    return ", ".join(words[:-1]) + " and " + words[-1] if len(words) > 1 else words[0]


@dataclass
class Converted:
    commands: list[str]
    base_image: str | None
    base_line: int
    notes: list[Note]
    needs_internet: bool
    error: Note | None = None
    """BuildKit would refuse the Dockerfile (or a build of it would fail): nothing is written."""


class ConvertError(Exception):
    def __init__(self, line: int, summary: str, detail: str):
        super().__init__(summary)
        self.note = Note(line, summary, detail)


@dataclass
class _Stage:
    index: int
    name: str | None
    image: str
    platform: str | None
    line: int
    text: str
    instructions: list[Instruction] = field(default_factory=list)
    base: _Stage | None = None


@dataclass
class _State:
    env: dict[str, str]
    """BuildKit's build environment: the base image's, ENV, and ARG values."""
    image_env: dict[str, str]
    """What the image's environment holds at this point of the imgb build."""
    base_known: bool
    workdir: str = "/"
    workdir_known: bool = True
    """False while the base image's working directory (which the import cannot see) still counts:
    relative paths are then written relative, as imgb resolves them in the same directory."""
    user: str = ""
    shell: list[str] = field(default_factory=lambda: list(DEFAULT_SHELL))
    args: dict[str, str | None] = field(default_factory=dict)
    """ARGs declared in scope and their values (None: unset)."""


def convert(text: str, options: Options | None = None) -> Converted:
    return _Converter(text, options or Options()).run()


class _Converter:
    def __init__(self, text: str, options: Options):
        self.text = text
        self.opt = options
        self.notes: list[Note] = []
        self.out: list[str] = []
        self.needs_internet = False
        self.escape = "\\"
        self.ins: Instruction | None = None
        self.meta: dict[str, str] = {}
        self.used_platform_args: set[str] = set()
        self.platform_lines: set[int] = set()
        self.fixed_args: dict[str, tuple[int, str | None]] = {}
        self.stages: list[_Stage] = []
        self.chain: set[int] = set()
        self.target = -1
        self.state = _State({}, {}, False)
        self.stage_cmd_set = False
        """A CMD was given in the stage being converted."""

    # -- notes -------------------------------------------------------------------------------
    def note(self, summary: str, detail: str, *, dropped: bool = False, line: int | None = None) -> None:
        ins = self.ins
        self.notes.append(
            Note(line or (ins.line if ins else 1), summary, detail, dropped, ins.first_line() if ins else "")
        )

    def fail(self, summary: str, detail: str) -> ConvertError:
        return ConvertError(self.ins.line if self.ins else 1, summary, detail)

    # -- the whole file ------------------------------------------------------------------------
    def run(self) -> Converted:
        try:
            parsed = parse(self.text)
        except DockerfileError as e:
            return self._refused(e.line, e.message)
        self.escape = parsed.escape
        for line, summary, detail in parsed.warnings:
            self.notes.append(Note(line, summary, detail))
        try:
            self._stages(parsed.instructions)
            if not self.stages:
                return Converted([], None, 1, self.notes, False)
            chain = self._chain()
            for stage in self.stages:
                if stage.index not in self.chain:
                    self._check_unbuilt(stage)
            for stage in chain:
                self._stage(stage)
            self._final_notes()
            self._one_line_each()
        except ConvertError as e:
            return Converted([], None, 1, self.notes, False, e.note)
        except InstructionError as e:
            ins = self.ins
            where = ins.line if ins else 1
            what = ins.keyword if ins else "instruction"
            return Converted([], None, 1, self.notes, False, Note(
                where, f"Invalid {what}", f"{str(e)[0].upper()}{str(e)[1:]}. BuildKit refuses it; fix the instruction."))
        root = chain[0]
        return Converted(self.out, root.image, root.line, self.notes, self.needs_internet)

    def _refused(self, line: int, message: str) -> Converted:
        return Converted(
            [], None, 1, self.notes, False,
            Note(line, "BuildKit refuses this Dockerfile", f"{message[0].upper()}{message[1:]}. Fix the Dockerfile (docker build fails on it too)."),
        )

    def _stages(self, instructions: list[Instruction]) -> None:
        self.meta = platform_args(self.opt.platform, self.opt.build_platform)
        for ins in instructions:
            self.ins = ins
            if ins.keyword == "FROM":
                self._from(ins)
            elif not self.stages:
                if ins.keyword != "ARG":
                    raise self.fail(
                        f"{ins.keyword} before FROM",
                        "Only ARG may come before the first FROM (BuildKit refuses the file). Move it into a stage.",
                    )
                for key, raw in self._arg_pairs(ins):
                    if key in self.opt.build_args:
                        self.meta[key] = self.opt.build_args[key]
                    elif raw is not None:
                        self.meta[key] = self._expand(raw, self.meta, "ARG", meta=True)
                    elif key not in PLATFORM_ARGS:
                        self.meta.pop(key, None)
            else:
                self.stages[-1].instructions.append(ins)

    def _from(self, ins: Instruction) -> None:
        try:
            f = parse_from(ins)
        except InstructionError as e:
            raise self.fail("Invalid FROM", f"{e}. Write FROM image [AS name].") from None
        image = self._expand(f.image, self.meta, "FROM", meta=True)
        if not image:
            raise self.fail("Empty base image", f'FROM {f.image} expands to nothing: declare its ARG with a default before the first FROM.')
        plat = self._expand(f.platform, self.meta, "FROM --platform", meta=True) if f.platform else None
        stage = _Stage(len(self.stages), f.name, image, plat, ins.line, ins.first_line())
        for earlier in self.stages:
            if earlier.name and earlier.name == image.lower():
                stage.base = earlier
        if stage.base is None and (len(image) > 255 or not _IMAGE_REFERENCE.fullmatch(image)):
            unset = sorted({m for m in re.findall(r"\$\{?(\w+)", f.image) if not self.meta.get(m)})
            hint = (f" Pass --build-arg for {', '.join(unset)} (docker build needs it too), or give the ARG a default."
                    if unset else " Fix the image name.")
            raise self.fail("Invalid base image", f'FROM {f.image} gives "{image}", which is not an image reference: '
                            f"docker build refuses it.{hint}")
        if f.name and any(s.name == f.name for s in self.stages):
            self.note("Duplicate stage name", f'Another stage is already named "{f.name}"; the later one is the one '
                      "later instructions name (BuildKit calls this undefined). Rename one.")
        self.stages.append(stage)

    def _chain(self) -> list[_Stage]:
        target = self.stages[-1]
        if self.opt.target:
            named = [s for s in self.stages if s.name == self.opt.target.lower()]
            if not named:
                names = ", ".join(s.name for s in self.stages if s.name) or "none"
                raise ConvertError(1, "No such target stage", f'The Dockerfile has no stage "{self.opt.target}" (stages: {names}).')
            target = named[0]
        chain = [target]
        while chain[0].base is not None:
            chain.insert(0, chain[0].base)
        self.chain = {s.index for s in chain}
        self.target = target.index
        return chain

    def _stage(self, stage: _Stage) -> None:
        self.ins = None
        self.stage_cmd_set = False
        if stage.base is None:
            known = KNOWN_BASES.get(stage.image)
            base_env = dict(known or {})
            self.state = _State(dict(base_env), dict(base_env), known is not None, workdir_known=known is not None)
            for name in PROXY_ARGS:
                if name in self.opt.build_args:
                    self.state.env[name] = self.opt.build_args[name]
            if stage.platform and stage.platform != self.opt.platform:
                self.notes.append(Note(stage.line, "FROM --platform differs from the target platform",
                                       f"The stage's base image is for {stage.platform}, the build for {self.opt.platform}; "
                                       "the template's base_image has no platform: pick an image built for the build "
                                       "instance's architecture.", False, stage.text))
        else:
            # BuildKit runs the ONBUILD triggers of the stage this one is built FROM first.
            for ins in stage.base.instructions:
                if ins.keyword == "ONBUILD":
                    self.ins = ins
                    try:
                        trigger = onbuild_trigger(ins)
                    except DockerfileError as e:
                        raise self.fail("Invalid ONBUILD", f"{e.message}. BuildKit refuses it.") from None
                    self._dispatch(trigger)
        for ins in stage.instructions:
            if ins.keyword == "ONBUILD" and stage.index != self.target:
                self.ins = ins
                _check_parse(ins)
                continue  # its trigger runs in the stage built FROM this one
            self._dispatch(ins)

    def _dispatch(self, ins: Instruction) -> None:
        self.ins = ins
        handler = getattr(self, f"_ins_{ins.keyword.lower()}", None)
        if handler is None:
            _check_parse(ins)
            if ins.keyword in _NOT_IN_IMAGE_BUILDER:
                self.note(ins.keyword, _NOT_IN_IMAGE_BUILDER[ins.keyword], dropped=True)
                return
            raise self._unknown_instruction(ins)
        try:
            handler(ins)
        except InstructionError as e:
            raise self.fail(f"Invalid {ins.keyword}", f"{str(e)[0].upper()}{str(e)[1:]}. BuildKit refuses it; fix the instruction.") from None

    def _unknown_instruction(self, ins: Instruction) -> ConvertError:
        known = sorted({k[len("_ins_"):].upper() for k in dir(self) if k.startswith("_ins_")} | set(_NOT_IN_IMAGE_BUILDER) | {"FROM"})
        near = difflib.get_close_matches(ins.keyword, known, n=1)
        hint = f'Did you mean "{near[0]}"? ' if near else ""
        return self.fail(f'Unknown instruction "{ins.keyword}"', f"BuildKit refuses the file. {hint}Fix the instruction's name.")

    def _check_unbuilt(self, stage: _Stage) -> None:
        """A stage the target does not need is not built, but BuildKit parses it: what its
        parser refuses is refused."""
        for ins in stage.instructions:
            self.ins = ins
            if getattr(self, f"_ins_{ins.keyword.lower()}", None) is None and ins.keyword not in _NOT_IN_IMAGE_BUILDER:
                raise self._unknown_instruction(ins)
            _check_parse(ins)
            if ins.json_error:
                raise self.fail(f"Invalid {ins.keyword}", f"BuildKit refuses it: {ins.json_error}.")

    def _one_line_each(self) -> None:
        """Characters Image Builder's parser ends a line at (but Docker does not) stay out of
        the result: a RUN gets them from printf; elsewhere they cannot be carried over."""
        for k, command in enumerate(self.out):
            if not has_line_breaks(command):
                continue
            keyword, _, args = command.partition(" ")
            if keyword != "RUN":
                raise ConvertError(1, f"Line separator in {keyword}", f"{keyword} {args[:40]!r}... holds a form feed, "
                                   "vertical tab or Unicode line separator, which ends a line for Image Builder. Remove it.")
            self.out[k] = "RUN " + one_line(args)

    def _final_notes(self) -> None:
        if self.platform_lines:
            names = ", ".join(sorted(self.used_platform_args))
            self.notes.append(Note(
                min(self.platform_lines), "Platform arguments fixed at import",
                f"{names} took the values of {self.opt.platform} (built on {self.opt.build_platform}), as docker build "
                "without --platform on this machine. Import again with --platform for another architecture."
                + (f" (Lines {line_list(sorted(self.platform_lines))}.)" if len(self.platform_lines) > 1 else ""),
            ))
        fixed = sorted(self.fixed_args.items(), key=lambda kv: kv[1][0])
        secret = [(k, line) for k, (line, v) in fixed if v and _SECRET_NAME.search(k)]
        for k, line in secret:
            self.notes.append(Note(
                line, "A build argument that looks like a secret",
                f"The value of {k} is written into the component's content, which imgb keeps in its state and "
                "Image Builder in the component. Pass secrets at build time instead: a sensitive imgb variable, or "
                "fetch them inside the RUN command (the build instance's RAM role).",
            ))
        if fixed:
            lines = sorted({line for _, (line, _) in fixed})
            hidden = {k for k, _ in secret}
            parts = [f"{k}=(not shown)" if k in hidden else f"{k}={v}" if v is not None else f"{k} (unset)"
                     for k, (_, v) in fixed]
            self.notes.append(Note(
                fixed[0][1][0], "Build arguments fixed at import",
                "Image Builder has no ARG: the RUN commands get these values in their environment, as docker build "
                f"without --build-arg would: {', '.join(parts)}. Import again with --build-arg NAME=VALUE to change "
                f"one, or write ${{var.name}} into the configuration for a value that varies."
                + (f" (Lines {line_list(lines)}.)" if len(lines) > 1 else ""),
            ))

    def _platform_used(self, names: set[str]) -> None:
        used = names & set(PLATFORM_ARGS)
        if used:
            self.used_platform_args |= used
            self.platform_lines.add(self.ins.line if self.ins else 1)

    # -- expansion -----------------------------------------------------------------------------
    def _lexer(self, **kw: bool) -> Lexer:
        return Lexer(self.escape, **kw)

    def _expand(self, word: str, env: dict[str, str], what: str, *, meta: bool = False) -> str:
        try:
            exp = self._lexer().expand(word, env)
        except ShellError as e:
            raise self.fail(f"Invalid variable use in {what}", f"{e}: BuildKit refuses it. Fix the quoting or the ${{...}} form.") from None
        self._platform_used(exp.used)
        if meta or not exp.unset or self.state.base_known:
            return exp.text
        return self._unknown(word, exp.unset, what)

    def word(self, text: str, what: str) -> str:
        return self._expand(text, self.state.env, what)

    def _unknown(self, source: str, unset: set[str], what: str) -> str:
        """Names not in the build environment of a stage whose base image the import cannot see:
        the base image may set them. $PATH is taken as the usual default; the others are kept."""
        env = dict(self.state.env)
        if "PATH" in unset:
            env["PATH"] = DEFAULT_PATH
            self.note(
                "$PATH taken as the usual default",
                f"{what} uses $PATH, which the base image sets. Image Builder does not expand variables there, so it "
                f"became {DEFAULT_PATH}; check it against the base image's PATH.",
            )
        for n in sorted(unset - {"PATH"}):
            self.note(
                f"${n} is unknown at import",
                f"{what} uses ${n}, which the base image may set; Docker expands it, Image Builder does not, and the "
                f"import cannot see the base image. It is left as written: replace ${n} with the base image's value.",
            )
        return self._lexer(skip_unset=True).word(source, env)

    def _arg_pairs(self, ins: Instruction) -> list[tuple[str, str | None]]:
        return arg_pairs(ins, self.escape)

    # -- ENV, ARG, LABEL, USER, WORKDIR ---------------------------------------------------------
    def _ins_arg(self, ins: Instruction) -> None:
        for key, raw in self._arg_pairs(ins):
            if key in self.opt.build_args:
                value: str | None = self.opt.build_args[key]
            elif raw is not None:
                value = self.word(raw, "ARG")
            else:
                value = self.meta.get(key)
            self.state.args[key] = value
            if key in PLATFORM_ARGS:
                self._platform_used({key})
            elif key not in self.fixed_args:
                self.fixed_args[key] = (ins.line, value)
            if value is not None:
                self.state.env[key] = value

    def _ins_env(self, ins: Instruction) -> None:
        pairs, _ = key_values(ins, self.escape)
        expanded = [(self.word(k, "ENV"), self.word(v, "ENV")) for k, v in pairs]
        kept = []
        for k, v in expanded:
            if not _ENV_KEY.match(k):
                self.note(
                    "ENV name Image Builder refuses",
                    f'"{k}" is not a name Image Builder accepts for ENV (letters, digits and _, not starting with a '
                    "digit); that variable is left out. Rename it.",
                    dropped=True,
                )
                continue
            if "\n" in v:
                raise self.fail("ENV value with a newline", "Image Builder's ENV holds one line. Remove the newline.")
            kept.append((k, v))
        for k, v in expanded:
            self.state.env[k] = v
        for k, v in kept:
            self.state.image_env[k] = v
        if kept:
            self.out.append("ENV " + " ".join(f"{k}={_dq(v)}" for k, v in kept))

    def _ins_label(self, ins: Instruction) -> None:
        pairs, _ = key_values(ins, self.escape)
        expanded = [(self.word(k, "LABEL"), self.word(v, "LABEL")) for k, v in pairs]
        if any("\n" in k + v for k, v in expanded):
            raise self.fail("LABEL with a newline", "Image Builder's LABEL holds one line. Remove the newline.")
        self.out.append("LABEL " + " ".join(f"{_label_key(k)}={_dq(v)}" for k, v in expanded))

    def _ins_user(self, ins: Instruction) -> None:
        user = self.word(ins.args, "USER")
        if not user:
            user = "root"  # an empty USER (an unset ARG) is the default user, as in Docker
        if len(user.split()) != 1:
            raise self.fail("Invalid USER", f'USER needs one user name (or name:group); "{user}" is not one.')
        self.state.user = user
        self.out.append(f"USER {user}")

    def _ins_workdir(self, ins: Instruction) -> None:
        value = self.word(ins.args, "WORKDIR")
        if not value:
            raise self.fail("Invalid WORKDIR", "WORKDIR needs a path.")
        if value.startswith("/") or self.state.workdir_known:
            path = "/" + posixpath.normpath(posixpath.join(self.state.workdir, value)).lstrip("/")
            written = path
            self.state.workdir_known = True
        else:
            written = posixpath.normpath(value)  # relative to the base image's own working directory
            path = posixpath.normpath(posixpath.join(self.state.workdir, value))
        if self._non_root():
            # BuildKit creates the directory (and its missing parents) owned by the USER.
            owner = chown_spec(self.state.user)
            self._as_root("RUN " + ensure_dirs([(d, "755", owner) for d in parents_of(written, include_self=True)]))
        self.state.workdir = path
        self.out.append(f"WORKDIR {written}")

    # -- CMD, ENTRYPOINT, SHELL ----------------------------------------------------------------------
    def _ins_cmd(self, ins: Instruction) -> None:
        if ins.json_error:
            raise self.fail(f"Invalid {ins.keyword}", f"BuildKit refuses it: {ins.json_error}.")
        if ins.json is None and not ins.args:
            raise self.fail(f"Invalid {ins.keyword}", f"{ins.keyword} needs a command.")
        # A later CMD (ENTRYPOINT) replaces an earlier one; an ENTRYPOINT also clears the CMD unless
        # its own stage set one (BuildKit's rule: a CMD of the stage it is built FROM is cleared).
        drop = {ins.keyword} | ({"CMD"} if ins.keyword == "ENTRYPOINT" and not self.stage_cmd_set else set())
        self.out = [c for c in self.out if c.partition(" ")[0] not in drop]
        if ins.keyword == "CMD":
            self.stage_cmd_set = True
        if ins.json is not None:
            if not ins.json:
                base = "CMD and ENTRYPOINT" if "CMD" in drop and ins.keyword == "ENTRYPOINT" else ins.keyword
                self.note(
                    f"{ins.keyword} []",
                    f"{ins.keyword} [] clears the base image's {base}; Image Builder cannot clear one, and "
                    "imgb refuses an empty list. If the base image sets one, it stays.",
                    dropped=True,
                )
                return
            self.out.append(f"{ins.keyword} {json.dumps(ins.json, ensure_ascii=False)}")
            return
        text = ins.args
        if self.state.shell != DEFAULT_SHELL or protect_end(text) != text or text.startswith("["):
            self.out.append(f"{ins.keyword} {json.dumps([*self.state.shell, text], ensure_ascii=False)}")
        else:
            self.out.append(f"{ins.keyword} {text}")

    _ins_entrypoint = _ins_cmd

    def _ins_shell(self, ins: Instruction) -> None:
        if ins.json is None or not ins.json:
            raise self.fail("Invalid SHELL", "SHELL needs the JSON form: SHELL [\"executable\", \"parameters\"].")
        self.state.shell = list(ins.json)
        if ins.json != DEFAULT_SHELL:
            self.note("SHELL became explicit shell calls",
                      f"Image Builder runs RUN with /bin/sh; the RUN commands after this call {' '.join(ins.json)} themselves.")

    # -- RUN -----------------------------------------------------------------------------------
    def _ins_run(self, ins: Instruction) -> None:
        flags = parse_flags(ins)
        for mount in flags.lists.get("mount", []):
            self._mount_note(mount)
        if flags.get("network") not in (None, "default"):
            self.note(f"RUN --network={flags.get('network')} dropped",
                      "Image Builder runs every command with the build instance's network.")
        if flags.get("security") == "insecure":
            self.note("RUN --security=insecure dropped", "Image Builder commands run as on the build instance.")
        if flags.lists.get("device"):
            self.note("RUN --device dropped", "Devices are the build instance's own.")
        if ins.json_error:
            raise self.fail("Invalid RUN", f"BuildKit refuses it: {ins.json_error}.")
        if ins.json is not None:
            if not ins.json:
                raise self.fail("Invalid RUN", "RUN [] has no command.")
            command = "exec " + " ".join(quote(a) for a in ins.json)
        elif ins.heredocs:
            command = self._run_heredoc(ins)
        else:
            if not ins.args:
                raise self.fail("Invalid RUN", "RUN needs a command.")
            if self.state.shell == DEFAULT_SHELL:
                command = layout(ins.args, ins.breaks)
            else:
                command = " ".join(quote(w) for w in self.state.shell) + " " + single_quote(ins.args)
        self.out.append("RUN " + self._prelude() + command)

    def _prelude(self) -> str:
        """The ARG values the RUN sees in Docker and that imgb's environment does not hold."""
        extra = {k: v for k, v in self.state.env.items() if self.state.image_env.get(k) != v}
        if not extra:
            return ""
        words = []
        for k, v in extra.items():
            if not _ENV_KEY.match(k) or "\n" in v:
                self.note(f"ARG {k} not passed to RUN", f'The shell cannot export "{k}" with this value; RUN commands do not see it. Rename the argument.')
                continue
            words.append(f"{k}={quote(v)}")
        return f"export {' '.join(words)}; " if words else ""

    def _mount_note(self, spec: str) -> None:
        fields = dict(p.partition("=")[::2] for p in spec.split(","))
        kind = fields.get("type", "bind")
        details = {
            "cache": "A cache mount only speeds up rebuilds; the command runs without it, with the same result.",
            "secret": "The secret is not available to the command: fetch it inside the command (for example with the "
            "build instance's RAM role) or pass a sensitive imgb variable.",
            "ssh": "SSH agent forwarding is not available: fetch what the command needs another way.",
            "bind": "The files it binds (from the build context or another stage) are not there: COPY them first.",
            "tmpfs": "The command writes into the image where Docker had a tmpfs: remove what it leaves there.",
        }
        dropped = kind != "cache"
        summary = f"RUN --mount=type={kind}" + ("" if dropped else " dropped")
        self.note(summary, details.get(kind, "Image Builder's RUN has no mounts."), dropped=dropped)

    def _run_heredoc(self, ins: Instruction) -> str:
        first = ins.heredocs[0]
        if heredoc_token(ins.args) and len(ins.heredocs) == 1:
            data = first.body()
            if data.startswith("#!"):
                # BuildKit writes the script to a file of its own (mode 0755) and runs that.
                self.note("RUN heredoc with #! runs as a script file",
                          "The script is written to a temporary file, run, and removed, as BuildKit does.")
                name = quote(first.name)
                return (f'd=$(mktemp -d) && {write_bytes(data)} > "$d"/{name} && chmod 755 "$d"/{name} && '
                        f'{" ".join(quote(w) for w in self.state.shell)} "$d"/{name}; s=$?; rm -rf "$d"; exit $s')
            return script_command(data, self.state.shell)
        script = ins.args
        for h in ins.heredocs:
            script += "\n" + h.content + h.name
        return script_command(script, self.state.shell)

    # -- COPY / ADD ------------------------------------------------------------------------------
    def _ins_copy(self, ins: Instruction) -> None:
        self._copy(ins, add=False)

    def _ins_add(self, ins: Instruction) -> None:
        self._copy(ins, add=True)

    def _copy(self, ins: Instruction, *, add: bool) -> None:
        kw = ins.keyword
        flags = parse_flags(ins)
        if ins.json_error:
            raise self.fail(f"Invalid {kw}", f"BuildKit refuses it: {ins.json_error}.")
        raw = ins.json if ins.json is not None else blank_words(ins.args)
        if len(raw) < 2:
            raise self.fail(f"{kw} without a destination", f"{kw} needs sources and a destination (BuildKit refuses it).")
        src_from = flags.get("from")
        if src_from is not None:
            name = self.word(src_from, f"{kw} --from")
            what = f'build stage "{name}"' if any(s.name == name.lower() or str(s.index) == name for s in self.stages) else f'image "{name}"'
            self.note(
                f"{kw} --from",
                f"It copies from {what}, which Image Builder does not build. Build those files elsewhere (in CI) and COPY "
                "them from the build context, or make them with RUN in this component.",
                dropped=True,
            )
            return
        if flags.bools.get("link"):
            self.note(f"{kw} --link dropped", "It only changes how Docker caches layers; the files are the same.")
        if flags.get("checksum") is not None:
            self.note("ADD --checksum dropped", "The download is not verified: add a RUN that checks it (sha256sum -c).")
        chown = self.word(flags.get("chown") or "", f"{kw} --chown") or None
        chmod = self.word(flags.get("chmod") or "", f"{kw} --chmod") or None
        if chmod is not None and (int(chmod, 8) > 0o7777 if re.fullmatch(r"[0-7]+", chmod) else not _SYMBOLIC_MODE.fullmatch(chmod)):
            # BuildKit takes an octal mode up to 07777, or a symbolic one that it applies as chmod does.
            raise self.fail(f"Invalid {kw}", f'--chmod={chmod} is neither an octal mode (0 to 07777) nor a symbolic one '
                            "(u+x, go=rx...): BuildKit refuses it. Fix the mode.")
        excludes = [self.word(x, f"{kw} --exclude") for x in flags.lists.get("exclude", [])]
        parents = flags.bools.get("parents", False)
        heredocs = {h.name: h for h in ins.heredocs}
        dest_raw = raw[-1]
        dest = self.word(dest_raw, kw)
        sources: list[tuple[str, Heredoc | None]] = []
        for w in raw[:-1]:
            h = _heredoc_source(w, heredocs)
            sources.append((w, h) if h is not None else (self.word(w, kw), None))
        if len(sources) > 1 and not dest.endswith("/"):
            raise self.fail(f"{kw} of several sources into a file",
                            f"With more than one source the destination must be a directory ending in / (BuildKit refuses it): write {dest}/.")
        if dest.startswith("/") or self.state.workdir_known:
            abs_dest = posixpath.join(self.state.workdir, dest)
        else:
            abs_dest = dest  # the base image's working directory: imgb's COPY and RUN resolve it alike
        dest_dir = dest.endswith(("/", "/.")) or dest in (".", "")
        plan = _CopyPlan(self, kw, abs_dest, dest_dir, chown, chmod)
        for word, h in sources:
            if h is not None:
                plan.heredoc(h, self._heredoc_text(h))
            elif word.startswith(("http://", "https://")) or _GIT_URL.search(word):
                if not add:
                    raise self.fail("COPY of a URL", "COPY does not take URLs (BuildKit refuses it); use ADD, or RUN curl.")
                plan.url(word, flags.bools.get("keep-git-dir", False))
            else:
                plan.local(word, add, excludes, parents, unpack=flags.bools.get("unpack"))
        plan.emit()

    def _heredoc_text(self, h: Heredoc) -> str:
        data = h.body()
        if not h.expand:
            return data
        try:
            exp = _expand_raw(data, self.state.env)
        except ShellError as e:
            raise self.fail("Invalid variable use in a COPY heredoc", f"{e}: BuildKit refuses it.") from None
        return exp

    # -- helpers ---------------------------------------------------------------------------------
    def _non_root(self) -> bool:
        return bool(self.state.user) and self.state.user.split(":")[0] not in ("root", "0")

    def _as_root(self, command: str) -> None:
        if self._non_root():
            self.out += ["USER root", command, f"USER {self.state.user}"]
        else:
            self.out.append(command)


def _check_parse(ins: Instruction) -> None:
    """What BuildKit's instruction parser refuses, before anything runs."""
    try:
        parse_flags(ins)
    except InstructionError as e:
        raise ConvertError(ins.line, f"Invalid {ins.keyword}", f"{str(e)[0].upper()}{str(e)[1:]}. BuildKit refuses it; fix the instruction.") from None
    if ins.keyword in ("HEALTHCHECK", "EXPOSE", "VOLUME", "STOPSIGNAL", "ONBUILD", "MAINTAINER") and not ins.args:
        raise ConvertError(ins.line, f"Invalid {ins.keyword}", f"{ins.keyword} needs an argument (BuildKit refuses it).")
    if ins.keyword == "ONBUILD" and ins.args.split()[0].upper() in ("ONBUILD", "FROM", "MAINTAINER"):
        raise ConvertError(ins.line, "Invalid ONBUILD", f"{ins.args.split()[0].upper()} is not allowed as an ONBUILD trigger (BuildKit refuses it).")
    if ins.keyword == "HEALTHCHECK" and ins.args.split()[0].upper() not in ("CMD", "NONE"):
        raise ConvertError(ins.line, "Invalid HEALTHCHECK", f'Unknown type "{ins.args.split()[0]}": HEALTHCHECK takes CMD or NONE (BuildKit refuses it).')


def _expand_raw(text: str, env: dict[str, str]) -> str:
    """Expansion without quote processing (BuildKit's COPY heredoc bodies): quotes are plain
    characters, the backslash still escapes."""
    out: list[str] = []
    i = 0
    lx = Lexer("\\")
    while i < len(text):
        c = text[i]
        if c == "\\":
            if i + 1 < len(text):
                out.append(text[i + 1])
            i += 2
            continue
        if c == "$":
            j = _dollar_end(text, i)
            out.append(lx.word(text[i:j], env))
            i = j
            continue
        out.append(c)
        i += 1
    return "".join(out)


def _dollar_end(text: str, i: int) -> int:
    """The end of the ``$...`` reference starting at ``i``."""
    j = i + 1
    if j < len(text) and text[j] == "{":
        depth = 0
        while j < len(text):
            if text[j] == "{":
                depth += 1
            elif text[j] == "}":
                depth -= 1
                if depth == 0:
                    return j + 1
            j += 1
        return len(text)
    if j < len(text) and (text[j].isdecimal() or text[j] in "@*#?-$!0"):
        return j + 1
    while j < len(text) and (text[j].isalnum() or text[j] == "_"):
        j += 1
    return j


def _heredoc_source(word: str, heredocs: dict[str, Heredoc]) -> Heredoc | None:
    m = re.match(r"^[0-9]*<<-?(.+)$", word)
    if m is None or not heredocs:
        return None
    name = m.group(1).strip("'\"")
    return heredocs.get(name)


class _CopyPlan:
    """One COPY/ADD: the imgb commands that make the same files, owners and modes."""

    def __init__(self, conv: _Converter, kw: str, abs_dest: str, dest_dir: bool, chown: str | None, chmod: str | None):
        self.c = conv
        self.kw = kw
        self.abs_dest = posixpath.normpath(abs_dest) if abs_dest not in ("", "/") else abs_dest or "."
        self.dest_dir = dest_dir
        self.chown = chown
        self.chmod = chmod
        self.owner = chown_spec(chown) if chown else "0:0"
        self.copies: list[tuple[list[str], str]] = []
        """(imgb sources, imgb destination) for COPY commands, in order."""
        self.new_dirs: list[tuple[str, str, str]] = []
        """Directories the copy creates when missing: (path, mode, owner)."""
        self.fix_files: list[str] = []
        self.dir_modes: dict[str, list[str]] = {}
        """Copied directories by source mode: one that already existed at the destination gets it."""
        """Image paths whose owner/mode must be set after the copy."""
        self.root_runs: list[str] = []
        self.post_runs: list[str] = []
        self.links: list[tuple[str, str]] = []
        """Symlinks of copied directories that imgb's COPY would follow: (target, image path)."""

    # -- sources ---------------------------------------------------------------------------------
    def local(self, src: str, add: bool, excludes: list[str], parents: bool, unpack: bool | None) -> None:
        ctx = self.c.opt.context
        rel = clean_source(src)
        if ctx is None:
            if has_wildcards(src):
                self.c.note(f"{self.kw} with a wildcard",
                            f'"{src}" is matched in the build context, which the import was not given: COPY lists exact '
                            "paths. Import with the build context (--context) or list the files.", dropped=True)
                return
            if add and _ARCHIVE_NAME.search(src) and unpack is not False:
                self._archive(src)
                return
            self.copies.append(([self._src(rel, is_dir=src.endswith("/"))], self._dest_for_many()))
            return
        try:
            matches = ctx.match(src)
            if excludes and has_wildcards(rel):
                # --exclude patterns are read relative to what is copied: a wildcard's matches
                # relative to the directory the wildcard is in, a directory's contents to it.
                base = posixpath.dirname(rel.split("*")[0].split("?")[0].split("[")[0] + "x")
                outside = IgnoreRules(excludes)
                matches = [m for m in matches if not outside.excluded(m[len(base) + 1 :] if base else m)]
        except PatternError as e:
            raise self.c.fail(f"Invalid {self.kw} source", f"{e}. BuildKit refuses it.") from None
        if not matches:
            if has_wildcards(rel):
                return  # BuildKit copies nothing for a wildcard that matches nothing
            raise self.c.fail(
                f"{self.kw} source not in the build context",
                f'"{src}" is not in the build context {ctx.root}' + (" (.dockerignore excludes it)" if (ctx.root / rel).exists() else "")
                + ": docker build fails on it too. Add the file or fix the path.",
            )
        # Only a trailing slash makes the destination a directory: the files a wildcard matches
        # land one after another on a destination that is not one (BuildKit copies each in turn).
        many = self.dest_dir
        for m in matches:
            entry = ctx.get(m)
            assert entry is not None
            if add and entry.kind == "file" and unpack is not False and _is_archive(ctx.root / m):
                self._archive(m)
                continue
            inside = _with_excludes(ctx, [_under(m, p) for p in excludes]) if excludes and entry.kind == "dir" else ctx
            if parents:
                target = posixpath.join(self.abs_dest, m) if m else self.abs_dest
                if entry.kind == "dir":
                    self._dir(inside, m, target)
                else:
                    self._file(m, target, entry.mode, into_dir=False)
            elif entry.kind == "dir":
                self._dir(inside, m, self.abs_dest)
            else:
                self._file(m, self.abs_dest, entry.mode, into_dir=many, link=entry.kind == "link")

    def _archive(self, src: str) -> None:
        self.c.note(
            "ADD of a local archive",
            f"ADD unpacks {src}; Image Builder's COPY does not. COPY it to /tmp and unpack it with RUN "
            f"(RUN mkdir -p DEST && tar -xf /tmp/{posixpath.basename(src)} -C DEST && rm /tmp/{posixpath.basename(src)}).",
            dropped=True,
        )

    def url(self, url: str, keep_git: bool) -> None:
        if _GIT_URL.search(url):
            self.c.note("ADD of a Git repository", f"Image Builder cannot clone {url}: clone it in a RUN command "
                        "(git clone --depth 1 ...).", dropped=True)
            return
        if "?" in url:
            self.c.note("ADD of a URL with a query string", f"Image Builder's COPY fetches URLs with wget and refuses query "
                        f"strings. Download {url} in a RUN command (curl -fsSLo ...) instead.", dropped=True)
            return
        self.c.needs_internet = True
        self.c.note("ADD of a URL became COPY", "Image Builder's COPY downloads URLs on the build instance, which therefore "
                    "needs internet access (the template's internet_max_bandwidth_out); the file gets mode 600 as with ADD.")
        name = posixpath.basename(url.split("#")[0].rstrip("/")) or "__unnamed__"
        target = posixpath.join(self.abs_dest, name) if self.dest_dir else self.abs_dest
        self.copies.append(([url], self._dest_for_many()))
        self.post_runs.append(f"chmod 600 {quote(target)}" + (f" && chown {quote(self.owner)} {quote(target)}" if self.chown else ""))

    def heredoc(self, h: Heredoc, text: str) -> None:
        mode = self.chmod or "644"
        target = posixpath.join(self.abs_dest, h.name) if self.dest_dir else self.abs_dest
        for d in parents_of(posixpath.dirname(target) or ".", include_self=True):
            if not any(x[0] == d for x in self.new_dirs):
                self.new_dirs.append((d, "755", self.owner))  # made as for any copy: 755, --chown's owner
        t = quote(target)
        pick = "" if self.dest_dir else f"[ -d {t} ] && t={quote(target + '/' + h.name)} || "
        owner = f' && chown {quote(self.owner)} "$t"' if self.chown else ""
        self.root_runs.append(f'{pick}t={t}; {write_bytes(text)} > "$t" && chmod {quote(mode)} "$t"{owner}')
        self.c.note("COPY heredoc became RUN printf", "Image Builder's COPY reads files, not inline text; a RUN writes the file.")

    # -- files and directories -----------------------------------------------------------------------
    def _src(self, rel: str, *, is_dir: bool) -> str:
        prefix = self.c.opt.source_prefix
        path = posixpath.join(prefix, rel) if prefix else rel
        if not path:
            return "./"
        return path + "/" if is_dir and not path.endswith("/") else path

    def _dest_for_many(self) -> str:
        return self.abs_dest.rstrip("/") + "/" if self.dest_dir and self.abs_dest != "/" else self.abs_dest

    def _file(self, rel: str, dest: str, mode: int, *, into_dir: bool, link: bool = False) -> None:
        self._parents(dest if into_dir else posixpath.dirname(dest))
        final = posixpath.join(dest, posixpath.basename(rel)) if into_dir else dest
        if link and into_dir:
            # Docker names the copy of a symlink after the link; imgb's COPY after its target.
            self._add_copy(self._src(rel, is_dir=False), final, False)
        else:
            target_dir = (dest if dest.endswith("/") else dest + "/") if into_dir else None
            self._add_copy(self._src(rel, is_dir=False), target_dir or dest, into_dir)
        if not into_dir:
            # A file onto an existing directory lands inside it, in Docker and in imgb alike.
            self.fix_files.append(f"$(d={quote(final)}; [ -d \"$d\" ] && echo \"$d\"/{quote(posixpath.basename(rel))} || echo \"$d\")")
        else:
            self.fix_files.append(quote(final))

    def _add_copy(self, src: str, dest: str, group: bool) -> None:
        if group and self.copies and self.copies[-1][1] == dest and dest.endswith("/"):
            self.copies[-1][0].append(src)
        else:
            self.copies.append(([src], dest))

    def _dir(self, ctx: BuildContext, rel: str, dest: str) -> None:
        """Directory ``rel`` of the context: its contents into ``dest``."""
        self._parents(dest)
        inside = ctx.under(rel)
        sub_dirs = [e for e in inside if e.kind == "dir"]
        for e in sub_dirs:
            sub = e.rel[len(rel) + 1 :] if rel else e.rel
            mode = self.chmod or f"{e.mode:o}"
            if self.chown or mode != "755":
                self.new_dirs.append((posixpath.join(dest, sub), mode, self.owner))
        if self.chown or self.chmod:
            # Every copied entry, directories too: BuildKit also sets the owner and mode of a
            # directory that already existed at the destination.
            for e in inside:
                sub = e.rel[len(rel) + 1 :] if rel else e.rel
                self.fix_files.append(quote(posixpath.join(dest, sub)))
                if e.kind == "dir" and not self.chmod:
                    self.dir_modes.setdefault(f"{e.mode:o}", []).append(quote(posixpath.join(dest, sub)))
        if not ctx.has_exclusions_under(rel):
            self._add_copy(self._src(rel, is_dir=True), dest.rstrip("/") + "/" if dest != "/" else "/", False)
            return
        # Some of the directory is not in the context: copy what is, one directory at a time.
        self._dir_parts(ctx, rel, dest)

    def _dir_parts(self, ctx: BuildContext, rel: str, dest: str) -> None:
        prefix = f"{rel}/" if rel else ""
        children = ctx.children(rel)
        dest_slash = dest.rstrip("/") + "/" if dest != "/" else "/"
        for e in children:
            if e.kind == "link":
                # imgb's COPY follows a symlink it is given; inside a copied directory Docker keeps it.
                self.links.append((os.readlink(ctx.root / e.rel), posixpath.join(dest, e.rel[len(prefix) :])))
            elif e.kind != "dir":
                self._add_copy(self._src(e.rel, is_dir=False), dest_slash, True)
        for e in children:
            if e.kind != "dir":
                continue
            sub_dest = posixpath.join(dest, e.rel[len(prefix) :])
            if not ctx.has_exclusions_under(e.rel):
                self.copies.append(([self._src(e.rel, is_dir=True)], sub_dest + "/"))
            elif not ctx.children(e.rel):
                mode = self.chmod or f"{e.mode:o}"
                if not any(d[0] == sub_dest for d in self.new_dirs):
                    self.new_dirs.append((sub_dest, mode, self.owner))
            else:
                self._dir_parts(ctx, e.rel, sub_dest)

    def _parents(self, directory: str) -> None:
        """Missing parent directories: BuildKit makes them 755, owned by --chown's user."""
        if not self.chown:
            return
        for d in parents_of(directory, include_self=True):
            if not any(x[0] == d for x in self.new_dirs):
                self.new_dirs.append((d, "755", self.owner))

    # -- output ----------------------------------------------------------------------------------
    def emit(self) -> None:
        c = self.c
        if self.chown or self.chmod:
            c.note(
                f"{self.kw} --chown/--chmod became RUN chown/chmod",
                "Image Builder's COPY takes no options: RUN commands create the missing directories and set the owner "
                "and mode of what was copied, as BuildKit does.",
            )
        if self.new_dirs:
            # Their missing parents too: BuildKit makes those 755, owned by --chown's user or root.
            parents = [(p, "755", self.owner) for d in self.new_dirs for p in parents_of(d[0], include_self=False)]
            c._as_root("RUN " + ensure_dirs(_top_down(parents + self.new_dirs)))
        for srcs, dest in self.copies:
            c.out.append("COPY " + _copy_args(srcs, dest))
        if self.links:
            c._as_root("RUN " + " && ".join(f"ln -sfn {quote(t)} {quote(p)}" for t, p in self.links))
            if self.chown:
                self.fix_files += [quote(p) for _, p in self.links if quote(p) not in self.fix_files]
        if (self.chown or self.chmod) and self.fix_files:
            cmds = []
            if self.chown:
                cmds.append(f"chown -h {quote(self.owner)} " + " ".join(self.fix_files))
            if self.chmod:
                cmds.append(f"chmod {quote(self.chmod)} " + " ".join(self.fix_files))
            cmds += [f"chmod {mode} " + " ".join(paths) for mode, paths in sorted(self.dir_modes.items())]
            c._as_root("RUN " + " && ".join(cmds))
        for run in self.root_runs:
            c._as_root("RUN " + run)
        for run in self.post_runs:
            c._as_root("RUN " + run)


def _with_excludes(ctx: BuildContext, patterns: list[str]) -> BuildContext:
    return BuildContext(ctx.root, IgnoreRules(ctx.ignore.patterns + patterns), ctx.never)


def _under(directory: str, pattern: str) -> str:
    """An --exclude pattern (relative to the copied directory) as a context-relative one."""
    bang = "!" if pattern.startswith("!") else ""
    body = pattern.removeprefix("!").lstrip("/")
    return bang + (posixpath.join(directory, body) if directory else body)


def _is_archive(path: object) -> bool:
    try:
        with open(str(path), "rb") as f:
            head = f.read(512)
    except OSError:
        return False
    if any(head.startswith(m) for m in _ARCHIVE_MAGIC):
        return True
    return len(head) >= 262 and head[257:262] == b"ustar"


def parents_of(path: str, *, include_self: bool) -> list[str]:
    """The directories leading to ``path``, top first; relative ones stay relative."""
    lead = "/" if path.startswith("/") else ""
    parts = [p for p in path.split("/") if p and p != "."]
    if not include_self:
        parts = parts[:-1]
    return [lead + "/".join(parts[: k + 1]) for k in range(len(parts))]


def _top_down(dirs: list[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    seen: dict[str, tuple[str, str, str]] = {}
    for d in dirs:
        seen[d[0]] = d  # a directory of the copy itself wins over the same path taken as a parent
    return sorted(seen.values(), key=lambda d: (d[0].count("/"), d[0]))


def ensure_dirs(dirs: list[tuple[str, str, str]]) -> str:
    """Create each directory that is missing, with its mode and owner (parents first)."""
    body = "; ".join(f"m {quote(p)} {mode} {quote(owner)}" for p, mode, owner in dirs)
    return ('set -e; m() { [ -d "$1" ] || { mkdir "$1" && chmod "$2" "$1" && chown "$3" "$1"; }; }; ' + body)


def chown_spec(user: str) -> str:
    """BuildKit's owner for ``user`` or ``user:group``: a user alone means its primary group
    (the same number for a numeric uid)."""
    name, sep, group = user.partition(":")
    if sep:
        return f"{name}:{group}"
    return f"{name}:{name}" if name.isdigit() else f"{name}:"


def _dq(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _label_key(key: str) -> str:
    return key if re.match(r"^[A-Za-z0-9._/-]+$", key) else _dq(key)


_PLAIN = re.compile(r"^[A-Za-z0-9._/:@%+=,~^*?\[\]{}-]+$")


def _copy_args(sources: list[str], dest: str) -> str:
    # Image Builder's COPY takes a word starting with -- for an option, even in JSON: ./ keeps the path.
    words = ["./" + w if w.startswith("-") else w for w in [*sources, dest]]
    if all(_PLAIN.match(w) for w in words):
        return " ".join(words)
    return json.dumps(words, ensure_ascii=False)

