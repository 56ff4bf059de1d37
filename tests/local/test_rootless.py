"""Rootless builds: the quickstart applied by an ordinary user (real user namespace, subuid map),
with the image's own owners and the same digests as root; and the diagnostics when no
isolation is available (user namespaces refused, newuidmap missing, no subordinate ids).

CI runs as root, so these tests make (or reuse) a throwaway user with /etc/subuid and /etc/subgid
ranges, and copy imgb and its runtime dependencies where that user can read them.
"""

from __future__ import annotations

import contextlib
import fcntl
import importlib.metadata as md
import json
import os
import pwd
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from imgb.reconciler.cli import main
from tests.local.conftest import needs_sandbox

ROOT = Path(__file__).resolve().parents[2]
QUICKSTART = ROOT / "examples" / "quickstart"
USER = "imgb-rootless"
NO_USERNS = Path(__file__).with_name("no_userns.py")

pytestmark = [
    needs_sandbox,
    pytest.mark.skipif(os.geteuid() != 0, reason="making a throwaway user needs root (run as an ordinary "
                       "user, every build test in tests/local is already rootless)"),
    pytest.mark.skipif(shutil.which("runuser") is None or shutil.which("useradd") is None,
                       reason="runuser (util-linux) and useradd (passwd) are needed"),
]


@dataclass
class Rootless:
    src: Path
    user: str
    uid: int
    python: str
    pythonpath: str
    work: Path

    def env(self, **extra: str) -> list[str]:
        base = {"HOME": str(self.work / "home"), "PATH": "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin",
                "PYTHONPATH": self.pythonpath, "LANG": "C.UTF-8", **extra}
        return ["env", "-i", *(f"{k}={v}" for k, v in base.items())]

    def imgb(self, d: Path, *args: str, wrap: list[str] | None = None, **env: str) -> subprocess.CompletedProcess[str]:
        cmd = [*self.env(**env), self.python, "-m", "imgb.reconciler.cli", "-C", str(d), *args]
        full = [*wrap, *cmd] if wrap else ["runuser", "-u", self.user, "--", *cmd]
        return subprocess.run(full, capture_output=True, text=True, timeout=120)

    def quickstart(self, name: str) -> Path:
        d = self.work / name
        shutil.copytree(QUICKSTART, d, ignore=shutil.ignore_patterns(".imgb", "imgb.state.json*", "*.imgbplan"))
        _chown_tree(d, self.uid)
        return d


def _chown_tree(path: Path, uid: int) -> None:
    for dirpath, _dirs, files in os.walk(path):
        os.chown(dirpath, uid, uid)
        for f in files:
            os.lchown(os.path.join(dirpath, f), uid, uid)


def _free_subid_start() -> int:
    end = 100000
    for path in ("/etc/subuid", "/etc/subgid"):
        with contextlib.suppress(FileNotFoundError), open(path) as f:
            for line in f:
                parts = line.strip().split(":")
                if len(parts) == 3 and parts[1].isdigit() and parts[2].isdigit():
                    end = max(end, int(parts[1]) + int(parts[2]))
    return end


def _has_subids(user: str, uid: int) -> bool:
    def has(path: str) -> bool:
        with contextlib.suppress(FileNotFoundError), open(path) as f:
            return any(line.split(":")[0] in (user, str(uid)) for line in f)
        return False

    return has("/etc/subuid") and has("/etc/subgid")


def _has_account(uid: int) -> bool:
    try:
        pwd.getpwuid(uid)
    except KeyError:
        return False
    return True


def _ensure_user() -> int:
    # Several test runs may share the machine: one creates the user, the others wait and reuse it.
    with open("/tmp/imgb-rootless-user.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            uid = pwd.getpwnam(USER).pw_uid
        except KeyError:
            subprocess.run(["useradd", "--no-create-home", "--home-dir", "/nonexistent", "--shell",
                            "/usr/sbin/nologin", "--comment", "imgb rootless tests", USER],
                           check=True, capture_output=True)
            uid = pwd.getpwnam(USER).pw_uid
        if not _has_subids(USER, uid):
            start = _free_subid_start()
            ids = f"{start}-{start + 65535}"
            subprocess.run(["usermod", "--add-subuids", ids, "--add-subgids", ids, USER], check=True,
                           capture_output=True)
        return uid


def _requirement_names(dist: md.Distribution) -> list[str]:
    names = []
    for req in dist.requires or []:
        if "extra ==" in req:
            continue
        m = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", req)
        if m:
            names.append(m.group(0))
    return names


def _copy_runtime_deps(dest: Path) -> None:
    """Copy the files of imgb's runtime dependencies (not the cloud extras), and pytest's, to ``dest``,
    with imgb's own metadata: its backends and providers are found through its entry points."""
    imgb = md.distribution("imgb")
    for f in imgb.files or []:
        if f.parts[0].endswith((".dist-info", ".egg-info")):
            (dest / f).parent.mkdir(parents=True, exist_ok=True)
            with contextlib.suppress(FileNotFoundError):
                shutil.copy2(Path(str(imgb.locate_file(""))) / f, dest / f)
    todo, seen = [*_requirement_names(imgb), "pytest"], set()
    while todo:
        name = re.sub(r"[-_.]+", "-", todo.pop()).lower()
        if name in seen:
            continue
        seen.add(name)
        try:
            dist = md.distribution(name)
        except md.PackageNotFoundError:
            continue  # a dependency for another Python version
        todo += _requirement_names(dist)
        base = Path(str(dist.locate_file("")))
        for f in dist.files or []:
            if f.parts[0] == "..":
                continue
            target = dest / f
            target.parent.mkdir(parents=True, exist_ok=True)
            with contextlib.suppress(FileNotFoundError):
                shutil.copy2(base / f, target)


def _python_for(user: str, pythonpath: str) -> str | None:
    """An interpreter ``user`` can run that imports imgb's dependencies (same minor version)."""
    minor = f"python{sys.version_info.major}.{sys.version_info.minor}"
    for candidate in (os.path.realpath(sys.executable), shutil.which(minor), f"/usr/bin/{minor}"):
        if not candidate or not os.path.exists(candidate):
            continue
        probe = subprocess.run(["runuser", "-u", user, "--", "env", f"PYTHONPATH={pythonpath}", candidate, "-c",
                                "import pydantic, hcl2, typer, imgb.reconciler.cli"], capture_output=True)
        if probe.returncode == 0:
            return candidate
    return None


@pytest.fixture(scope="module")
def rootless() -> Iterator[Rootless]:
    uid = _ensure_user()
    top = Path(tempfile.mkdtemp(prefix="imgb-rootless-"))
    try:
        os.chmod(top, 0o755)  # the runtime copy is read by the user; its work directory is its own
        # imgb/'s links to reconciler/, providers/ and state/ are copied as the folders they name.
        shutil.copytree(ROOT / "imgb", top / "src" / "imgb")
        for name in ("pyproject.toml", "tests/conftest.py", "tests/local/conftest.py", "tests/local/test_security.py"):
            (top / "src" / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, top / "src" / name)
        # The security suite runs again as this user (tests/security/test_rootless_suite.py).
        shutil.copytree(ROOT / "tests" / "security", top / "src" / "tests" / "security",
                        ignore=shutil.ignore_patterns("__pycache__", "test_rootless_suite.py"))
        _copy_runtime_deps(top / "deps")
        pythonpath = f"{top / 'src'}:{top / 'deps'}"
        python = _python_for(USER, pythonpath)
        if python is None:
            pytest.skip(f"no Python {sys.version_info.major}.{sys.version_info.minor} that user {USER} may run "
                        f"(this one, {os.path.realpath(sys.executable)}, is not readable to it); install python3")
        work = top / "work"
        (work / "home").mkdir(parents=True)
        _chown_tree(work, uid)
        yield Rootless(top / "src", USER, uid, python, pythonpath, work)
    finally:
        shutil.rmtree(top, ignore_errors=True)


def _images(d: Path) -> dict[tuple[str, str], str]:
    out = {}
    for rec in (d / ".imgb" / "cloud" / "records").glob("*/images/*.json"):
        r = json.loads(rec.read_text())
        out[(r["region"], r["name"])] = r["manifest_digest"]
    return out


def _layer_owners(layout: Path, manifest_digest: str) -> dict[str, tuple[int, int]]:
    """Path -> (uid, gid) over all of an image's layer tars, later layers winning."""
    def blob(digest: str) -> Path:
        return layout / "blobs" / "sha256" / digest.split(":", 1)[1]

    owners: dict[str, tuple[int, int]] = {}
    for layer in json.loads(blob(manifest_digest).read_text())["layers"]:
        with tarfile.open(blob(layer["digest"])) as t:
            for ti in t:
                owners[ti.name.rstrip("/")] = (ti.uid, ti.gid)
    return owners


def test_quickstart_applies_rootless_with_the_images_owners_and_roots_digests(
    rootless: Rootless, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    as_root = tmp_path / "qs-root"
    shutil.copytree(QUICKSTART, as_root, ignore=shutil.ignore_patterns(".imgb", "imgb.state.json*", "*.imgbplan"))
    assert main(["-C", str(as_root), "apply", "--auto-approve"]) == 0, capsys.readouterr().err
    capsys.readouterr()

    d = rootless.quickstart("qs")
    res = rootless.imgb(d, "apply", "--auto-approve")
    assert res.returncode == 0, res.stdout + res.stderr
    assert "image.web: Built" in res.stdout and "Traceback" not in res.stderr
    res = rootless.imgb(d, "plan", "--detailed-exitcode")
    assert res.returncode == 0 and "No changes." in res.stdout, res.stdout + res.stderr

    # The same images, bit for bit, as the root build: owners and modes do not depend on who builds.
    rootless_images = _images(d)
    assert rootless_images == _images(as_root)
    layout = d / ".imgb" / "cloud" / "regions" / "local-1"
    digest = rootless_images[("local-1", "web-1-0-0")]
    owners = _layer_owners(layout, digest)
    assert owners["home/app"] == (1000, 1000) and owners["home/app/VERSION"] == (1000, 1000)
    assert owners["srv/www"] == (1000, 1000) and owners["srv/www/index.html"] == (0, 0)
    assert max(uid for uid, _ in owners.values()) < 65536  # no host subordinate ids (100000+) leaked in

    if shutil.which("umoci"):
        ref = next(m["annotations"]["org.opencontainers.image.ref.name"]
                   for m in json.loads((layout / "index.json").read_text())["manifests"] if m["digest"] == digest
                   and m["annotations"]["org.opencontainers.image.ref.name"].startswith("m-"))
        bundle = tmp_path / "bundle"
        subprocess.run(["umoci", "unpack", "--image", f"{layout}:{ref}", str(bundle)], check=True, capture_output=True)
        rootfs = bundle / "rootfs"
        assert (rootfs / "home/app/VERSION").stat().st_uid == 1000
        assert (rootfs / "srv/www/index.html").stat().st_uid == 0
        assert (rootfs / "root").stat().st_mode & 0o777 == 0o700

    # Nothing owned by a subordinate uid is left behind: the user can delete its whole store.
    leftovers = [p for p in (d / ".imgb").rglob("*") if p.lstat().st_uid != rootless.uid]
    assert leftovers == []
    rm = subprocess.run(["runuser", "-u", rootless.user, "--", "rm", "-rf", str(d / ".imgb")], capture_output=True)
    assert rm.returncode == 0, rm.stderr


def test_the_containment_tests_pass_rootless(rootless: Rootless) -> None:
    """COPY still refuses sources outside the configuration directory and cannot write outside
    the image through a hostile base's symlinks; RUN stays contained; rlimits hold."""
    res = subprocess.run(["runuser", "-u", rootless.user, "--", *rootless.env(), rootless.python, "-m", "pytest",
                          "-q", "-p", "no:cacheprovider", "--basetemp", str(rootless.work / "pytest"),
                          "tests/local/test_security.py"],
                         cwd=rootless.src, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-2000:]
    assert " passed" in res.stdout and "skipped" not in res.stdout, res.stdout[-2000:]


def _failure(res: subprocess.CompletedProcess[str]) -> str:
    assert res.returncode == 1, res.stdout + res.stderr
    assert "Traceback" not in res.stderr and "SandboxUnavailable" in res.stderr
    return res.stderr


def test_without_user_namespaces_the_build_says_what_was_tried_and_how_to_fix_it(rootless: Rootless) -> None:
    # Inside a user namespace whose own user.max_user_namespaces is 0, the kernel refuses more
    # of them (ENOSPC) as with the sysctl at 0 on the host; the host's setting is not touched.
    d = rootless.quickstart("no-userns")
    err = _failure(rootless.imgb(d, "apply", "--auto-approve",
                                 wrap=[sys.executable, str(NO_USERNS), "--uid", str(rootless.uid)]))
    assert f"Tried, as user {rootless.user} (uid {rootless.uid}):" in err
    assert "a new user namespace: unshare failed with No space left on device (ENOSPC)" in err
    assert "user.max_user_namespaces is 0: `sysctl -w user.max_user_namespaces=15000`" in err
    assert f"subordinate ids for {rootless.user}: " in err and "newuidmap and newgidmap: " in err
    assert "Or run imgb as root" in err

    as_root = rootless.work / "no-userns-root"
    shutil.copytree(QUICKSTART, as_root, ignore=shutil.ignore_patterns(".imgb", "imgb.state.json*", "*.imgbplan"))
    res = subprocess.run([sys.executable, str(NO_USERNS), sys.executable, "-m", "imgb.reconciler.cli", "-C", str(as_root),
                          "apply", "--auto-approve"], capture_output=True, text=True, timeout=120, cwd=ROOT)
    err = _failure(res)
    assert "Tried, as root:" in err and "sysctl -w user.max_user_namespaces=15000" in err
    assert "newuidmap" not in err  # root needs no subordinate ids


def test_without_newuidmap_or_subordinate_ids_the_build_says_how_to_fix_it(rootless: Rootless) -> None:
    d = rootless.quickstart("no-newuidmap")
    err = _failure(rootless.imgb(d, "apply", "--auto-approve", PATH="/var/empty"))
    assert "a new user namespace: ok." in err
    assert "newuidmap and newgidmap (they map subordinate ids): not found in PATH." in err
    assert "Fix: `apt-get install uidmap`" in err

    # A uid with no account has no subordinate ids either.
    stranger = next(u for u in range(54321, 60000) if not _has_subids(str(u), u) and not _has_account(u))
    probe = subprocess.run(["setpriv", f"--reuid={stranger}", f"--regid={stranger}", "--clear-groups",
                            *rootless.env(), rootless.python, "-c",
                            "from providers.local.sandbox import probe; print(probe())"],
                           capture_output=True, text=True, timeout=60)
    assert probe.returncode == 0, probe.stderr
    assert f"Tried, as uid {stranger}:" in probe.stdout
    assert f"subordinate ids for {stranger}: none in /etc/subuid and /etc/subgid" in probe.stdout
    assert f"Fix: add the line `{stranger}:100000:65536` to /etc/subuid and /etc/subgid as root." in probe.stdout
