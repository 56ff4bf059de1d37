"""Every operation through the official SDK against the emulator, via the provider."""

from __future__ import annotations

from typing import Any

import pytest
from alibabacloud_ecs20140526 import models as ecs

from imgb.providers.alicloud import AlicloudProvider
from imgb.providers.base import Cancelled, ProviderError, no_progress
from tests.alicloud.conftest import BASE_IMAGE, HOME, ProviderFactory, Recorder
from tests.alicloud.emulator import Emulator


def component(provider: AlicloudProvider, token: str = "tok-c", **over: Any) -> dict[str, Any]:
    desired = {"name": "nginx", "version": "1.0.0", "type": "Build", "system_type": "Linux",
               "description": "Install nginx", "content": "RUN apt-get install -y nginx", "tags": {"team": "web"},
               "address": "component.nginx", **over}
    return provider.wait("component", provider.start("component", desired, token), no_progress)


def template(provider: AlicloudProvider, token: str = "tok-t", **over: Any) -> dict[str, Any]:
    desired = {"name": "web", "description": "Web tier", "base_image": BASE_IMAGE, "build_content": "RUN echo hi",
               "test_content": "", "instance_type": "ecs.g6.large", "system_disk_size": 60,
               "internet_max_bandwidth_out": 5, "vswitch_id": f"vsw-{HOME}-a", "delete_instance_on_failure": False,
               "image_name": "web", "image_family": "web", "image_description": "Web image",
               "image_tags": {"app": "web"}, "tags": {"team": "web"}, "address": "template.web", **over}
    return provider.wait("template", provider.start("template", desired, token), no_progress)


def build(provider: AlicloudProvider, template_id: str, token: str = "tok-i", progress: Any = no_progress) -> dict[str, Any]:
    handle = provider.start("image", {"template_id": template_id, "content_hash": "h1", "address": "image.web",
                                      "image_tags": {"app": "web"}}, token)
    return provider.wait("image", handle, progress)


def test_component_lifecycle_with_tags(provider: AlicloudProvider, emulator: Emulator) -> None:
    c = component(provider)
    assert c["id"].startswith("ic-") and c["version"] == "1.0.0" and c["tags"] == {"team": "web"}
    raw = next(iter(emulator.world.components.values()))
    assert raw.tags["imgb:managed"] == "true" and raw.tags["imgb:address"] == "component.nginx" and raw.tags["imgb:hash"]
    assert provider.read("component", c["id"], c) == c
    provider.delete("component", c["id"], c)
    assert provider.read("component", c["id"], c) is None
    provider.delete("component", c["id"], c)  # already gone counts as success


def test_component_version_defaults_and_conflicts(provider: AlicloudProvider) -> None:
    first = component(provider, "t1", version=None)
    second = component(provider, "t2", version=None)
    assert (first["version"], second["version"]) == ("1.0.0", "2.0.0")
    with pytest.raises(ProviderError) as exc:
        component(provider, "t3", version="2.0.0")
    assert exc.value.code == "InvalidComponentVersion.Exist" and not exc.value.retryable


def test_component_content_rules(provider: AlicloudProvider) -> None:
    for content, code in (("FROM ubuntu", "NotSupportedCommand.FROM"), ("ADD x /y", "InvalidImageTemplateCommand.NotSupported"),
                          ("RESTART now", "NotEmptyCommandContent.RESTART"), ("COMPONENT ic-1", "InvalidCommand.Component"),
                          ("RUN " + "x" * 17000, "InvalidContent.LengthExceeded")):
        with pytest.raises(ProviderError) as exc:
            component(provider, f"tok-{code}", content=content)
        assert exc.value.code == code


def test_template_sends_every_attribute_and_reads_back(provider: AlicloudProvider, emulator: Emulator) -> None:
    c = component(provider)
    t = template(provider, build_content=f"COMPONENT {c['id']}\nRUN echo hi")
    params = emulator.world.pipelines[t["id"]].params
    assert params["BaseImageType"] == "IMAGE" and params["DeleteInstanceOnFailure"] == "False"
    assert params["ImageOptions.ImageName"] == "web" and params["ImageOptions.ImageTags.1.Key"] == "app"
    assert not any(k.startswith(("ToRegionId", "AddAccount")) for k in params)
    attrs = provider.read("template", t["id"], {})
    assert attrs is not None
    assert {k: attrs[k] for k in ("instance_type", "system_disk_size", "internet_max_bandwidth_out", "vswitch_id",
                                  "delete_instance_on_failure", "image_family", "image_tags", "tags")} == {
        "instance_type": "ecs.g6.large", "system_disk_size": 60, "internet_max_bandwidth_out": 5,
        "vswitch_id": f"vsw-{HOME}-a", "delete_instance_on_failure": False, "image_family": "web",
        "image_tags": {"app": "web"}, "tags": {"team": "web"}}
    # A component used by a template cannot go first (the engine orders deletes to avoid this).
    with pytest.raises(ProviderError) as exc:
        provider.delete("component", c["id"], c)
    assert exc.value.code == "InvalidImageComponent.InUse" and not exc.value.retryable
    provider.delete("template", t["id"], t)
    provider.delete("component", c["id"], c)
    assert provider.read("template", t["id"], t) is None


def test_template_from_family_and_unknown_component(provider: AlicloudProvider, emulator: Emulator) -> None:
    t = template(provider, base_image=None, base_image_family="acs:ubuntu_22_04_x64")
    assert emulator.world.pipelines[t["id"]].params["BaseImageType"] == "IMAGE_FAMILY"
    with pytest.raises(ProviderError) as exc:
        template(provider, "tok-x", build_content="COMPONENT ic-doesnotexist")
    assert exc.value.code == "ImageComponent.NotFound"


def test_build_success_reports_progress_and_tags_image(provider: AlicloudProvider, emulator: Emulator) -> None:
    emulator.world.timings.phase_seconds = 0.15  # long enough for polls to see every phase on a busy machine
    t = template(provider, test_content="RUN true")
    rec = Recorder()
    img = build(provider, t["id"], progress=rec)
    assert img["id"].startswith("m-") and img["status"] == "Available" and img["region"] == HOME
    assert rec.phases[-1] == "SUCCESS" and "BUILDING" in rec.phases
    stored = emulator.world.images[(HOME, img["id"])]
    assert stored.name == f"web_{img['execution_id']}"
    assert stored.tags["imgb:hash"] == "h1" and stored.tags["app"] == "web"
    assert provider.read("image", img["id"], img)["status"] == "Available"  # type: ignore[index]
    assert "SUCCESS" in provider.logs("image", img["id"], img)
    provider.delete("image", img["id"], img)
    assert provider.read("image", img["id"], img) is None
    provider.delete("image", img["id"], img)


@pytest.mark.parametrize("outcome", ["FAILED", "TEST_FAILED", "PARTITION_SUCCESS"])
def test_build_outcomes(provider: AlicloudProvider, emulator: Emulator, outcome: str) -> None:
    t = template(provider)
    emulator.world.outcomes.append(outcome)
    if outcome == "FAILED":
        with pytest.raises(ProviderError) as exc:
            build(provider, t["id"])
        assert exc.value.code == "CommandExecutionFailed" and "exited with code 1" in exc.value.message
        return
    img = build(provider, t["id"])
    assert img["status"] == ("TEST_FAILED" if outcome == "TEST_FAILED" else "Available")
    assert provider.read("image", img["id"], img)["status"] == img["status"]  # type: ignore[index]


def test_one_running_build_per_template_and_delete_guard(provider: AlicloudProvider, emulator: Emulator) -> None:
    t = template(provider)
    emulator.world.timings.phase_seconds = 0.5  # still running while we look, even on a busy machine
    handle = provider.start("image", {"template_id": t["id"], "content_hash": "h1"}, "tok-1")
    # Another build of the template (other content) waits its turn: retryable, and nothing adopted.
    with pytest.raises(ProviderError) as exc:
        provider.start("image", {"template_id": t["id"], "content_hash": "h2"}, "tok-2")
    assert exc.value.code == "InvalidImagePipeline.HasRunningExecution" and exc.value.retryable
    with pytest.raises(ProviderError) as exc:
        provider.delete("template", t["id"], t)
    assert exc.value.code == "InvalidImagePipeline.HasRunningExecution" and exc.value.retryable
    # A start of the same content under a new token (its first token's response lost and forgotten)
    # adopts the running build instead of failing or starting a second one.
    assert provider.start("image", {"template_id": t["id"], "content_hash": "h1"}, "tok-3")["execution_id"] == \
        handle["execution_id"]
    # The same token while it runs returns the same build (a retry after a lost response).
    assert provider.start("image", {"template_id": t["id"], "content_hash": "h1"}, "tok-1")["execution_id"] == \
        handle["execution_id"]
    provider.wait("image", handle, no_progress)
    provider.delete("template", t["id"], t)


def test_cancel_build(provider: AlicloudProvider) -> None:
    t = template(provider)
    handle = provider.start("image", {"template_id": t["id"], "content_hash": "h1"}, "tok-1")
    provider.cancel("image", handle)
    with pytest.raises(Cancelled):
        provider.wait("image", handle, no_progress)
    provider.cancel("image", handle)  # too late: no error


def test_copy_queues_beyond_five_per_region(provider: AlicloudProvider, emulator: Emulator) -> None:
    assert provider.schema().limits.copies_per_region == 5
    # CopyImage refuses a second concurrent copy of one image into one region: seven images.
    sources = [emulator.world.add_image(HOME, name=f"web_{i}", created=1.0 + i) for i in range(7)]
    emulator.world.timings.copy_seconds = 0.4  # long enough to see the queue
    handles = [provider.start("copy", {"source_image_id": img.id, "source_region": HOME, "region": "cn-shanghai",
                                       "image_name": "web", "content_hash": "h1"}, f"cp-{i}")
               for i, img in enumerate(sources)]
    statuses = sorted(i.status for i in emulator.world.images.values() if i.copy_source)
    assert statuses.count("Creating") == 5 and statuses.count("Waiting") == 2
    copies = [provider.wait("copy", h, no_progress) for h in handles]
    assert all(c["region"] == "cn-shanghai" for c in copies)
    assert provider.read("copy", copies[0]["id"], copies[0]) is not None
    provider.delete("copy", copies[0]["id"], copies[0])
    assert provider.read("copy", copies[0]["id"], copies[0]) is None


def test_failed_copy_is_deleted_with_its_snapshot(provider: AlicloudProvider, emulator: Emulator) -> None:
    img = build(provider, template(provider)["id"])
    emulator.world.rates["COPY_FAILED"] = 1.0
    handle = provider.start("copy", {"source_image_id": img["id"], "source_region": HOME, "region": "cn-beijing"}, "c")
    with pytest.raises(ProviderError) as exc:
        provider.wait("copy", handle, no_progress)
    assert exc.value.code == "CopyFailed" and not exc.value.retryable
    # Nothing left to orphan: neither the failed copy (which holds the name) nor its snapshot.
    assert ("cn-beijing", handle["id"]) not in emulator.world.images
    assert not emulator.world.orphan_snapshots()
    emulator.world.rates["COPY_FAILED"] = 0.0
    again = provider.wait("copy", provider.start("copy", {"source_image_id": img["id"], "source_region": HOME,
                                                          "region": "cn-beijing"}, "c2"), no_progress)
    assert again["name"] == handle["name"]


def test_shares_batch_ten_accounts_per_call(provider: AlicloudProvider, emulator: Emulator) -> None:
    img = build(provider, template(provider)["id"])
    accounts = [f"20000000000000{i:02d}" for i in range(23)]
    provider.modify_shares(HOME, img["id"], add=accounts)
    assert provider.shared_accounts(HOME, img["id"]) == set(accounts)
    calls = [entry for entry in emulator.log if entry.action == "ModifyImageSharePermission"]
    assert len(calls) == 3
    share = provider.wait("share", provider.start("share", {"image_id": img["id"], "region": HOME,
                                                            "account": "3000000000000001"}, "s"), no_progress)
    assert share["id"] == f"{img['id']}/3000000000000001"
    assert provider.read("share", share["id"], share) == share
    provider.delete("share", share["id"], share)
    assert provider.read("share", share["id"], share) is None


def test_describe_images_default_filter_hides_new_copies(provider: AlicloudProvider, emulator: Emulator) -> None:
    img = build(provider, template(provider)["id"])
    emulator.world.timings.copy_seconds = 5.0  # still Creating while we look
    handle = provider.start("copy", {"source_image_id": img["id"], "source_region": HOME, "region": "cn-beijing"}, "c")
    client = provider._api  # the same SDK client, to show why the provider passes Status explicitly
    default = client.call("cn-beijing", "describe_images", ecs.DescribeImagesRequest(region_id="cn-beijing",
                                                                                     image_id=handle["id"]))
    assert default.total_count == 0
    assert provider.read("copy", handle["id"], {"region": "cn-beijing"}) is not None


def test_pagination_by_token_and_page_number(provider: AlicloudProvider) -> None:
    ids = {component(provider, f"t{i}", name=f"c{i}")["id"] for i in range(5)}
    seen: set[str] = set()
    token = None
    pages = 0
    while True:
        body = provider._api.call(HOME, "describe_image_components", ecs.DescribeImageComponentsRequest(
            region_id=HOME, max_results=2, next_token=token))
        seen |= {c.image_component_id for c in body.image_component.image_component_set}
        pages += 1
        token = body.next_token
        if not token:
            break
    assert seen == ids and pages == 3
    with pytest.raises(ProviderError) as exc:
        provider._api.call(HOME, "describe_image_components",
                           ecs.DescribeImageComponentsRequest(region_id=HOME, next_token="garbage!"))
    assert exc.value.code == "Invalid.NextToken"


def test_client_token_idempotency(provider: AlicloudProvider, emulator: Emulator) -> None:
    first = component(provider, "same-token")
    again = component(provider, "same-token")
    assert first["id"] == again["id"] and emulator.world.created_counts()["component"] == 1
    with pytest.raises(ProviderError) as exc:
        component(provider, "same-token", content="RUN echo different")
    assert exc.value.code == "IdempotentParameterMismatch" and not exc.value.retryable


def test_limits_of_the_service(provider: AlicloudProvider) -> None:
    api = provider._api
    req = ecs.CreateImagePipelineRequest(region_id=HOME, base_image_type="IMAGE", base_image=BASE_IMAGE,
                                         to_region_id=[f"r{i}" for i in range(21)])
    with pytest.raises(ProviderError) as exc:
        api.call(HOME, "create_image_pipeline", req)
    assert exc.value.code == "InvalidToRegionIdSize.ExceededMaxNumber"
    with pytest.raises(ProviderError) as exc:
        template(provider, "big", build_content="RUN " + "y" * (16 * 1024))
    assert exc.value.code == "InvalidBuildContent.LengthExceeded"
    with pytest.raises(ProviderError) as exc:
        template(provider, "disk", system_disk_size=600)
    assert exc.value.code == "InvalidSystemDiskSize.NotSupportedValue"


def test_resolve_base_image(provider: AlicloudProvider) -> None:
    assert provider.resolve_base_image(BASE_IMAGE, None) == BASE_IMAGE
    assert provider.resolve_base_image(None, "acs:ubuntu_22_04_x64") == BASE_IMAGE  # the newest of the family
    with pytest.raises(ProviderError) as exc:
        provider.resolve_base_image("no-such-image", None)
    assert exc.value.code == "InvalidImage.NotFound"
    with pytest.raises(ProviderError):
        provider.resolve_base_image(None, "no-family")


def test_shares_started_together_go_out_in_one_call(make_provider: ProviderFactory, emulator: Emulator) -> None:
    import threading

    provider = make_provider(share_window=0.5)  # the threads below start within that, even on a busy machine
    from tests.alicloud.emulator import ACCOUNT_ID

    img = emulator.world.add_image(HOME, name="shared", created=1.0)
    accounts = [f"30000000000000{i:02d}" for i in range(4)] + [ACCOUNT_ID]  # the last one is refused
    results: dict[str, Any] = {}

    def share(account: str) -> None:
        try:
            results[account] = provider.start("share", {"image_id": img.id, "region": HOME, "account": account}, account)
        except ProviderError as err:
            results[account] = err

    threads = [threading.Thread(target=share, args=(a,)) for a in accounts]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    calls = [e for e in emulator.log if e.action == "ModifyImageSharePermission"]
    # One call for the five, refused for the owner's own account; then each on its own.
    assert calls[0].code == "InvalidAccount.Forbbiden" and len(calls) == 1 + len(accounts)
    assert isinstance(results[ACCOUNT_ID], ProviderError) and results[ACCOUNT_ID].code == "InvalidAccount.Forbbiden"
    assert set(img.shared_with) == set(accounts[:4])
    emulator.reset_log()
    threads = [threading.Thread(target=provider.delete, args=("share", f"{img.id}/{a}", {"region": HOME}))
               for a in accounts[:4]]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [e.action for e in emulator.log] == ["ModifyImageSharePermission"] and not img.shared_with
