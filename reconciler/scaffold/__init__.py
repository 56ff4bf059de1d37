"""`imgb init`: a new working repository: a configuration, a .gitignore, and the CI workflows for
GitHub Actions and GitLab CI with their helper and the pinned imgb they install.

The configuration (``main.imgb.hcl``, ``.gitignore``) goes into the directory given; the CI files
go into the root of the Git repository that directory is in (the directory itself when it is in
none), and the workflows name the directory as ``IMGB_DIR``. The files are package data under
``templates/`` (named without leading dots, so packaging tools keep them), rendered by
``render``: ``#@ if FLAG`` ... ``#@ end`` lines keep what applies to the provider and backend, and
``@IMGB_DIR@``-style words are replaced. ``examples/gitops`` carries the workflows as ``imgb init``
writes them for a configuration at the root, and a test keeps the two identical.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from importlib import metadata, resources
from pathlib import Path, PurePosixPath

from imgb.diagnostics import Diagnostics
from imgb.reconciler.fmt import format_source

PROVIDERS = ("local", "alicloud")
BACKENDS = ("local", "pg")

CONFIG_FILES: dict[str, str] = {
    "main.imgb.hcl": "main.imgb.hcl",
    "policy/sharing.rego": "policy-sharing.rego",
    "policy/sharing_test.rego": "policy-sharing_test.rego",
    "policy/base_images.rego": "policy-base_images.rego",
    "policy/base_images_test.rego": "policy-base_images_test.rego",
}
"""Written into the configuration directory: the configuration and two example policies with
their tests (docs/guardrails.md)."""
GITIGNORE = ".gitignore"
"""Merged into the configuration directory's .gitignore."""
CI_FILES: dict[str, str] = {
    ".github/workflows/imgb.yml": "github-workflow.yml",
    ".gitlab-ci.yml": "gitlab-ci.yml",
    "ci/imgb/ci.py": "ci.py",
    "ci/imgb/requirements.txt": "requirements.txt",
}
"""Written into the repository's root."""
WORKFLOWS = (".github/workflows/imgb.yml", ".gitlab-ci.yml")


@dataclass(frozen=True)
class Options:
    provider: str = "local"
    backend: str = "local"
    imgb_dir: str = "."
    requirement: str | None = None
    """The pinned pip requirement for imgb; None writes only the commented examples."""

    @property
    def flags(self) -> frozenset[str]:
        return frozenset({self.provider, f"backend-{self.backend}"})

    @property
    def requirement_name(self) -> str:
        return "imgb[pg,alicloud]" if self.provider == "alicloud" else "imgb[pg]"


def template_text(name: str) -> str:
    return resources.files(__package__).joinpath("templates", name).read_text(encoding="utf-8")


def _select(text: str, flags: frozenset[str]) -> str:
    out: list[str] = []
    keep: bool | None = None
    for line in text.splitlines(keepends=True):
        directive = line.strip()
        if directive.startswith("#@ if "):
            keep = directive[len("#@ if "):] in flags
        elif directive == "#@ end":
            keep = None
        elif keep is not False:
            out.append(line)
    return "".join(out)


def render(name: str, options: Options) -> str:
    """The text of the template ``name`` for these options."""
    requirement = options.requirement or (
        f"# {options.requirement_name} @ <pin imgb here: a commit or an archive with its hash, as above>"
    )
    text = _select(template_text(name), options.flags)
    for word, value in (
        ("@IMGB_DIR@", options.imgb_dir),
        ("@REQUIREMENT_NAME@", options.requirement_name),
        ("@REQUIREMENT@", requirement),
    ):
        text = text.replace(word, value)
    if name.endswith(".hcl"):
        formatted, _ = format_source(text, name)
        assert formatted is not None, f"the scaffold's {name} does not parse"
        text = formatted
    return text


def file_text(dest: str, options: Options | None = None) -> str:
    """The text ``imgb init`` writes at ``dest`` (a key of ``CONFIG_FILES`` or ``CI_FILES``, or
    ``.gitignore``) for a new repository with these options (default: local provider and state)."""
    templates = {**CONFIG_FILES, **CI_FILES, GITIGNORE: "gitignore"}
    return render(templates[dest], options or Options())


def installed_requirement(name: str) -> str | None:
    """A pinned requirement for the imgb that is running, when pip recorded where it came from
    (PEP 610): a Git commit, or an archive with its SHA-256. An imgb installed by name from an
    index, or from a local directory, has no such record: then the user pins it."""
    try:
        text = metadata.distribution("imgb").read_text("direct_url.json")
    except metadata.PackageNotFoundError:
        return None
    if not text:
        return None
    data = json.loads(text)
    url = str(data.get("url", ""))
    vcs = data.get("vcs_info") or {}
    if vcs.get("vcs") == "git" and re.fullmatch(r"[0-9a-f]{40}", str(vcs.get("commit_id", ""))):
        return f"{name} @ git+{url}@{vcs['commit_id']}"
    archive = data.get("archive_info") or {}
    sha = (archive.get("hashes") or {}).get("sha256") or str(archive.get("hash", "")).removeprefix("sha256=")
    if re.fullmatch(r"[0-9a-f]{64}", sha or ""):
        return f"{name} @ {url.split('#')[0]}#sha256={sha}"
    return None


def repository_root(directory: Path) -> Path:
    """The Git work tree ``directory`` is in (it may not exist yet), or ``directory`` itself."""
    probe = directory.resolve()
    for candidate in (probe, *probe.parents):
        if (candidate / ".git").exists():
            return candidate
    return probe


def merge_gitignore(existing: str, lines: str) -> str | None:
    """``existing`` with the scaffold's lines it lacks appended, or None when it has them all."""
    have = {ln.strip() for ln in existing.splitlines()}
    missing = [ln for ln in lines.splitlines() if ln.strip() and not ln.startswith("#") and ln.strip() not in have]
    if not missing:
        return None
    head = existing if not existing or existing.endswith("\n") else existing + "\n"
    return head + ("\n" if head else "") + "# imgb: added by imgb init\n" + "".join(f"{ln}\n" for ln in missing)


@dataclass
class InitResult:
    written: list[Path] = field(default_factory=list)
    updated: list[Path] = field(default_factory=list)
    root: Path | None = None
    imgb_dir: str = "."
    pinned: bool = False
    diagnostics: Diagnostics = field(default_factory=Diagnostics)


def scaffold(directory: Path, *, provider: str = "local", backend: str = "local", force: bool = False) -> InitResult:
    """Write the files (see the module docstring). Without ``force`` nothing is written when the
    configuration or a CI file exists already: a half-initialised repository helps nobody. An
    existing .gitignore gets the lines it lacks."""
    result = InitResult()
    if directory.exists() and not directory.is_dir():
        result.diagnostics.error(
            "Not a directory",
            f"{directory} exists and is not a directory. Give imgb init a directory to create the repository in.",
        )
        return result
    for value, allowed, flag in ((provider, PROVIDERS, "--provider"), (backend, BACKENDS, "--backend")):
        if value not in allowed:
            result.diagnostics.error(
                f"Invalid {flag}",
                f"{flag} {value!r} is not one of {', '.join(allowed)}; nothing was written.",
            )
    if result.diagnostics.has_errors():
        return result
    root = repository_root(directory)
    imgb_dir = PurePosixPath(*directory.resolve().relative_to(root).parts).as_posix() or "."
    name = Options(provider=provider).requirement_name
    options = Options(provider, backend, imgb_dir, installed_requirement(name))
    targets = {directory / dest: dest for dest in CONFIG_FILES} | {root / dest: dest for dest in CI_FILES}
    existing = [path for path in targets if path.exists()]
    if existing and not force:
        names = ", ".join(str(p) for p in existing)
        result.diagnostics.error(
            "Files already exist",
            f"imgb init does not overwrite files, and {names} already exist(s); nothing was written. "
            "Move them away, or run imgb init --force to replace them with the scaffold's versions.",
        )
        return result
    others = sorted(p.name for p in directory.glob("*.imgb.hcl") if p.name not in CONFIG_FILES) if directory.is_dir() else []
    if others:
        result.diagnostics.warning(
            "Other configuration files in the directory",
            f"{directory} already has {', '.join(others)}; together with main.imgb.hcl they form one "
            "configuration, which may now declare blocks twice. Run imgb validate.",
        )
    for path, dest in targets.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(file_text(dest, options), encoding="utf-8")
        if dest.endswith(".py"):
            os.chmod(path, 0o755)
        result.written.append(path)
    ignore = directory / GITIGNORE
    old = ignore.read_text(encoding="utf-8") if ignore.exists() else ""
    merged = merge_gitignore(old, file_text(GITIGNORE, options))
    if merged is not None:
        ignore.write_text(merged if old else file_text(GITIGNORE, options), encoding="utf-8")
        (result.updated if old else result.written).append(ignore)
    result.root, result.imgb_dir, result.pinned = root, imgb_dir, options.requirement is not None
    return result
