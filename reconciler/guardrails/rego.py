"""The one seam to the Rego engine: regopy, the Python binding of Microsoft's rego-cpp, which runs
Open Policy Agent's language in-process (no ``opa`` binary, no server).

Only calls known to be safe are made here: rego-cpp crashes the process when the text of a failed
query is read (``str(output)``, ``output.node()``), so a failed query's message is read from the
interpreter instead.

rego-cpp differs from OPA in one way that matters to policy tests: ``with input as <value>``
fails ("shape `rego-localref` has no field `rego-refhead`") as soon as a rule it reaches compares
a local variable, which is every useful ``deny`` rule. ``with data.<path> as <value>`` works, so
test runs move the input document under ``data`` (``TEST_INPUT``) in every module's text: the
keyword ``input`` (outside strings and comments, not after a dot) becomes ``data.imgb_test_input``.
A value that names a rule of the module (``with input as mock``) is evaluated wrongly by rego-cpp
either way: ``unsupported_with_values`` finds those, and the test run refuses them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

TEST_INPUT = "data.imgb_test_input"
_PACKAGE = re.compile(r"^[ \t]*package[ \t]+([A-Za-z_][\w.]*)", re.M)
_RULE = re.compile(r"^([A-Za-z_]\w*)\b", re.M)
_WITH_INPUT = re.compile(r"\bwith\s+input\s+as\s+([A-Za-z_]\w*)\b(?!\s*[.\[(])")
# opa.runtime() hands a policy the imgb process's environment: cloud keys, IMGB_PG_CONN_STR, CI
# tokens. Policies come with the configuration (a pull request's, on plan), and what deny returns
# is printed in the plan and its pull request comment. Any reference to opa (opa.runtime,
# opa["runtime"]) outside strings and comments is refused before the engine sees the module.
_OPA = re.compile(r"(?<![\w.])opa\s*[.\[]")


class RegoError(Exception):
    """A module that does not compile or a query that fails; ``where`` is ``file:line`` when known."""

    def __init__(self, message: str, filename: str | None = None, line: int | None = None):
        super().__init__(message)
        self.message = message
        self.filename = filename
        self.line = line


@dataclass(frozen=True)
class Module:
    """A Rego policy file."""

    filename: str
    """As the user would type it (relative to the configuration directory)."""
    text: str

    @property
    def package(self) -> str | None:
        m = _PACKAGE.search(_strip(self.text))
        return m.group(1) if m else None

    def rules(self) -> list[tuple[str, int]]:
        """Names of the rules defined at the start of a line, with their lines (first definition)."""
        seen: dict[str, int] = {}
        code = _strip(self.text)
        for m in _RULE.finditer(code):
            name = m.group(1)
            if name not in ("package", "import", "default") and name not in seen:
                seen[name] = code.count("\n", 0, m.start()) + 1
        return sorted(seen.items(), key=lambda kv: kv[1])


class Engine:
    def __init__(self, modules: list[Module], *, test_input: bool = False):
        import regopy

        self._interp = regopy.Interpreter()
        for m in modules:
            refused = _OPA.search(_strip(m.text))
            if refused:
                raise RegoError("opa.runtime() and the other opa built-ins are not available to imgb policies: they "
                                "would hand a policy (which may come from a pull request) the environment of the "
                                "imgb process, with its credentials", m.filename,
                                m.text.count("\n", 0, refused.start()) + 1)
            text = move_input(m.text) if test_input else m.text
            try:
                self._interp.add_module(m.filename, text)
            except regopy.RegoError as e:
                raise _error(str(e.args[0] if e.args else e), m.filename) from None

    def set_input(self, document: Any) -> None:
        self._interp.set_input_term(json.dumps(document, sort_keys=True))

    def query(self, query: str) -> list[Any]:
        """The values of the query's first expression, one per result (empty: undefined)."""
        import regopy
        from regopy.rego_shared import rego_get_error

        try:
            out = self._interp.query(query)
        except regopy.RegoError as e:
            raise _error(str(e.args[0] if e.args else e), None) from None
        except ValueError as e:  # json: rego-cpp wrote a string with quotes unescaped (concat over a set does)
            raise RegoError(f"{query} produced a value the Rego engine cannot encode ({e}); quotes inside strings "
                            "made by concat over a set or by a function returning an object are the known causes") from None
        if not out.ok():
            raise _error(rego_get_error(self._interp._impl), None)
        return [r.expressions[0] for r in out.results if r.expressions]


_LOCATION = re.compile(r"--\s+(?P<file>[^\s:]+):(?P<line>\d+):\d+")


def _error(text: str, filename: str | None) -> RegoError:
    """rego-cpp's messages: ``Errors:\\n<message>\\n-- file:line:col\\n<source>…``."""
    lines = [ln for ln in text.splitlines() if ln.strip() and ln.strip() != "Errors:" and not set(ln.strip()) <= {"-", "~"}]
    m = _LOCATION.search(text)
    message = lines[0].strip() if lines else "the Rego engine failed"
    if m:
        return RegoError(message, m.group("file"), int(m.group("line")))
    return RegoError(message, filename)


def move_input(text: str) -> str:
    """``input`` → ``data.imgb_test_input`` outside strings and comments (see the module doc);
    lines and columns before the first change on a line stay as they were."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "#":
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(text[i:j])
            i = j
        elif ch == '"':
            j = i + 1
            while j < n and text[j] != '"' and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            out.append(text[i:j + 1])
            i = j + 1
        elif ch == "`":
            j = text.find("`", i + 1)
            j = n - 1 if j < 0 else j
            out.append(text[i:j + 1])
            i = j + 1
        elif (ch.isalpha() or ch == "_") and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")):
            j = i
            while j < n and (text[j].isalnum() or text[j] == "_"):
                j += 1
            word = text[i:j]
            k = i - 1
            while k >= 0 and text[k] in " \t":
                k -= 1
            after_dot = k >= 0 and text[k] == "."
            out.append(TEST_INPUT if word == "input" and not after_dot else word)
            i = j
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def unsupported_with_values(module: Module) -> list[tuple[str, int]]:
    """``with input as NAME`` where NAME is a rule of the module: (name, line) of each."""
    rules = {name for name, _ in module.rules()}
    code = _strip(module.text)
    return [(m.group(1), code.count("\n", 0, m.start()) + 1) for m in _WITH_INPUT.finditer(code) if m.group(1) in rules]


def _strip(text: str) -> str:
    """The text with comments and string contents blanked (same length, same lines)."""
    out = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "#":
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif ch in "\"`":
            j = i + 1
            while j < n and text[j] != ch and not (ch == '"' and text[j] == "\n"):
                j += 2 if ch == '"' and text[j] == "\\" else 1
            out.append(ch + "".join(c if c == "\n" else " " for c in text[i + 1:j]) + (ch if j < n else ""))
            i = j + 1
        else:
            out.append(ch)
            i += 1
    return "".join(out)
