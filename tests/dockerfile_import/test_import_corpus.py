"""imgb import-dockerfile over a corpus of real-world-style Dockerfiles: golden HCL and
diagnostics per Dockerfile, every result valid for imgb validate, and one built for real."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from imgb.reconciler.cli import main
from imgb.reconciler.dockerfile_import import import_dockerfile
from imgb.reconciler.validate import validate_directory
from imgb.reconciler.views.diagnostics import render_human

CORPUS = Path(__file__).parent / "corpus"
CASES = sorted(p.name for p in CORPUS.iterdir() if (p / "Dockerfile").is_file())
_COPY = re.compile(r"^\s*COPY\s+(.*)$", re.M)


def convert(case: str) -> tuple[str, str]:
    d = CORPUS / case
    result = import_dockerfile((d / "Dockerfile").read_text(), "Dockerfile", name=case, template=True, context=d)
    assert result.hcl is not None, render_human(result.diagnostics, d)
    return result.hcl, render_human(result.diagnostics, d)


def test_the_corpus_is_big_enough() -> None:
    assert len(CASES) >= 15


@pytest.mark.parametrize("case", CASES)
def test_golden(case: str, update_golden: bool) -> None:
    hcl, diags = convert(case)
    for name, got in (("expected.imgb.hcl", hcl), ("expected.diagnostics.txt", diags)):
        path = CORPUS / case / name
        if update_golden:
            path.write_text(got)
            continue
        assert path.exists(), f"{case}/{name} is missing; run pytest --update-golden and review it"
        assert got == path.read_text(), f"{case}/{name} differs; run pytest --update-golden and review the diff"


def _stub_copy_sources(hcl: str, d: Path) -> None:
    """COPY sources live next to the configuration; the corpus has no build contexts, so stubs."""
    import json
    import shlex

    for args in _COPY.findall(hcl):
        words = json.loads(args) if args.startswith("[") else shlex.split(args)
        for src in words[:-1]:
            if src.startswith(("http://", "https://")):
                continue
            p = d / src
            if src.endswith("/"):
                p.mkdir(parents=True, exist_ok=True)
            elif not p.exists():
                p.parent.mkdir(parents=True, exist_ok=True)
                p.write_text("stub\n")


@pytest.mark.parametrize("case", CASES)
def test_result_validates(case: str, tmp_path: Path) -> None:
    hcl, _ = convert(case)
    (tmp_path / f"{case}.imgb.hcl").write_text(hcl)
    _stub_copy_sources(hcl, tmp_path)
    config, diags = validate_directory(tmp_path)
    assert config is not None and not diags.has_errors(), render_human(diags, tmp_path)
    assert f"component.{case}" in config.components and f"template.{case}" in config.templates


@pytest.mark.sandbox
def test_busybox_dockerfile_builds_with_the_local_provider(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The converted commands do what the Dockerfile did: its last RUN checks every rewrite."""
    src = CORPUS / "busybox-build"
    d = tmp_path / "repo"
    shutil.copytree(src / "files", d / "files")
    monkeypatch.setenv("IMGB_HOME", str(tmp_path / "store"))
    code = main(["import-dockerfile", str(src / "Dockerfile"), "--template", "--name", "app", "-o", str(d / "app.imgb.hcl")])
    assert code == 0
    code = main(["-C", str(d), "apply", "--auto-approve"])
    out, err = capsys.readouterr()
    assert code == 0, out + err
    assert "image.app: Built" in out


def test_cli_writes_a_component_only_by_default(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    df = tmp_path / "web" / "Dockerfile"
    df.parent.mkdir()
    df.write_text("FROM alpine:3.19\nRUN apk add --no-cache nginx\nEXPOSE 80\n")
    assert main(["import-dockerfile", str(df)]) == 0
    out, err = capsys.readouterr()
    assert 'component "web" {' in out and 'template "' not in out
    assert f"on {df} line 3:" in err and "Not carried over: EXPOSE is not supported" in err
    assert "Security groups" in err or "security groups" in err

    target = tmp_path / "web.imgb.hcl"
    assert main(["import-dockerfile", str(df), "-o", str(target)]) == 0
    capsys.readouterr()
    assert main(["import-dockerfile", str(df), "-o", str(target)]) == 1
    assert "Output file exists" in capsys.readouterr().err
    assert main(["import-dockerfile", str(df), "-o", str(target), "--force", "--name", "web2"]) == 0
    assert 'component "web2"' in target.read_text()


@pytest.mark.parametrize(
    ("text", "args", "message"),
    [
        ("RUN echo hi\n", [], "No FROM in the Dockerfile"),
        ("FROM alpine\nEXPOSE 80\n", [], "Nothing to import"),
        ("FROM alpine\nRUN true\n", ["--name", "1bad"], "Invalid name"),
    ],
)
def test_cli_errors_are_diagnostics(text: str, args: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    df = tmp_path / "Dockerfile"
    df.write_text(text)
    assert main(["import-dockerfile", str(df), *args]) == 1
    out, err = capsys.readouterr()
    assert f"Error: {message}" in err and out == ""
    assert main(["import-dockerfile", str(tmp_path / "missing")]) == 1
    assert "Cannot read the Dockerfile" in capsys.readouterr().err
