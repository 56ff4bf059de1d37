"""moved, removed and import blocks through the CLI: a rename plans 0 builds, 0 copies, 0 shares
and keeps the cloud objects; removed with destroy = false forgets a template whose objects then
still exist; an import block adopts a component made outside imgb. The local provider with the
local and the PostgreSQL backend, and the alicloud provider against the API emulator (real SDK,
real HTTP). Plans are saved and applied, and shown as the pull-request comment too."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from imgb.addresses import Kind
from imgb.providers.local.provider import LocalProvider
from tests.alicloud.emulator import TEST_ACCESS_KEY_ID, TEST_ACCESS_KEY_SECRET, Emulator

ROOT = Path(__file__).resolve().parents[2]
ALINUX = "aliyun_3_x64_20G_alibase_20240528.vhd"


class Dir:
    def __init__(self, path: Path, env: dict[str, str]):
        self.path, self.env = path, env
        path.mkdir(parents=True, exist_ok=True)

    def write(self, text: str) -> None:
        (self.path / "main.imgb.hcl").write_text(text)

    def imgb(self, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
        r = subprocess.run([sys.executable, "-m", "imgb.reconciler.cli", "-C", str(self.path), *args], cwd=ROOT,
                           env=self.env, capture_output=True, text=True, timeout=600)
        if ok:
            assert r.returncode == 0, r.stdout[-4000:] + r.stderr
        return r

    def plan_json(self) -> dict[str, object]:
        self.imgb("plan", "-out=p.imgbplan")
        return dict(json.loads(self.imgb("show", "p.imgbplan", "--json").stdout))

    def state(self) -> dict[str, str]:
        doc = json.loads(self.imgb("state", "pull").stdout)
        return {r["address"] + (f"@{r['image_hash'][:8]}" if r.get("image_hash") else ""): r["id"] for r in doc["resources"]}


def _backend(kind: str, schema: str) -> str:
    if kind == "pg":
        return f'imgb {{\n  backend "pg" {{\n    schema_name = "{schema}"\n  }}\n}}\n\n'
    return ""


def _local(tmp: Path, backend: str, schema: str, dsn: str | None) -> tuple[Dir, str]:
    env = {**os.environ, "IMGB_HOME": str(tmp / "store")}
    if dsn:
        env["IMGB_PG_CONN_STR"] = dsn
    return Dir(tmp / "repo", env), _backend(backend, schema) + 'provider "local" {\n  region = "local-1"\n}\n'


CONFIG = """
component "motd" {
  content = "RUN echo hello > /etc/motd"
}

template "%(web)s" {
  base_image = "%(base)s"
  build      = "COMPONENT ${component.motd.id}"
  distribute = [distribution.staging]
}
%(legacy)s
distribution "staging" {
  regions  = ["%(region2)s"]
  accounts = ["100000000001"]
}
"""
LEGACY = """
template "legacy" {
  base_image = "%(base)s"
  build      = "RUN echo legacy > /legacy"
}
"""
BLOCKS = """
moved {
  from = template.web
  to   = template.frontend
}

removed {
  from = template.legacy
  lifecycle {
    destroy = %(destroy)s
  }
}
"""


def _rename_and_decommission(d: Dir, head: str, base: str, region2: str, destroy: str = "false") -> tuple[dict[str, str], dict[str, str]]:
    fill = {"base": base, "region2": region2}
    d.write(head + CONFIG % {**fill, "web": "web", "legacy": LEGACY % fill})
    d.imgb("apply", "-auto-approve")
    before = d.state()
    d.write(head + CONFIG % {**fill, "web": "frontend", "legacy": ""} + BLOCKS % {"destroy": destroy})
    plan = d.plan_json()
    summary = plan["summary"]
    assert isinstance(summary, dict)
    assert (summary["builds"], summary["copies"], summary["shares"], summary["unshares"]) == (0, 0, 0, 0)
    changes = {c["address"]: c for c in plan["resource_changes"]}  # type: ignore[attr-defined]
    assert changes["template.frontend"]["previous_address"] == "template.web"
    assert changes["template.frontend"]["action"] == "no-op"
    text = d.imgb("show", "p.imgbplan").stdout
    assert "# template.web has moved to template.frontend" in text and 'it keeps its name "web"' in text
    assert '# copy.web["' in text and "has moved to copy.frontend" in text
    md = d.imgb("show", "p.imgbplan", "--format", "markdown").stdout
    assert "template.web has moved to template.frontend" in md and "Builds: 0, copies: 0, shares: 0" in md
    if destroy == "false":
        assert "template.legacy will no longer be managed by imgb, but will not be deleted" in text
        assert "template.legacy will no longer be managed by imgb" in md
    d.imgb("apply", "p.imgbplan")
    after = d.state()
    assert "No changes." in d.imgb("plan").stdout
    return before, after


@pytest.mark.sandbox
@pytest.mark.parametrize("backend", ["local", "pg"])
def test_rename_and_decommission_on_the_local_provider(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    dsn = schema = None
    if backend == "pg":
        dsn, schema = request.getfixturevalue("pg_dsn"), request.getfixturevalue("pg_schema")
    d, head = _local(tmp_path, backend, schema or "", dsn)
    before, after = _rename_and_decommission(d, head, "busybox", "local-2")
    # The same cloud objects under the new addresses; legacy forgotten.
    moved = {k.replace("web", "frontend"): v for k, v in before.items() if "legacy" not in k}
    assert after == moved
    store = LocalProvider(tmp_path / "store", "local-1")
    legacy = {k: v for k, v in before.items() if "legacy" in k}
    assert legacy and all(store.read(Kind.TEMPLATE if k.startswith("template") else Kind.IMAGE, v, {"region": "local-1"})
                          for k, v in legacy.items()), "a forgotten template's objects still exist"
    assert [r["name"] for r in store.store.records("local-1", "templates") if r["id"] == after["template.frontend"]] == ["web"]


@pytest.mark.sandbox
def test_removed_with_destroy_true_deletes(tmp_path: Path) -> None:
    d, head = _local(tmp_path, "local", "", None)
    before, after = _rename_and_decommission(d, head, "busybox", "local-2", destroy="true")
    store = LocalProvider(tmp_path / "store", "local-1")
    assert store.read(Kind.TEMPLATE, before["template.legacy"], {}) is None
    assert not any("legacy" in k for k in after)


def _component_outside(store: Path) -> str:
    p = LocalProvider(store, "local-1")
    desired = {"name": "hardening", "version": "1.0.0", "type": "Build", "system_type": "Linux",
               "description": "made by hand", "content": "RUN echo hardened > /etc/hardened", "tags": {}}
    return str(p.wait(Kind.COMPONENT, p.start(Kind.COMPONENT, desired, "by-hand"), lambda *a, **k: None)["id"])


ADOPTED = """
component "hardening" {
  version     = "%(version)s"
  description = "made by hand"
  content     = "%(content)s"
}
"""


@pytest.mark.parametrize("backend", ["local", "pg"])
def test_import_adopts_a_component_made_outside_imgb(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    dsn = schema = None
    if backend == "pg":
        dsn, schema = request.getfixturevalue("pg_dsn"), request.getfixturevalue("pg_schema")
    d, head = _local(tmp_path, backend, schema or "", dsn)
    made = _component_outside(tmp_path / "store")
    block = f'\nimport {{\n  to = component.hardening\n  id = "{made}"\n}}\n'
    d.write(head + ADOPTED % {"version": "1.0.0", "content": "RUN echo hardened > /etc/hardened"} + block)
    plan = d.plan_json()
    [change] = plan["resource_changes"]  # type: ignore[misc]
    assert change["importing"] == {"id": made} and change["action"] == "no-op"
    assert plan["summary"]["import"] == 1  # type: ignore[index]
    text = d.imgb("show", "p.imgbplan").stdout
    assert "# component.hardening will be imported" in text and '"made by hand"' in text
    assert "Plan: 1 to import, 0 to add, 0 to change, 0 to destroy." in text
    assert "component.hardening will be imported" in d.imgb("show", "p.imgbplan", "--format", "markdown").stdout
    out = d.imgb("apply", "p.imgbplan").stdout
    assert f"component.hardening: Imported {made}" in out
    assert d.state() == {"component.hardening": made}
    assert "No changes." in d.imgb("plan").stdout, "the import block is history once the object is managed"

    # A configuration that differs from what was adopted shows as the change it takes.
    d2, _ = _local(tmp_path / "second", backend, (schema or "") + "b", dsn)
    other = _component_outside(tmp_path / "second" / "store")
    d2.write(head.replace(f'"{schema}"', f'"{schema}b"') + ADOPTED % {"version": "1.0.1", "content": "RUN echo changed"}
             + f'\nimport {{\n  to = component.hardening\n  id = "{other}"\n}}\n')
    text = d2.imgb("plan").stdout
    assert "# component.hardening will be imported, then must be replaced" in text and "content changed" in text


def test_generate_config_out_writes_the_block_of_an_unconfigured_import(tmp_path: Path) -> None:
    d, head = _local(tmp_path, "local", "", None)
    made = _component_outside(tmp_path / "store")
    d.write(head + f'\nimport {{\n  to = component.hardening\n  id = "{made}"\n}}\n')
    r = d.imgb("plan", ok=False)
    assert r.returncode == 1 and "Configuration for import target does not exist" in r.stderr
    r = d.imgb("plan", "-generate-config-out=generated.imgb.hcl")
    assert "component.hardening will be imported" in r.stdout
    generated = (d.path / "generated.imgb.hcl").read_text()
    assert 'component "hardening" {' in generated and '"made by hand"' in generated
    d.imgb("fmt", "-check")
    r = d.imgb("plan", "-generate-config-out=generated.imgb.hcl", ok=False)
    assert r.returncode == 1 and "Target generated file already exists" in r.stderr
    d.imgb("apply", "-auto-approve")
    assert "No changes." in d.imgb("plan").stdout


@pytest.mark.parametrize(
    ("blocks", "message"),
    [
        ('moved {\n  from = component.motd\n  to   = component.other\n}\n', "Moved object still exists"),
        ('moved {\n  from = component.old\n  to   = template.web\n}\n', "Invalid moved block"),
        ('moved {\n  from = "component.old"\n  to   = component.motd\n}\n', "Invalid moved address"),
        ('removed {\n  from = component.motd\n}\n', "Removed object still exists"),
        ('import {\n  to = component.motd\n  id = ""\n}\n', "Invalid import id"),
    ],
)
def test_bad_blocks_are_diagnostics(blocks: str, message: str, tmp_path: Path) -> None:
    d, head = _local(tmp_path, "local", "", None)
    d.write(head + 'component "motd" {\n  content = "RUN true"\n}\n\n' + blocks)
    r = d.imgb("validate", ok=False)
    assert r.returncode == 1 and f"Error: {message}" in r.stderr and "main.imgb.hcl" in r.stderr


# -- alicloud, through the real SDK against the emulator -----------------------------------------------
@pytest.fixture
def emulator() -> Emulator:
    with Emulator(seed=5, phase_seconds=0.02, copy_seconds=0.02) as em:
        for region in ("cn-hangzhou", "cn-shanghai"):
            em.world.add_image(region, ALINUX, name=ALINUX, family="acs:aliyun_3_x64", owner_alias="system", created=1716800000.0)
        yield em


def test_rename_decommission_and_import_on_alicloud(tmp_path: Path, emulator: Emulator) -> None:
    env = {**os.environ, "ALIBABA_CLOUD_ACCESS_KEY_ID": TEST_ACCESS_KEY_ID,
           "ALIBABA_CLOUD_ACCESS_KEY_SECRET": TEST_ACCESS_KEY_SECRET, "IMGB_ALICLOUD_POLL_SECONDS": "0.02"}
    d = Dir(tmp_path / "ali", env)
    head = f'provider "alicloud" {{\n  region   = "cn-hangzhou"\n  endpoint = "http://{emulator.endpoint}"\n}}\n'
    builds_before = len([c for c in emulator.world.created if c[0] == "execution"])
    before, after = _rename_and_decommission(d, head, ALINUX, "cn-shanghai")
    builds = [c for c in emulator.world.created if c[0] == "execution"]
    assert len(builds) - builds_before == 2, "two builds for the first apply, none for the rename"
    assert after == {k.replace("web", "frontend"): v for k, v in before.items() if "legacy" not in k}

    # Adopt the forgotten legacy template again, by id.
    legacy = before["template.legacy"]
    d.write(head + CONFIG % {"base": ALINUX, "region2": "cn-shanghai", "web": "frontend", "legacy": LEGACY % {"base": ALINUX}}
            + f'\nimport {{\n  to = template.legacy\n  id = "{legacy}"\n}}\n')
    text = d.imgb("plan").stdout
    assert "# template.legacy will be imported" in text and legacy in text


# -- against Terraform 1.11: the same refactoring, the same words -------------------------------------
def _headlines(text: str) -> list[str]:
    return sorted(ln.strip() for ln in text.splitlines() if ln.strip().startswith("# ") and ("moved" in ln or "managed" in ln))


@pytest.mark.sandbox
@pytest.mark.skipif(shutil.which("terraform") is None, reason="terraform is not installed")
def test_moved_and_removed_read_as_terraform_s(tmp_path: Path) -> None:
    """terraform_data (built into Terraform, so no provider download) renamed with a moved block
    and retired with removed { destroy = false }: imgb's plan says what Terraform's says, with
    imgb for Terraform, deleted for destroyed, and template for terraform_data."""
    tf = tmp_path / "tf"
    tf.mkdir()
    env = {**os.environ, "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1"}

    def terraform(*args: str) -> str:
        r = subprocess.run(["terraform", *args, "-no-color", "-input=false"], cwd=tf, env=env, capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, r.stdout + r.stderr
        return r.stdout

    (tf / "main.tf").write_text('resource "terraform_data" "web" {\n  input = "a"\n}\n\nresource "terraform_data" "legacy" {\n  input = "b"\n}\n')
    terraform("init")
    terraform("apply", "-auto-approve")
    blocks = (BLOCKS % {"destroy": "false"}).replace("template.", "terraform_data.")
    (tf / "main.tf").write_text('resource "terraform_data" "frontend" {\n  input = "a"\n}\n' + blocks)
    theirs = terraform("plan")

    d, head = _local(tmp_path, "local", "", None)
    fill = {"base": "busybox", "region2": "local-2"}
    d.write(head + CONFIG % {**fill, "web": "web", "legacy": LEGACY % fill})
    d.imgb("apply", "-auto-approve")
    d.write(head + CONFIG % {**fill, "web": "frontend", "legacy": ""} + BLOCKS % {"destroy": "false"})
    ours = d.imgb("plan").stdout

    expected = [ln.replace("terraform_data.", "template.").replace("Terraform", "imgb").replace("destroyed", "deleted")
                for ln in _headlines(theirs) if "(destroy = false" not in ln]
    assert expected and set(expected) <= set(_headlines(ours)), (expected, _headlines(ours))
    assert "Plan: 0 to add, 0 to change, 0 to destroy." in theirs and "Plan: 0 to add, 0 to change, 0 to destroy." in ours
    assert "Warning: Some objects will no longer be managed by Terraform" in theirs
    assert "Warning: Some objects will no longer be managed by imgb" in ours


FOR_EACH = """
component "%(component)s" {
  content = "RUN echo hello > /etc/motd"
}

template "web" {
  for_each   = toset(%(keys)s)
  base_image = "busybox"
  build      = "COMPONENT ${component.%(component)s.id}"
  distribute = [distribution.staging]
}

distribution "staging" {
  regions = ["local-2"]
}
"""


@pytest.mark.sandbox
def test_a_component_and_a_for_each_key_move_without_a_build(tmp_path: Path) -> None:
    """A component's address is an input of its images' content hash: moving it re-keys the
    images, their copies and the current image instead of building again."""
    d, head = _local(tmp_path, "local", "", None)
    d.write(head + FOR_EACH % {"component": "motd", "keys": '["eu", "us"]'})
    d.imgb("apply", "-auto-approve")
    before = d.state()
    d.write(head + FOR_EACH % {"component": "banner", "keys": '["europe", "us"]'}
            + '\nmoved {\n  from = component.motd\n  to   = component.banner\n}\n'
            + '\nmoved {\n  from = template.web["eu"]\n  to   = template.web["europe"]\n}\n')
    plan = d.plan_json()
    summary = plan["summary"]
    assert isinstance(summary, dict) and (summary["add"], summary["destroy"], summary["builds"], summary["copies"]) == (0, 0, 0, 0)
    text = d.imgb("show", "p.imgbplan").stdout
    assert "# component.motd has moved to component.banner" in text
    assert '# template.web["eu"] has moved to template.web["europe"]' in text
    d.imgb("apply", "p.imgbplan")
    after = d.state()
    assert sorted(after.values()) == sorted(before.values()), "the same objects, under new addresses"
    assert "No changes." in d.imgb("plan").stdout


def test_a_moved_target_with_a_typo_is_a_warning(tmp_path: Path) -> None:
    d, head = _local(tmp_path, "local", "", None)
    d.write(head + 'component "motd" {\n  content = "RUN true"\n}\n\nmoved {\n  from = component.old\n  to   = component.mtod\n}\n')
    r = d.imgb("validate")
    assert "Warning: Moved object's target is not declared" in r.stderr and 'Did you mean "motd"?' in r.stderr


@pytest.mark.sandbox
def test_a_forgotten_template_and_its_image_are_adopted_again_by_id(tmp_path: Path) -> None:
    d, head = _local(tmp_path, "local", "", None)
    _, after = _rename_and_decommission(d, head, "busybox", "local-2")
    store = LocalProvider(tmp_path / "store", "local-1")
    [legacy] = [r for r in store.store.records("local-1", "templates") if r["name"] == "legacy"]
    [image] = [r for r in store.store.records("local-1", "images") if r.get("template_id") == legacy["id"]]
    fill = {"base": "busybox", "region2": "local-2"}
    d.write(head + CONFIG % {**fill, "web": "frontend", "legacy": LEGACY % fill}
            + f'\nimport {{\n  to = template.legacy\n  id = "{legacy["id"]}"\n}}\n'
            + f'\nimport {{\n  to = image.legacy\n  id = "{image["id"]}"\n}}\n')
    text = d.imgb("plan", "-out=p.imgbplan").stdout
    assert "# template.legacy will be imported" in text and "# image.legacy will be imported" in text
    assert "Plan: 2 to import, 0 to add, 0 to change, 0 to destroy. Builds: 0" in text
    assert "Imported image was built from other content" not in text
    d.imgb("apply", "p.imgbplan")
    state = d.state()
    assert state["template.legacy"] == legacy["id"] and any(k.startswith("image.legacy@") and v == image["id"] for k, v in state.items())
    assert "No changes." in d.imgb("plan").stdout
