"""A translation as Image Builder sees it: the component's content out of the HCL, and its RUN
commands run one by one with /bin/sh -c, ENV applied, as the local provider runs them (without
the sandbox: these commands only print and write relative files)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from imgb.commands.parse import parse_dockerfile

PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def component_content(hcl: str) -> str:
    """The component's content (HCL's heredoc indentation and $${ escapes gone)."""
    m = re.search(r"content\s*=\s*<<-(\w+)\n(.*?)\n\s*\1\n", hcl, re.S)
    assert m is not None, hcl
    lines = m.group(2).split("\n")
    indent = min(len(ln) - len(ln.lstrip(" ")) for ln in lines if ln.strip())
    return "\n".join(ln[indent:] for ln in lines).replace("$${", "${").replace("%%{", "%{") + "\n"


def run_commands(content: str, cwd: Path) -> tuple[int, str]:
    """(exit status of the first failing RUN or 0, what the RUN commands printed)."""
    instructions, problems = parse_dockerfile(content)
    assert not problems, problems
    env = {"PATH": PATH}
    out = []
    for ins in instructions:
        if ins.name == "ENV":
            env.update(dict(ins.pairs))
        elif ins.name == "RUN":
            res = subprocess.run(["/bin/sh", "-c", ins.args], capture_output=True, text=True, env=env, cwd=cwd)
            out.append(res.stdout)
            if res.returncode:
                return res.returncode, "".join(out)
    return 0, "".join(out)
