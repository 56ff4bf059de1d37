"""Messages that tell the truth, through the CLI on the README's own example: the plan line the
README shows is the plan imgb prints; a replacement's log names the new object and the old one; a
rollback promises no build time; a narrow terminal never cuts an address from the progress table."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from imgb.reconciler.cli import main
from imgb.reconciler.views.progress import running_table

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


@pytest.fixture
def readme_example(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    d = tmp_path / "cfg"
    (d / "components").mkdir(parents=True)
    (d / "main.imgb.hcl").write_text(re.search(r"```hcl\n(.*?)```", README, re.S).group(1))  # type: ignore[union-attr]
    (d / "components" / "hardening.dockerfile").write_text("RUN echo hardened > /etc/hardened\n")
    monkeypatch.setenv("IMGB_HOME", str(tmp_path / "store"))
    return d


def imgb(capsys: pytest.CaptureFixture[str], d: Path, *args: str) -> tuple[int, str, str]:
    code = main([f"-chdir={d}", *args])
    out, err = capsys.readouterr()
    return code, out, err


def state_id(capsys: pytest.CaptureFixture[str], d: Path, address: str) -> str:
    code, out, _ = imgb(capsys, d, "state", "pull")
    assert code == 0
    return str(next(r["id"] for r in json.loads(out)["resources"] if r["address"] == address))


def test_replacement_rollback_and_the_readme_plan_line(readme_example: Path, capsys: pytest.CaptureFixture[str]) -> None:
    d = readme_example
    code, out, err = imgb(capsys, d, "apply", "-auto-approve")
    assert code == 0, err
    old_template, old_component = state_id(capsys, d, "template.web"), state_id(capsys, d, "component.hardening")

    (d / "components" / "hardening.dockerfile").write_text("RUN echo hardened twice > /etc/hardened\n")
    code, out, _ = imgb(capsys, d, "plan")
    readme_line = next(line for line in README.splitlines() if line.startswith("Plan: "))
    assert readme_line in out, f"the README shows {readme_line!r}; imgb prints:\n{out}"
    assert "# image.web will be built\n  #   (component.hardening content changed)" in out

    code, out, err = imgb(capsys, d, "apply", "-auto-approve")
    assert code == 0, err
    new_template = state_id(capsys, d, "template.web")
    assert new_template != old_template
    # the new object by its id when created, the old one by its id when deleted
    assert re.search(rf"template\.web: Created after [0-9.]+s \[id={new_template}\]", out), out
    assert f"template.web: Deleting {old_template}..." in out and f"template.web: Deleted {old_template} after" in out
    assert f"component.hardening: Deleting {old_component}..." in out

    # back to the first content: the retained image is made current again, with no build to wait for
    (d / "components" / "hardening.dockerfile").write_text("RUN echo hardened > /etc/hardened\n")
    code, out, _ = imgb(capsys, d, "plan")
    assert "made current again" in out and "Builds: 0" in out, out
    assert "Expected duration" not in out and "build and copy time" not in out, out


@given(
    labels=st.lists(
        st.builds(
            lambda kind, name, key: f'{kind}.{name}' + (f'["{key}"]' if key else ""),
            st.sampled_from(["image", "copy", "share"]),
            st.text(alphabet="abcdefghij", min_size=1, max_size=12),
            st.text(alphabet="abcdef0123456789/-", max_size=40),
        ),
        min_size=1, max_size=6, unique=True,
    ),
    width=st.integers(min_value=10, max_value=200),
    message=st.text(alphabet="abc xyz:/.-", max_size=300),
)
def test_a_narrow_terminal_never_cuts_an_address(labels: list[str], width: int, message: str) -> None:
    text = running_table("1/9 done, 3s", [(label, 12.0, "Building", message) for label in labels], width)
    lines = text.splitlines()
    for label in labels:
        assert any(line.startswith(label + " ") or line == label for line in lines), (label, text)
    for line in lines[2:]:
        # what exceeds the width is only the part no terminal could hold: the address and its columns
        if len(line) > width:
            assert line.rstrip().endswith("Building"), line


def test_after_a_failed_build_the_plan_gives_the_true_reason(readme_example: Path, capsys: pytest.CaptureFixture[str]) -> None:
    d = readme_example
    assert imgb(capsys, d, "apply", "-auto-approve")[0] == 0
    main_hcl = d / "main.imgb.hcl"
    main_hcl.write_text(main_hcl.read_text().replace('RUN echo "version', 'RUN false && echo "version'))
    code, out, _ = imgb(capsys, d, "apply", "-auto-approve")
    assert code == 1 and "image.web: failed" in out, out
    code, out, _ = imgb(capsys, d, "plan")
    assert "(deposed" in out and "the apply that replaced it did not delete it" in out, out
    assert "interrupted" not in out, out
