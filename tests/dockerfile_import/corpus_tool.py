"""Curating the Dockerfile corpus (run by hand, not by the tests):

    python tests/dockerfile_import/corpus_tool.py context CASE...   # make context/ for COPY/ADD sources
    python tests/dockerfile_import/corpus_tool.py classify CASE...  # try the reference build, write BUILD

A real Dockerfile comes without its repository, so the files its COPY and ADD name are made here:
small, deterministic, with the shapes that matter to Docker's semantics (a directory holds a nested
directory, a dot file, an executable, a private file and mode, a symlink; a wildcard gets matches and
near misses in other directories). ``BUILD`` records whether the runnable variant builds with the
reference (buildah) and, if not, why.
"""

from __future__ import annotations

import os
import posixpath
import re
import sys
import tarfile
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run as a script: the repository's tests package

from imgb.reconciler.dockerfile_import.instructions import blank_words  # noqa: E402
from imgb.reconciler.dockerfile_import.parser import parse  # noqa: E402
from imgb.reconciler.dockerfile_import.shell import Lexer  # noqa: E402

CORPUS = Path(__file__).parent / "corpus"
FILE_NAMES = {"Dockerfile", "Makefile", "LICENSE", "Gemfile", "hadolint", "hello", "crontab", "vimrc", "null", "nullfile",
              "foo", "script", "start", "bashrc", "passwd", "group"}
ARCHIVE = re.compile(r"\.(tar|tar\.gz|tgz|tar\.bz2|tar\.xz)$")


def sources(text: str) -> list[str]:
    """COPY/ADD sources of the build context, variables expanded with every ARG default and ENV
    value met so far (stage scopes ignored: good enough to know which files to make)."""
    parsed = parse(text)
    env: dict[str, str] = {}
    lx = Lexer(parsed.escape)
    out: list[str] = []
    for ins in parsed.instructions:
        if ins.keyword == "ARG":
            for word in ins.args.split():
                k, eq, v = word.partition("=")
                if eq:
                    env[k] = _try(lx, v, env)
        elif ins.keyword == "ENV" and "=" in ins.args.split()[0] if ins.args.split() else False:
            for word in ins.args.split():
                k, eq, v = word.partition("=")
                if eq:
                    env[_try(lx, k, env)] = _try(lx, v, env)
        elif ins.keyword in ("COPY", "ADD") and not any(f.startswith("--from") for f in ins.flags):
            words = ins.json if ins.json is not None else blank_words(ins.args)
            for w in words[:-1]:
                if w.startswith("<<") or re.match(r"^(https?|git)://|^git@", w):
                    continue
                out.append(_try(lx, w, env))
    return out


def _try(lx: Lexer, word: str, env: dict[str, str]) -> str:
    try:
        return lx.word(word, env)
    except Exception:
        return word


def write(path: Path, text: str, mode: int = 0o644) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        path.write_text(text)
    os.chmod(path, mode)


def make_dir(root: Path, rel: str) -> None:
    d = root / rel if rel else root
    d.mkdir(parents=True, exist_ok=True)
    os.chmod(d, 0o755)
    label = rel or "the context"
    write(d / "README.txt", f"readme of {label}\n")
    write(d / "sub" / "inner.txt", f"inner file of {label}\n")
    write(d / ".hidden", f"dot file of {label}\n")
    write(d / "run.sh", f"#!/bin/sh\necho {label}\n", 0o755)
    write(d / "private" / "notes.txt", f"private file of {label}\n", 0o600)
    os.chmod(d / "private", 0o700)
    link = d / "link-to-readme"
    if not os.path.lexists(link):
        os.symlink("README.txt", link)


def make_file(root: Path, rel: str) -> None:
    name = posixpath.basename(rel)
    if ARCHIVE.search(name):
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        if not p.exists():
            with tempfile.TemporaryDirectory() as t:
                Path(t, "from-archive.txt").write_text(f"inside {name}\n")
                mode = "w:gz" if name.endswith(("gz", "tgz")) else "w:bz2" if "bz2" in name else "w:xz" if "xz" in name else "w"
                with tarfile.open(p, mode) as tf:
                    tf.add(Path(t, "from-archive.txt"), "from-archive.txt")
        return
    executable = name.endswith(".sh") or "entrypoint" in name or name in ("hello", "hadolint", "start")
    body = f"#!/bin/sh\necho {name}\n" if executable else f"content of {rel}\n"
    write(root / rel, body, 0o755 if executable else 0o644)


def wildcard_examples(component: str) -> list[str]:
    base = re.sub(r"\[!?\^?([^\]])[^\]]*\]", r"\1", component)
    plain = base.replace("?", "x")
    if "*" not in plain:
        return [plain]
    return [plain.replace("*", "", 1).replace("*", ""), plain.replace("*", "-extra", 1).replace("*", "")]


def make_context(case: Path) -> None:
    text = (case / "Dockerfile").read_text(encoding="utf-8")
    srcs = sources(text)
    if not srcs:
        return
    root = case / "context"
    root.mkdir(exist_ok=True)
    for src in srcs:
        rel = posixpath.normpath("/" + src).lstrip("/")
        if any(c in rel for c in "*?["):
            parts = rel.split("/")
            for last in wildcard_examples(parts[-1]):
                dirs = [wildcard_examples(p)[0] for p in parts[:-1]]
                make_file(root, "/".join([*dirs, last]))
            # Near misses: the same name one directory down, and another extension.
            make_file(root, "/".join([*[wildcard_examples(p)[0] for p in parts[:-1]], "nested", wildcard_examples(parts[-1])[0]]))
            make_file(root, "/".join([*[wildcard_examples(p)[0] for p in parts[:-1]], "other.unmatched"]))
        elif rel == "" or src.endswith("/") or ("." not in posixpath.basename(rel) and posixpath.basename(rel) not in FILE_NAMES):
            make_dir(root, rel)
        else:
            make_file(root, rel)


def classify(case: str) -> str:
    """Build the case both ways and write BUILD: buildable (the trees are the same), or why not."""
    from tests.dockerfile_import.corpus_cases import import_case, prepare_context
    from tests.dockerfile_import.reference import Workbench
    from tests.dockerfile_import.runnable import runnable
    from tests.dockerfile_import.test_behaviour import compare

    bench = Workbench(Path(os.environ.get("IMGB_BENCH_DIR", "/tmp/imgb-dockerfile-bench")))
    text = (CORPUS / case / "Dockerfile").read_text(encoding="utf-8")
    try:
        variant, why = runnable(text)
    except Exception as e:  # the parser refuses it
        variant, why = None, f"BuildKit refuses the file ({e})"
    if variant is None:
        status = f"not buildable: {why}"
    else:
        with tempfile.TemporaryDirectory(dir=bench.root) as t:
            ctx = prepare_context(case, Path(t) / "probe") or Path(t) / "probe"
            ctx.mkdir(exist_ok=True)
            result = import_case(case, ctx, text=variant)
            if result.hcl is None:
                errors = [d.summary for d in result.diagnostics.items if d.severity == "error"]
                status = f"not buildable: the import refuses it ({'; '.join(errors)})"
            else:
                before = (CORPUS / case / "BUILD").read_text().strip() if (CORPUS / case / "BUILD").exists() else ""
                files_only = before.startswith("buildable (files only")
                try:
                    diffs = compare(bench, case, Path(t) / "run", config=not files_only)
                except RuntimeError as e:
                    first = str(e).strip().splitlines()[0][:300]
                    status = f"not buildable: {first}"
                else:
                    ok = before if files_only else "buildable"
                    status = ok if not diffs else "DIFFERS:\n" + "\n".join(diffs[:50])
    (CORPUS / case / "BUILD").write_text(status + "\n")
    return status


MODES = "context.modes"


def record_modes(case: Path) -> None:
    """Git keeps only the executable bit of files: the other modes the context needs are listed
    in context.modes and set again by the tests (``prepare_context``)."""
    root = case / "context"
    if not root.is_dir():
        return
    lines = []
    for dirpath, dirnames, filenames in os.walk(root):
        for name in sorted(dirnames + filenames):
            p = Path(dirpath, name)
            st = os.lstat(p)
            if os.path.islink(p):
                continue
            mode = st.st_mode & 0o7777
            default = 0o755 if p.is_dir() or mode & 0o100 else 0o644
            if mode != default:
                lines.append(f"{mode:o} {p.relative_to(root).as_posix()}")
    target = case / MODES
    if lines:
        target.write_text("\n".join(sorted(lines, key=lambda ln: ln.split(" ", 1)[1])) + "\n")
    elif target.exists():
        target.unlink()


def main(argv: list[str]) -> int:
    cmd, cases = argv[0], argv[1:]
    for name in cases:
        case = CORPUS / name if not os.path.isdir(name) else Path(name)
        if cmd == "context":
            make_context(case)
            record_modes(case)
            print("context", case.name)
        elif cmd == "modes":
            record_modes(case)
        elif cmd == "classify":
            print(case.name, classify(case.name), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
