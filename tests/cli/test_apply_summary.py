"""The apply summary gives the true time: after an apply killed mid-build, the next one finishes
the build first (adoption) and its summary counts that time, saying how much of it it was, instead
of the engine's own 0.0s."""

from __future__ import annotations

import re
from pathlib import Path

from tests.reliability.crash_sites import Site

BEGIN_IMAGE = r'"op":"begin","operation":\{"address":"image\.'


def test_the_summary_counts_the_time_spent_finishing_an_interrupted_apply(tmp_path: Path) -> None:
    site = Site.create(tmp_path / "quickstart", "quickstart", "local")
    site.converge()
    site.knobs.hardening += 1
    site.write_config()
    killed = site.apply(env={"IMGB_CRASH_ON": BEGIN_IMAGE, "IMGB_CRASH_WHEN": "after"})
    assert killed.killed and [o.address for o in site.state().operations] == ["image.web"], killed.text()
    r = site.apply()
    assert r.code == 0, r.text()
    m = re.search(r"Apply complete! (\d+) action\(s\) in ([0-9.]+)s \(([0-9.]+)s of it finishing what an interrupted apply left in progress\)\.", r.out)
    assert m, r.out
    total, adopted = float(m.group(2)), float(m.group(3))
    assert total >= adopted > 0.5, r.out  # the build (five phases of 0.25 s) ran during adoption
