"""imgb console as terraform console: Terraform's value formatting, piped input (the last value,
exit 1 at the first error), the configuration's and the state's values, type()."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from imgb.reconciler.cli import main
from imgb.reconciler.config.types import STRING, list_of
from imgb.reconciler.config.values import ListV, MapV, Null, SetV
from imgb.reconciler.console import format_value
from imgb.unknown import Unknown

CONFIG = """
variable "name" {
  default = "web"
}

variable "token" {
  default   = "s3cr3t"
  sensitive = true
}

locals {
  regions = toset(["b", "a"])
}

template "web" {
  base_image = "busybox"
  build      = "RUN echo ${var.name} > /name"
}
"""


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ([1, "a"], '[\n  1,\n  "a",\n]'),
        (ListV(["a"], STRING), 'tolist([\n  "a",\n])'),
        (SetV([], STRING), "toset([])"),
        (MapV({"b": 1, "a": 2}), 'tomap({\n  "a" = 2\n  "b" = 1\n})'),
        ({"a": {"b": []}}, '{\n  "a" = {\n    "b" = []\n  }\n}'),
        ("a\nb", "<<EOT\na\nb\nEOT"),
        (["x\nEOT"], '[\n  <<-EOT_\n  x\n  EOT\n  EOT_,\n]'),
        ("tab\t\u00e9\u0007", '"tab\\té\\a"'),
        (None, "null"),
        (Null(STRING), "tostring(null)"),
        (Null(list_of(STRING)), "tolist(null) /* of string */"),
        (Unknown("component.x.id"), "(known after apply)"),
    ],
)
def test_values_print_as_terraform_prints_them(value: object, text: str) -> None:
    assert format_value(value) == text


def _console(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, d: Path, stdin: str) -> tuple[int, str, str]:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = main(["-C", str(d), "console"])
    out, err = capsys.readouterr()
    return code, out, err


def test_piped_console_prints_the_last_value(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "main.imgb.hcl").write_text(CONFIG)
    monkeypatch.setenv("IMGB_CACHE_DIR", str(tmp_path / "cache"))
    code, out, _ = _console(capsys, monkeypatch, tmp_path, 'upper(var.name)\n\nlocal.regions\n')
    assert code == 0 and out == 'toset([\n  "a",\n  "b",\n])\n'
    code, out, _ = _console(capsys, monkeypatch, tmp_path, "var.token\n")
    assert code == 0 and out == "(sensitive value)\n"
    code, out, _ = _console(capsys, monkeypatch, tmp_path, "template.web.id\n")
    assert code == 0 and out == "(known after apply)\n"
    code, out, _ = _console(capsys, monkeypatch, tmp_path, "type(local.regions)\n")
    assert code == 0 and out == "set(string)\n"
    code, out, err = _console(capsys, monkeypatch, tmp_path, "1 +\n2\n")
    assert code == 1 and out == "" and "Error:" in err
    code, out, err = _console(capsys, monkeypatch, tmp_path, "var.nope\nexit\n")
    assert code == 1 and "Reference to undeclared input variable" in err


def test_console_sees_ids_from_the_state(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "main.imgb.hcl").write_text(CONFIG)
    monkeypatch.setenv("IMGB_CACHE_DIR", str(tmp_path / "cache"))
    assert main(["-C", str(tmp_path), "apply", "--auto-approve"]) == 0
    capsys.readouterr()
    code, out, err = _console(capsys, monkeypatch, tmp_path, "template.web.image_ids\n")
    assert code == 0, err
    assert out.startswith('tomap({\n  "local-1" = "m-'), out
    code, out, _ = _console(capsys, monkeypatch, tmp_path, "jsonencode(keys(template.web.image_ids))\n")
    assert json.loads(json.loads(out)) == ["local-1"]
