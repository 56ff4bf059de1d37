"""Regions, copies, shares, deletes, imports, listings, plan-time checks and test knobs."""

from __future__ import annotations

import shutil
import subprocess
import tarfile
import time
from pathlib import Path

import pytest

from imgb.diagnostics import Severity
from imgb.providers.base import ProviderError, no_progress
from imgb.providers.local import LocalProvider, build_log, import_image, list_images
from imgb.providers.local.baseimages import make_busybox_rootfs
from tests.local.conftest import Build, needs_sandbox


def create(p: LocalProvider, kind: str, desired: dict, token: str) -> dict:
    return p.wait(kind, p.start(kind, desired, token), no_progress)  # type: ignore[arg-type]


@pytest.fixture
def rootfs(tmp_path: Path) -> Path:
    r = tmp_path / "rootfs"
    r.mkdir()
    (r / "etc").mkdir()
    (r / "etc" / "os-release").write_text("ID=test\n")
    return r


def test_copy_hard_links_blobs_and_gets_its_own_id(provider: LocalProvider, rootfs: Path) -> None:
    src = import_image(provider.store.root, "local-1", "base", str(rootfs))
    copy = create(provider, "copy", {"source_image_id": src["id"], "source_region": "local-1", "region": "local-2"}, "c")
    assert copy["region"] == "local-2" and copy["id"] != src["id"]
    a, b = provider.store.layout("local-1"), provider.store.layout("local-2")
    for blob in a.manifest_blobs(src["manifest_digest"]):
        assert a.blob_path(blob).stat().st_ino == b.blob_path(blob).stat().st_ino
    # Deleting the source keeps the copy's blobs.
    provider.delete("image", src["id"], {"region": "local-1"})
    assert provider.read("image", src["id"], {"region": "local-1"}) is None
    assert provider.read("copy", copy["id"], copy) is not None
    assert all(b.blob_path(d).exists() for d in b.manifest_blobs(src["manifest_digest"]))


def test_share_unshare_and_shared_images_cannot_be_deleted(provider: LocalProvider, rootfs: Path) -> None:
    img = import_image(provider.store.root, "local-1", "base", str(rootfs))
    share = create(provider, "share", {"image_id": img["id"], "region": "local-1", "account": "1234567890"}, "s")
    assert share["id"] == f"{img['id']}/1234567890"
    assert [r["shared_with"] for r in list_images(provider.store.root)] == [["1234567890"]]
    with pytest.raises(ProviderError) as info:
        provider.delete("image", img["id"], img)
    assert info.value.code == "InvalidImage.Shared" and provider.read("image", img["id"], img) is not None
    provider.delete("share", share["id"], {"region": "local-1"})
    assert provider.read("share", share["id"], {"region": "local-1"}) is None
    provider.delete("image", img["id"], img)
    assert list_images(provider.store.root) == []


def test_bad_share_and_copy_requests_are_non_retryable(provider: LocalProvider, rootfs: Path) -> None:
    img = import_image(provider.store.root, "local-1", "base", str(rootfs))
    for kind, desired in (
        ("share", {"image_id": img["id"], "region": "local-1", "account": "not-digits"}),
        ("copy", {"source_image_id": img["id"], "source_region": "local-1", "region": "local-1"}),
        ("copy", {"source_image_id": img["id"], "source_region": "local-1", "region": "Bad/Region"}),
    ):
        with pytest.raises(ProviderError) as info:
            create(provider, kind, desired, f"{kind}-{desired}")
        assert not info.value.retryable


def test_imports_from_tarball_and_oci_layout_and_resolution_by_name(provider: LocalProvider, rootfs: Path,
                                                                    tmp_path: Path) -> None:
    tarball = tmp_path / "rootfs.tar.gz"
    with tarfile.open(tarball, "w:gz") as t:
        t.add(rootfs, arcname=".")
    a = import_image(provider.store.root, "local-1", "from-tar", str(tarball))
    layout = provider.store.root / "regions" / "local-1"
    b = import_image(tmp_path / "other", "local-1", "from-oci", f"oci:{layout}:{a['id']}")
    assert b["manifest_digest"] == a["manifest_digest"]
    assert provider.resolve_base_image("from-tar", None) == a["id"]
    assert provider.resolve_base_image(a["id"], None) == a["id"]
    with pytest.raises(ProviderError):
        provider.resolve_base_image("nope", None)


@pytest.mark.skipif(shutil.which("skopeo") is None, reason="skopeo is not installed")
def test_import_of_a_docker_save_archive(provider: LocalProvider, rootfs: Path, tmp_path: Path) -> None:
    a = import_image(provider.store.root, "local-1", "x", str(rootfs))
    archive = tmp_path / "img.tar"
    layout = provider.store.root / "regions" / "local-1"
    subprocess.run(["skopeo", "copy", f"oci:{layout}:{a['id']}", f"docker-archive:{archive}:x:latest"],
                   check=True, capture_output=True)
    b = import_image(provider.store.root, "local-2", "docker", str(archive))
    manifest = provider.store.layout("local-2").read_json(b["manifest_digest"])
    assert len(manifest["layers"]) == 1


@needs_sandbox
def test_family_resolves_to_the_newest_available_image(provider: LocalProvider, build: Build) -> None:
    first = build("RUN echo 1 > /v\n")
    second = build("RUN echo 2 > /v\n")
    build("RUN echo 3 > /v\n", "RUN false")  # TEST_FAILED: never chosen
    assert first["id"] != second["id"]
    assert provider.resolve_base_image(None, "fam") == second["id"]
    assert "RUN echo 2" in build_log(provider.store.root, second["id"])


def test_list_images_is_sorted_per_region(provider: LocalProvider, rootfs: Path) -> None:
    for region, name in (("local-2", "b"), ("local-1", "z"), ("local-1", "a")):
        import_image(provider.store.root, region, name, str(rootfs))
    rows = list_images(provider.store.root)
    assert [(r["region"], r["name"]) for r in rows] == [("local-1", "a"), ("local-1", "z"), ("local-2", "b")]
    assert set(rows[0]) >= {"id", "name", "family", "content_hash", "created", "size", "shared_with"}


def test_check_rejects_what_local_builds_cannot_run(provider: LocalProvider) -> None:
    yaml_content = ("Tasks:\n  - Name: get\n    Action: WebDownload\n    Properties:\n      sourcePath: http://x/y\n"
                    "      destinationDir: /tmp\n  - Name: ps\n    Action: RunPowerShellCommand\n    Properties:\n"
                    "      commandContent: dir\n")
    diags = provider.check("component", {"name": "c", "content": yaml_content,  # type: ignore[arg-type]
                                         "content_origin": {"filename": "c.yaml", "line": 1}}, "component.c")
    assert [d.summary for d in diags] == ['The local provider cannot run "WebDownload"',
                                          'The local provider cannot run "RunPowerShellCommand"']
    assert all(d.severity is Severity.ERROR and d.address == "component.c" for d in diags)
    assert [str(d.pos) for d in diags] == ["c.yaml:2", "c.yaml:7"]
    win = provider.check("component", {"name": "w", "content": "RUN x", "system_type": "Windows"}, "component.w")  # type: ignore[arg-type]
    assert len(win) == 1
    missing = provider.check("template", {"base_image": "ubuntu_22"}, "template.t")  # type: ignore[arg-type]
    assert missing and "not found" in missing[0].summary
    assert provider.check("template", {"base_image": "busybox", "build_content": "RUN true"}, "template.t") == []  # type: ignore[arg-type]
    assert list_images(provider.store.root) == []  # checks have no side effects


def test_latency_and_failure_knobs(tmp_path: Path) -> None:
    slow = LocalProvider(tmp_path / "c", "local-1", latency=0.2)
    t0 = time.monotonic()
    create(slow, "component", {"name": "c", "content": "RUN true"}, "t1")
    assert time.monotonic() - t0 >= 0.2
    flaky = LocalProvider(tmp_path / "c", "local-1", fail={"component", "delete:template"})
    with pytest.raises(ProviderError) as info:
        create(flaky, "component", {"name": "c", "content": "RUN true"}, "t2")
    assert info.value.retryable and info.value.code == "InjectedFailure"
    # A retry with the same token on a healthy provider creates it.
    assert create(LocalProvider(tmp_path / "c", "local-1"), "component", {"name": "c"}, "t2")["id"].startswith("ic-")
    seeded = [LocalProvider(tmp_path / "c", "local-1", fail=0.5, seed=7)._injected("x") for _ in range(1)]
    again = [LocalProvider(tmp_path / "c", "local-1", fail=0.5, seed=7)._injected("x") for _ in range(1)]
    assert seeded == again


def test_busybox_rootfs_has_applets_and_users(tmp_path: Path) -> None:
    root = tmp_path / "bb"
    root.mkdir()
    try:
        make_busybox_rootfs(str(root))
    except Exception as e:  # noqa: BLE001 - skip with the reason on hosts without busybox-static
        pytest.skip(str(e))
    assert (root / "bin/sh").is_symlink() and (root / "bin/busybox").is_file()
    assert "root:x:0:0" in (root / "etc/passwd").read_text() and "nobody" in (root / "etc/passwd").read_text()
    assert oct((root / "tmp").stat().st_mode & 0o7777) == "0o1777"
