"""imgb/deferred.py: stand-ins for standard-library modules a command seldom uses. Every use of a
deferred module must behave as with the module imported up front, and a plain command must not
load them."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

USES = r'''
import sys
from imgb.deferred import DEFERRED, Deferred, defer
loaded = [m for m in DEFERRED if m in sys.modules]   # a .pth file of the test environment imports pathlib
assert loaded in ([], ["ipaddress"]), loaded
defer()
import dataclasses, pathlib, urllib.parse
assert all(type(sys.modules[m]) is Deferred for m in DEFERRED if m not in loaded)

@dataclasses.dataclass
class NoDoc:
    a: list
print(NoDoc.__doc__)                                   # inspect.signature, through dataclasses
nested = NoDoc([[1], {"k": [2]}])
copied = dataclasses.asdict(nested)                    # copy.deepcopy, through dataclasses
assert copied == {"a": [[1], {"k": [2]}]} and copied["a"][0] is not nested.a[0]
print(urllib.parse.urlsplit("http://[::1]:80/x").hostname)   # ipaddress, through urllib.parse
import importlib.util
assert importlib.util.find_spec("copy").name == "copy"     # reads __spec__ (from the real module)
import inspect, copy, ipaddress
from inspect import Parameter
print(inspect.isfunction(defer), copy.copy([1]) == [1], ipaddress.ip_network("10.0.0.0/8").num_addresses, Parameter.KEYWORD_ONLY.name)
print(sorted(m for m in DEFERRED if type(sys.modules[m]) is Deferred))
'''


def test_every_use_of_a_deferred_module_gets_the_real_one() -> None:
    ran = subprocess.run([sys.executable, "-c", USES], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.splitlines() == ["NoDoc(a: list)", "::1", "True True 16777216 KEYWORD_ONLY", "[]"]


def test_validate_and_plan_of_the_quickstart_do_not_load_them(tmp_path: Path) -> None:
    work = tmp_path / "quickstart"
    shutil.copytree(ROOT / "examples" / "quickstart", work, ignore=shutil.ignore_patterns(".imgb", "imgb.state.json*"))
    probe = (
        "import sys\n"
        "loaded = [m for m in ('copy', 'inspect', 'ipaddress') if m in sys.modules]\n"
        "assert loaded in ([], ['ipaddress']), loaded\n"
        "from imgb.reconciler.launch import main\n"
        "sys.argv = ['imgb', sys.argv[1]]\n"
        "code = main()\n"
        "from imgb.deferred import Deferred\n"
        "print(sorted(m for m in ('copy', 'inspect', 'ipaddress') if m not in loaded and type(sys.modules[m]) is not Deferred))\n"
        "sys.exit(code)\n"
    )
    env = {**os.environ, "IMGB_CACHE_DIR": str(tmp_path / "cache"), "IMGB_HOME": str(tmp_path / "home")}
    apply = [sys.executable, "-m", "imgb.reconciler.cli", "apply", "-auto-approve"]
    subprocess.run(apply, capture_output=True, cwd=work, env=env, timeout=300, check=True)
    for command in ("validate", "plan"):  # what users run most: after an apply, nothing to do
        ran = subprocess.run([sys.executable, "-c", probe, command], capture_output=True, text=True, cwd=work, env=env, timeout=120)
        assert ran.returncode == 0, ran.stderr
        assert ran.stdout.splitlines()[-1] == "[]", (command, ran.stdout, ran.stderr)
