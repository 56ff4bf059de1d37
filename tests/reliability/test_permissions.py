"""Files and permissions: what holds anything sensitive is owner-only whatever the umask, nothing
imgb creates is writable by others, and a saved plan is checked before use.

Under a umask of 0o022 and of 0o000: a real apply (a build, a copy, a share), a saved plan, a
workspace, an internal error (debug log), a build log, a journal left open, the parse cache.
"""

from __future__ import annotations

import contextlib
import json
import os
import pickle
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from imgb.addresses import Kind
from imgb.reconciler import planner as planner_mod
from imgb.state.local import LocalBackend
from imgb.state.manager import StateManager
from imgb.state.model import ResourceState
from tests.reliability.input_site import SMALL_CONFIG, imgb

OWNER_ONLY = 0o077  # no bit for group or others
NOT_WRITABLE_BY_OTHERS = 0o022


@contextlib.contextmanager
def umask(mask: int) -> Iterator[None]:
    old = os.umask(mask)
    try:
        yield
    finally:
        os.umask(old)


def _mode(p: Path) -> int:
    return stat.S_IMODE(p.lstat().st_mode)


def _needs_sandbox() -> None:
    from tests.local.conftest import SANDBOX_REASON

    if SANDBOX_REASON:
        pytest.skip(f"no build sandbox here: {SANDBOX_REASON}")


@pytest.mark.parametrize("mask", [0o022, 0o000], ids=["umask-022", "umask-000"])
def test_sensitive_files_are_owner_only_and_nothing_is_writable_by_others(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mask: int
) -> None:
    _needs_sandbox()
    d = tmp_path / "cfg"
    monkeypatch.setenv("IMGB_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("IMGB_DEBUG_LOG", str(d / "imgb-debug.log"))
    problems: list[str] = []
    with umask(mask):
        d.mkdir()
        (d / "main.imgb.hcl").write_text(SMALL_CONFIG)
        imgb(d, "plan", "--out", str(d / "first.imgbplan")).assert_clean(0)
        imgb(d, "apply", str(d / "first.imgbplan")).assert_clean(0)
        (d / "main.imgb.hcl").write_text(SMALL_CONFIG.replace("RUN echo web", "RUN echo web2"))
        imgb(d, "apply", "--auto-approve").assert_clean(0)  # a second snapshot: the backup exists
        imgb(d, "workspace", "new", "staging").assert_clean(0)
        imgb(d, "plan", "--out", str(d / "staging.imgbplan")).assert_clean(0)
        imgb(d, "apply", str(d / "staging.imgbplan")).assert_clean(0)
        imgb(d, "workspace", "select", "default").assert_clean(0)
        # A journal, as a killed apply leaves it, and a lock held while it is checked.
        manager = StateManager(LocalBackend(d / "imgb.state.json"))
        with manager.session("check") as s:
            s.put(ResourceState(address="component.extra", kind=Kind.COMPONENT, provider="local", id="ic-1"))
            for name in ("imgb.state.json.journal", "imgb.state.json.lock"):
                if _mode(d / name) & OWNER_ONLY:
                    problems.append(f"{name} is {oct(_mode(d / name))}")
            s.remove("component.extra")
        # An internal error writes the debug log; one that existed readable by others is made private.
        (d / "imgb-debug.log").write_text("an older log\n")
        os.chmod(d / "imgb-debug.log", 0o644)

        def broken(*args: Any, **kwargs: Any) -> Any:
            raise RuntimeError("induced")

        with monkeypatch.context() as m:
            m.setattr(planner_mod, "make_plan", broken)
            out = imgb(d, "plan")
        assert out.code == 1 and "internal error" in out.err

    owner_only = [d / "imgb.state.json", d / "imgb.state.json.backup", d / "first.imgbplan", d / "staging.imgbplan",
                  d / "imgb-debug.log", d / "imgb.state.d", d / "imgb.state.d" / "staging",
                  d / "imgb.state.d" / "staging" / "imgb.state.json"]
    store = d / ".imgb" / "cloud"
    for sub in ("records", "ops", "logs", "shares", "tmp"):
        owner_only.append(store / sub)
        owner_only += [p for p in (store / sub).rglob("*")]
    for p in owner_only:
        assert p.exists() or p.is_symlink(), f"{p} was expected to exist"
        if _mode(p) & OWNER_ONLY:
            problems.append(f"{p.relative_to(tmp_path)} is {oct(_mode(p))}, not owner-only")
    assert list((store / "logs").glob("*.log")), "no build log was written"
    # Nothing imgb made (store layouts and blobs included) can be changed by someone else.
    for p in [d / ".imgb", *(d / ".imgb").rglob("*"), *(tmp_path / "cache").rglob("*")]:
        if not p.is_symlink() and _mode(p) & NOT_WRITABLE_BY_OTHERS:
            problems.append(f"{p.relative_to(tmp_path)} is {oct(_mode(p))}: writable by group or others")
    for p in [tmp_path / "cache", *(tmp_path / "cache").rglob("*")]:
        if _mode(p) & OWNER_ONLY:
            problems.append(f"{p.relative_to(tmp_path)} (parse cache, loaded with pickle) is {oct(_mode(p))}")
    assert not problems, "\n".join(problems)
    print(f"\npermissions (umask {mask:03o}): {len(owner_only)} owner-only paths, every path under .imgb and the cache checked")


class _Planted:
    """Unpickling this leaves a file behind: the proof that a cache entry was loaded."""

    def __init__(self, proof: str):
        self.proof = proof

    def __reduce__(self) -> tuple[Any, ...]:
        return (Path.touch, (Path(self.proof),))


def test_parse_cache_entries_in_a_directory_others_can_write_are_not_loaded(tmp_path: Path) -> None:
    """Regression: the cache pickles were loaded from any directory, so anyone able to write
    there could run code as the next imgb user."""
    from imgb.reconciler.config.cache import _key, cache_dir, parse_cached, seal

    env = {"IMGB_CACHE_DIR": str(tmp_path / "cache")}
    data = SMALL_CONFIG.encode()
    body, problems = parse_cached(data, "main.imgb.hcl", env)
    assert body is not None and not problems
    entry = cache_dir(env) / "parsed" / (_key(data, "main.imgb.hcl") + ".pickle")
    assert entry.exists() and _mode(entry) & OWNER_ONLY == 0 and _mode(entry.parent) & OWNER_ONLY == 0
    proof = tmp_path / "proof-of-unpickling"
    entry.write_bytes(seal(pickle.dumps(_Planted(str(proof)))))
    os.chmod(entry.parent, 0o777)  # someone else could have planted it
    again, problems = parse_cached(data, "main.imgb.hcl", env)
    assert not proof.exists(), "a cache entry in a world-writable directory was unpickled"
    assert again is not None and not problems  # parsed afresh
    entry.write_bytes(seal(pickle.dumps(_Planted(str(proof)))))  # (the miss above stored a good entry)
    os.chmod(entry.parent, 0o700)
    parse_cached(data, "main.imgb.hcl", env)  # own directory, own file: loaded, so the check above is what refused
    assert proof.exists()


def test_a_tampered_or_foreign_plan_is_refused_before_use(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IMGB_CACHE_DIR", str(tmp_path / "cache"))
    d = tmp_path / "cfg"
    d.mkdir()
    (d / "main.imgb.hcl").write_text(SMALL_CONFIG)
    plan = d / "p.imgbplan"
    imgb(d, "plan", "--out", str(plan)).assert_clean(0)
    good = plan.read_bytes()
    doc = json.loads(good)
    variants = {
        "edited": json.dumps({**doc, "plan": {**doc["plan"], "mode": "destroy"}}).encode(),
        "other-format-version": json.dumps({**doc, "imgb_plan": "2.0"}).encode(),
        "truncated": good[:100],
    }
    for name, data in variants.items():
        plan.write_bytes(data)
        out = imgb(d, "apply", str(plan))
        out.assert_clean(1)
        assert "Invalid plan file" in out.err, (name, out.err)
        assert not (d / "imgb.state.json").exists(), name
