"""Issue 21's acceptance on the alicloud example, through the CLI and the official SDK against the
emulator: the plan's cost from the emulated DescribePrice, the run-rate change when retain rises or
a region is added, and the two example policies of imgb init blocking at the right line."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from imgb.reconciler.scaffold import Options, file_text
from tests.alicloud.emulator import Emulator
from tests.alicloud.site import Site, add_example_images


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    with Emulator(seed=7, phase_seconds=0.02, copy_seconds=0.02) as em:
        add_example_images(em)
        s = Site.create(tmp_path, em)
        s.env["IMGB_CACHE_DIR"] = str(tmp_path / "cache")
        yield s


def _plan_json(site: Site) -> dict:  # type: ignore[type-arg]
    r = site.run("plan", "-json")
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    return json.loads(r.stdout)  # type: ignore[no-any-return]


def test_cost_comes_from_describe_price_and_follows_retain_and_regions(site: Site) -> None:
    site.env["IMGB_PRICE_CACHE_SECONDS"] = "0"
    doc = _plan_json(site)
    cost = doc["cost"]
    assert doc["format_version"] == "1.1" and cost["currency"] == "CNY" and cost["complete"]
    assert "DescribePrice" in cost["sources"]
    # Two builds of ecs.g7.large (0.42/h) with a 40 GiB cloud_efficiency disk (0.0005/GiB-h), 30 min each.
    assert cost["build"] == pytest.approx(2 * 0.5 * (0.42 + 40 * 0.0005))
    assert cost["monthly_before"] == 0
    # retain 3 × 40 GiB × (home + 2 copy regions) × 0.12 per GiB-month, two templates.
    assert cost["monthly_after"] == pytest.approx(2 * 3 * 40 * 3 * 0.12)
    assert any(log.action == "DescribePrice" for log in site.emulator.log)

    # The price is the emulated account's: change it and the plan follows (no cache: 0 seconds).
    site.emulator.world.prices["ecs.g7.large"] = 1.0
    assert _plan_json(site)["cost"]["build"] == pytest.approx(2 * 0.5 * (1.0 + 40 * 0.0005))

    human = site.run("plan")
    assert "Cost: 1.02 CNY for 2 build(s); storage 0.00 CNY/month now, 86.40 CNY/month at full retention (+86.40 CNY)." in human.stdout
    detailed = site.run("plan", "-detailed").stdout
    assert 'image.web["ubuntu"]: build 0.51 CNY (30 min)' in detailed
    md = site.run("plan", "-format=markdown").stdout
    assert "> Storage run-rate: 0.00 CNY/month now → **86.40 CNY/month**" in md
    assert md.index("| cost |") < md.index("| template / resource |")

    site.converge()
    applied = _plan_json(site)["cost"]
    assert applied["monthly_before"] > 0 and applied["build"] == 0

    site.edit("retain       = 3", "retain       = 10")
    raised = site.run("plan")
    assert "No changes." in raised.stdout
    doc = _plan_json(site)
    assert not doc["has_changes"]
    assert doc["cost"]["monthly_after"] == pytest.approx(applied["monthly_after"] * 10 / 3)
    assert "at full retention (+" in raised.stdout

    site.edit('regions  = ["cn-shanghai", "ap-southeast-1"]', 'regions  = ["cn-shanghai", "ap-southeast-1", "cn-beijing"]')
    added = _plan_json(site)["cost"]
    assert added["monthly_after"] == pytest.approx(applied["monthly_after"] * 10 / 3 * 4 / 3)
    assert any(a["region"] == "cn-beijing" and a["monthly"] > 0 for a in added["actions"])


def test_prices_unavailable_never_fail_the_plan(site: Site) -> None:
    site.emulator.world.price_forbidden = True
    r = site.run("plan")
    assert r.returncode == 0, r.stderr
    assert "Incomplete: alicloud (cn-hangzhou): Forbidden.RAM" in r.stdout
    cost = _plan_json(site)["cost"]
    assert cost["complete"] is False and cost["build"] is None


def _policies(site: Site, allowed: str, families: str) -> None:
    policy = site.directory / "policy"
    policy.mkdir(exist_ok=True)
    opts = Options(provider="alicloud")
    for dest in ("policy/sharing.rego", "policy/sharing_test.rego", "policy/base_images.rego", "policy/base_images_test.rego"):
        text = file_text(dest, opts)
        text = text.replace('allowed_accounts := {"1234567890123456", "2234567890123456"}', f"allowed_accounts := {allowed}")
        text = text.replace('approved_families := {"acs:ubuntu_22_04_x64", "acs:aliyun_3_x64"}', f"approved_families := {families}")
        (site.directory / dest).write_text(text)


def _line(site: Site, text: str) -> int:
    return next(i for i, ln in enumerate(site.main.read_text().splitlines(), 1) if text in ln)


def test_the_example_policies_block_and_pass(site: Site) -> None:
    everyone = '{"1234567890123456", "2234567890123456", "6543210987654321"}'
    both = '{"acs:ubuntu_22_04_x64", "acs:aliyun_3_x64"}'
    _policies(site, everyone, both)
    ok = site.run("plan")
    assert ok.returncode == 0, ok.stderr
    assert site.run("policy", "test").stdout.strip() == "PASS: 6/6"

    # An account not in the allow-list: the partners distribution names it.
    _policies(site, '{"1234567890123456", "2234567890123456"}', both)
    r = site.run("plan")
    assert r.returncode == 1 and "Policy violation" in r.stderr
    line = _line(site, 'accounts = ["6543210987654321"]')
    assert f"main.imgb.hcl line {line}" in r.stderr, r.stderr
    assert "6543210987654321, which is not in allowed_accounts (policy imgb.sharing)" in r.stderr
    assert not (site.directory / "imgb.state.json").exists() or "web" not in (site.directory / "imgb.state.json").read_text()

    # A base image of another family: the template's base_image line.
    _policies(site, everyone, '{"acs:ubuntu_22_04_x64"}')
    r = site.run("plan")
    assert r.returncode == 1 and "Policy violation" in r.stderr
    assert f"main.imgb.hcl line {_line(site, 'base_image       = each.value')}" in r.stderr, r.stderr
    assert "builds from image aliyun_3_x64_20G_alibase_20240528.vhd, which is not of a family in approved_families" in r.stderr
    # apply without a saved plan is stopped the same way, before anything is made.
    r = site.run("apply", "-auto-approve")
    assert r.returncode == 1 and "Policy violation" in r.stderr
    assert not site.emulator.world.created


def test_warn_is_a_banner_and_budget_rules_read_the_cost(site: Site) -> None:
    (site.directory / "policy").mkdir()
    (site.directory / "policy" / "budget.rego").write_text(
        "package imgb.budget\n\nimport rego.v1\n\n"
        'warn contains "storage grows by more than 50 per month" if input.cost.monthly_change > 50\n'
        'deny contains "builds cost more than 5" if input.cost.build > 5\n'
    )
    r = site.run("plan", "-format=markdown")
    assert r.returncode == 0, r.stderr
    assert "> [!WARNING]\n> Policy warning. storage grows by more than 50 per month (policy imgb.budget)" in r.stdout
    site.emulator.world.prices["ecs.g7.large"] = 10.0
    site.env["IMGB_PRICE_CACHE_SECONDS"] = "0"
    r = site.run("plan")
    assert r.returncode == 1 and "builds cost more than 5 (policy imgb.budget)" in r.stderr
    shutil.rmtree(site.directory / "policy")
