"""`imgb init`: a new working repository: a configuration for the local provider, a .gitignore,
and the CI workflows for GitHub Actions and GitLab CI.

The files are package data under ``templates/`` (named without leading dots, so packaging tools
keep them); ``FILES`` maps each destination to its template. ``examples/gitops`` carries the same
workflows, and a test keeps the two identical.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from imgb.diagnostics import Diagnostics

FILES: dict[str, str] = {
    "main.imgb.hcl": "main.imgb.hcl",
    ".gitignore": "gitignore",
    ".github/workflows/imgb.yml": "github-workflow.yml",
    ".gitlab-ci.yml": "gitlab-ci.yml",
}
WORKFLOWS = (".github/workflows/imgb.yml", ".gitlab-ci.yml")


def template_text(name: str) -> str:
    return resources.files(__package__).joinpath("templates", name).read_text(encoding="utf-8")


def file_text(dest: str) -> str:
    """The text ``imgb init`` writes at ``dest`` (a key of ``FILES``)."""
    return template_text(FILES[dest])


@dataclass
class InitResult:
    written: list[str] = field(default_factory=list)
    diagnostics: Diagnostics = field(default_factory=Diagnostics)


def scaffold(directory: Path, *, force: bool = False) -> InitResult:
    """Write the files into ``directory`` (created if missing). Without ``force`` nothing is
    written when any of them exists already: a half-initialised repository helps nobody."""
    result = InitResult()
    if directory.exists() and not directory.is_dir():
        result.diagnostics.error(
            "Not a directory",
            f"{directory} exists and is not a directory. Give imgb init a directory to create the repository in.",
        )
        return result
    existing = [dest for dest in FILES if (directory / dest).exists()]
    if existing and not force:
        names = ", ".join(str(directory / dest) for dest in existing)
        result.diagnostics.error(
            "Files already exist",
            f"imgb init does not overwrite files, and {names} already exist(s); nothing was written. "
            "Move them away, or run imgb init --force to replace them with the scaffold's versions.",
        )
        return result
    others = sorted(p.name for p in directory.glob("*.imgb.hcl") if p.name not in FILES) if directory.is_dir() else []
    if others:
        result.diagnostics.warning(
            "Other configuration files in the directory",
            f"{directory} already has {', '.join(others)}; together with main.imgb.hcl they form one "
            "configuration, which may now declare blocks twice. Run imgb validate.",
        )
    for dest in FILES:
        path = directory / dest
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(file_text(dest), encoding="utf-8")
        result.written.append(dest)
    return result
