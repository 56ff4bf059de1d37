"""load_config end to end: the examples, precedence of variable values, for_each, providers,
text origins, outputs, sensitive values and the parsed-file cache."""

from __future__ import annotations

import pickle
import shutil
from pathlib import Path

import pytest

from imgb.reconciler.config import cache
from imgb.reconciler.config.hcl import parse
from imgb.reconciler.config.load import load_config
from imgb.reconciler.config.model import TextOrigin
from imgb.unknown import Unknown, marker
from tests.config.conftest import Loader, summaries
from tests.config.generate import generate

EXAMPLES = Path(__file__).parents[2] / "examples"

VAR = '''
variable "v" {
  type    = string
  default = "default"
}
variable "n" {
  type    = number
  default = 1
}
component "c" {
  content = "RUN echo ${var.v} ${var.n}"
}
'''


@pytest.mark.parametrize("example", ["quickstart", "alicloud"])
def test_examples_load_cleanly(example: str, cache_env: dict[str, str]) -> None:
    config, diags = load_config(EXAMPLES / example, env=cache_env)
    assert not diags.has_errors(), [str(d) for d in diags]
    assert config is not None and config.templates and config.components
    for t in config.templates.values():
        assert marker("component.hardening.id") in t.build
        assert t.build_origin is not None and t.build_origin.filename == "main.imgb.hcl"
    assert "components/hardening.dockerfile" in config.file_digests


def test_quickstart_details(cache_env: dict[str, str]) -> None:
    config, _ = load_config(EXAMPLES / "quickstart", env=cache_env)
    assert config is not None
    web = config.templates["template.web"]
    assert web.image_name == "web-1-0-0" and web.provider == "local"
    assert web.distribute[0].address == "distribution.everywhere"
    assert web.distribute[0].regions == ("local-2",)
    assert config.components["component.hardening"].content_origin == TextOrigin(
        filename="components/hardening.dockerfile", line=1
    )
    assert config.outputs["web_image_ids"].value == Unknown("template.web.image_ids")
    assert config.backend.type == "local" and config.backend.settings == {"path": "imgb.state.json"}


def test_alicloud_for_each_and_sensitive(cache_env: dict[str, str]) -> None:
    config, _ = load_config(EXAMPLES / "alicloud", env=cache_env)
    assert config is not None
    assert sorted(config.templates) == ['template.web["alinux"]', 'template.web["ubuntu"]']
    ubuntu = config.templates['template.web["ubuntu"]']
    assert ubuntu.key == "ubuntu" and ubuntu.image_family == "web-ubuntu" and ubuntu.tags["os"] == "ubuntu"
    assert config.outputs["web_image_ids"].value == {
        "alinux": Unknown('template.web["alinux"].image_ids'),
        "ubuntu": Unknown('template.web["ubuntu"].image_ids'),
    }
    assert "replace-me" in config.sensitive_values


def test_variable_precedence(load: Loader, tmp_path: Path) -> None:
    files = {
        "main.imgb.hcl": VAR,
        "a.auto.imgbvars.hcl": 'v = "auto-a"\n',
        "b.auto.imgbvars.hcl": 'v = "auto-b"\nn = 3\n',
        "x.imgbvars.hcl": 'v = "file-x"\n',
        "y.imgbvars.hcl": 'v = "file-y"\n',
    }
    content = lambda cfg: cfg.components["component.c"].content  # noqa: E731
    config, diags = load({"main.imgb.hcl": VAR})
    assert config is not None and content(config) == "RUN echo default 1"
    config, _ = load({"main.imgb.hcl": VAR}, env={"IMGB_VAR_v": "env", "IMGB_VAR_n": "2"})
    assert config is not None and content(config) == "RUN echo env 2"
    config, _ = load(files, env={"IMGB_VAR_v": "env"})
    assert config is not None and content(config) == "RUN echo auto-b 3"
    config, _ = load(files, env={"IMGB_VAR_v": "env"}, var_files=["x.imgbvars.hcl", "y.imgbvars.hcl"])
    assert config is not None and content(config) == "RUN echo file-y 3"
    config, diags = load(files, var_files=["x.imgbvars.hcl"], var_args=["v=cli1", "v=cli2", "n=5"])
    assert config is not None and content(config) == "RUN echo cli2 5", diags


def test_non_string_cli_values_are_hcl(load: Loader) -> None:
    src = 'variable "l" {\n  type = list(string)\n}\nvariable "o" {\n  type = map(number)\n}\n' \
          'variable "s" {\n  type = string\n}\ncomponent "c" {\n  content = "RUN ${join(",", var.l)} ${var.o.a} ${var.s}"\n}\n'
    config, diags = load(src, var_args=['l=["a", "b"]', "o={ a = 1 }", "s=[x]"])
    assert config is not None, [str(d) for d in diags]
    assert config.components["component.c"].content == "RUN a,b 1 [x]"
    assert config.variables["l"].value == ["a", "b"] and config.variables["l"].type == "list(string)"


def test_validation_and_undeclared_warnings(load: Loader) -> None:
    src = VAR.replace('default = "default"', 'default = "ok"\n  validation {\n    condition = length(var.v) < 5\n'
                      '    error_message = "Too long."\n  }')
    config, diags = load({"main.imgb.hcl": src, "z.auto.imgbvars.hcl": "other = 1\n"})
    assert config is not None
    assert [(d.severity, d.summary) for d in diags] == [("warning", "Value for undeclared variable")]
    _, diags = load({"main.imgb.hcl": src}, var_args=["v=toolong"])  # z.auto.imgbvars.hcl stays
    (d,) = [d for d in diags if d.severity == "error"]
    assert d.summary == "Invalid value for variable" and d.detail.startswith("Too long.")
    assert d.pos is not None and d.pos.line == 5


def test_sensitive_values_collected(load: Loader) -> None:
    src = 'variable "token" {\n  default = "s3cr3t"\n  sensitive = true\n}\nvariable "list" {\n  type = list(string)\n' \
          '  default = ["a1", "b2"]\n  sensitive = true\n}\ncomponent "c" {\n  content = "RUN use ${var.token}"\n}\n'
    config, _ = load(src)
    assert config is not None and config.sensitive_values == ("a1", "b2", "s3cr3t")


def test_for_each_set_and_map_and_references(load: Loader) -> None:
    src = '''
locals {
  oses = { ubuntu = "ubuntu_22", alinux = "alinux_3" }
}
component "agent" {
  for_each = toset(["x", "y"])
  content  = "RUN install ${each.key}"
}
distribution "d" {
  for_each = { prod = ["1234567890123456"], dev = ["2234567890123456"] }
  accounts = each.value
}
template "web" {
  for_each   = local.oses
  base_image = each.value
  build      = "COMPONENT ${component.agent["x"].id}\\nCOMPONENT ${component.agent[each.key == "ubuntu" ? "y" : "x"].id}"
  distribute = [distribution.d["prod"], distribution.d]
}
output "ids" {
  value = { for k, c in component.agent : k => c.id }
}
'''
    config, diags = load(src)
    assert config is not None, [str(d) for d in diags]
    assert sorted(config.components) == ['component.agent["x"]', 'component.agent["y"]']
    assert config.components['component.agent["y"]'].content == "RUN install y"
    ubuntu = config.templates['template.web["ubuntu"]']
    assert ubuntu.base_image == "ubuntu_22"
    x, y = marker('component.agent["x"].id'), marker('component.agent["y"].id')
    assert ubuntu.build == f"COMPONENT {x}\nCOMPONENT {y}"
    assert [r.address for r in ubuntu.distribute] == ['distribution.d["prod"]', 'distribution.d["dev"]']
    assert config.outputs["ids"].value == {"x": Unknown('component.agent["x"].id'), "y": Unknown('component.agent["y"].id')}


def test_providers(load: Loader) -> None:
    base = 'component "c" {\n  content = "RUN true"\n  PROVIDER\n}\n'
    config, _ = load(base.replace("PROVIDER", ""))
    assert config is not None and config.components["component.c"].provider == "local"
    assert config.providers["local"].region == "local-1"
    two = 'provider "alicloud" {\n  region = "cn-hangzhou"\n  profile = "p"\n}\nprovider "alicloud" {\n' \
          '  region = "ap-southeast-1"\n  alias = "intl"\n}\n'
    config, diags = load(two + base.replace("PROVIDER", "provider = alicloud.intl"))
    assert config is not None, [str(d) for d in diags]
    assert config.components["component.c"].provider == "alicloud.intl"
    assert config.providers["alicloud"].attrs == {"profile": "p"}
    _, diags = load(two + base.replace("PROVIDER", ""))
    assert summaries(diags) == ["Provider required"]
    _, diags = load('provider "alicloud" {\n}\n' + base.replace("PROVIDER", ""))
    assert summaries(diags) == ["Missing required argument"]


def test_text_origins_and_attr_pos(load: Loader) -> None:
    src = '''component "a" {
  content = <<-EOT
    RUN a
  EOT
}
component "b" {
  content = "RUN b"
}
component "c" {
  content = file("./parts/c.txt")
}
component "d" {
  content = trimspace(" RUN d ")
}
'''
    config, _ = load({"main.imgb.hcl": src, "parts/c.txt": "RUN c\n"})
    assert config is not None
    origins = {k: v.content_origin for k, v in config.components.items()}
    assert origins == {
        "component.a": TextOrigin(filename="main.imgb.hcl", line=3),
        "component.b": TextOrigin(filename="main.imgb.hcl", line=7),
        "component.c": TextOrigin(filename="parts/c.txt", line=1),
        "component.d": None,
    }
    assert config.components["component.c"].attr_pos["content"].line == 10
    assert config.file_digests.keys() == {"parts/c.txt"}


def test_depends_on_and_defaults(load: Loader) -> None:
    src = '''component "base" {
  content = "RUN true"
}
template "t" {
  base_image_family = "acs:ubuntu"
  depends_on        = [component.base]
}
'''
    config, diags = load(src)
    assert config is not None, [str(d) for d in diags]
    t = config.templates["template.t"]
    assert t.depends_on == ("component.base",)
    assert (t.system_disk_size, t.retain, t.delete_instance_on_failure, t.build) == (40, 3, True, "")


def test_many_problems_in_one_run(load: Loader) -> None:
    src = '''componnet "x" {
}
component "a" {
  contnt = "x"
}
template "t" {
  base_image = var.nope
  system_disk_size = "big"
}
locals {
  a = local.b
  b = local.a
}
'''
    _, diags = load(src)
    assert summaries(diags) == [
        "Unsupported block type",
        "Missing required argument",
        "Unsupported argument",
        "Reference to undeclared input variable",
        "Incorrect attribute value type",
        "Cycle between local values",
    ]


def test_empty_and_missing_directories(tmp_path: Path, cache_env: dict[str, str]) -> None:
    config, diags = load_config(tmp_path, env=cache_env)
    assert config is None and summaries(diags) == ["No configuration files"]
    config, diags = load_config(tmp_path / "nope", env=cache_env)
    assert config is None and summaries(diags) == ["Configuration directory not found"]


def test_cache_is_used_and_corruption_ignored(tmp_path: Path) -> None:
    cfg = generate(tmp_path / "cfg", 200, files=1)
    env = {"IMGB_CACHE_DIR": str(tmp_path / "cache")}
    cold, _ = load_config(cfg, env=env)
    warm, _ = load_config(cfg, env=env)
    assert cold is not None and warm is not None and cold == warm
    entries = list((tmp_path / "cache" / "parsed").glob("*.pickle"))
    assert len(entries) == 1
    # A warm load takes the entry instead of parsing: an entry holding another file's AST shows.
    real = entries[0].read_bytes()
    other = pickle.dumps(parse('component "from_the_cache" {\n  content = "RUN true"\n}\n', "gen00.imgb.hcl"))
    entries[0].write_bytes(cache.seal(other))
    taken, _ = load_config(cfg, env=env)
    assert taken is not None and list(taken.components) == ["component.from_the_cache"]
    entries[0].write_bytes(real)
    entries[0].write_bytes(b"garbage")
    again, diags = load_config(cfg, env=env)
    assert again == cold and not diags
    shutil.rmtree(tmp_path / "cache")
    (tmp_path / "cache").write_text("not a directory")
    again, diags = load_config(cfg, env=env)
    assert again == cold and not diags


def test_generated_configuration_loads(tmp_path: Path) -> None:
    cfg = generate(tmp_path / "cfg", 100)
    config, diags = load_config(cfg, env={"IMGB_CACHE_DIR": str(tmp_path / "cache")})
    assert config is not None, [str(d) for d in diags]
    assert (len(config.components), len(config.templates), len(config.distributions)) == (40, 40, 20)
    assert all(len(t.distribute) == 2 for t in config.templates.values())


def test_outputs_evaluated_after_apply(cache_env: dict[str, str]) -> None:
    from imgb.reconciler.config.outputs import evaluate_output, fill_unknowns

    config, _ = load_config(EXAMPLES / "alicloud", env=cache_env)
    assert config is not None
    known = {
        'template.web["alinux"].image_ids': {"cn-hangzhou": "m-1"},
        'template.web["ubuntu"].image_ids': {"cn-hangzhou": "m-2"},
    }
    value, diags = evaluate_output(config, config.outputs["web_image_ids"], known)
    assert not diags and value == {"alinux": {"cn-hangzhou": "m-1"}, "ubuntu": {"cn-hangzhou": "m-2"}}
    partial, _ = evaluate_output(config, config.outputs["web_image_ids"], {})
    assert partial == config.outputs["web_image_ids"].value
    assert fill_unknowns([marker("component.a.id") + "-x"], {"component.a.id": "ic-1"}) == ["ic-1-x"]


def test_sensitive_values_never_appear_in_diagnostics(load: Loader) -> None:
    src = '''variable "token" {
  type      = string
  sensitive = true
}
variable "port" {
  type      = number
  sensitive = true
}
locals {
  n = tonumber(var.token)
}
'''
    _, diags = load(src, var_args=["token=hunter2-secret", "port=not-a-port"])
    text = " ".join(d.summary + " " + d.detail for d in diags)
    assert diags.has_errors() and "hunter2-secret" not in text and "not-a-port" not in text
    assert "(sensitive value)" in text


def test_private_use_characters_rejected_in_cli_values(load: Loader) -> None:
    _, diags = load(VAR, var_args=["v=x\ue000component.a.id\ue001"], env={"IMGB_VAR_n": "\ue0011"})
    assert summaries(diags) == ["Invalid value for variable", "Invalid value for variable"]
