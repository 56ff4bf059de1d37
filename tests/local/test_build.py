"""Real builds: OCI validity (skopeo, umoci), contents and owners, determinism, tests, logs, cancel."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from imgb.providers.base import Cancelled, ProviderError, no_progress
from imgb.providers.local import LocalProvider
from tests.local.conftest import Build, make_template, needs_sandbox

pytestmark = needs_sandbox

WEB = """\
RUN echo "app:x:1000:1000:app:/home/app:/bin/sh" >> /etc/passwd && echo "app:x:1000:" >> /etc/group && \\
    mkdir -p /home/app && chown app:app /home/app
COPY files/index.html /srv/www/
ENV APP_VERSION="1.2.3"
USER app
WORKDIR /home/app
RUN echo "version $APP_VERSION" > VERSION && id -un > WHO
LABEL role="web"
CMD ["httpd", "-f", "-h", "/srv/www"]
"""


def manifest_digest(provider: LocalProvider, image: dict) -> str:
    rec = provider.store.get(image["region"], "images", image["id"])
    assert rec is not None
    return str(rec["manifest_digest"])


@pytest.mark.skipif(not (shutil.which("skopeo") and shutil.which("umoci")), reason="skopeo and umoci are not installed")
def test_built_image_is_valid_oci_with_run_copy_results_and_owners(
    provider: LocalProvider, build: Build, tmp_path: Path
) -> None:
    image = build(WEB)
    assert image["status"] == "Available" and image["id"].startswith("m-") and len(image["id"]) == 22
    layout = provider.store.root / "regions" / "local-1"
    info = json.loads(subprocess.run(["skopeo", "inspect", f"oci:{layout}:{image['id']}"],
                                     capture_output=True, text=True, check=True).stdout)
    assert info["Digest"] == manifest_digest(provider, image)
    assert info["Labels"] == {"role": "web"}
    assert "APP_VERSION=1.2.3" in info["Env"]
    bundle = tmp_path / "bundle"
    subprocess.run(["umoci", "unpack", "--image", f"{layout}:{image['id']}", str(bundle)],
                   capture_output=True, check=True)
    rootfs = bundle / "rootfs"
    assert (rootfs / "srv/www/index.html").read_text() == "<h1>hello</h1>\n"
    assert (rootfs / "srv/www/index.html").stat().st_uid == 0
    version = rootfs / "home/app/VERSION"
    assert version.read_text() == "version 1.2.3\n"
    assert (version.stat().st_uid, version.stat().st_gid) == (1000, 1000)
    assert (rootfs / "home/app/WHO").read_text() == "app\n"
    config = json.loads((bundle / "config.json").read_text())
    assert config["process"]["user"]["uid"] == 1000
    assert config["process"]["cwd"] == "/home/app"


def test_same_inputs_give_the_same_digest(tmp_path: Path, context: Path) -> None:
    digests = []
    for n in range(2):
        p = LocalProvider(tmp_path / f"cloud{n}", "local-1")
        tid = make_template(p, WEB, "RUN test -f /home/app/VERSION")
        desired = {"template_id": tid, "content_hash": "h", "image_name": "img", "context_dir": str(context)}
        image = p.wait("image", p.start("image", desired, str(uuid.uuid4())), no_progress)
        digests.append(manifest_digest(p, image))
    assert digests[0] == digests[1]


def test_config_records_env_user_workdir_cmd_and_one_layer_per_file_step(provider: LocalProvider, build: Build) -> None:
    image = build(WEB)
    lay = provider.store.layout("local-1")
    manifest = lay.read_json(manifest_digest(provider, image))
    config = lay.read_json(manifest["config"]["digest"])
    c = config["config"]
    assert (c["User"], c["WorkingDir"], c["Cmd"]) == ("app", "/home/app", ["httpd", "-f", "-h", "/srv/www"])
    # busybox base + RUN + COPY + WORKDIR (no change: the dir exists) + RUN
    assert len(manifest["layers"]) == 4
    assert len(config["rootfs"]["diff_ids"]) == 4
    assert sum(1 for h in config["history"] if not h.get("empty_layer")) == 4


def test_entrypoint_clears_the_base_images_cmd_unless_the_build_set_one(provider: LocalProvider, build: Build) -> None:
    """Docker's rule, which Image Builder's documentation refers to for CMD and ENTRYPOINT."""
    def config(image: dict) -> dict:
        lay = provider.store.layout("local-1")
        return dict(lay.read_json(lay.read_json(manifest_digest(provider, image))["config"]["digest"])["config"])

    base = build('CMD ["sh"]\n')
    assert config(base)["Cmd"] == ["sh"]
    cleared = config(build('ENTRYPOINT ["/bin/echo"]\n', base=base["id"]))
    assert (cleared["Entrypoint"], cleared.get("Cmd")) == (["/bin/echo"], None)
    kept = config(build('CMD ["hi"]\nENTRYPOINT ["/bin/echo"]\n', base=base["id"]))
    assert (kept["Entrypoint"], kept["Cmd"]) == (["/bin/echo"], ["hi"])


def test_deletions_become_whiteouts(provider: LocalProvider, build: Build) -> None:
    image = build("RUN rm /etc/hosts\n", "RUN test ! -e /etc/hosts")
    assert image["status"] == "Available"
    lay = provider.store.layout("local-1")
    manifest = lay.read_json(manifest_digest(provider, image))
    import tarfile

    with tarfile.open(lay.blob_path(manifest["layers"][-1]["digest"])) as t:
        assert "etc/.wh.hosts" in t.getnames()


def test_failing_test_content_marks_the_image_test_failed(build: Build) -> None:
    image = build("RUN echo built > /built\n", "RUN test -f /missing")
    assert image["status"] == "TEST_FAILED"


def test_test_content_changes_are_discarded(provider: LocalProvider, build: Build) -> None:
    image = build("RUN true\n", "RUN echo scratch > /from-test")
    lay = provider.store.layout("local-1")
    manifest = lay.read_json(manifest_digest(provider, image))
    assert len(manifest["layers"]) == 1  # only busybox's


def test_a_failing_run_is_a_non_retryable_error_with_the_output(build: Build) -> None:
    with pytest.raises(ProviderError) as info:
        build("RUN echo boom >&2; exit 3\n")
    assert info.value.code == "CommandFailed" and not info.value.retryable
    assert "status 3" in info.value.message and "boom" in info.value.message
    assert "build line 1" in info.value.message


def test_yaml_component_parameters_and_task_stdout(provider: LocalProvider, build: Build) -> None:
    content = (
        "Parameters:\n  who:\n    Type: String\n    DefaultValue: world\n  n:\n    Type: Number\n    DefaultValue: 2\n"
        "Tasks:\n  - Name: greet\n    Action: RunShellCommand\n    Properties:\n"
        "      commandContent: echo hello {{ who }} $(({{ n }} * 3))\n"
        "  - Name: reboot\n    Action: Reboot\n"
        "  - Name: save\n    Action: RunShellCommand\n    Properties:\n"
        "      commandContent: echo \"{{ greet.stdout }}\" > /greeting\n"
    )
    comp = provider.wait("component", provider.start("component", {"name": "y", "content": content}, "c1"), no_progress)
    image = build(f"COMPONENT {comp['id']} --who imgb\n", "RUN grep -qx 'hello imgb 6' /greeting")
    assert image["status"] == "Available"


def test_logs_hold_every_step_command_and_output(provider: LocalProvider, build: Build) -> None:
    image = build("RUN echo out-marker; echo err-marker >&2\nRESTART\n")
    log = provider.logs("image", image["id"], image)
    for needle in ("RUN echo out-marker", "stdout: out-marker", "stderr: err-marker", "RESTART is a no-op", "exit 0"):
        assert needle in log


def test_a_killed_apply_can_adopt_the_build_from_a_new_process(provider: LocalProvider, context: Path) -> None:
    tid = make_template(provider, "RUN sleep 0.3; echo done > /done\n")
    script = (
        "import json, sys; from providers.local import LocalProvider\n"
        f"p = LocalProvider({str(provider.store.root)!r}, 'local-1')\n"
        f"h = p.start('image', {{'template_id': {tid!r}, 'content_hash': 'h', 'context_dir': {str(context)!r}}}, 'tok')\n"
        "print(json.dumps(h)); sys.stdout.flush(); import os; os._exit(0)\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[2]).stdout
    handle = json.loads(out)
    image = LocalProvider(provider.store.root, "local-1").wait("image", handle, no_progress)
    assert image["status"] == "Available"
    # The same token from yet another instance finds the finished build, not a second one.
    again = LocalProvider(provider.store.root, "local-1")
    assert again.wait("image", again.start("image", {"template_id": tid}, "tok"), no_progress)["id"] == image["id"]


def test_cancel_stops_a_running_build(provider: LocalProvider, context: Path) -> None:
    marker = uuid.uuid4().hex
    tid = make_template(provider, f"RUN sleep 30; : {marker}\n")
    handle = provider.start("image", {"template_id": tid, "context_dir": str(context)}, "tok")
    deadline = time.time() + 10
    while (provider.store.get_op(handle["op"]) or {}).get("progress") is None and time.time() < deadline:
        time.sleep(0.02)
    t0 = time.monotonic()
    provider.cancel("image", handle)
    with pytest.raises(Cancelled):
        provider.wait("image", handle, no_progress)
    assert time.monotonic() - t0 < 5
    assert subprocess.run(["pgrep", "-f", marker], capture_output=True).returncode != 0


def test_a_dead_worker_is_a_retryable_failure_and_the_token_can_retry(provider: LocalProvider, context: Path) -> None:
    marker = uuid.uuid4().hex
    tid = make_template(provider, f"RUN sleep 20; : {marker}\n")
    desired = {"template_id": tid, "context_dir": str(context)}
    handle = provider.start("image", desired, "tok")
    deadline = time.time() + 10
    while (provider.store.get_op(handle["op"]) or {}).get("progress") is None and time.time() < deadline:
        time.sleep(0.02)
    pid = int(provider.store.get_op(handle["op"])["pid"])
    os.kill(pid, signal.SIGKILL)
    with pytest.raises(ProviderError) as info:
        provider.wait("image", handle, no_progress)
    assert info.value.retryable and info.value.code == "BuildWorkerLost"
    again = provider.start("image", desired, "tok")
    assert (provider.store.get_op(again["op"]) or {}).get("attempt") == 2
    provider.cancel("image", again)
    with pytest.raises(Cancelled):
        provider.wait("image", again, no_progress)
    time.sleep(0.2)  # the kernel tears the pid namespace down asynchronously
    left = subprocess.run(["pgrep", "-f", marker], capture_output=True, text=True).stdout.split()
    assert not left, subprocess.run(["ps", "-o", "pid,ppid,lstart,args", "-p", ",".join(left)] , capture_output=True, text=True).stdout + str(provider.store.get_op(again["op"]))
