"""Build a Dockerfile twice and compare the file trees: once with an independent reference
builder (buildah, daemonless, ``--isolation chroot`` on the vfs driver, as root), once as imgb's
translation with the local provider's builder. No code is shared with the converter on the
reference side: buildah reads the Dockerfile itself.

Both builds start from the same base tree: imgb's busybox plus stubs (commands a real Dockerfile
calls that busybox lacks: they log their arguments, so what a RUN passes them is part of the
tree) and a /bin/sh that records a RUN's failing exit status instead of failing the build (so a
RUN that cannot work offline does not stop the comparison, and a RUN that fails on one side only
shows up as a difference). The image configurations are compared too (environment, working
directory, user, labels, command, entrypoint).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from imgb.providers.local import layers
from imgb.providers.local.baseimages import import_image, make_busybox_rootfs
from imgb.providers.local.builder import Builder, BuildFailed, BuildSpec
from imgb.providers.local.store import Store

BASE_NAME = "imgb-dockerfile-base"
REGION = "local-1"
STATUS_LOG = "/var/log/imgb-run-status.log"
STUB_LOG = "/var/log/imgb-stub-calls.log"

STUB_COMMANDS = (
    "apt-get apt apt-key apt-mark apt-cache dpkg dpkg-query dpkg-architecture dpkg-reconfigure apk yum dnf microdnf "
    "rpm zypper curl git gpg gpgv gpgconf gpg-agent dirmngr make cmake gcc g++ cc go npm npx node yarn corepack pnpm "
    "pip pip3 python python3 ruby gem bundle composer php pecl docker-php-ext-install docker-php-ext-configure "
    "docker-php-ext-enable docker-php-source cargo rustc rustup mvn gradle java javac jlink update-alternatives "
    "locale-gen update-ca-certificates ldconfig gosu tini su-exec envsubst jq openssl setcap autoconf automake "
    "libtool pkg-config tzdata savelog localedef usermod groupmod chpasswd pip-compile uv poetry cmd cmd.exe pwsh powershell powershell.exe"
).split()

STUB = """#!/bin/sh
# imgb test stub: records the call, succeeds.
{ printf '%s' "${0##*/}"; for a in "$@"; do printf ' <%s>' "$a"; done; printf ' [%s uid=%s]\\n' "$PWD" "$(id -u)"; } >> """ + STUB_LOG + """ 2>/dev/null
exit 0
"""

USER_STUB = """#!/bin/sh
# imgb test stub for useradd/groupadd/adduser/addgroup: adds the entry, deterministically.
{ printf '%s' "${0##*/}"; for a in "$@"; do printf ' <%s>' "$a"; done; printf '\\n'; } >> """ + STUB_LOG + """ 2>/dev/null
cmd=${0##*/}; uid=; gid=; grp=; sys=; name=
while [ $# -gt 0 ]; do
  case "$1" in
    -u|--uid) uid=$2; shift ;;
    -g|--gid|-G|--ingroup) case "$2" in *[!0-9]*) grp=$2 ;; *) gid=$2 ;; esac; shift ;;
    -d|--home|--home-dir|-s|--shell|-c|--comment|--gecos|-k|-K|-p|-e|-f) shift ;;
    -r|--system|-S) sys=1 ;;
    -*) ;;
    *) if [ -z "$name" ]; then name=$1; elif [ "$cmd" = adduser ] || [ "$cmd" = addgroup ]; then grp=$1; fi ;;
  esac
  shift
done
[ -n "$name" ] || exit 0
next() { n=$1; while cut -d: -f3 "$2" | grep -qx "$n"; do n=$((n + 1)); done; echo "$n"; }
case "$cmd" in
  groupadd|addgroup)
    [ -n "$grp" ] && [ "$cmd" = addgroup ] && { g=$(grep "^$grp:" /etc/group | cut -d: -f3); exit 0; }
    grep -q "^$name:" /etc/group && exit 0
    [ -n "$gid" ] || gid=$(next ${sys:+100}${sys:-1000} /etc/group)
    echo "$name:x:$gid:" >> /etc/group ;;
  *)
    grep -q "^$name:" /etc/passwd && exit 0
    [ -n "$uid" ] || uid=$(next ${sys:+100}${sys:-1000} /etc/passwd)
    if [ -n "$grp" ]; then gid=$(grep "^$grp:" /etc/group | cut -d: -f3); fi
    if [ -z "$gid" ]; then
      gid=$(grep "^$name:" /etc/group | cut -d: -f3)
      [ -n "$gid" ] || { gid=$uid; echo "$name:x:$gid:" >> /etc/group; }
    fi
    echo "$name:x:$uid:$gid::/home/$name:/bin/sh" >> /etc/passwd ;;
esac
exit 0
"""

SH = """#!/bin/busybox sh
# /bin/sh of the comparison's base: busybox's shell, except that the outermost one (a RUN) records
# a failing status and succeeds, so a command that cannot work offline does not stop the build,
# and a RUN failing on one side only shows up as a difference in the status log.
if [ -n "$IMGB_TEST_NESTED" ]; then exec /bin/busybox sh "$@"; fi
export IMGB_TEST_NESTED=1
/bin/busybox sh "$@"
s=$?
[ "$s" = 0 ] || echo "status $s" >> """ + STATUS_LOG + """ 2>/dev/null
exit 0
"""

BASH = """#!/bin/sh
exec /bin/sh "$@"
"""

EXTRA_USERS = [
    ("www-data", 33), ("nginx", 101), ("redis", 999), ("postgres", 70), ("mysql", 998), ("node", 1000),
]


def make_base_rootfs(dest: str) -> None:
    make_busybox_rootfs(dest)
    sbin = Path(dest, "usr/local/sbin")
    sbin.mkdir(parents=True, exist_ok=True)
    for name in STUB_COMMANDS:
        _write(sbin / name, STUB, 0o755)
    for name in ("useradd", "groupadd", "adduser", "addgroup"):
        _write(sbin / name, USER_STUB, 0o755)
    _write(Path(dest, "bin/bash"), BASH, 0o755)
    os.unlink(Path(dest, "bin/sh"))
    _write(Path(dest, "bin/sh"), SH, 0o755)
    Path(dest, "var/log").mkdir(parents=True, exist_ok=True)
    for log in (STATUS_LOG, STUB_LOG):  # every USER of the build appends to them
        _write(Path(dest + log), "", 0o666)
    with open(Path(dest, "etc/passwd"), "a") as f:
        for name, uid in EXTRA_USERS:
            f.write(f"{name}:x:{uid}:{uid}::/home/{name}:/bin/sh\n")
    with open(Path(dest, "etc/group"), "a") as f:
        for name, uid in EXTRA_USERS:
            f.write(f"{name}:x:{uid}:\n")


def _write(path: Path, text: str, mode: int) -> None:
    path.write_text(text)
    os.chmod(path, mode)


def buildah_available() -> bool:
    if os.geteuid() != 0 or shutil.which("buildah") is None:
        return False
    return subprocess.run(["buildah", "version"], capture_output=True).returncode == 0


@dataclass
class Reference:
    """buildah with its own storage under ``root``, holding the base image as localhost/busybox."""

    root: Path

    def _cmd(self, *args: str) -> list[str]:
        return ["buildah", "--storage-driver", "vfs", "--root", str(self.root / "storage"),
                "--runroot", str(self.root / "run"), *args]

    def run(self, *args: str, cwd: Path | None = None) -> str:
        res = subprocess.run(self._cmd(*args), capture_output=True, text=True, cwd=cwd,
                             env={**os.environ, "BUILDAH_ISOLATION": "chroot", "STORAGE_DRIVER": "vfs"})
        if res.returncode != 0:
            raise RuntimeError(f"buildah {' '.join(args[:2])} failed: {res.stderr.strip()[-2000:]}")
        return res.stdout.strip()

    def prepare(self, base_rootfs: str) -> None:
        if (self.root / "ready").exists():
            return
        c = self.run("from", "scratch")
        self.run("copy", c, base_rootfs + "/", "/")
        self.run("config", "--env", "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", c)
        self.run("commit", "--rm", c, "localhost/busybox")
        (self.root / "ready").write_text("")

    def build(self, dockerfile: Path, context: Path, out: Path, tag: str) -> dict[str, Any]:
        """Build, copy the result's root file system to ``out``; the image's configuration."""
        self.run("build", "--isolation", "chroot", "--format", "docker", "--pull-never", "--layers=false", "-f", str(dockerfile),
                 "-t", f"localhost/{tag}", str(context))
        config = json.loads(self.run("inspect", "--type", "image", f"localhost/{tag}"))["OCIv1"].get("config", {})
        c = self.run("from", "--pull-never", f"localhost/{tag}", cwd=context)
        try:
            mnt = self.run("mount", c)
            subprocess.run(["cp", "-a", mnt + "/.", str(out)], check=True)
        finally:
            self.run("umount", c)
            self.run("rm", c)
            self.run("rmi", "-f", f"localhost/{tag}")
        return dict(config)


@dataclass
class ImgbSide:
    """imgb's local provider store with the same base image."""

    root: Path
    base_id: str = ""

    def prepare(self, base_rootfs: str) -> None:
        marker = self.root / "base-id"
        if marker.exists():
            self.base_id = marker.read_text()
            return
        rec = import_image(self.root, REGION, BASE_NAME, base_rootfs)
        self.base_id = str(rec["id"])
        marker.write_text(self.base_id)

    def build(self, content: str, context: Path, out: Path) -> dict[str, Any]:
        """Build ``content``, extract the result to ``out``; the image's configuration."""
        store = Store(self.root)
        log: list[str] = []
        spec = BuildSpec(region=REGION, base_image_id=self.base_id, build_content=content, context_dir=str(context))
        builder = Builder(store, spec, log.append)
        try:
            result = builder.run()
        except BuildFailed as e:
            raise RuntimeError(f"imgb build failed: {e}\n" + "\n".join(log[-40:])) from e
        finally:
            builder.close()
        lay = store.layout(REGION)
        manifest = lay.read_json(result.manifest_digest)
        for layer in manifest["layers"]:
            with lay.open_blob(layer["digest"]) as f:
                layers.extract_layer(f, str(out))
        return dict(lay.read_json(manifest["config"]["digest"]).get("config", {}))


IGNORED = ("proc", "sys", "dev", "etc/hosts", "etc/resolv.conf", "etc/hostname", "run/.containerenv")
"""The runtime's own mounts and files: buildah and imgb's sandbox each make their own."""


def tree(root: Path) -> dict[str, tuple[str, ...]]:
    """path -> (type, mode, uid, gid, content digest or link target)."""
    out: dict[str, tuple[str, ...]] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        rel_dir = os.path.relpath(dirpath, root)
        for name in sorted(dirnames + filenames):
            rel = os.path.normpath(os.path.join(rel_dir, name))
            if any(rel == p or rel.startswith(p + "/") for p in IGNORED):
                continue
            full = os.path.join(dirpath, name)
            st = os.lstat(full)
            mode = f"{stat.S_IMODE(st.st_mode):o}"
            if stat.S_ISLNK(st.st_mode):
                out[rel] = ("link", "", str(st.st_uid), str(st.st_gid), os.readlink(full))
            elif stat.S_ISDIR(st.st_mode):
                out[rel] = ("dir", mode, str(st.st_uid), str(st.st_gid), "")
            elif stat.S_ISREG(st.st_mode):
                with open(full, "rb") as f:
                    digest = hashlib.sha256(f.read()).hexdigest()[:16]
                out[rel] = ("file", mode, str(st.st_uid), str(st.st_gid), digest)
            else:
                out[rel] = ("other", mode, str(st.st_uid), str(st.st_gid), "")
    return out


def config_differences(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    """What differs in the fields both keep: environment, working directory, user, labels (not
    buildah's own), command and entrypoint."""

    def norm(c: dict[str, Any]) -> dict[str, Any]:
        env = dict(e.split("=", 1) for e in c.get("Env") or [] if "=" in e)
        labels = {k: v for k, v in (c.get("Labels") or {}).items() if not k.startswith("io.buildah.")}
        # No user and root are the same user; Image Builder's USER cannot be empty (USER $UNSET).
        return {"Env": env, "WorkingDir": c.get("WorkingDir") or "/", "User": c.get("User") or "root",
                "Labels": labels, "Cmd": c.get("Cmd") or None, "Entrypoint": c.get("Entrypoint") or None}

    na, nb = norm(a), norm(b)
    for k in ("Cmd", "Entrypoint"):
        ref, ours = na[k], nb[k]
        # buildah 1.28 wraps a shell-form CMD/ENTRYPOINT in /bin/sh -c even after SHELL; BuildKit
        # uses the SHELL, and so does the import.
        if ref and ours and ref[:2] == ["/bin/sh", "-c"] and len(ref) == 3 and len(ours) > 2 and ours[-1] == ref[2]:
            nb[k] = ref
    return [f"config {k}: reference {na[k]!r} imgb {nb[k]!r}" for k in na if na[k] != nb[k]]


def differences(a: Path, b: Path) -> list[str]:
    ta, tb = tree(a), tree(b)
    if ta.get("run") == ("dir", "755", "0", "0", "") and "run" not in tb and not any(p.startswith("run/") for p in ta):
        del ta["run"]  # buildah's mount point for its run-time files, left empty in the image
    diffs = []
    for path in sorted(set(ta) | set(tb)):
        if path not in tb:
            diffs.append(f"only in the reference: /{path} {ta[path]}")
        elif path not in ta:
            diffs.append(f"only in imgb's build: /{path} {tb[path]}")
        elif ta[path] != tb[path]:
            diffs.append(f"differs: /{path} reference {ta[path]} imgb {tb[path]}")
    return diffs


class Workbench:
    """Both builders, set up once under ``root``."""

    def __init__(self, root: Path):
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        base = root / "base-rootfs"
        if not base.exists():
            tmp = Path(tempfile.mkdtemp(dir=root))
            make_base_rootfs(str(tmp))
            tmp.rename(base)
        self.base = str(base)
        self.reference = Reference(root / "buildah")
        self.reference.prepare(self.base)
        self.imgb = ImgbSide(root / "imgb")
        self.imgb.prepare(self.base)
