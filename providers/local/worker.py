"""The detached build worker: ``python -m providers.local.worker ROOT KEY``.

``LocalProvider.start`` launches one per image build, keyed by the engine's token. The worker
forks once and the launcher exits at once (so no zombie is left in the imgb process); the
grandchild, in its own session, builds, writes progress and the result into the store's op
record, and outlives a killed ``imgb apply``, whose successor adopts it through ``wait``.
SIGTERM (``cancel``) stops the running step and records the cancellation.

Run by an ordinary user, the worker builds in a child that is root of a new user namespace:
the user's uid is 0 there and its /etc/subuid range is 1..65535 (``sandbox.fork_mapped``), so
extraction, COPY, chown, the layers' stat walks and cleanup all see the image's own owners (the
uid of ``app``, not 100000+ on the host), and root and rootless builds give the same digests.
The worker itself stays outside to map the child, to report when that is impossible (with what
was tried and how to fix it), and to pass SIGTERM on.
"""

from __future__ import annotations

import datetime as dt
import errno
import json
import os
import signal
import sys
import traceback
from collections.abc import Callable, Sequence
from typing import Any

from imgb.providers.local import builder, sandbox
from imgb.providers.local.store import Store, now_iso


def process_start_time(pid: int) -> str | None:
    """The kernel's start time of ``pid`` (so a recycled pid is not mistaken for the worker)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    if fields[0] == "Z":
        return None
    return fields[19]


_STATE: dict[str, Any] = {"cancelled": False, "proc": None, "child": None}


def _on_term(signum: int, frame: Any) -> None:
    _STATE["cancelled"] = True
    child = _STATE["child"]
    if child is not None:
        try:
            os.kill(child, signal.SIGTERM)
        except ProcessLookupError:
            pass
    proc = _STATE["proc"]
    if proc is not None and proc.poll() is None:
        proc.kill()


def _stamp(line: str) -> str:
    return f"{dt.datetime.now(dt.UTC).strftime('%H:%M:%S.%f')[:-3]} {line}\n"


def _scrubber(secrets: Sequence[str]) -> Callable[[str], str]:
    ordered = sorted({s for s in secrets if s}, key=lambda s: (-len(s), s))  # a longer secret first

    def scrub(text: str) -> str:
        for secret in ordered:
            text = text.replace(secret, "(sensitive)")
        return text

    return scrub


def _run(store: Store, key: str, context_dir: str | None, secrets: Sequence[str] = ()) -> None:
    op = store.get_op(key) or {}
    scrub = _scrubber(secrets)
    desired: dict[str, Any] = op.get("desired", {})
    region: str = op["region"]
    log_path = store.log_path(key)
    log_file = open(log_path, "a", buffering=1)
    os.chmod(log_path, 0o600)
    state = _STATE

    def log(line: str) -> None:
        line = scrub(line)  # commands and their output may hold sensitive variable values
        try:
            log_file.write(_stamp(line))
            if line.startswith("step "):
                store.update_op(key, progress=line[5:][:200])
        except OSError:
            pass  # a full disk must not turn a build's own failure into a lost worker

    template = store.get(region, "templates", str(desired.get("template_id")))
    if template is None:
        store.update_op(key, state="failed", error={"code": "InvalidTemplate.NotFound", "retryable": False,
                        "message": f"template {desired.get('template_id')} does not exist in region {region}."})
        return
    spec = builder.BuildSpec(
        region=region,
        base_image_id=str(template.get("base_image")),
        build_content=str(template.get("build_content") or ""),
        test_content=str(template.get("test_content") or ""),
        context_dir=context_dir,
        network=int(template.get("internet_max_bandwidth_out") or 0) > 0,
        step_timeout=float(op.get("step_timeout") or 3600),
        epoch=builder.epoch_from_env(),
        annotations={"io.imgb.content-hash": str(desired.get("content_hash") or ""),
                     "org.opencontainers.image.title": str(desired.get("image_name") or "")},
    )
    def on_process(proc: Any) -> None:
        state["proc"] = proc
        if state["cancelled"]:  # SIGTERM came while the sandbox was being started
            proc.kill()

    b = builder.Builder(store, spec, log, cancelled=lambda: bool(state["cancelled"]), on_process=on_process)
    try:
        log(f"build {key[:12]} started for template {template['id']}")
        result = b.run()
        status = "Available" if result.test_passed else "TEST_FAILED"
        with store.lock():
            rec = store.add_image(region, result.manifest_digest, {
                "name": desired.get("image_name") or template.get("image_name"),
                "family": desired.get("image_family") or template.get("image_family"),
                "description": template.get("image_description"),
                "tags": dict(desired.get("image_tags") or template.get("image_tags") or {}),
                "content_hash": desired.get("content_hash"),
                "template_id": template["id"],
                "status": status,
                "log": key,
                "execution_id": "exec-" + key[:20],
                "source": "build",
            })
            builder.finish_pin(store.layout(region), result.manifest_digest)
            op = store.get_op(key) or {"key": key}
            op.update(state="done", result=_attrs(rec), finished=now_iso())
            store.put_op(op)
        log(f"build finished in {result.seconds:.3f}s: {rec['id']} {status}")
    except builder.BuildCancelled:
        log("build cancelled")
        store.update_op(key, state="cancelled", finished=now_iso())
    except builder.BuildFailed as e:
        if state["cancelled"]:
            log("build cancelled")
            store.update_op(key, state="cancelled", finished=now_iso())
        else:
            log(f"build FAILED: {e.code}: {e}")
            store.update_op(key, state="failed", finished=now_iso(),
                            error={"code": e.code, "message": scrub(str(e)), "retryable": e.retryable})
    except Exception as e:  # an imgb bug: keep the trace in the log, not on the user's screen
        log("internal error:\n" + traceback.format_exc())
        store.update_op(key, state="failed", finished=now_iso(),
                        # Only a full or busy disk may clear up by itself; a retry repeats anything else.
                        # A full disk is final (a retry would fill it again); only a busy resource may clear up.
                        error={"code": "InternalError",
                               "retryable": isinstance(e, OSError) and e.errno in (errno.EAGAIN, errno.EBUSY),
                               "message": f"the local build failed unexpectedly ({type(e).__name__}); "
                                          f"see the build log {log_path}"})
    finally:
        b.close()
        log_file.close()


def _run_rootless(store: Store, key: str, context_dir: str | None) -> None:
    try:
        pid = sandbox.fork_mapped(sandbox.CLONE_NEWUSER)
    except sandbox.SetupError as e:
        with open(store.log_path(key), "a") as f:
            f.write(_stamp(f"build FAILED: SandboxUnavailable: {e}"))
        store.update_op(key, state="failed", finished=now_iso(),
                        error={"code": "SandboxUnavailable", "message": str(e), "retryable": False})
        return
    if pid == 0:  # the child, root of its user namespace: build, and never return into main
        code = 1
        try:
            _run(store, key, context_dir)
            code = 0
        finally:
            os._exit(code)
    _STATE["child"] = pid
    if _STATE["cancelled"]:  # SIGTERM came before the child's pid was known
        os.kill(pid, signal.SIGTERM)
    code = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
    with store.lock():
        op = store.get_op(key) or {"key": key}
        if op.get("state") == "running":
            how = f"was killed by signal {-code}" if code < 0 else f"exited with status {code}"
            op.update(state="failed", finished=now_iso(), error=lost_error(store, f"the build process {how}"))
            store.put_op(op)


def lost_error(store: Store, what: str) -> dict[str, Any]:
    """The error of a build whose worker died without a result: retried, unless the disk is full
    (dying of a full disk, a retry would only fill it again)."""
    low = builder.disk_low(store.tmp)
    if low:
        return {"code": "DiskFull", "retryable": False, "message": f"{what} without a result: {low}"}
    return {"code": "BuildWorkerLost", "retryable": True,
            "message": f"{what} without a result; starting it again will rebuild."}


def _attrs(rec: dict[str, Any]) -> dict[str, Any]:
    return {k: rec.get(k) for k in ("id", "region", "status", "size", "execution_id", "name", "family",
                                    "content_hash", "template_id", "tags", "created")}


def main(argv: list[str]) -> int:
    root, key = argv[0], argv[1]
    request = json.loads(sys.stdin.read() or "{}")
    if request.get("seccomp"):
        from imgb.providers.local import seccomp

        seccomp.use(str(request["seccomp"]))
    signal.signal(signal.SIGTERM, _on_term)
    if os.fork() != 0:
        os._exit(0)
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    # New files and RUN steps get the same modes whoever runs imgb, so images are reproducible.
    os.umask(0o022)
    store = Store(root)
    me = os.getpid()
    with store.lock():
        op = store.get_op(key) or {"key": key}
        if op.get("state") != "queued":
            return 0  # cancelled before we started, or another worker took it
        op.update(state="running", pid=me, pid_start=process_start_time(me), started=now_iso())
        store.put_op(op)
    if _STATE["cancelled"]:
        store.update_op(key, state="cancelled", finished=now_iso())
        return 0
    if os.geteuid() == 0:
        _run(store, key, request.get("context_dir"), list(request.get("mask") or []))
    else:
        _run_rootless(store, key, request.get("context_dir"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
