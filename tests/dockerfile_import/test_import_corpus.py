"""imgb import-dockerfile over the corpus of real Dockerfiles (see corpus_cases.py): golden HCL
and diagnostics per Dockerfile, every result valid for imgb validate, and the CLI."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from imgb.reconciler.cli import main
from imgb.reconciler.validate import validate_directory
from imgb.reconciler.views.diagnostics import render_human
from tests.dockerfile_import.corpus_cases import CASES, CORPUS, import_case, is_real, prepare_context


def test_the_corpus_is_big_enough() -> None:
    real = [c for c in CASES if is_real(c)]
    assert len(real) >= 100
    for case in real:
        source = (CORPUS / case / "SOURCE").read_text()
        assert "repo:" in source and "path:" in source and "commit:" in source, case


@pytest.mark.parametrize("case", CASES)
def test_golden(case: str, update_golden: bool, tmp_path: Path) -> None:
    result = import_case(case, prepare_context(case, tmp_path / "context"))
    diags = render_human(result.diagnostics, CORPUS / case)
    outputs = {"expected.diagnostics.txt": diags, "expected.imgb.hcl": result.hcl}
    for name, got in outputs.items():
        path = CORPUS / case / name
        if update_golden:
            if got is None:
                path.unlink(missing_ok=True)
            else:
                path.write_text(got)
            continue
        if got is None:
            assert not path.exists(), f"{case}: the import failed but {name} exists; run pytest --update-golden"
            continue
        assert path.exists(), f"{case}/{name} is missing; run pytest --update-golden and review it"
        assert got == path.read_text(), f"{case}/{name} differs; run pytest --update-golden and review the diff"


@pytest.mark.parametrize("case", CASES)
def test_result_validates(case: str, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    context = prepare_context(case, repo)
    repo.mkdir(exist_ok=True)
    result = import_case(case, context)
    if result.hcl is None:
        assert result.diagnostics.has_errors()
        return
    (repo / "main.imgb.hcl").write_text(result.hcl)
    if context is None:
        _stub_copy_sources(result.hcl, repo)
    config, diags = validate_directory(repo)
    assert config is not None and not diags.has_errors(), render_human(diags, repo)


def _stub_copy_sources(hcl: str, d: Path) -> None:
    """Without a build context, COPY names files the configuration directory lacks: stubs."""
    import json
    import re
    import shlex

    for args in re.findall(r"^\s*COPY\s+(.*)$", hcl, re.M):
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


@pytest.mark.sandbox
def test_busybox_dockerfile_builds_with_the_local_provider(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The converted commands do what the Dockerfile did: its last RUN checks every rewrite."""
    src = CORPUS / "busybox-build"
    d = tmp_path / "repo"
    shutil.copytree(src / "context", d)
    monkeypatch.setenv("IMGB_HOME", str(tmp_path / "store"))
    monkeypatch.chdir(d)
    code = main(["import-dockerfile", str(src / "Dockerfile"), "--template", "--name", "app", "--context", str(d),
                 "-o", str(d / "app.imgb.hcl")])
    assert code == 0
    code = main(["-C", str(d), "apply", "--auto-approve"])
    out, err = capsys.readouterr()
    assert code == 0, out + err
    assert "image.app: Built" in out


def test_cli_writes_a_component_only_by_default(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    df = tmp_path / "web" / "Dockerfile"
    df.parent.mkdir()
    df.write_text("FROM alpine:3.19\nRUN apk add --no-cache nginx\nEXPOSE 80\n")
    monkeypatch.chdir(df.parent)
    assert main(["import-dockerfile", str(df)]) == 0
    out, err = capsys.readouterr()
    assert 'component "web" {' in out and 'template "' not in out
    assert f"on {df} line 3:" in err and "Not carried over: EXPOSE" in err
    assert "security groups" in err

    target = tmp_path / "web.imgb.hcl"
    assert main(["import-dockerfile", str(df), "-o", str(target)]) == 0
    capsys.readouterr()
    assert main(["import-dockerfile", str(df), "-o", str(target)]) == 1
    assert "Output file exists" in capsys.readouterr().err
    assert main(["import-dockerfile", str(df), "-o", str(target), "--force", "--name", "web2"]) == 0
    assert 'component "web2"' in target.read_text()


def test_cli_takes_terraform_style_one_dash_flags(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    df = tmp_path / "Dockerfile"
    df.write_text("FROM busybox AS base\nARG TARGETARCH\nARG V=1\nRUN echo $V $TARGETARCH\nFROM base\nRUN echo last\n")
    monkeypatch.chdir(tmp_path)
    target = tmp_path / "x.imgb.hcl"
    args = ["-name=web", "-template", "-target", "base", "-platform=linux/arm64", "-build-arg", "V=2",
            "-context", str(tmp_path), f"-out={target}", "-force"]
    assert main(["import-dockerfile", str(df), *args]) == 0, capsys.readouterr().err
    hcl = target.read_text()
    assert 'component "web"' in hcl and 'template "web"' in hcl
    assert "export TARGETARCH=arm64 V=2; echo $V $TARGETARCH" in hcl and "echo last" not in hcl


@pytest.mark.parametrize(
    ("text", "args", "message"),
    [
        ("RUN echo hi\n", [], "RUN before FROM"),
        ("FROM alpine\nEXPOSE 80\n", [], "Nothing to import"),
        ("FROM alpine\nRUN true\n", ["--name", "1bad"], "Invalid name"),
        ("FROM alpine\nRUN true\n", ["--platform", "amd64"], "Invalid platform"),
        ("FROM alpine\nRUN true\n", ["--build-arg", "NOVALUE"], "Invalid --build-arg"),
        ("FROM alpine\nRUN true\n", ["--target", "nope"], "No such target stage"),
        ("FROM alpine\nCOPY missing.txt /\n", [], "COPY source not in the build context"),
    ],
)
def test_cli_errors_are_diagnostics(text: str, args: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    df = tmp_path / "Dockerfile"
    df.write_text(text)
    monkeypatch.chdir(tmp_path)
    assert main(["import-dockerfile", str(df), *args]) == 1
    out, err = capsys.readouterr()
    assert f"Error: {message}" in err and out == ""
    assert main(["import-dockerfile", str(tmp_path / "missing")]) == 1
    assert "Cannot read the Dockerfile" in capsys.readouterr().err
