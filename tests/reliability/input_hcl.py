"""Hypothesis strategies for structure-aware bad input: HCL configurations built from an AST of
blocks, attributes and expressions (references, functions, for expressions, heredocs with
commands, for_each, depends_on, wrong types, missing references, cycles), and variable inputs.

Most generated text parses, so the loader's later stages (types, references, evaluation,
commands, limits, the graph) see it; some of it is deliberately broken at the token level.
"""

from __future__ import annotations

from hypothesis import strategies as st

NAMES = ["web", "app", "nginx", "base", "x", "a_b", "each", "var", "null", "for", "in", "if", "ünï", "A1", "t-1"]
FUNCTIONS = [
    "file", "templatefile", "fileexists", "filesha256", "format", "join", "split", "lower", "upper", "replace",
    "trimspace", "concat", "merge", "lookup", "length", "keys", "values", "contains", "toset", "tolist", "tomap",
    "jsonencode", "jsondecode", "yamlencode", "sha256", "regex", "can", "try", "coalesce", "range", "tostring",
    "tonumber", "nosuchfunction", "abs",
]
PATHS = ['"../../etc/passwd"', '"/etc/passwd"', '"files/a.txt"', '"files"', '"missing.txt"', '"link-out"',
         '"dir-link/passwd"', '"."', '""', '"files/../../x"', '"\\u0000"']
TYPES = ["string", "number", "bool", "any", "list(string)", "map(number)", "set(string)", "list(list(number))",
         "object({ a = string, b = number })", "tuple([string, number])", "list(nosuch)", "strin", "map()", '"string"']
COMMANDS = [
    "RUN echo hello", "RUN echo ${var.x}", "COPY files/a.txt /a", "COPY ../../etc/passwd /p", "COPY /etc/shadow /s",
    "COPY link-out /l", "COPY dir-link/passwd /q", "ENV A=1 B=\"two\"", "ENV", "WORKDIR /srv", "WORKDIR relative",
    "USER nobody", "LABEL a=b", "CMD [\"sh\"]", "CMD [broken", "ENTRYPOINT sh -c x", "RESTART", "FROM busybox",
    "ADD x y", "ARG A", "EXPOSE 80", "COMPONENT ${component.web.id}", "COMPONENT ${component.nope.id} --p v",
    "COMPONENT ic-123 --port", "RUN a \\", "RUN \\", "run lowercase", "# comment", "", "RUN " + "x" * 300,
    "Tasks:\n  - Name: t\n    Action: RunShellCommand\n    Properties:\n      commandContent: echo hi",
    "Parameters: [", "%{ if true }RUN x%{ endif }",
]

def _often(good: st.SearchStrategy[str], bad: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Mostly ``good`` (so later stages are reached), sometimes ``bad`` (broken syntax)."""
    return st.one_of(good, good, good, good, bad)


_ident = _often(st.sampled_from([n for n in NAMES if n.isascii()]), st.sampled_from(["ünï", "9lives", "a.b"]))


def _string_literal() -> st.SearchStrategy[str]:
    text = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters='"\\$%\n\r'), max_size=12)
    escapes = _often(st.sampled_from(["\\n", "\\t", '\\"', "\\\\", "\\u00e9", "\\U0001F600", "$${x}", "%%{x}"]),
                     st.sampled_from(["\\x", "\\u12"]))
    interp = _often(st.sampled_from(["${var.x}", "${local.l}", "${component.web.id}", "${each.key}", "${upper(\"a\")}",
                                     "%{ for x in [1] }${x}%{ endfor }", "%{ if true }y%{ else }n%{ endif }"]),
                    st.sampled_from(["${1 + }", "${", "%{ if }"]))
    parts = st.lists(st.one_of(text, escapes, interp), max_size=4)
    return parts.map(lambda ps: '"' + "".join(ps) + '"')


def _refs() -> st.SearchStrategy[str]:
    return st.one_of(
        st.tuples(st.sampled_from(["var", "local", "component", "template", "distribution", "each", "self",
                                   "path", "count", "module", "data", "output"]), _ident).map(lambda t: f"{t[0]}.{t[1]}"),
        st.sampled_from(["component.web.id", "template.web.image_ids", "template.web.id", "distribution.web",
                         "component.web[\"k\"].id", "each.key", "each.value", "path.module", "var.x[0]", "local.l.a"]),
    )


_REFS = _refs()


def _leaf() -> st.SearchStrategy[str]:
    refs = _REFS
    numbers = _often(st.one_of(st.integers(-(10**20), 10**20).map(str), st.sampled_from(["0.5", "1e999", "-0", "1e-400"])),
                     st.sampled_from(["1.2.3", "0x10", "9" * 400]))
    return st.one_of(numbers, st.sampled_from(["true", "false", "null"]), _string_literal(), refs)


def _heredoc(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    lines = st.lists(st.one_of(st.sampled_from(COMMANDS), inner.map(lambda e: "RUN echo ${" + e + "}")), max_size=6)
    return st.tuples(st.sampled_from(["<<EOT", "<<-EOT"]), lines).map(
        lambda t: t[0] + "\n" + "".join(f"    {x}\n" for x in t[1]) + "  EOT\n"
    )


def _extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    args = st.lists(inner, max_size=3)
    return st.one_of(
        args.map(lambda xs: "[" + ", ".join(xs) + "]"),
        st.lists(st.tuples(_ident, inner), max_size=3).map(lambda kv: "{ " + ", ".join(f"{k} = {v}" for k, v in kv) + " }"),
        st.tuples(st.sampled_from(FUNCTIONS), args).map(lambda t: f"{t[0]}({', '.join(t[1])})"),
        st.tuples(st.sampled_from(["file", "templatefile", "filesha256", "fileexists"]), st.sampled_from(PATHS)).map(
            lambda t: f"{t[0]}({t[1]})" if t[0] != "templatefile" else f"{t[0]}({t[1]}, {{}})"),
        st.tuples(inner, inner, inner).map(lambda t: f"{t[0]} ? {t[1]} : {t[2]}"),
        st.tuples(inner, st.sampled_from(["+", "-", "*", "/", "%", "==", "!=", "<", ">=", "&&", "||"]), inner).map(
            lambda t: f"{t[0]} {t[1]} {t[2]}"),
        _leaf().map(lambda e: f"!{e}"),
        _leaf().map(lambda e: f"-{e}"),
        inner.map(lambda e: f"({e})"),
        st.tuples(inner, inner).map(lambda t: f"[for x in {t[0]} : {t[1]}]"),
        st.tuples(inner, inner).map(lambda t: f"{{for k, v in {t[0]} : k => {t[1]}}}"),
        st.tuples(inner, inner).map(lambda t: f"[for x in {t[0]} : x if {t[1]}]"),
        st.tuples(inner, inner).map(lambda t: f"{t[0]}[{t[1]}]"),
        _REFS.map(lambda e: f"{e}.attr"),
        _REFS.map(lambda e: f"{e}[*].id"),
        inner.map(lambda e: '"${' + e + '}"'),
        _heredoc(inner),
    )


EXPR: st.SearchStrategy[str] = st.recursive(_leaf(), _extend, max_leaves=12)


def _attrs(names: list[str]) -> st.SearchStrategy[str]:
    return st.lists(st.tuples(st.sampled_from(names), EXPR), max_size=5).map(
        lambda kv: "".join(f"  {k} = {v}\n" for k, v in kv)
    )


def _block(kind: str, names: list[str], nested: str = "") -> st.SearchStrategy[str]:
    label = st.one_of(_ident, st.sampled_from(['"', "", "with space", "9lives", "web"]))
    return st.tuples(label, _attrs(names), st.sampled_from(["", nested])).map(
        lambda t: f'{kind} "{t[0]}" {{\n{t[1]}{t[2]}}}\n'
    )


_COMMON = ["for_each", "depends_on", "provider", "tags", "description", "unknown_attr"]
BLOCKS = st.one_of(
    _block("variable", ["type", "default", "sensitive", "description", "nullable", "unknown_attr"],
           "  validation {\n    condition     = can(regex(\"^[0-9]+$\", var.x))\n    error_message = \"digits\"\n  }\n"),
    st.sampled_from(TYPES).map(lambda t: f'variable "x" {{\n  type = {t}\n  default = "1"\n}}\n'),
    _attrs(["l", "a", "b", "web", "x"]).map(lambda body: f"locals {{\n{body}}}\n"),
    _block("component", ["content", "version", "type", "system_type", *_COMMON]),
    _block("template", ["base_image", "base_image_family", "build", "test", "distribute", "retain", "image_name",
                        "image_family", "image_tags", "system_disk_size", "instance_type", *_COMMON]),
    _block("distribution", ["regions", "accounts", *_COMMON]),
    _block("output", ["value", "sensitive", "description"]),
    _block("provider", ["region", "root", "alias", "profile", "endpoint"]),
    _block("resource", ["x"], '  nested "a" {\n  }\n'),
    st.sampled_from([
        # cycles between locals, blocks and depends_on
        "locals {\n  a = local.b\n  b = local.a\n}\n",
        'component "web" {\n  content = "RUN echo"\n  depends_on = [component.app]\n}\n'
        'component "app" {\n  content = "RUN echo"\n  depends_on = [component.web]\n}\n',
        'template "web" {\n  base_image = "busybox"\n  build = "COMPONENT ${component.web.id}"\n}\n'
        'component "web" {\n  content = "RUN ${template.web.id}"\n}\n',
        'imgb {\n  required_version = ">= 99.0"\n}\n',
        'imgb {\n  backend "nosuch" {\n  }\n}\n',
        'imgb {\n  backend "local" {\n    path = 42\n  }\n}\n',
        'component "web" {\n  for_each = toset(["a", "a", ""])\n  content = "RUN echo ${each.value}"\n}\n',
        'component "web" {\n  for_each = { a = 1 }\n  content = each.value\n}\n',
        'distribution "d" {\n  regions = ["local-2"]\n  accounts = [1, true, null, "x"]\n}\n',
        'output "o" {\n  value = var.missing\n}\n',
        "component \"web\" {\n  content = <<EOT\nRUN echo never terminated\n",
        "}}}}\n", "= = =\n", "\ufeffcomponent \"bom\" {}\n", "component \"web\" {\n  content = \"RUN a\"\n  content = \"RUN b\"\n}\n",
    ]),
)

CONFIG: st.SearchStrategy[list[str]] = st.lists(BLOCKS, min_size=1, max_size=8)
"""A configuration file as a list of rendered blocks."""

PRELUDE = 'provider "local" {\n  root   = ".imgb/cloud"\n  region = "local-1"\n}\n'
"""Keeps generated configurations on a store inside the test's directory."""

VARS_CONFIG = """
provider "local" {
  root   = ".imgb/cloud"
  region = "local-1"
}
variable "s" {
  type = string
  default = "a"
  validation {
    condition     = length(var.s) < 50
    error_message = "s is too long."
  }
}
variable "n" {
  type    = number
  default = 1
}
variable "b" {
  type    = bool
  default = true
}
variable "l" {
  type    = list(string)
  default = []
}
variable "m" {
  type    = map(number)
  default = {}
}
variable "o" {
  type    = object({ a = string, b = list(number) })
  default = { a = "x", b = [] }
}
variable "secret" {
  type      = string
  sensitive = true
  default   = "VARS-CONFIG-SECRET-DEFAULT"
}
component "app" {
  content = "RUN echo ${var.s} ${var.n} ${var.b} ${join(",", var.l)} ${length(var.m)} ${var.o.a} ${var.secret}"
}
"""
"""A configuration whose typed variables the generated variable inputs set."""

VAR_NAMES = ["s", "n", "b", "l", "m", "o", "secret", "undeclared", "", "1bad", "s.x", "s["]

VAR_FILE: st.SearchStrategy[str] = st.lists(st.tuples(st.sampled_from(VAR_NAMES), EXPR), max_size=5).map(
    lambda kv: "".join(f"{k} = {v}\n" for k, v in kv)
)
"""The text of a variable file: attributes (mostly declared names) with generated values."""

VAR_ARG: st.SearchStrategy[str] = st.one_of(
    st.tuples(st.sampled_from(VAR_NAMES), EXPR).map(lambda t: f"{t[0]}={t[1]}"),
    st.tuples(st.sampled_from(VAR_NAMES), st.text(max_size=20)).map(lambda t: f"{t[0]}={t[1]}"),
    st.text(max_size=20),
)
"""A ``--var`` argument: name=value with a generated value, or anything at all."""

_SKELETON = {
    "component.content": "\"RUN echo app > /app\"",
    "component.version": "\"1.0.0\"",
    "component.tags": "{ team = \"web\" }",
    "template.base_image": "\"busybox\"",
    "template.build": "<<-EOT\n    COMPONENT ${component.app.id}\n    RUN echo web > /web\n  EOT\n",
    "template.test": "\"RUN true\"",
    "template.distribute": "[distribution.everywhere]",
    "template.retain": "2",
    "template.image_name": "\"web\"",
    "distribution.regions": "[\"local-2\"]",
    "distribution.accounts": "[\"100000000001\"]",
    "output.value": "template.web.image_ids",
}


def _near_valid(replaced: dict[str, str]) -> str:
    v = {**_SKELETON, **replaced}

    def attrs(kind: str) -> str:
        return "".join(f"  {k.split('.', 1)[1]} = {x}\n" for k, x in v.items() if k.startswith(kind + "."))

    return (f'component "app" {{\n{attrs("component")}}}\n\ntemplate "web" {{\n{attrs("template")}}}\n\n'
            f'distribution "everywhere" {{\n{attrs("distribution")}}}\n\noutput "ids" {{\n{attrs("output")}}}\n')


_PLAUSIBLE = {
    "component.content": ['"RUN echo ${upper(\"x\")}"', '"COPY files/a.txt /a"', '"COPY files /f"', '"FROM busybox"',
                          '"RUN echo \\\n  continued"', "jsonencode({a = 1})", '"ENV A=${length([1, 2])}"'],
    "component.version": ['"1.2.3"', '"1.2"', '"v1"', "null"],
    "template.base_image": ['"scratch"', '"nosuch"', '"m-00000000000000000000"', '""'],
    "template.build": ['"RUN true"', '"COMPONENT ${component.app.id} --p v"', '"COMPONENT ic-1"', '""',
                       '"COPY . /ctx"', '"USER nobody\nRUN id"'],
    "template.test": ['"RUN false"', '""', "null"],
    "template.distribute": ["[]", "[distribution.everywhere, distribution.everywhere]", "[distribution.nope]"],
    "template.retain": ["1", "0", "-1", "1000", "2.5"],
    "distribution.regions": ["[]", '["local-2", "local-3"]', '["local-1"]', '["LOCAL"]', '["local-2", "local-2"]'],
    "distribution.accounts": ["[]", '["1"]', '["x"]', '["100000000001", "100000000002"]'],
    "output.value": ["component.app.id", "var.nope", "template.web", "distribution.everywhere.regions"],
}
NEAR_VALID: st.SearchStrategy[list[str]] = st.lists(
    st.sampled_from(sorted(_SKELETON)).flatmap(
        lambda k: st.tuples(st.just(k), st.one_of(EXPR, st.sampled_from(_PLAUSIBLE.get(k, [_SKELETON[k]]))))),
    min_size=1, max_size=3,
).map(lambda kv: [_near_valid(dict(kv))])
"""A valid configuration (a component, a template, a distribution, an output) with one or two
attributes replaced by generated expressions: reaches the graph, provider checks and the differ."""

CONFIGS: st.SearchStrategy[list[str]] = st.one_of(CONFIG, NEAR_VALID)
