"""imgb/dataclass_code.py: the methods ``dataclasses`` generates, compiled once and kept on disk.
The classes made through the cache (empty, then warm) are the classes made without it: every
generated method's code is compared, for imgb's own dataclasses (as the front door loads them)
and for a sample of every kind of declaration."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

DIGEST = r'''
import dataclasses, hashlib, marshal, re, sys
{install}
import imgb.reconciler.validate, imgb.reconciler.operations.plan, imgb.reconciler.cli_plan
from dataclasses import dataclass, field, InitVar, KW_ONLY
from typing import ClassVar

@dataclass
class Plain:
    a: int
    b: list[int] = field(default_factory=list)
    c: ClassVar[int] = 1

@dataclass(frozen=True, order=True)
class Frozen:
    a: str = "x"
    b: int = field(default=2, compare=False, repr=False)

@dataclass(kw_only=True, slots=True)
class Slots:
    a: int
    _: KW_ONLY
    b: InitVar[int] = 0
    c: int = field(init=False, default=3)
    def __post_init__(self, b: int) -> None:
        self.c = b

@dataclass(unsafe_hash=True, eq=True)
class Hashed:
    a: tuple[int, ...] = ()

def parts(code):
    consts = tuple(parts(c) if hasattr(c, "co_code") else c for c in code.co_consts)
    return (code.co_code, consts, code.co_names, code.co_varnames, code.co_freevars, code.co_flags, code.co_name)

h = hashlib.sha256()
seen = 0
for module in sorted(sys.modules):
    for value in list(vars(sys.modules[module]).values()):
        if isinstance(value, type) and dataclasses.is_dataclass(value) and value.__module__ == module:
            for name in ("__init__", "__repr__", "__eq__", "__hash__", "__setattr__", "__delattr__", "__lt__"):
                fn = value.__dict__.get(name)
                if fn is not None and hasattr(fn, "__code__"):
                    text = repr((module, value.__qualname__, name, parts(fn.__code__), fn.__annotations__, fn.__defaults__,
                                 fn.__kwdefaults__))
                    h.update(re.sub(" at 0x[0-9a-f]+", "", text).encode())  # a default's address differs per process
                    seen += 1
print(seen, h.hexdigest())
'''


INSTALL = "import imgb.dataclass_code as d; d.cache_file = lambda: {path!r}; d.install()"
"""The cache, kept in the test's directory rather than beside imgb's bytecode."""


def digest(tmp: Path, install: bool) -> str:
    code = DIGEST.replace("{install}", INSTALL.format(path=str(cache_file(tmp))) if install else "")
    # one hash seed: the compiler orders a closure's variables by hash, a difference of naming only
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    ran = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert ran.returncode == 0, ran.stderr
    return ran.stdout


def test_classes_made_through_the_cache_are_the_classes_made_without_it(tmp_path: Path) -> None:
    plain = digest(tmp_path, install=False)
    assert int(plain.split()[0]) > 300  # imgb's dataclasses and the samples, several methods each
    cold = digest(tmp_path, install=True)  # compiles, then writes the file at exit
    cached = cache_file(tmp_path)
    assert cached.exists() and cached.stat().st_mode & 0o022 == 0  # as .pyc files: nobody else writes it
    warm = digest(tmp_path, install=True)  # every method's code from the file
    assert plain == cold == warm


def test_an_unreadable_cache_only_costs_the_compile(tmp_path: Path) -> None:
    plain = digest(tmp_path, install=False)
    cached = cache_file(tmp_path)
    cached.parent.mkdir(parents=True, exist_ok=True)
    for junk in (b"", b"not marshal", bytes(range(256)), b"\xfb" * 100):
        cached.write_bytes(junk)
        assert digest(tmp_path, install=True) == plain
    digest(tmp_path, install=True)  # a good file, then every entry in it damaged
    import marshal

    texts = list(marshal.loads(cached.read_bytes()))
    cached.write_bytes(marshal.dumps({t: [b"junk", marshal.dumps(7), b""][i % 3] for i, t in enumerate(texts)}))
    assert digest(tmp_path, install=True) == plain
    cached.unlink()
    cached.mkdir()  # not even a file: nothing written, nothing broken
    assert digest(tmp_path, install=True) == plain


def cache_file(tmp: Path) -> Path:
    return tmp / "dataclass-code.marshal"


def test_it_sits_beside_imgb_s_bytecode_or_nowhere() -> None:
    """Never in the cache directory, which may be inside a checkout: a code object runs whatever it says."""
    script = "import imgb.dataclass_code as d; print(d.cache_file())"
    for extra, expected in (({}, ROOT / "imgb" / "__pycache__"), ({"PYTHONDONTWRITEBYTECODE": "1"}, None),
                            ({"PYTHONPYCACHEPREFIX": "/tmp/elsewhere"}, None)):
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX")} | extra
        ran = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, cwd=ROOT, timeout=60)
        where = ran.stdout.strip()
        if expected is None:
            assert where == "None", extra
        else:
            assert Path(where).parent == expected and sys.implementation.cache_tag in where, where


def test_the_front_door_uses_it(tmp_path: Path) -> None:
    path = cache_file(tmp_path)
    script = (f"import sys; sys.argv = ['imgb', '-chdir=examples/quickstart', 'validate']; {INSTALL.format(path=str(path))}; "
              "from imgb.reconciler.launch import main; main()")
    for _ in range(2):
        ran = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=120)
        assert ran.returncode == 0 and "Success!" in ran.stdout, ran.stderr
    assert path.stat().st_size > 10_000
