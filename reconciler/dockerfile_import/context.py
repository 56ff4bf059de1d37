"""The build context as BuildKit sees it: the directory minus what ``.dockerignore`` excludes,
and COPY sources matched with Docker's wildcard rules.

* ``.dockerignore`` (or ``<Dockerfile>.dockerignore`` next to the Dockerfile, which wins): one
  pattern a line, ``#`` lines are comments, blanks are trimmed, a leading ``/`` is dropped and the
  pattern is cleaned like a path. ``*`` and ``?`` do not cross ``/``; ``**`` matches any number of
  directories; ``\\`` escapes; ``!`` re-includes. A pattern that matches a directory excludes
  everything under it; the last pattern that matches a path decides. An excluded directory is
  only searched for re-included paths when a ``!`` pattern starts with its path, and is then kept
  holding only those.
* A COPY source is a path relative to the context root (``..`` cannot leave it). Wildcards follow
  Go's ``filepath.Match`` one path component at a time: ``*`` never matches ``/`` (so ``*.json``
  is the top of the context only), ``**`` means ``*``, dot files match, ``[^...]`` negates.
"""

from __future__ import annotations

import os
import posixpath
import re
import stat
from dataclasses import dataclass
from pathlib import Path

from imgb.commands.paths import is_imgb_own

_REGEX_SPECIAL = set(".+()|{}$^")


class PatternError(ValueError):
    pass


def read_ignore_file(text: str) -> list[str]:
    patterns = []
    for n, line in enumerate(text.split("\n")):
        if n == 0:
            line = line.removeprefix("\ufeff")
        if line.startswith("#"):
            continue
        line = line.strip()
        if not line:
            continue
        invert = line.startswith("!")
        if invert:
            line = line[1:].strip()
        if line:
            line = posixpath.normpath(line)
            if len(line) > 1 and line.startswith("/"):
                line = line[1:]
        patterns.append(("!" if invert else "") + line)
    return patterns


def _ignore_regex(pattern: str) -> re.Pattern[str]:
    out = ["^"]
    i = 0
    n = len(pattern)
    while i < n:
        ch = pattern[i]
        i += 1
        if ch == "*":
            if i < n and pattern[i] == "*":
                i += 1
                if i < n and pattern[i] == "/":
                    i += 1
                out.append(".*" if i >= n else "(.*/)?")
            else:
                out.append("[^/]*")
        elif ch == "?":
            out.append("[^/]")
        elif ch == "\\":
            if i < n:
                out.append(re.escape(pattern[i]))
                i += 1
            else:
                out.append("\\\\")
        elif ch in "[]":
            out.append(ch)
        elif ch in _REGEX_SPECIAL:
            out.append("\\" + ch)
        else:
            out.append(re.escape(ch))
    out.append("$")
    try:
        return re.compile("".join(out), re.DOTALL)
    except re.error as e:
        raise PatternError(f'bad .dockerignore pattern "{pattern}": {e}') from None


class IgnoreRules:
    def __init__(self, patterns: list[str]):
        self.patterns = patterns
        self.rules = [(_ignore_regex(p.removeprefix("!")), p.startswith("!")) for p in patterns if p.removeprefix("!")]

    def may_reinclude_under(self, directory: str) -> bool:
        """BuildKit walks into an excluded directory only when a ``!`` pattern, as written,
        starts with that directory's path: ``!*/keep`` re-includes nothing under an excluded
        ``dir``, ``!dir/keep`` does."""
        prefix = directory + "/"
        return any(p.startswith("!") and (p[1:] + "/").startswith(prefix) for p in self.patterns)

    def excluded(self, rel: str) -> bool:
        """``rel``: a context-relative path with ``/`` separators."""
        matched = False
        parent = posixpath.dirname(rel)
        parents = parent.split("/") if parent else []
        for rx, exclusion in self.rules:
            if exclusion != matched:
                continue
            hit = rx.match(rel) is not None
            if not hit and parents:
                hit = any(rx.match("/".join(parents[: k + 1])) for k in range(len(parents)))
            if hit:
                matched = not exclusion
        return matched


@dataclass(frozen=True)
class Entry:
    rel: str
    kind: str
    """file, dir, link or other."""
    mode: int
    """Permission bits (with setuid/setgid/sticky)."""


class BuildContext:
    def __init__(self, root: Path, ignore: IgnoreRules | None = None, never: frozenset[str] = frozenset()):
        self.root = root
        self.ignore = ignore or IgnoreRules([])
        self.never = never
        """Paths (context-relative) that are not part of the context: the configuration imgb writes."""
        self._entries: dict[str, Entry] | None = None
        self._holes: set[str] = set()
        self._children: dict[str, list[Entry]] | None = None

    @classmethod
    def load(cls, root: Path, dockerfile: Path | None = None, never: frozenset[str] = frozenset()) -> BuildContext:
        candidates = []
        if dockerfile is not None:
            candidates.append(dockerfile.parent / (dockerfile.name + ".dockerignore"))
        candidates.append(root / ".dockerignore")
        for c in candidates:
            try:
                text = c.read_text(encoding="utf-8", errors="replace")
            except OSError:  # missing, or a name too long to have one
                continue
            return cls(root, IgnoreRules(read_ignore_file(text)), never)
        return cls(root, None, never)

    # -- what is in the context ----------------------------------------------------------------
    def entries(self) -> dict[str, Entry]:
        if self._entries is None:
            found: dict[str, Entry] = {}
            self._holes = set()
            self._walk("", found)
            self._entries = found
        return self._entries

    def _hole(self, rel: str) -> None:
        """Something inside directory ``rel`` is not in the context: mark it and its parents."""
        while True:
            self._holes.add(rel)
            if not rel:
                return
            rel = posixpath.dirname(rel)

    def _walk(self, rel: str, found: dict[str, Entry]) -> bool:
        """Adds the included entries under ``rel`` (a directory); True when any was included."""
        base = self.root / rel if rel else self.root
        try:
            names = sorted(os.listdir(base))
        except OSError:
            return False
        any_kept = False
        for name in names:
            child = f"{rel}/{name}" if rel else name
            if child in self.never or (not rel and is_imgb_own(name)):
                # The configuration imgb writes and its own state are not the Dockerfile's context.
                self._hole(rel)
                continue
            st = os.lstat(base / name)
            kind = "dir" if stat.S_ISDIR(st.st_mode) else "link" if stat.S_ISLNK(st.st_mode) else "file" if stat.S_ISREG(st.st_mode) else "other"
            excluded = self.ignore.excluded(child)
            if excluded:
                self._hole(rel)
            if kind == "dir":
                if excluded and not self.ignore.may_reinclude_under(child):
                    continue
                inner = self._walk(child, found)
                if excluded and not inner:
                    continue
                if excluded:
                    self._hole(child)  # kept only for what it re-includes
            elif excluded:
                continue
            found[child] = Entry(child, kind, stat.S_IMODE(st.st_mode))
            any_kept = True
        return any_kept

    def has_exclusions_under(self, rel: str) -> bool:
        """Something on disk under directory ``rel`` is not in the context."""
        self.entries()
        return rel in self._holes

    def children(self, rel: str) -> list[Entry]:
        """The entries directly inside directory ``rel``, sorted."""
        if self._children is None:
            index: dict[str, list[Entry]] = {}
            for key, e in self.entries().items():
                index.setdefault(posixpath.dirname(key), []).append(e)
            self._children = index
        return self._children.get(rel, [])

    def under(self, rel: str) -> list[Entry]:
        """The entries strictly inside directory ``rel`` ("" for the root), sorted."""
        prefix = f"{rel}/" if rel else ""
        return [e for k, e in self.entries().items() if k.startswith(prefix) and k != rel]

    def get(self, rel: str) -> Entry | None:
        if rel == "":
            return Entry("", "dir", stat.S_IMODE(os.stat(self.root).st_mode))
        return self.entries().get(rel)

    # -- COPY sources ----------------------------------------------------------------------------
    def match(self, src: str) -> list[str]:
        """Context-relative paths ``src`` names: itself, or what its wildcards match."""
        rel = clean_source(src)
        if not has_wildcards(rel):
            return [rel] if self.get(rel) is not None else []
        parts = rel.split("/")
        current = [""]
        for k, part in enumerate(parts):
            nxt: list[str] = []
            last = k == len(parts) - 1
            for base in current:
                if not has_wildcards(part):
                    cand = f"{base}/{part}" if base else part
                    e = self.get(cand)
                    if e is not None and (last or e.kind == "dir"):
                        nxt.append(cand)
                    continue
                rx = go_match_regex(part)
                for e in self.children(base):
                    if not rx.fullmatch(posixpath.basename(e.rel)):
                        continue
                    if last or e.kind == "dir":
                        nxt.append(e.rel)
            current = nxt
        return sorted(set(current))


def clean_source(src: str) -> str:
    """A COPY source as a context-relative path ("" for the root)."""
    cleaned = posixpath.normpath("/" + src)
    return cleaned.lstrip("/")


def has_wildcards(path: str) -> bool:
    return any(c in path for c in "*?[")


def go_match_regex(pattern: str) -> re.Pattern[str]:
    """One path component of Go's filepath.Match as a regular expression."""
    out: list[str] = []
    i = 0
    n = len(pattern)
    while i < n:
        c = pattern[i]
        i += 1
        if c == "*":
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "\\":
            if i >= n:
                raise PatternError(f'bad wildcard "{pattern}": it ends with an escape')
            out.append(re.escape(pattern[i]))
            i += 1
        elif c == "[":
            j = i
            neg = j < n and pattern[j] == "^"
            if neg:
                j += 1
            body: list[str] = []
            first = True
            while j < n and (pattern[j] != "]" or first):
                ch = pattern[j]
                first = False
                if ch == "\\" and j + 1 < n:
                    body.append(re.escape(pattern[j + 1]))
                    j += 2
                    continue
                if ch == "-" and body and j + 1 < n and pattern[j + 1] != "]":
                    body.append("-")
                    j += 1
                    continue
                body.append(re.escape(ch))
                j += 1
            if j >= n or not body:
                raise PatternError(f'bad wildcard "{pattern}": an unclosed or empty [ ]')
            out.append("[" + ("^" if neg else "") + "".join(body) + "]")
            i = j + 1
        else:
            out.append(re.escape(c))
    return re.compile("".join(out), re.DOTALL)
