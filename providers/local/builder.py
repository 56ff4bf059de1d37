"""Build an image from a template: base image, then one OCI layer per step that changes files.

RUN goes through the sandbox as the current USER; COPY reads only inside the configuration
directory and writes only inside the image (resolve-in-root on both sides); ENV, WORKDIR, USER,
LABEL, CMD and ENTRYPOINT go into the image config. COMPONENT expands a stored component
(Dockerfile-style, or YAML tasks with ``{{ param }}`` and ``{{ task.stdout }}``). The template's
test content then runs on the finished tree; its changes are discarded, and a failure marks the
image TEST_FAILED.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import re
import stat
import tarfile
import tempfile
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from imgb import fsops
from imgb.commands.model import Instruction, YamlComponent
from imgb.commands.parse import parse_content
from imgb.commands.paths import ContextPathError, is_imgb_own, resolve_context_path
from imgb.providers.local import layers, sandbox
from imgb.providers.local.inroot import clean_parts
from imgb.providers.local.oci import MEDIA_LAYER, CorruptBlob, Layout
from imgb.providers.local.store import Store

EPOCH_ISO = "1970-01-01T00:00:00Z"
UNSUPPORTED_ACTIONS = ("WebDownload", "OSSDownload", "OSSUpload", "InvokeCommand", "RunPowerShellCommand")
_REF_RE = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")


class BuildFailed(Exception):
    """A step failed; ``message`` is for the user (what failed, where, and the output's tail)."""

    def __init__(self, code: str, message: str, *, retryable: bool = False):
        super().__init__(message)
        self.code = code
        self.retryable = retryable


class BuildCancelled(Exception):
    pass


@dataclass
class BuildSpec:
    region: str
    base_image_id: str
    build_content: str
    test_content: str = ""
    context_dir: str | None = None
    network: bool = False
    step_timeout: float = 3600.0
    epoch: int = 0
    annotations: dict[str, str] = field(default_factory=dict)


@dataclass
class BuildResult:
    manifest_digest: str
    layers: list[tuple[str, int, str]]
    test_passed: bool
    seconds: float


@dataclass
class _ImageState:
    env: dict[str, str]
    workdir: str = "/"
    user: str = ""
    labels: dict[str, str] = field(default_factory=dict)
    cmd: list[str] | None = None
    entrypoint: list[str] | None = None
    cmd_set: bool = False
    """A CMD came earlier in this build: an ENTRYPOINT then keeps it (Docker's rule)."""


def epoch_from_env() -> int:
    value = os.environ.get("SOURCE_DATE_EPOCH", "")
    return int(value) if value.isdigit() else 0


def _env_list(env: dict[str, str]) -> list[str]:
    return [f"{k}={v}" for k, v in env.items()]


def _substitute(text: str, values: dict[str, str], where: str) -> str:
    def repl(m: re.Match[str]) -> str:
        key = m.group(1)
        if key not in values:
            raise BuildFailed("InvalidComponent.Reference", f"{where}: {{{{ {key} }}}} refers to no parameter "
                              "and no earlier task's stdout. Define the parameter or fix the reference.")
        return values[key]

    return _REF_RE.sub(repl, text)


class Builder:
    """One build: owns a temporary tree under the store's tmp directory until it is done."""

    def __init__(
        self,
        store: Store,
        spec: BuildSpec,
        log: Callable[[str], None],
        *,
        cancelled: Callable[[], bool] = lambda: False,
        on_process: Callable[[Any], None] | None = None,
    ):
        self.store = store
        self.spec = spec
        self.log = log
        self.cancelled = cancelled
        self.on_process = on_process
        sweep_stale_work(store.tmp)
        self.work = Path(tempfile.mkdtemp(dir=store.tmp, prefix="build-"))
        # Held while the build lives (a free lock marks the directory of a killed build), and
        # locked before it gets its name, so a sweep never sees it free.
        self._lock_fd = os.open(self.work / "lock.new", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        fcntl.flock(self._lock_fd, fcntl.LOCK_EX)
        os.rename(self.work / "lock.new", self.work / "lock")
        self.rootfs = str(self.work / "rootfs")
        self.blobs = self.work / "blobs"
        os.mkdir(self.rootfs, 0o755)
        os.mkdir(self.blobs)
        self.layers: list[tuple[str, int, str]] = []
        self.diff_ids: list[str] = []
        self.history: list[dict[str, Any]] = []
        self.snap: layers.Snapshot = {}
        self.committing = True

    def close(self) -> None:
        fsops.remove_tree(self.work)
        os.close(self._lock_fd)

    # -- the whole build ---------------------------------------------------------------------
    def run(self) -> BuildResult:
        t0 = time.monotonic()
        if os.geteuid() != 0:
            # Host-side file work must see the image's owners: as root, or as root of the
            # worker's user namespace (worker.py). As anyone else, the owners would be wrong.
            raise BuildFailed("SandboxUnavailable", "builds run as root or in the build worker's user namespace")
        try:
            return self._run(t0)
        except OSError as e:
            if e.errno in (errno.ENOSPC, errno.EDQUOT):
                raise BuildFailed("DiskFull", f"the disk holding the store is full ({e.strerror}); the build "
                                  "stopped. Free some space, then apply again.") from e
            raise

    def _run(self, t0: float) -> BuildResult:
        base_cfg = self._extract_base()
        cfg = base_cfg.get("config") or {}
        state = _ImageState(
            env=dict(e.split("=", 1) for e in cfg.get("Env") or [] if "=" in e),
            workdir=cfg.get("WorkingDir") or "/",
            user=cfg.get("User") or "",
            labels=dict(cfg.get("Labels") or {}),
            cmd=cfg.get("Cmd"),
            entrypoint=cfg.get("Entrypoint"),
        )
        self.history = list(base_cfg.get("history") or [])
        self.snap = self._snapshot(f"base image {self.spec.base_image_id}")
        self.log(f"build: base image {self.spec.base_image_id}, {len(self.layers)} layer(s)")
        self._run_content(self.spec.build_content, state, "build")
        config = {
            "architecture": "amd64",
            "os": "linux",
            "created": EPOCH_ISO,
            "config": self._config_section(state),
            "rootfs": {"type": "layers", "diff_ids": list(self.diff_ids)},
            "history": self.history,
        }
        passed = True
        if self.spec.test_content.strip():
            self.committing = False
            self.log("test: running the template's test content (changes are discarded)")
            try:
                self._run_content(self.spec.test_content, state, "test")
                self.log("test: passed")
            except BuildFailed as e:
                self.log(f"test: FAILED: {e}")
                passed = False
        digest = self._commit(config)
        return BuildResult(digest, list(self.layers), passed, time.monotonic() - t0)

    def _config_section(self, state: _ImageState) -> dict[str, Any]:
        out: dict[str, Any] = {"Env": _env_list(state.env)}
        if state.workdir and state.workdir != "/":
            out["WorkingDir"] = state.workdir
        if state.user:
            out["User"] = state.user
        if state.labels:
            out["Labels"] = dict(sorted(state.labels.items()))
        if state.cmd is not None:
            out["Cmd"] = state.cmd
        if state.entrypoint is not None:
            out["Entrypoint"] = state.entrypoint
        return out

    def _extract_base(self) -> dict[str, Any]:
        lay = self.store.layout(self.spec.region)
        digest = lay.ref_digest(self.spec.base_image_id)
        if digest is None:
            raise BuildFailed("InvalidImageId.NotFound", f"base image {self.spec.base_image_id} does not exist in "
                              f"region {self.spec.region}; it may have been deleted. Choose another base image.")
        try:
            manifest = lay.read_json(digest)
            config = dict(lay.read_json(manifest["config"]["digest"]))
        except CorruptBlob as e:
            raise BuildFailed("InvalidImage.Corrupt", f"base image {self.spec.base_image_id}: {e}") from e
        for layer in manifest["layers"]:
            with lay.open_blob(layer["digest"]) as f:
                reader = layers.VerifyingReader(f)
                try:
                    layers.extract_layer(reader, self.rootfs, guard=self._disk_guard("unpacking the base image"))
                except (tarfile.TarError, layers.UnsafeEntry, EOFError, zlib.error) as e:
                    raise BuildFailed("InvalidImage.Corrupt", f"base image {self.spec.base_image_id}: layer "
                                      f"{layer['digest'][:19]} cannot be applied: {e}") from e
                got = reader.finish()
            if got != layer["digest"]:
                raise BuildFailed("InvalidImage.Corrupt", f"base image {self.spec.base_image_id}: layer "
                                  f"{layer['digest'][:19]} does not match its digest (it is {got[:19]}): the store "
                                  "was changed behind imgb's back. Import or build the base image again.")
            self.layers.append((layer["digest"], int(layer["size"]), layer.get("mediaType", MEDIA_LAYER)))
        self.diff_ids = list(config.get("rootfs", {}).get("diff_ids") or [])
        return config

    def _commit(self, config: dict[str, Any]) -> str:
        with self.store.lock():
            lay = self.store.layout(self.spec.region)
            for p in sorted(self.blobs.iterdir()):
                lay.adopt_blob_file(p, "sha256:" + p.name)
            digest, _ = self.store.write_manifest(self.spec.region, self.layers, config, self.spec.annotations)
            # Pin the blobs with the ref at once: a concurrent delete's garbage collection
            # must not take them before the caller registers the image.
            lay.set_ref(f"building-{digest[7:19]}", digest, lay.blob_path(digest).stat().st_size)
        return digest

    # -- steps -------------------------------------------------------------------------------
    def _run_content(self, text: str, state: _ImageState, where: str, *, allow_component: bool = True) -> None:
        parsed = parse_content(text, component=False)
        if parsed.problems:
            p = parsed.problems[0]
            raise BuildFailed("InvalidCommandContent", f"{where} line {p.line}: {p.summary}. {p.detail}")
        for ins in parsed.instructions:
            if self.cancelled():
                raise BuildCancelled()
            self._step(ins, state, f"{where} line {ins.line}", allow_component)

    def _step(self, ins: Instruction, state: _ImageState, where: str, allow_component: bool) -> None:
        name = ins.name
        self.log(f"step {where}: {name} {ins.args}")
        if name == "RUN":
            self._run_shell(ins.args, state, where, state.user, state.workdir)
            self._layer(f"RUN /bin/sh -c {ins.args}")
        elif name == "COPY":
            self._copy(ins, state, where)
            self._layer(f"COPY {ins.args}")
        elif name == "ENV":
            state.env.update(dict(ins.pairs))
            self._empty(f"ENV {ins.args}")
        elif name == "LABEL":
            state.labels.update(dict(ins.pairs))
            self._empty(f"LABEL {ins.args}")
        elif name == "USER":
            state.user = ins.args.strip()
            self._empty(f"USER {ins.args}")
        elif name == "WORKDIR":
            path = ins.args.strip()
            state.workdir = "/" + "/".join(clean_parts(path if path.startswith("/") else f"{state.workdir}/{path}"))
            os.close(self._mkdirs(state.workdir))
            self._layer(f"WORKDIR {state.workdir}")
        elif name in ("CMD", "ENTRYPOINT"):
            value = list(ins.exec_form) if ins.exec_form is not None else ["/bin/sh", "-c", ins.args]
            if name == "CMD":
                state.cmd = value
                state.cmd_set = True
            else:
                state.entrypoint = value
                if not state.cmd_set:
                    state.cmd = None  # as in Docker: an ENTRYPOINT clears the base image's CMD
            self._empty(f"{name} {value}")
        elif name == "RESTART":
            self.log(f"step {where}: RESTART is a no-op for local builds (no machine to reboot)")
        elif name == "COMPONENT" and allow_component:
            self._component(ins, state, where)
        else:
            raise BuildFailed("InvalidCommandContent", f"{where}: the local provider cannot run {name}.")

    def _run_shell(self, script: str, state: _ImageState, where: str, user: str, workdir: str) -> str:
        if self.spec.network and not fsops.network_allowed():
            raise BuildFailed("NetworkNotAllowed", f"{where}: the template asks for network access "
                              "(internet_max_bandwidth_out above 0), which the operator did not allow. Run imgb "
                              f"with -allow-network (or {fsops.ALLOW_NETWORK_ENV}=1), or set it to 0.")
        res = sandbox.run(
            self.rootfs,
            ["/bin/sh", "-c", script],
            env=state.env,
            user=user,
            workdir=workdir,
            network=self.spec.network,
            timeout=self.spec.step_timeout,
            on_start=self.on_process,
            on_output=lambda stream, line: self.log(f"  {stream}: {line}"),
            watchdog=lambda: disk_low(self.store.tmp),
        )
        for w in res.warnings:
            self.log(f"warning: {w}")
        out = res.stdout.decode(errors="replace")
        err = res.stderr.decode(errors="replace")
        self.log(f"  exit {res.exit_code} in {res.seconds:.3f}s")
        if self.cancelled():
            raise BuildCancelled()
        if res.setup_error:
            raise BuildFailed("SandboxUnavailable", res.setup_error)
        if res.killed:
            raise BuildFailed("DiskFull", f"{where}: {res.killed}")
        if res.timed_out:
            raise BuildFailed("CommandTimeout", f"{where}: the command ran longer than {self.spec.step_timeout:g}s "
                              "and was killed. Make it faster or split it.")
        if res.exit_code != 0:
            tail = "\n".join((err or out).strip().splitlines()[-5:])
            raise BuildFailed("CommandFailed", f"{where}: the command exited with status {res.exit_code}."
                              + (f" Its last output:\n{tail}" if tail else ""))
        return out

    def _component(self, ins: Instruction, state: _ImageState, where: str) -> None:
        ref = ins.component_ref or ""
        rec = self.store.get(self.spec.region, "components", ref) if ref.startswith("ic-") else None
        if rec is None:
            raise BuildFailed("InvalidComponent.NotFound", f"{where}: component {ref} does not exist in region "
                              f"{self.spec.region}. Create it first, or fix the reference.")
        content = str(rec.get("content", ""))
        label = f"component {ref} ({rec.get('name')})"
        params = dict(ins.component_params)
        parsed = parse_content(content, component=True)
        if parsed.form == "yaml":
            doc, problems = parsed.component, parsed.problems
            if doc is None or problems:
                p = problems[0]
                raise BuildFailed("InvalidComponent.Content", f"{label} line {p.line}: {p.summary}. {p.detail}")
            self._yaml(doc, params, state, label)
            return
        if params:
            content = _substitute(content, params, label)
        self._run_content(content, state, label, allow_component=False)

    def _yaml(self, doc: YamlComponent, params: dict[str, str], state: _ImageState, label: str) -> None:
        values: dict[str, str] = {}
        for p in doc.parameters:
            if p.name in params:
                values[p.name] = params[p.name]
            elif p.has_default:
                values[p.name] = str(p.default).lower() if isinstance(p.default, bool) else str(p.default)
            else:
                raise BuildFailed("InvalidComponent.Parameter", f"{label}: parameter {p.name} has no default and was "
                                  f"not given. Pass it: COMPONENT <id> --{p.name} value.")
        for task in doc.tasks:
            where = f"{label} task {task.name}"
            if self.cancelled():
                raise BuildCancelled()
            if task.action == "Reboot":
                self.log(f"step {where}: Reboot is a no-op for local builds")
                continue
            if task.action != "RunShellCommand":
                raise BuildFailed("UnsupportedAction", f"{where}: the local provider cannot run {task.action}.")
            props = task.properties
            script = _substitute(str(props.get("commandContent", "")), values, where)
            user = _substitute(str(props.get("username") or state.user), values, where)
            workdir = _substitute(str(props.get("workingDir") or state.workdir), values, where)
            self.log(f"step {where}: RunShellCommand {script.strip()}")
            out = self._run_shell(script, state, where, user, workdir)
            values[f"{task.name}.stdout"] = out.rstrip("\n")
            self._layer(f"RUN {task.name}: {script.strip()}")

    # -- file system -------------------------------------------------------------------------
    # Every operation on the image tree and on the configuration directory goes through file
    # descriptors (fsops): a link in the image is resolved inside the image, a source is opened
    # below the configuration directory through no link, and nothing checked by path is then used
    # by path, so swapping a directory for a link while a COPY runs reaches nothing outside.
    def _tree(self) -> int:
        return os.open(self.rootfs, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)

    def _mkdirs(self, path: str) -> int:
        """An O_PATH fd of directory ``path`` of the image, made if missing."""
        rootfd = self._tree()
        try:
            return fsops.mkdirs_in_root(rootfd, "/".join(clean_parts(path)))
        except FileExistsError as e:
            raise BuildFailed("InvalidCommandContent", f"{e.filename} exists in the image and is not a directory") from e
        finally:
            os.close(rootfd)

    def _copy(self, ins: Instruction, state: _ImageState, where: str) -> None:
        if not self.spec.context_dir:
            raise BuildFailed("InvalidCommandContent", f"{where}: COPY needs the configuration directory, and "
                              "none was given to the build.")
        sources = list(ins.copy_sources)
        dest = ins.copy_dest or ""
        if not dest.startswith("/"):
            dest = f"{state.workdir}/{dest}"
        dest_is_dir = dest.endswith("/") or len(sources) > 1
        deadline = time.monotonic() + self.spec.step_timeout
        context = Path(self.spec.context_dir)
        ctxfd = os.open(context, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
        try:
            for src in sources:
                try:
                    real = resolve_context_path(context, src)
                except ContextPathError as e:
                    raise BuildFailed("InvalidCopySource", f"{where}: {e}") from e
                rel = real.relative_to(context.resolve()).as_posix()
                try:
                    # The checked path has no link left in it: opened through none, a link
                    # swapped in since the check fails the open instead of being followed.
                    fd = fsops.open_beneath(ctxfd, "" if rel == "." else rel, os.O_RDONLY | os.O_NONBLOCK)
                except OSError as e:
                    raise BuildFailed("InvalidCopySource", f'{where}: COPY source "{src}" changed while it was '
                                      f"read ({e.strerror}); it must stay a file or directory inside the "
                                      "configuration directory.") from e
                try:
                    self._copy_source(fd, real.name, rel == ".", dest, dest_is_dir, deadline, where)
                except (FileNotFoundError, NotADirectoryError) as e:
                    raise BuildFailed("InvalidCopySource", f'{where}: COPY source "{src}" changed while it was '
                                      f"read ({e.strerror}: {e.filename}).") from e
                except OSError as e:
                    if e.errno != errno.ELOOP:
                        raise
                    raise BuildFailed("InvalidCopySource", f'{where}: COPY source "{src}": an entry became a '
                                      f"symbolic link while it was read ({e.filename}); it was not followed.") from e
                finally:
                    os.close(fd)
        finally:
            os.close(ctxfd)

    def _copy_source(self, fd: int, name: str, top: bool, dest: str, dest_is_dir: bool, deadline: float,
                     where: str) -> None:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            dfd = self._mkdirs(dest)
            try:
                self._copy_tree(fd, dfd, top, deadline, where)
            finally:
                os.close(dfd)
            return
        if not stat.S_ISREG(st.st_mode):
            raise BuildFailed("InvalidCopySource", f"{where}: COPY source {name} is not a regular file or directory "
                              "(a pipe, socket or device cannot be copied).")
        into_dir = dest_is_dir
        if not into_dir:
            rootfd = self._tree()
            try:
                with contextlib.suppress(OSError):
                    os.close(fsops.open_in_root(rootfd, "/".join(clean_parts(dest)), os.O_PATH | os.O_DIRECTORY))
                    into_dir = True
            finally:
                os.close(rootfd)
        parts = clean_parts(f"{dest.rstrip('/')}/{name}" if into_dir else dest)
        if not parts:
            raise BuildFailed("InvalidCommandContent", f"{where}: COPY cannot replace the image's root directory.")
        pfd = self._mkdirs("/".join(parts[:-1]))
        try:
            self._copy_file(fd, st, pfd, parts[-1], deadline, where)
        finally:
            os.close(pfd)

    def _copy_file(self, src: int, st: os.stat_result, dstdir: int, name: str, deadline: float, where: str) -> None:
        fsops.remove_at(dstdir, name)
        out = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600, dir_fd=dstdir)
        try:
            while chunk := os.read(src, 1 << 20):
                self._check_time(deadline, where)
                os.write(out, chunk)
            os.fchmod(out, stat.S_IMODE(st.st_mode))
            if os.geteuid() == 0:
                os.fchown(out, 0, 0)
        finally:
            os.close(out)

    def _check_time(self, deadline: float, where: str) -> None:
        if self.cancelled():
            raise BuildCancelled()
        if time.monotonic() > deadline:
            raise BuildFailed("CopyTimeout", f"{where}: the COPY ran longer than {self.spec.step_timeout:g}s and was "
                              "stopped. Copy less (a .imgb store or other large tree inside the configuration "
                              "directory?), or split it.")
        self._check_disk(where)

    def _copy_tree(self, srcdir: int, dstdir: int, top: bool, deadline: float, where: str) -> None:
        store = os.stat(self.store.root)
        for name in sorted(os.listdir(srcdir)):
            self._check_time(deadline, where)
            if top and is_imgb_own(name):
                continue  # as copy_inputs hashes it: imgb's own files are not the user's content
            st = os.stat(name, dir_fd=srcdir, follow_symlinks=False)
            if stat.S_ISDIR(st.st_mode):
                if (st.st_dev, st.st_ino) == (store.st_dev, store.st_ino):
                    continue  # a store inside the copied tree holds this very build: copying it never ends
                sub = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=srcdir)
                try:
                    existing = fsops.lstat_at(dstdir, name)
                    if existing is not None and not stat.S_ISDIR(existing.st_mode):
                        fsops.remove_at(dstdir, name)
                        existing = None
                    if existing is None:
                        os.mkdir(name, 0o755, dir_fd=dstdir)
                    dsub = os.open(name, os.O_PATH | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=dstdir)
                    try:
                        self._copy_tree(sub, dsub, False, deadline, where)
                    finally:
                        os.close(dsub)
                finally:
                    os.close(sub)
            elif stat.S_ISLNK(st.st_mode):
                try:
                    target = os.readlink(name, dir_fd=srcdir)
                except OSError as e:
                    if e.errno != errno.EINVAL:
                        raise
                    raise BuildFailed("InvalidCopySource", f'{where}: COPY source entry "{name}" stopped being a '
                                      "symbolic link while it was read; it must not change during the build.") from e
                fsops.remove_at(dstdir, name)
                os.symlink(target, name, dir_fd=dstdir)
            elif stat.S_ISREG(st.st_mode):
                fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=srcdir)
                try:
                    fst = os.fstat(fd)
                    if stat.S_ISREG(fst.st_mode):
                        self._copy_file(fd, fst, dstdir, name, deadline, where)
                finally:
                    os.close(fd)

    def _snapshot(self, what: str) -> layers.Snapshot:
        try:
            return layers.snapshot(self.rootfs)
        except layers.TreeTooDeep as e:
            raise BuildFailed("InvalidTree", f"{what} left directories nested more than {layers.MAX_DEPTH} deep "
                              f"({e}); images may not nest deeper. Flatten the tree.") from e

    def _check_disk(self, where: str, need: int = 0) -> None:
        reason = disk_low(self.store.tmp, need)
        if reason:
            raise BuildFailed("DiskFull", f"{where}: {reason}")

    def _disk_guard(self, where: str) -> layers.DiskGuard:
        """Checks the disk's reserve every DISK_CHECK_EVERY bytes written (and before any larger
        file): the host-side work of a build (a sparse file of RUN's written out in full, a small
        layer unpacking to a huge one) stops before the disk fills, as RUN's own writes do."""
        pending = 0

        def guard(nbytes: int) -> None:
            nonlocal pending
            pending += nbytes
            if pending >= DISK_CHECK_EVERY:
                need, pending = pending, 0
                self._check_disk(where, need)

        return guard

    # -- layers ------------------------------------------------------------------------------
    def _empty(self, created_by: str) -> None:
        if self.committing:
            self.history.append({"created": EPOCH_ISO, "created_by": created_by, "empty_layer": True})

    def _layer(self, created_by: str) -> None:
        if not self.committing:
            return
        after = self._snapshot(created_by[:80])
        changed, deleted = layers.diff(self.snap, after)
        self.snap = after
        if not changed and not deleted:
            self._empty(created_by)
            return
        fd, tmp = tempfile.mkstemp(dir=self.work, prefix="layer-")
        with os.fdopen(fd, "wb") as f:
            info = layers.write_layer(self.rootfs, changed, deleted, f, epoch=self.spec.epoch,
                                      guard=self._disk_guard(f"writing the layer of {created_by[:60]!r}"))
        os.replace(tmp, self.blobs / info.digest[7:])
        self.layers.append((info.digest, info.size, MEDIA_LAYER))
        self.diff_ids.append(info.digest)
        self.history.append({"created": EPOCH_ISO, "created_by": created_by[:1024]})
        self.log(f"  layer {info.digest[:19]} ({info.entries} entries, {info.size} bytes)")


DISK_CHECK_EVERY = 64 << 20


def disk_low(path: Path, need: int = 0) -> str | None:
    """Why a build must stop before it fills the disk holding ``path`` (about to write ``need``
    bytes more), or None."""
    try:
        reserve = sandbox.operator_limit("IMGB_BUILD_MIN_FREE")
        inodes = sandbox.operator_limit("IMGB_BUILD_MIN_FREE_INODES")
    except sandbox.SetupError as e:
        return str(e)
    st = os.statvfs(path)
    # Files cost inodes too: a step making millions of empty files fills the file system with
    # bytes to spare. (A file system without an inode count, such as btrfs, reports 0.)
    if st.f_files and st.f_favail < inodes:
        return (f"the file system holding the store has {st.f_favail} free inodes, less than "
                f"IMGB_BUILD_MIN_FREE_INODES ({inodes}): the build stopped instead of using them all (a step "
                "that makes too many files?). Free some, or lower IMGB_BUILD_MIN_FREE_INODES, then apply again.")
    free = st.f_bavail * st.f_frsize
    if free - need >= reserve:
        return None
    room = f"{free} bytes free" + (f" and {need} bytes are about to be written" if need else "")
    return (f"the disk holding the store has {room}, leaving less than IMGB_BUILD_MIN_FREE ({reserve} bytes): "
            "the build stopped instead of filling it. Free some space (or lower IMGB_BUILD_MIN_FREE), then "
            "apply again.")


def sweep_stale_work(tmp: Path) -> None:
    """Remove the work directories of builds that were killed (their lock is free).

    Rootless, such a tree holds files of subordinate uids that its user cannot delete from
    outside the build's user namespace; the next build, inside it, can.
    """
    for d in sorted(tmp.glob("build-*")):
        try:
            fd = os.open(d / "lock", os.O_RDWR | os.O_CLOEXEC)
        except OSError:
            continue  # no lock yet: a build that is starting
        try:
            with contextlib.suppress(BlockingIOError):
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                fsops.remove_tree(d)
        finally:
            os.close(fd)


def finish_pin(layout: Layout, manifest_digest: str) -> None:
    """Drop the temporary ref that kept a finished build's blobs alive (under the store lock)."""
    layout.drop_ref(f"building-{manifest_digest[7:19]}")
