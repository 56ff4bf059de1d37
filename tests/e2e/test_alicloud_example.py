"""examples/alicloud end to end through the CLI, the real SDK and the API emulator on loopback."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.alicloud.emulator import TEST_ACCESS_KEY_ID, TEST_ACCESS_KEY_SECRET, Emulator
from tests.alicloud.emulator.world import Image

ROOT = Path(__file__).resolve().parents[2]
ALINUX = "aliyun_3_x64_20G_alibase_20240528.vhd"


def run(d: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "ALIBABA_CLOUD_ACCESS_KEY_ID": TEST_ACCESS_KEY_ID,
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET": TEST_ACCESS_KEY_SECRET,
        "IMGB_ALICLOUD_POLL_SECONDS": "0.02",
    }
    return subprocess.run(
        [sys.executable, "-m", "imgb.reconciler.cli", "-C", str(d), *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )


@pytest.fixture
def emulator() -> Emulator:
    with Emulator(seed=11, phase_seconds=0.02, copy_seconds=0.02) as em:
        for region in ("cn-hangzhou", "cn-shanghai", "ap-southeast-1"):
            em.world.add_image(region, ALINUX, name=ALINUX, family="acs:aliyun_3_x64", owner_alias="system", created=1716800000.0)
        yield em


def test_alicloud_example_lifecycle(tmp_path: Path, emulator: Emulator) -> None:
    d = tmp_path / "ali"
    shutil.copytree(ROOT / "examples" / "alicloud", d)
    main = d / "main.imgb.hcl"
    text = main.read_text().replace('  region = "cn-hangzhou"\n', f'  region   = "cn-hangzhou"\n  endpoint = "http://{emulator.endpoint}"\n', 1)
    main.write_text(text)

    r = run(d, "apply", "--auto-approve")
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr
    assert TEST_ACCESS_KEY_SECRET not in r.stdout + r.stderr
    builds = [c for c in emulator.world.created if c[0] == "execution"]
    assert len(builds) == 2

    r = run(d, "plan", "--detailed-exitcode", "--out", str(d / "p.imgbplan"))
    assert r.returncode == 0, r.stdout + r.stderr
    r_json = run(d, "show", str(d / "p.imgbplan"), "--json")
    # No credential, and no sensitive variable value, in state, plan files, plan JSON or output.
    for text in (r.stdout + r.stderr, r_json.stdout, (d / "p.imgbplan").read_text(), (d / "imgb.state.json").read_text()):
        assert TEST_ACCESS_KEY_ID not in text and TEST_ACCESS_KEY_SECRET not in text
        assert "replace-me" not in text  # var.monitoring_token's default is sensitive

    # A region added: copies and shares, no build.
    main.write_text(main.read_text().replace('regions  = ["cn-shanghai"]', 'regions  = ["cn-shanghai", "ap-southeast-1"]'))
    r = run(d, "plan", "--detailed-exitcode")
    assert r.returncode == 2 and "Builds: 0" in r.stdout, r.stdout
    assert run(d, "apply", "--auto-approve").returncode == 0

    # Build content changed: a new template and build, the old template deleted, the old image kept.
    main.write_text(main.read_text().replace("RUN systemctl enable nginx", "RUN systemctl enable nginx && echo v2"))
    r = run(d, "apply", "--auto-approve")
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr
    assert "Builds: 2" in r.stdout
    assert len([c for c in emulator.world.created if c[0] == "execution"]) == 4
    state = (d / "imgb.state.json").read_text()
    assert state.count('"kind": "image"') >= 4  # two current, two retained for rollback
    assert len(emulator.world.pipelines) == 2

    r = run(d, "destroy", "--auto-approve")
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr
    assert not emulator.world.components and not emulator.world.pipelines
    left = [img for img in emulator.world.images.values() if getattr(img, "owner_alias", "") != "system"]
    assert not left, left
    kinds = [c[0] for c in emulator.world.created]
    assert len(kinds) == len(set(emulator.world.created)), "an object was created twice"


def test_alicloud_example_converges_under_throttling_and_5xx(tmp_path: Path, emulator: Emulator) -> None:
    from tests.alicloud.emulator.server import Faults

    d = tmp_path / "ali"
    shutil.copytree(ROOT / "examples" / "alicloud", d)
    main = d / "main.imgb.hcl"
    main.write_text(main.read_text().replace('  region = "cn-hangzhou"\n', f'  region   = "cn-hangzhou"\n  endpoint = "http://{emulator.endpoint}"\n', 1))
    emulator.set_faults(Faults(seed=5, throttle_rate=0.3, server_error_rate=0.1, retry_after=None))
    for _ in range(3):  # a call can still exhaust its retries; the next apply picks up from state
        r = run(d, "apply", "--auto-approve")
        if r.returncode == 0:
            break
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr
    emulator.set_faults(Faults())
    r = run(d, "plan", "--detailed-exitcode")
    assert r.returncode == 0, r.stdout[-3000:]
    made = [c for c in emulator.world.created if c[0] in ("component", "template", "execution")]
    assert len(made) == 3 + 2 + 2, made  # three components, two templates, two builds: nothing twice
    assert any(log.fault for log in emulator.log), "no fault was injected"


def test_killed_apply_resumes_the_same_execution(tmp_path: Path) -> None:
    import signal
    import time

    with Emulator(seed=3, phase_seconds=0.4, copy_seconds=0.05) as em:
        for region in ("cn-hangzhou", "cn-shanghai", "ap-southeast-1"):
            em.world.add_image(region, ALINUX, name=ALINUX, family="acs:aliyun_3_x64", owner_alias="system", created=1716800000.0)
        d = tmp_path / "ali"
        shutil.copytree(ROOT / "examples" / "alicloud", d)
        main = d / "main.imgb.hcl"
        main.write_text(main.read_text().replace('  region = "cn-hangzhou"\n', f'  region   = "cn-hangzhou"\n  endpoint = "http://{em.endpoint}"\n', 1))
        env = {
            **os.environ,
            "ALIBABA_CLOUD_ACCESS_KEY_ID": TEST_ACCESS_KEY_ID,
            "ALIBABA_CLOUD_ACCESS_KEY_SECRET": TEST_ACCESS_KEY_SECRET,
            "IMGB_ALICLOUD_POLL_SECONDS": "0.05",
        }
        proc = subprocess.Popen([sys.executable, "-m", "imgb.reconciler.cli", "-C", str(d), "apply", "--auto-approve"],
                                cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while not [c for c in em.world.created if c[0] == "execution"] and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.1)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        started = len([c for c in em.world.created if c[0] == "execution"])
        assert started >= 1
        r = run(d, "apply", "--auto-approve")
        assert r.returncode == 0, r.stdout[-3000:] + r.stderr
        assert "interrupted apply left in progress" in r.stdout
        assert len([c for c in em.world.created if c[0] == "execution"]) == 2  # one per template, none restarted
        assert run(d, "plan", "--detailed-exitcode").returncode == 0


def test_replaced_image_is_copied_and_shared_again(tmp_path: Path, emulator: Emulator) -> None:
    """A rebuild with --replace gets a new image id: copies and shares follow it."""
    d = tmp_path / "ali"
    shutil.copytree(ROOT / "examples" / "alicloud", d)
    main = d / "main.imgb.hcl"
    main.write_text(main.read_text().replace('  region = "cn-hangzhou"\n', f'  region   = "cn-hangzhou"\n  endpoint = "http://{emulator.endpoint}"\n', 1))
    assert run(d, "apply", "--auto-approve").returncode == 0

    def ours() -> dict[str, Image]:
        return {i.id: i for i in emulator.world.images.values() if i.owner_alias != "system" and 'web["alinux' in i.tags.get("imgb:address", "")}

    old = set(ours())
    r = run(d, "apply", "--auto-approve", "--replace", 'image.web["alinux"]')
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr
    assert "Builds: 1, copies: 2" in r.stdout, r.stdout
    now = ours()
    assert not set(now) & old, "the old image or its copies are still there"
    home = [i for i in now.values() if i.region == "cn-hangzhou"]
    copies = [i for i in now.values() if i.region != "cn-hangzhou"]
    assert len(home) == 1 and sorted(i.region for i in copies) == ["ap-southeast-1", "cn-shanghai"]
    assert all(i.copy_source == home[0].id for i in copies)
    shanghai = next(i for i in copies if i.region == "cn-shanghai")
    assert "6543210987654321" in shanghai.shared_with
    assert run(d, "plan", "--detailed-exitcode").returncode == 0
