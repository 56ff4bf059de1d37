"""The whole security suite again, as the throwaway user ``imgb-rootless`` (a rootless build):
every attack must be contained both ways. As root, this runs the other files of this directory
through ``runuser``; run as an ordinary user, it has nothing to add and the suite itself is rootless."""

from __future__ import annotations

import subprocess

from tests.local.test_rootless import Rootless, rootless  # noqa: F401  (the fixture)


def test_every_attack_is_contained_rootless_too(rootless: Rootless) -> None:  # noqa: F811
    res = subprocess.run(["runuser", "-u", rootless.user, "--", *rootless.env(), rootless.python, "-m", "pytest",
                          "-q", "-p", "no:cacheprovider", "--basetemp", str(rootless.work / "pytest-security"),
                          "tests/security"],
                         cwd=rootless.src, capture_output=True, text=True, timeout=1800)
    assert res.returncode == 0, res.stdout[-6000:] + res.stderr[-2000:]
    summary = res.stdout.strip().splitlines()[-1]
    assert " passed" in summary and "failed" not in summary and "skipped" not in summary, res.stdout[-3000:]
    print(summary)
