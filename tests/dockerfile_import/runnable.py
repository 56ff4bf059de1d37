"""The runnable variant of a real Dockerfile: what can build offline on busybox, with the
Dockerfile's own structure. Line-level edits only, each for a reason:

* every FROM of an image (not of an earlier stage) becomes ``FROM busybox``, whose tree is the
  comparison's base (``reference.make_base_rootfs``: its /bin/sh records a failing RUN instead of
  stopping the build);
* what cannot work offline, reads another stage or unpacks an archive is removed: COPY/ADD
  --from, ADD of URLs and of local archives, and RUN's --mount/--network/--security options (a cache mount has no effect on the files; the others
  make the import drop what they provide, which its warnings say);
* ``--link`` is removed from COPY/ADD (it changes caching only; buildah 1.28 does not know it);
* ONBUILD is removed: it does not act on this image's files, and buildah would run it when the
  comparison opens the result.

``None`` when the variant cannot be built by the reference (buildah 1.28 has no heredocs, no
COPY --parents or --exclude) or has nothing left to compare.
"""

from __future__ import annotations

import re

from imgb.reconciler.dockerfile_import.instructions import blank_words
from imgb.reconciler.dockerfile_import.parser import Instruction, parse

_ARCHIVE = re.compile(r"\.(tar|tar\.gz|tgz|tar\.bz2|tbz2?|tar\.xz|txz)$")


def runnable(text: str) -> tuple[str | None, str]:
    """(variant text or None, why not)."""
    parsed = parse(text)
    lines = text.split("\n")
    if lines and lines[0].startswith("\ufeff"):
        lines[0] = lines[0][1:]
    drop: set[int] = set()
    replace: dict[int, str] = {}
    names: set[str] = set()
    for ins in parsed.instructions:
        span = range(ins.line - 1, ins.end_line)
        if ins.heredocs:
            return None, "heredocs (buildah 1.28, the reference, has none)"
        if ins.keyword == "FROM":
            words = blank_words(ins.args)
            image = words[0] if words else ""
            alias = f" AS {words[2]}" if len(words) == 3 else ""
            if image.lower() in names:
                new = f"FROM {image}{alias}"
            else:
                new = f"FROM busybox{alias}"
            if len(words) == 3:
                names.add(words[2].lower())
            for k in span:
                drop.add(k)
            replace[ins.line - 1] = new
        elif ins.keyword == "ONBUILD":
            drop.update(span)  # no effect on this image's files; buildah runs it when the result is used
        elif ins.keyword in ("COPY", "ADD"):
            flags = [f.split("=", 1)[0] for f in ins.flags]
            sources = (ins.json or blank_words(ins.args))[:-1]
            remote = any(re.match(r"^(https?|git)://|^git@", s) for s in sources)
            archive = ins.keyword == "ADD" and any(_ARCHIVE.search(s) for s in sources)
            if "--from" in flags or remote or archive:
                drop.update(span)
            elif "--parents" in flags or "--exclude" in flags:
                return None, f"{ins.keyword} --parents/--exclude (buildah 1.28, the reference, has neither)"
            elif "--link" in flags or "--link=true" in ins.flags:
                _strip_flags(lines, ins, ("--link",))
        elif ins.keyword == "RUN" and ins.flags:
            _strip_flags(lines, ins, tuple(ins.flags))
    out: list[str] = []
    for k, line in enumerate(lines):
        if k in replace:
            out.append(replace[k])
        elif k not in drop:
            out.append(line)
    return "\n".join(out), ""


def _strip_flags(lines: list[str], ins: Instruction, flags: tuple[str, ...]) -> None:
    for flag in flags:
        for k in range(ins.line - 1, ins.end_line):
            pattern = re.escape(flag) + r"(=(\"[^\"]*\"|\S*))?"
            m = re.search(r"(^|\s)" + pattern + r"(?=\s|$)", lines[k])
            if m:
                lines[k] = lines[k][: m.start()] + m.group(1) + lines[k][m.end():]
                break
