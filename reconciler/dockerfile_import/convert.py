"""Dockerfile instructions into Image Builder commands.

Carried over as they are: RUN, ENV, WORKDIR, COPY, USER, LABEL, CMD, ENTRYPOINT. Rewritten where
the meaning stays the same: exec-form RUN into shell form, ADD of plain local files and of URLs
into COPY, ``--chown``/``--chmod`` into a RUN after the COPY, heredocs into ``printf``, ARG values
and Docker's ``$VAR`` substitution written out, SHELL into an explicit shell call, MAINTAINER into
a LABEL. Everything else is left out. Each rewrite and each omission is a ``Note`` at its line.
"""

from __future__ import annotations

import fnmatch
import json
import posixpath
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

from imgb.reconciler.checks.check import _UNSUPPORTED_HINTS
from imgb.reconciler.dockerfile_import.lexer import Heredoc, RawInstruction, lex
from imgb.reconciler.dockerfile_import.words import (
    balanced,
    docker_words,
    printf_lines,
    quote_states,
    shell_safe,
    single_quote,
    substitute,
)

DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
# BuildKit's automatic platform ARGs, for an amd64 Linux build.
PLATFORM_ARGS = {
    "TARGETPLATFORM": "linux/amd64",
    "TARGETOS": "linux",
    "TARGETARCH": "amd64",
    "TARGETVARIANT": "",
    "BUILDPLATFORM": "linux/amd64",
    "BUILDOS": "linux",
    "BUILDARCH": "amd64",
    "BUILDVARIANT": "",
}
_ARCHIVE = re.compile(r"\.(tar|tar\.gz|tgz|tar\.bz2|tbz2?|tar\.xz|txz|tar\.zst|tzst|tar\.lz|tar\.lzma)$", re.I)
_GIT_URL = re.compile(r"(^git@|\.git(#.*)?$|^git://)")
_SHELLS = ("sh", "bash", "ash", "dash", "zsh", "ksh", "mksh")
_RESERVED = re.compile(r"^(if|then|else|elif|fi|for|while|until|do|done|case|esac|function|select|\{|\}|\(|\))(\s|;|$)")
_OPENERS = ("\\", "|", "&", ";", "(", "{", "then", "do", "else", "in")
_SEPARATORS = re.compile(r"&&|\|\||;|\||\(|\{|\n")


@dataclass
class Note:
    line: int
    summary: str
    detail: str
    dropped: bool
    """The instruction (or part of it) is not in the result."""
    text: str = ""
    """The instruction as written, first line, for the result's header."""


@dataclass
class Stage:
    index: int
    name: str | None
    image: str
    line: int
    instructions: list[RawInstruction] = field(default_factory=list)
    end_line: int = 0


@dataclass
class Converted:
    commands: list[str]
    base_image: str | None
    base_line: int
    notes: list[Note]
    needs_internet: bool


def convert(text: str, context: Path | None = None) -> Converted:
    return _Converter(text, context).run()


class _Converter:
    def __init__(self, text: str, context: Path | None):
        self.lexed = lex(text)
        self.escape = self.lexed.escape
        self.context = context
        self.notes: list[Note] = []
        self.out: list[str] = []
        self.args: dict[str, str | None] = {}
        self.arg_lines: dict[str, tuple[int, str, bool]] = {}
        """ARG name -> (line, instruction text, had a default) in the current stage."""
        self.used_args: set[str] = set()
        self.env: dict[str, str] = {}
        self.user = ""
        self.shell: list[str] | None = None
        self.dirs: set[str] = set()
        self.needs_internet = False
        self.line = 0
        self.text = ""
        self.global_args: dict[str, str | None] = {}
        self.stage_names: set[str] = set()

    # -- notes -------------------------------------------------------------------------------
    def changed(self, summary: str, detail: str) -> None:
        self.notes.append(Note(self.line, summary, detail, False, self.text))

    def dropped(self, summary: str, detail: str, line: int | None = None, text: str | None = None) -> None:
        self.notes.append(Note(line or self.line, summary, detail, True, text if text is not None else self.text))

    # -- stages ------------------------------------------------------------------------------
    def run(self) -> Converted:
        for line, summary, detail in self.lexed.problems:
            self.notes.append(Note(line, summary, detail, True))
        stages, global_args = self._stages()
        if not stages:
            return Converted([], None, 1, self.notes, False)
        chain = self._chain(stages)
        in_chain = {s.index for s in chain}
        for s in stages:
            if s.index not in in_chain:
                label = f'build stage "{s.name}"' if s.name else f"build stage {s.index}"
                self.dropped(
                    f"Multi-stage build: {label} is not carried over",
                    f"Image Builder builds one image from one sequence of commands; the {label} (lines "
                    f"{s.line}-{s.end_line}, FROM {s.image}) builds something else. Build its output elsewhere "
                    "(in CI) and COPY it from the configuration directory, or run its commands in this "
                    "component.",
                    s.line,
                    f"FROM {s.image}" + (f" AS {s.name}" if s.name else ""),
                )
        root = chain[0]
        if self.escape == "`" or re.search(r"windows|nanoserver|servercore", root.image, re.I):
            self.notes.append(
                Note(
                    root.line,
                    "A Windows Dockerfile",
                    "Image Builder runs Dockerfile-style commands only on Linux, so these commands cannot build a "
                    "Windows image. Write the component as a YAML document with RunPowerShellCommand tasks and "
                    'system_type = "Windows".',
                    False,
                )
            )
        for s in chain:
            self._stage(s, stages, global_args)
        return Converted(self.out, chain[0].image, chain[0].line, self.notes, self.needs_internet)

    def _stages(self) -> tuple[list[Stage], dict[str, str | None]]:
        stages: list[Stage] = []
        global_args: dict[str, str | None] = {}
        global_lines: dict[str, int] = {}
        for ins in self.lexed.instructions:
            self.line, self.text = ins.line, _first_line(ins)
            if ins.keyword == "FROM":
                words, sub = docker_words(ins.args, global_args, self.escape)
                for n in sorted(sub.used):
                    self.notes.append(
                        Note(
                            global_lines[n],
                            f"ARG {n}",
                            f'Image Builder has no ARG; its value "{global_args[n] or ""}" is written into FROM.',
                            False,
                            f"ARG {n}",
                        )
                    )
                flags = [w for w in words if w.startswith("--")]
                words = [w for w in words if not w.startswith("--")]
                for f in flags:
                    self.changed(
                        f"FROM option {f.split('=')[0]} dropped",
                        "The base image is chosen by the template's base_image, which has no platform option; "
                        "pick a base image built for the architecture of the build instance.",
                    )
                if not words:
                    self.dropped("FROM without an image", "FROM needs an image; the line is ignored.")
                    continue
                name = words[2] if len(words) >= 3 and words[1].lower() == "as" else None
                for n in sorted(sub.unknown):
                    self.changed(
                        f"Unknown variable ${n} in FROM",
                        f"${n} is not declared with ARG before the first FROM, so the image reference keeps it as "
                        "written. Declare it with a default, or write the image out.",
                    )
                stages.append(Stage(len(stages), name, words[0], ins.line, end_line=ins.end_line))
            elif not stages:
                if ins.keyword == "ARG":
                    for key, value in self._arg_pairs(ins, global_args):
                        global_args[key] = value
                        global_lines[key] = ins.line
                else:
                    self.dropped(
                        f"{ins.keyword} before FROM",
                        "Only ARG may come before the first FROM. The instruction is not carried over.",
                    )
            else:
                stages[-1].instructions.append(ins)
                stages[-1].end_line = ins.end_line
        return stages, global_args

    def _chain(self, stages: list[Stage]) -> list[Stage]:
        """The last stage and the stages it is built FROM, root first."""
        by_name = {s.name.lower(): s for s in stages if s.name}
        chain = [stages[-1]]
        while chain[0].image.lower() in by_name and by_name[chain[0].image.lower()].index < chain[0].index:
            chain.insert(0, by_name[chain[0].image.lower()])
        return chain

    def _stage(self, stage: Stage, stages: list[Stage], global_args: dict[str, str | None]) -> None:
        self.args, self.arg_lines, self.used_args = {}, {}, set()
        self.global_args = global_args
        self.stage_names = {s.name.lower() for s in stages if s.name} | {str(s.index) for s in stages}
        for ins in stage.instructions:
            self.line, self.text = ins.line, _first_line(ins)
            handler = getattr(self, f"_ins_{ins.keyword.lower()}", None)
            if handler is None:
                self._unsupported(ins)
            else:
                handler(ins)
        for name, (line, text, _) in sorted(self.arg_lines.items(), key=lambda kv: kv[1][0]):
            value = self.args.get(name)
            if name in self.used_args:
                detail = (
                    f'Image Builder has no ARG; its value "{value or ""}" is written into the instructions that use it.'
                    if value
                    else "Image Builder has no ARG, and it has no default: where it is used it is empty, as in "
                    "docker build without --build-arg. Write the value in."
                )
                detail += f" To vary it, declare a variable and write ${{var.{name.lower()}}} instead."
            else:
                detail = (
                    "Image Builder has no ARG, and no instruction here uses it by name. Commands that read it "
                    "from the environment (as apt-get reads DEBIAN_FRONTEND) no longer see it: if they need it, "
                    f"set it in those RUN commands (RUN {name}={value or '...'} command) or with ENV."
                )
            self.notes.append(Note(line, f"ARG {name}", detail, name not in self.used_args, text))

    # -- instructions --------------------------------------------------------------------------
    def _unsupported(self, ins: RawInstruction) -> None:
        hint = _UNSUPPORTED_HINTS.get(ins.keyword, "It is not an Image Builder command.")
        extra = {
            "EXPOSE": " The port documents what the image serves; note it in the template's description.",
            "HEALTHCHECK": " A container health check has no equivalent for a VM image.",
            "ONBUILD": "",
        }.get(ins.keyword, "")
        self.dropped(f"{ins.keyword} is not supported", f"{hint}{extra}")

    def _ins_arg(self, ins: RawInstruction) -> None:
        for key, value in self._arg_pairs(ins, self.values()):
            if value is None and key in self.global_args:
                value = self.global_args[key]
            if value is None and key in PLATFORM_ARGS:
                value = PLATFORM_ARGS[key]
                self.changed(
                    f"Platform ARG {key}",
                    f'BuildKit sets {key} from the build platform; the import assumes "{value}" (an amd64 Linux '
                    "build instance). Change it where it is used if the instance type is Arm.",
                )
            self.args[key] = value
            self.arg_lines[key] = (self.line, self.text, value is not None)

    def _arg_pairs(self, ins: RawInstruction, values: dict[str, str | None]) -> list[tuple[str, str | None]]:
        words, _ = docker_words(ins.args, values, self.escape)
        pairs: list[tuple[str, str | None]] = []
        for w in words:
            key, eq, value = w.partition("=")
            pairs.append((key, value if eq else None))
        return pairs

    def values(self) -> dict[str, str | None]:
        """What Docker substitutes in ENV, LABEL, COPY, WORKDIR...: ARGs, then ENV over them."""
        return {**self.args, **self.env}

    def _words(self, ins: RawInstruction, what: str) -> list[str]:
        values = self.values()
        if "PATH" not in values:
            values = {**values, "PATH": None}
        words, sub = docker_words(ins.args, values, self.escape)
        self.used_args |= sub.used & set(self.args)
        if "PATH" in sub.used and "PATH" not in self.env:
            words, _ = docker_words(ins.args, {**values, "PATH": DEFAULT_PATH}, self.escape)
            self.changed(
                "$PATH written out",
                f"{what} uses $PATH, which the base image sets. imgb and Image Builder do not expand variables "
                f"there, so it became the usual default {DEFAULT_PATH}; check it matches the base image.",
            )
        for n in sorted(sub.unknown):
            self.changed(
                f"Variable ${n} left as written",
                f"{what} uses ${n}, which the base image would set. imgb and Image Builder do not expand variables "
                f"there: the value is the text ${n}. Write the value out.",
            )
        for n in sorted(sub.unsupported):
            self.changed(
                f"Substitution of ${n} not carried over",
                f"Only $NAME, ${{NAME}}, ${{NAME:-default}} and ${{NAME:+value}} are written out; the other "
                f"${{{n}...}} forms are left as written. Write the value out.",
            )
        return words

    def _ins_env(self, ins: RawInstruction) -> None:
        pairs = self._pairs(ins, "ENV")
        if pairs:
            self.out.append("ENV " + " ".join(f"{k}={_dq(v)}" for k, v in pairs))
            self.env.update(pairs)

    def _ins_label(self, ins: RawInstruction) -> None:
        pairs = self._pairs(ins, "LABEL")
        if pairs:
            self.out.append("LABEL " + " ".join(f"{_label_key(k)}={_dq(v)}" for k, v in pairs))

    def _ins_maintainer(self, ins: RawInstruction) -> None:
        self.changed("MAINTAINER became LABEL maintainer", "Docker deprecated MAINTAINER for this label.")
        self.out.append(f"LABEL maintainer={_dq(ins.args.strip())}")

    def _pairs(self, ins: RawInstruction, what: str) -> list[tuple[str, str]]:
        words = self._words(ins, what)
        if not words:
            return []
        if "=" not in words[0]:
            # The legacy form: ENV key the rest of the line.
            rest = ins.args.strip()[len(ins.args.split(None, 1)[0]) :].strip()
            fake = RawInstruction(ins.keyword, f"_={rest}", ins.line, ins.end_line)
            value = "".join(w.partition("=")[2] if i == 0 else " " + w for i, w in enumerate(self._words(fake, what)))
            return [(words[0], value)]
        return [(k, v) for k, _, v in (w.partition("=") for w in words)]

    def _ins_workdir(self, ins: RawInstruction) -> None:
        words = self._words(ins, "WORKDIR")
        path = " ".join(words)
        self.out.append(f"WORKDIR {path}")
        self.dirs.add(path.rstrip("/") or "/")

    def _ins_user(self, ins: RawInstruction) -> None:
        words = self._words(ins, "USER")
        self.user = " ".join(words)
        self.out.append(f"USER {self.user}")

    def _ins_cmd(self, ins: RawInstruction) -> None:
        self.out.append(f"{ins.keyword} {self._exec_or_shell(ins)}")

    _ins_entrypoint = _ins_cmd

    def _exec_or_shell(self, ins: RawInstruction) -> str:
        form = _json_list(ins.args)
        if form is not None:
            return json.dumps(form, ensure_ascii=False)
        text = _join_continuations(ins.args, self.escape)
        if self.shell:
            self.changed(
                f"{ins.keyword} uses the SHELL",
                f"Docker runs the shell form with the SHELL instruction's {self.shell[0]}; it became the exec "
                "form calling it.",
            )
            return json.dumps([*self.shell, text], ensure_ascii=False)
        return text

    def _ins_shell(self, ins: RawInstruction) -> None:
        form = _json_list(ins.args)
        if not form or posixpath.basename(form[0]) not in _SHELLS:
            self.dropped(
                "SHELL is not supported",
                "Image Builder runs commands with /bin/sh on Linux; a Windows shell (PowerShell, cmd) or a "
                "non-JSON SHELL has no equivalent. Windows images need a YAML component with "
                "RunPowerShellCommand tasks.",
            )
            return
        self.shell = form
        self.changed(
            "SHELL became explicit shell calls",
            f"Image Builder has no SHELL; the RUN commands after it call {shlex.join(form)} themselves.",
        )

    # -- RUN -----------------------------------------------------------------------------------
    def _ins_run(self, ins: RawInstruction) -> None:
        flags, body = _flags(ins.args)
        for name, value in flags:
            self._run_flag(name, value)
        if ins.heredocs:
            command = self._run_heredoc(ins, body)
            if command is not None:
                self.out.append("RUN " + command)
            return
        form = _json_list(body)
        if form is not None:
            # No shell parses the exec form, but Docker passes ARGs in the environment, where a
            # program (often a shell given -c) may read them: pass the ones named.
            args = {k: v for k, v in self.args.items() if k not in self.env}
            named = sorted(substitute(" ".join(form), args).used)
            self.used_args |= set(named)
            env = "".join(f"{n}={single_quote(args[n] or '')} " for n in named)
            self.out.append("RUN " + env + shlex.join(form))
            return
        text = self._run_args(body)
        if self.shell:
            text = shlex.join(self.shell) + " " + single_quote(text)
        self.out.append("RUN " + _indent_continuations(text))

    def _run_flag(self, name: str, value: str) -> None:
        kind = dict(p.partition("=")[::2] for p in value.split(",")).get("type", "bind") if name == "mount" else ""
        details = {
            ("mount", "cache"): "The cache mount only speeds up rebuilds; the command runs without it, with the same result.",
            ("mount", "secret"): "The secret is not available to the command: fetch it inside the command (for example "
            "with the build instance's RAM role) or pass a sensitive imgb variable.",
            ("mount", "ssh"): "SSH agent forwarding is not available: fetch what the command needs another way.",
            ("mount", "bind"): "Files bound from the build context or another stage are not there: COPY them first.",
            ("mount", "tmpfs"): "The command writes to the image's directory instead of a tmpfs.",
        }
        detail = details.get((name, kind), f"Image Builder's RUN takes no options; --{name} is dropped.")
        self.changed(f"RUN --{name}{'=type=' + kind if kind else ''} dropped", detail)

    def _run_args(self, text: str) -> str:
        """Shell text with the ARGs it uses written in (the shell would have read them from the
        environment Docker gives RUN)."""
        if self.escape != "\\":
            text = re.sub(re.escape(self.escape) + r"([ \t]*)\n", r"\\\1\n", text)
        args = {k: v for k, v in self.args.items() if k not in self.env}
        used = substitute(text, args, skip_single_quoted=True).used
        self.used_args |= used
        unsafe = sorted(n for n in used if not shell_safe(args[n] or ""))
        text = substitute(text, args, skip_single_quoted=True, keep=lambda n: n in unsafe).text
        if unsafe:
            text = "export " + " ".join(f"{n}={single_quote(args[n] or '')}" for n in unsafe) + "; " + text
        return text

    def _run_heredoc(self, ins: RawInstruction, body: str) -> str | None:
        if len(ins.heredocs) > 1:
            self.dropped(
                "RUN with several heredocs",
                "Only one heredoc per RUN is carried over. Split the command into one RUN per heredoc.",
            )
            return None
        h = ins.heredocs[0]
        token = re.search(r"<<-?([\"']?)" + re.escape(h.name) + r"\1", body)
        assert token is not None  # the lexer found it in the same text
        before, after = body[: token.start()], body[token.end() :]
        command = (before + after).strip()
        if not command:
            return self._heredoc_script(h)
        return self._heredoc_stdin(h, before, after)

    def _heredoc_script(self, h: Heredoc) -> str:
        """``RUN <<EOF``: the heredoc is the script."""
        lines = [self._run_args(ln) for ln in h.body]
        while lines and not lines[-1].strip():
            lines.pop()
        if lines and lines[0].startswith("#!"):
            path = f"/tmp/imgb-heredoc-{self.line}"
            self.changed(
                "RUN heredoc with #! became a script file",
                f"The script is written to {path}, run with its interpreter, and removed.",
            )
            return f"{printf_lines(lines, True)} > {path} && chmod +x {path} && {path} && rm -f {path}"
        code = [ln for ln in lines if ln.strip() and not ln.strip().startswith("#")]
        if self.shell is None and code and all(_simple(ln) for ln in code):
            self.changed(
                "RUN heredoc became one command",
                "The script's lines run one after another as before, joined with ; (a failing line does not "
                "stop the script, as in the heredoc; start it with set -e to stop).",
            )
            return "; \\\n    ".join(ln.strip() for ln in code)
        shell = shlex.join(self.shell[:-1] if self.shell and self.shell[-1] == "-c" else self.shell or ["sh"])
        self.changed(
            "RUN heredoc became sh -c",
            "The script has multi-line constructs, so it is passed whole to the shell: "
            f'{shell} -c "$(printf ...)".',
        )
        return f'{shell} -c "$({printf_lines(lines or [":"], True)})"'

    def _heredoc_stdin(self, h: Heredoc, before: str, after: str) -> str | None:
        """``RUN command <<EOF``: the heredoc is the command's standard input."""
        states = quote_states(before)
        cut = 0
        sep = ""
        for m in _SEPARATORS.finditer(before):
            if states[m.start()] == "":
                cut, sep = m.end(), m.group(0)
        if sep == "|":
            self.dropped(
                "RUN heredoc inside a pipeline",
                "The heredoc replaces the input a pipe gives the same command; write the command without one of the two.",
            )
            return None
        lines = h.body if h.quoted else [self._run_args(ln) for ln in h.body]
        feed = printf_lines(lines, h.quoted) if lines else "printf ''"
        head, simple, after = self._run_args(before[:cut]), self._run_args(before[cut:]), self._run_args(after)
        rest = after.strip()
        after = after.rstrip()
        if simple.strip() == "cat" and (not rest or rest[0] in ">|&;"):
            command = f"{head}{' ' if head and not head.endswith((' ', chr(10))) else ''}{feed}{after}"
            how = "written with printf instead of cat"
        else:
            lead = simple[: len(simple) - len(simple.lstrip())]
            command = f"{head}{lead}{feed} | {simple.strip()}{after}"
            how = f"piped to {simple.split()[0] if simple.split() else 'the command'} by printf"
        self.changed(
            "RUN heredoc became printf",
            f"Image Builder commands end at the line end, so the heredoc's lines are {how}.",
        )
        return command

    # -- COPY / ADD ------------------------------------------------------------------------------
    def _ins_copy(self, ins: RawInstruction) -> None:
        self._copy(ins, add=False)

    def _ins_add(self, ins: RawInstruction) -> None:
        self._copy(ins, add=True)

    def _copy(self, ins: RawInstruction, *, add: bool) -> None:
        kw = ins.keyword
        flags, body = _flags(ins.args)
        opts = dict(flags)
        if "from" in opts:
            self.dropped(
                f"{kw} --from={opts['from']} is not carried over",
                f"It copies from {'build stage' if opts['from'].lower() in self.stage_names else 'image'} "
                f'"{opts["from"]}", which Image Builder does not build. Build the files elsewhere (in CI) and COPY '
                "them from the configuration directory, or produce them with RUN in this component.",
            )
            return
        for name in sorted(set(opts) - {"chown", "chmod"}):
            if name == "link":
                self.changed(f"{kw} --link dropped", "It only changes how Docker caches layers; the files are the same.")
            elif name == "checksum":
                self.changed(
                    "ADD --checksum dropped",
                    "The download is not verified: add a RUN that checks it (sha256sum -c).",
                )
            else:
                self.changed(f"{kw} --{name} dropped", f"Image Builder's COPY takes no options; --{name} is ignored.")
        if ins.heredocs:
            self._copy_heredoc(ins, body, opts)
            return
        form = _json_list(body)
        fake = RawInstruction(kw, body, ins.line, ins.end_line)
        words = form if form is not None else self._words(fake, kw)
        if len(words) < 2:
            self.dropped(f"{kw} without a destination", f"{kw} needs sources and a destination.")
            return
        sources, dest = words[:-1], words[-1]
        kept: list[str] = []
        for src in sources:
            kept += self._source(src, add)
        if not kept:
            return
        self.out.append("COPY " + _copy_args(kept, dest))
        for opt, cmd in (("chown", "chown"), ("chmod", "chmod")):
            if opt in opts:
                self._after_copy(cmd, opts[opt], kept, dest, len(sources) > 1)

    def _source(self, src: str, add: bool) -> list[str]:
        kw = "ADD" if add else "COPY"
        if src.startswith(("http://", "https://", "git@", "git://")):
            if not add:
                self.dropped("COPY of a URL", "Docker's COPY does not take URLs; the source is not carried over.")
                return []
            if _GIT_URL.search(src):
                self.dropped(
                    "ADD of a Git repository",
                    f"Image Builder cannot clone {src}: clone it in a RUN command (git clone --depth 1 ...).",
                )
                return []
            if "?" in src:
                self.dropped(
                    "ADD of a URL with a query string",
                    f"Image Builder's COPY fetches URLs with wget and refuses query strings. Download {src} in a "
                    "RUN command (curl -fsSLo ...) instead.",
                )
                return []
            self.needs_internet = True
            self.changed(
                "ADD of a URL became COPY",
                "Image Builder's COPY downloads URLs (with wget) on the build instance, which therefore needs "
                "internet access (the template's internet_max_bandwidth_out).",
            )
            return [src]
        if add and _ARCHIVE.search(src):
            self.dropped(
                "ADD of a local archive",
                f"ADD unpacks {src}, COPY would not. COPY it to /tmp/ and unpack it with RUN: "
                f"RUN mkdir -p DEST && tar -xf /tmp/{posixpath.basename(src)} -C DEST.",
            )
            return []
        if src in (".", "./"):
            self.changed(
                f"{kw} . became {kw} context/",
                "Docker copies the whole build context; imgb reads COPY sources from the configuration directory, "
                "which also holds the configuration and its state. Put the build context's files in a context/ "
                "directory next to the configuration.",
            )
            return ["context/"]
        if any(c in src for c in "*?["):
            matches = self._glob(src)
            if not matches:
                self.dropped(
                    f"{kw} with a wildcard",
                    f'imgb\'s COPY takes exact paths and "{src}" matches nothing next to the Dockerfile. List the '
                    "files in COPY.",
                )
                return []
            self.changed(
                f"{kw} wildcard listed",
                f'imgb\'s COPY takes exact paths; "{src}" matched {", ".join(matches)} next to the Dockerfile.',
            )
            return matches
        return [src.lstrip("/") or "."]

    def _glob(self, pattern: str) -> list[str]:
        if self.context is None or not self.context.is_dir():
            return []
        found = []
        for p in sorted(self.context.rglob("*")):
            rel = p.relative_to(self.context).as_posix()
            if fnmatch.fnmatchcase(rel, pattern.lstrip("./") if pattern.startswith("./") else pattern):
                found.append(rel)
        return found

    def _after_copy(self, cmd: str, value: str, sources: list[str], dest: str, many: bool) -> None:
        into_dir = dest.endswith("/") or many or dest.rstrip("/") in self.dirs
        targets: list[str] = []
        recursive = False
        for src in sources:
            is_dir = src.endswith("/") or (self.context is not None and (self.context / src).is_dir())
            if is_dir:
                targets.append(dest)
                recursive = True
            elif into_dir:
                targets.append(posixpath.join(dest, posixpath.basename(src.rstrip("/"))))
            else:
                targets.append(dest)
        targets = list(dict.fromkeys(targets))
        flag = "-R " if recursive else ""
        run = f"RUN {cmd} {flag}{shlex.quote(value)} {' '.join(shlex.quote(t) for t in targets)}"
        self.changed(
            f"COPY --{cmd} became RUN {cmd}",
            f"Image Builder's COPY takes no --{cmd}; a RUN {cmd} follows it"
            + (", on the whole destination directory, including what was there before" if recursive else "")
            + ".",
        )
        self._as_root(run)

    def _as_root(self, command: str) -> None:
        if self.user and self.user.split(":")[0] not in ("root", "0"):
            self.out += ["USER root", command, f"USER {self.user}"]
        else:
            self.out.append(command)

    def _copy_heredoc(self, ins: RawInstruction, body: str, opts: dict[str, str]) -> None:
        if len(ins.heredocs) > 1:
            self.dropped("COPY with several heredocs", "Write one COPY per heredoc.")
            return
        h = ins.heredocs[0]
        rest = body[: h.start - (len(ins.args) - len(body))] + body[h.end - (len(ins.args) - len(body)) :]
        fake = RawInstruction("COPY", rest, ins.line, ins.end_line)
        words = self._words(fake, "COPY")
        if len(words) != 1:
            self.dropped("COPY heredoc", "A COPY heredoc needs exactly one destination.")
            return
        dest = words[0]
        if dest.endswith("/"):
            dest += h.name
        lines = h.body
        if not h.quoted:
            lines = [docker_words_line(ln, self.values(), self.escape) for ln in lines]
        parent = posixpath.dirname(dest) or "."
        feed = printf_lines(lines, True) if lines else "printf ''"
        command = f"RUN mkdir -p {shlex.quote(parent)} && {feed} > {shlex.quote(dest)}"
        if "chmod" in opts:
            command += f" && chmod {shlex.quote(opts['chmod'])} {shlex.quote(dest)}"
        if "chown" in opts:
            command += f" && chown {shlex.quote(opts['chown'])} {shlex.quote(dest)}"
        self.changed(
            "COPY heredoc became RUN printf",
            "Image Builder's COPY reads files, not inline text; the file is written with printf.",
        )
        self._as_root(command)


# -- helpers -------------------------------------------------------------------------------------
def docker_words_line(line: str, values: dict[str, str | None], escape: str) -> str:
    """Substitute variables in one line of a heredoc, keeping everything else as written."""
    return substitute(line, values, escape=escape).text


def _first_line(ins: RawInstruction) -> str:
    text = f"{ins.keyword} {ins.args}".split("\n", 1)[0].strip()
    return text if len(text) <= 100 else text[:97] + "..."


def _flags(args: str) -> tuple[list[tuple[str, str]], str]:
    """Leading ``--name[=value]`` options, and the rest."""
    flags: list[tuple[str, str]] = []
    rest = args
    while True:
        m = re.match(r"--([A-Za-z-]+)(?:=(\"[^\"]*\"|\S*))?(?:\s|\\\n)*", rest)
        if not m:
            return flags, rest
        flags.append((m.group(1).lower(), (m.group(2) or "").strip('"')))
        rest = re.sub(r"^(?:\s|\\\n)+", "", rest[m.end() :])


def _json_list(text: str) -> list[str] | None:
    if not text.lstrip().startswith("["):
        return None
    try:
        value = json.loads(text.replace("\\\n", " ").replace("\n", " "))
    except json.JSONDecodeError:
        return None
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return value
    return None


def _join_continuations(text: str, escape: str) -> str:
    return " ".join(re.sub(re.escape(escape) + r"[ \t]*$", "", ln).strip() for ln in text.split("\n")).strip()


def _indent_continuations(text: str) -> str:
    """Continuation lines indented by four spaces more than the command, keeping their indentation
    relative to each other; lines that continue a quoted string stay as written (spaces are content)."""
    lines = text.split("\n")
    inside: list[bool] = []
    offset = len(lines[0])
    for ln in lines[1:]:
        inside.append(not balanced(text[:offset]))
        offset += len(ln) + 1
    widths = [len(ln.expandtabs(4)) - len(ln.expandtabs(4).lstrip()) for ln in lines[1:]]
    free = [w for w, q, ln in zip(widths, inside, lines[1:], strict=True) if not q and ln.strip()]
    base = min(free, default=0)
    out = [lines[0]]
    for ln, w, q in zip(lines[1:], widths, inside, strict=True):
        out.append(ln if q else " " * (4 + w - base) + ln.strip())
    return "\n".join(out)


def _simple(line: str) -> bool:
    """A script line that can be joined to the next with ``;``: no compound command, no open
    quote, no comment that would swallow what follows, no continuation."""
    s = line.strip()
    if _RESERVED.match(s) or "<<" in s or not balanced(s):
        return False
    if s.endswith(_OPENERS):
        return False
    states = quote_states(s)
    return not any(c == "#" and states[i] == "" and (i == 0 or s[i - 1].isspace()) for i, c in enumerate(s))


def _dq(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _label_key(key: str) -> str:
    return key if re.match(r"^[A-Za-z0-9._/-]+$", key) else _dq(key)


def _copy_args(sources: list[str], dest: str) -> str:
    words = [*sources, dest]
    if any(re.search(r"\s|\"|'", w) for w in words):
        return json.dumps(words, ensure_ascii=False)
    return " ".join(words)
