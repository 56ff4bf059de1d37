"""Smoke test of the benchmark harness (python -m bench) at tiny sizes: the table has its rows.
No timing assertions: timings belong to docs/performance.md, not to tests."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bench import generate, tf_state
from imgb.reconciler.config.load import load_config

REPO = Path(__file__).resolve().parents[2]


def test_harness_prints_every_row_for_every_shape(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "bench", "--no-terraform", "--sizes", "20", "--chain-sizes", "5", "--reps", "1", "--small-reps", "1",
         "--work", str(tmp_path / "work"), "--json", str(tmp_path / "runs.json")],
        cwd=REPO, capture_output=True, text=True, timeout=600,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    rows = [line for line in out.stdout.splitlines() if line.startswith("| ") and not line.startswith("| shape")]
    cells = {(r.split("|")[1].strip(), r.split("|")[2].strip(), r.split("|")[3].strip()) for r in rows}
    labels = ["validate", "validate, no parse cache", "first apply", "no-change plan", "no-change plan, refresh off",
              "same, no parse cache", "plan after 1% change", "same, refresh off"]
    for shape, n in (("indep", "20"), ("fanin", "20"), ("chain", "5")):
        for label in labels:
            assert (shape, n, label) in cells, (shape, n, label)
    for label in ("validate", "no-change plan", "version", "--help (Terraform: version)"):
        assert ("quickstart", "6", label) in cells, label
    assert "imgb no-change plan: no changes" in out.stdout  # the plans measured really were no-change plans
    assert "imgb plan: no changes" in out.stdout  # the quickstart's plan too, after its apply
    assert (tmp_path / "runs.json").exists()


@pytest.mark.parametrize("shape", generate.SHAPES)
def test_generated_imgb_configs_have_n_resources(tmp_path: Path, shape: str) -> None:
    from imgb.reconciler.graph import build_graph

    generate.write(tmp_path, shape, 100, "imgb")
    config, diags = load_config(tmp_path, env={**os.environ, "IMGB_PROVIDERS_EXTRA": "sleep=bench.sleep_provider:SleepProvider",
                                              "IMGB_CACHE_DIR": str(tmp_path / "cache")})
    assert config is not None, [d.summary for d in diags]
    graph, _ = build_graph(config, {})
    assert len(graph.nodes) == 100
    assert len(generate.terraform_resources(shape, 100)) == 100


def test_sleep_provider_type_needs_registration(tmp_path: Path) -> None:
    generate.write(tmp_path, "indep", 20, "imgb")
    env = {k: v for k, v in os.environ.items() if k != "IMGB_PROVIDERS_EXTRA"}
    config, diags = load_config(tmp_path, env={**env, "IMGB_CACHE_DIR": str(tmp_path / "cache")})
    assert config is None
    assert any(d.summary == "Unsupported provider" for d in diags)


@pytest.mark.skipif(shutil.which("terraform") is None, reason="terraform is not installed")
@pytest.mark.parametrize("shape", generate.SHAPES)
def test_synthesized_terraform_state_equals_an_applied_one(tmp_path: Path, shape: str) -> None:
    generate.write(tmp_path, shape, 30, "tf")
    rc = tmp_path / "empty.tfrc"
    rc.touch()
    env = {**os.environ, "TF_CLI_CONFIG_FILE": str(rc), "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1"}
    for cmd in (["init", "-input=false", "-no-color"], ["apply", "-auto-approve", "-input=false", "-no-color"]):
        r = subprocess.run(["terraform", *cmd], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, r.stdout + r.stderr
    real = (tmp_path / "terraform.tfstate").read_bytes()
    assert tf_state.normalized(real) == tf_state.normalized(tf_state.synthesize(generate.terraform_resources(shape, 30)))


@pytest.mark.skipif(shutil.which("terraform") is None, reason="terraform is not installed")
def test_terraform_quickstart_has_the_quickstarts_six_resources(tmp_path: Path) -> None:
    from bench import small

    small.write(tmp_path, "tf")
    rc = tmp_path / "empty.tfrc"
    rc.touch()
    env = {**os.environ, "TF_CLI_CONFIG_FILE": str(rc), "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1"}
    for cmd in (["init", "-input=false", "-no-color"], ["plan", "-input=false", "-no-color"]):
        r = subprocess.run(["terraform", *cmd], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, r.stdout + r.stderr
    assert "Plan: 6 to add, 0 to change, 0 to destroy." in r.stdout
