"""One contract test per documented error: the emulator raises it where its API page says, with the
documented HTTP status, and the provider handles it as the page implies (retry, fail with a hint,
treat as gone, or do what the page asks first: unshare, adopt what it already made).

Each case provokes the error through the emulator's own rules (never by injecting it), except the
"try again later" codes whose cause is the service's own timing; those are injected as
``Faults.conflict_rate`` does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from alibabacloud_ecs20140526 import models as ecs

from imgb.providers.alicloud import AlicloudProvider
from imgb.providers.alicloud.errors import is_not_found
from imgb.providers.base import ProviderError, no_progress
from tests.alicloud.conftest import BASE_IMAGE, HOME, ProviderFactory
from tests.alicloud.emulator import ApiError, Emulator
from tests.alicloud.emulator.docs import DOCS
from tests.alicloud.emulator.operations import CONFLICTS

DEST = "cn-shanghai"


@dataclass(frozen=True)
class Case:
    action: str
    code: str
    status: int
    page: str
    """The DOCS key of the page that documents the error."""
    provoke: Callable[[Emulator, ProviderFactory], Any]
    """Runs the scenario; returns the ProviderError the provider raised, or what it returned."""
    handling: str
    """retry: a retryable ProviderError; fail: a non-retryable one (with ``hint`` in it); gone: treated
    as already deleted; handled: the provider did what the page asks and succeeded."""
    hint: str = ""


def _image(em: Emulator, region: str = HOME, **kw: Any) -> Any:
    kw.setdefault("name", f"img-{len(em.world.images)}")
    return em.world.add_image(region, created=1.0, **kw)


def _raised(fn: Callable[[], Any]) -> Any:
    try:
        return fn()
    except ProviderError as err:
        return err


def _copy(p: AlicloudProvider, src: str, token: str, region: str = DEST, **kw: Any) -> Any:
    desired = {"source_image_id": src, "source_region": HOME, "region": region, "content_hash": "h1", **kw}
    return _raised(lambda: p.wait("copy", p.start("copy", desired, token), no_progress))


def _direct(p: AlicloudProvider, region: str, op: str, request: Any) -> Any:
    return _raised(lambda: p._api.call(region, op, request))


# -- scenarios ---------------------------------------------------------------------------------------

def copy_name_taken_by_another(em: Emulator, make: ProviderFactory) -> Any:
    src = _image(em, name="web_exec-1")
    _image(em, DEST, name="web_exec-1")  # someone else's image already holds the name there
    return _copy(make(), src.id, "t")


def copy_name_taken_by_our_earlier_attempt(em: Emulator, make: ProviderFactory) -> Any:
    p = make()
    src = _image(em, name="web_exec-2")
    first = p.start("copy", {"source_image_id": src.id, "source_region": HOME, "region": DEST, "content_hash": "h1"}, "t1")
    em.world.advance(1e12)  # the first copy is done
    got = _copy(p, src.id, "t2")  # a new token: its response was lost and the operation forgotten
    assert not isinstance(got, ProviderError) and got["id"] == first["id"]
    return got


def copy_of_an_image_still_creating(em: Emulator, make: ProviderFactory) -> Any:
    src = _image(em, status="Creating")
    return _direct(make(), HOME, "copy_image", ecs.CopyImageRequest(region_id=HOME, image_id=src.id,
                                                                    destination_region_id=DEST))


def copy_twice_at_once(em: Emulator, make: ProviderFactory) -> Any:
    em.world.timings.copy_seconds = 30.0
    p = make()
    src = _image(em)
    first = p.start("copy", {"source_image_id": src.id, "source_region": HOME, "region": DEST, "content_hash": "h1"}, "a")
    second = p.start("copy", {"source_image_id": src.id, "source_region": HOME, "region": DEST, "content_hash": "h1"}, "b")
    assert second["id"] == first["id"], "the copy already running is ours: adopted"
    return _raised(lambda: p.start("copy", {"source_image_id": src.id, "source_region": HOME, "region": DEST,
                                            "content_hash": "other"}, "c"))


def copy_unencrypted_into_default_encryption(em: Emulator, make: ProviderFactory) -> Any:
    em.world.default_encryption.add(DEST)
    src = _image(em)
    err = _copy(make(), src.id, "t")
    ok = _copy(make(encrypted=True, kms_key_ids={DEST: f"key-{DEST}"}), src.id, "t2")
    assert not isinstance(ok, ProviderError) and em.world.images[(DEST, ok["id"])].encrypted
    return err


def copy_with_an_unknown_key(em: Emulator, make: ProviderFactory) -> Any:
    return _copy(make(kms_key_ids={DEST: "key-from-another-region"}), _image(em).id, "t")


def copy_without_rights_on_the_default_group(em: Emulator, make: ProviderFactory) -> Any:
    em.world.default_group_forbidden = True
    src = _image(em)
    err = _copy(make(), src.id, "t")
    ok = _copy(make(resource_group_id="rg-imgb"), src.id, "t2")
    assert not isinstance(ok, ProviderError) and em.world.images[(DEST, ok["id"])].resource_group == "rg-imgb"
    return err


def copy_into_an_unknown_group(em: Emulator, make: ProviderFactory) -> Any:
    return _copy(make(resource_group_id="rg-nope"), _image(em).id, "t")


def create_with_21_tags(em: Emulator, make: ProviderFactory) -> Any:
    p = make()
    tags = [ecs.CreateImageComponentRequestTag(key=f"k{i}", value="v") for i in range(21)]
    err = _direct(p, HOME, "create_image_component", ecs.CreateImageComponentRequest(
        region_id=HOME, name="comp", content="RUN true", tag=tags))
    # The provider counts its own tags and never sends the request.
    before = len(em.log)
    mine = _raised(lambda: p.start("component", {"name": "comp", "version": "1.0.0", "content": "RUN true",
                                                 "tags": {f"k{i}": "v" for i in range(19)}}, "t"))
    assert isinstance(mine, ProviderError) and mine.code == "InvalidTagCount" and "imgb's own 2" in mine.message
    assert len(em.log) == before
    return err


def tag_beyond_20_on_a_resource(em: Emulator, make: ProviderFactory) -> Any:
    img = _image(em, tags={f"k{i}": "v" for i in range(19)})
    return _direct(make(), HOME, "tag_resources", ecs.TagResourcesRequest(
        region_id=HOME, resource_type="image", resource_id=[img.id],
        tag=[ecs.TagResourcesRequestTag(key="a", value="1"), ecs.TagResourcesRequestTag(key="b", value="2")]))


def delete_a_shared_image(em: Emulator, make: ProviderFactory) -> Any:
    img = _image(em)
    img.shared_with["2000000000000001"] = 1.0
    p = make()
    err = _direct(p, HOME, "delete_image", ecs.DeleteImageRequest(region_id=HOME, image_id=img.id))
    assert isinstance(err, ProviderError) and err.code == "ImageUseShared"
    p.delete("copy", img.id, {"region": HOME})  # unshares, then deletes, then its snapshot
    assert (HOME, img.id) not in em.world.images and not em.world.orphan_snapshots()
    return None


def delete_an_image_being_copied(em: Emulator, make: ProviderFactory) -> Any:
    em.world.timings.copy_seconds = 30.0
    p = make()
    src = _image(em)
    p.start("copy", {"source_image_id": src.id, "source_region": HOME, "region": DEST, "content_hash": "h1"}, "t")
    return _raised(lambda: p.delete("image", src.id, {"region": HOME}))


def delete_an_image_instances_use(em: Emulator, make: ProviderFactory) -> Any:
    img = _image(em)
    em.world.instances[img.id] = 2
    err = _raised(lambda: make().delete("image", img.id, {"region": HOME}))
    make(force_delete=True).delete("image", img.id, {"region": HOME})
    assert (HOME, img.id) not in em.world.images
    return err


def delete_an_image_already_gone(em: Emulator, make: ProviderFactory) -> Any:
    p = make()
    err = _direct(p, HOME, "delete_image", ecs.DeleteImageRequest(region_id=HOME, image_id="m-gone"))
    p.delete("image", "m-gone", {"region": HOME})
    return err


def delete_a_snapshot_an_image_uses(em: Emulator, make: ProviderFactory) -> Any:
    img = _image(em)
    return _direct(make(), HOME, "delete_snapshot", ecs.DeleteSnapshotRequest(snapshot_id=img.snapshot_ids[0]))


def delete_a_snapshot_already_gone(em: Emulator, make: ProviderFactory) -> Any:
    img = _image(em)
    snapshot = img.snapshot_ids[0]
    p = make()
    p.delete("image", img.id, {"region": HOME})
    err = _direct(p, HOME, "delete_snapshot", ecs.DeleteSnapshotRequest(snapshot_id=snapshot))
    p.delete("image", img.id, {"region": HOME, "snapshot_ids": [snapshot]})  # both gone: still a success
    return err


def _template(p: AlicloudProvider, **kw: Any) -> dict[str, Any]:
    desired = {"name": "tpl", "base_image": BASE_IMAGE, "build_content": "RUN true", **kw}
    return p.wait("template", p.start("template", desired, f"t-{kw}"), no_progress)


def start_while_a_build_runs(em: Emulator, make: ProviderFactory) -> Any:
    em.world.timings.phase_seconds = 30.0
    p = make()
    t = _template(p)
    p.start("image", {"template_id": t["id"], "content_hash": "h1"}, "a")
    return _raised(lambda: p.start("image", {"template_id": t["id"], "content_hash": "h2"}, "b"))


def delete_a_template_while_it_builds(em: Emulator, make: ProviderFactory) -> Any:
    em.world.timings.phase_seconds = 30.0
    p = make()
    t = _template(p)
    p.start("image", {"template_id": t["id"], "content_hash": "h1"}, "a")
    return _raised(lambda: p.delete("template", t["id"], t))


def delete_a_component_in_use(em: Emulator, make: ProviderFactory) -> Any:
    p = make()
    c = p.wait("component", p.start("component", {"name": "comp", "version": "1.0.0", "content": "RUN true"}, "c"),
               no_progress)
    _template(p, build_content=f"COMPONENT {c['id']}")
    return _raised(lambda: p.delete("component", c["id"], c))


def component_version_taken(em: Emulator, make: ProviderFactory) -> Any:
    p = make()
    ours = {"name": "comp", "version": "1.0.0", "content": "RUN true"}
    first = p.wait("component", p.start("component", ours, "t1"), no_progress)
    again = p.wait("component", p.start("component", ours, "t2"), no_progress)  # ours: adopted
    assert again["id"] == first["id"]
    return _raised(lambda: p.start("component", {**ours, "content": "RUN false"}, "t3"))


def share_a_service_key_encrypted_image(em: Emulator, make: ProviderFactory) -> Any:
    img = _image(em, encrypted=True)
    return _raised(lambda: make().start("share", {"image_id": img.id, "region": HOME, "account": "2000000000000001"}, "s"))


def share_an_image_not_available_yet(em: Emulator, make: ProviderFactory) -> Any:
    img = _image(em, status="Creating")
    return _raised(lambda: make().start("share", {"image_id": img.id, "region": HOME, "account": "2000000000000001"}, "s"))


def share_with_a_malformed_account(em: Emulator, make: ProviderFactory) -> Any:
    return _raised(lambda: make().start("share", {"image_id": _image(em).id, "region": HOME, "account": "nope"}, "s"))


def expired_security_token(em: Emulator, make: ProviderFactory) -> Any:
    from imgb.providers.alicloud import static_credentials

    em._state.credentials["STS.expired"] = type(next(iter(em._state.credentials.values())))(
        "STS.expired", "secret-expired-0001", "token-0001", expires_at=1.0)
    p = make(credentials=static_credentials("STS.expired", "secret-expired-0001", "token-0001"))
    return _raised(lambda: p.read("image", "m-x", {"region": HOME}))


def executions_beyond_the_list_size(em: Emulator, make: ProviderFactory) -> Any:
    ids = ",".join(f"exec-{i}" for i in range(21))
    return _direct(make(), HOME, "describe_image_pipeline_executions", ecs.DescribeImagePipelineExecutionsRequest(
        region_id=HOME, execution_id=ids))


def cancel_a_finished_copy(em: Emulator, make: ProviderFactory) -> Any:
    p = make()
    done = _copy(p, _image(em).id, "t")
    err = _direct(p, DEST, "cancel_copy_image", ecs.CancelCopyImageRequest(region_id=DEST, image_id=done["id"]))
    p.cancel("copy", {"id": done["id"], "region": DEST})  # too late: no error
    return err


CASES = [
    Case("CopyImage", "InvalidImageName.Duplicated", 400, "CopyImage", copy_name_taken_by_another, "fail"),
    Case("CopyImage", "InvalidImageName.Duplicated", 400, "CopyImage", copy_name_taken_by_our_earlier_attempt, "handled"),
    Case("CopyImage", "IncorrectImageStatus", 400, "CopyImage", copy_of_an_image_still_creating, "retry"),
    Case("CopyImage", "OperationDenied.ImageCopyConflict", 400, "CopyImage", copy_twice_at_once, "retry"),
    Case("CopyImage", "InvalidEncrypted.NotMatchDiskDefaultEncryption", 403, "CopyImage",
         copy_unencrypted_into_default_encryption, "fail", "encrypted = true"),
    Case("CopyImage", "InvalidParameter.KMSKeyId.NotFound", 404, "CopyImage", copy_with_an_unknown_key, "fail",
         "kms_key_ids"),
    Case("CopyImage", "Forbidden", 403, "CopyImage", copy_without_rights_on_the_default_group, "fail",
         "resource_group_id"),
    Case("CopyImage", "InvalidResourceGroup.NotFound", 404, "CopyImage", copy_into_an_unknown_group, "fail",
         "resource_group_id"),
    Case("CreateImageComponent", "InvalidTagCount", 400, "CreateImageComponent", create_with_21_tags, "fail",
         "20 tags per resource"),
    Case("TagResources", "OperationDenied.QuotaExceed", 400, "TagResources", tag_beyond_20_on_a_resource, "fail"),
    Case("DeleteImage", "ImageUseShared", 403, "DeleteImage", delete_a_shared_image, "handled"),
    Case("DeleteImage", "OperationDenied.ImageCopying", 403, "DeleteImage", delete_an_image_being_copied, "retry"),
    Case("DeleteImage", "ImageUsingByInstance", 403, "DeleteImage", delete_an_image_instances_use, "fail",
         "force_delete"),
    Case("DeleteImage", "InvalidImageId.NotFound", 404, "DeleteImage", delete_an_image_already_gone, "gone"),
    Case("DeleteSnapshot", "SnapshotCreatedImage", 403, "DeleteSnapshot", delete_a_snapshot_an_image_uses, "retry"),
    Case("DeleteSnapshot", "InvalidSnapshotId.NotFound", 404, "DeleteSnapshot", delete_a_snapshot_already_gone, "gone"),
    Case("StartImagePipelineExecution", "InvalidImagePipeline.HasRunningExecution", 403, "StartImagePipelineExecution",
         start_while_a_build_runs, "retry"),
    Case("DeleteImagePipeline", "InvalidImagePipeline.HasRunningExecution", 403, "DeleteImagePipeline",
         delete_a_template_while_it_builds, "retry"),
    Case("DeleteImageComponent", "InvalidImageComponent.InUse", 403, "DeleteImageComponent", delete_a_component_in_use,
         "fail"),
    Case("CreateImageComponent", "InvalidComponentVersion.Exist", 403, "CreateImageComponent", component_version_taken,
         "fail"),
    Case("ModifyImageSharePermission", "OperationDeined.EncryptedSnapshot", 403, "ModifyImageSharePermission",
         share_a_service_key_encrypted_image, "fail", "kms_key_ids"),
    Case("ModifyImageSharePermission", "IncorrectImageStatus", 400, "ModifyImageSharePermission",
         share_an_image_not_available_yet, "retry"),
    Case("ModifyImageSharePermission", "InvalidAccount.NotFound", 404, "ModifyImageSharePermission",
         share_with_a_malformed_account, "fail"),
    Case("DescribeImages", "InvalidSecurityToken.Expired", 400, "signature-v3", expired_security_token, "retry"),
    Case("DescribeImagePipelineExecutions", "InvalidExecutionId.SizeExceeded", 400, "DescribeImagePipelineExecutions",
         executions_beyond_the_list_size, "fail"),
    Case("CancelCopyImage", "IncorrectImageStatus", 403, "CancelCopyImage", cancel_a_finished_copy, "fail"),
]


@pytest.mark.parametrize("case", CASES, ids=[f"{c.action}:{c.code}:{c.provoke.__name__}" for c in CASES])
def test_documented_error(case: Case, emulator: Emulator, make_provider: ProviderFactory) -> None:
    assert case.page in DOCS
    result = case.provoke(emulator, make_provider)
    raised = [e for e in emulator.log if e.action == case.action and e.code == case.code]
    assert raised, f"the emulator never answered {case.code} to {case.action}: {result!r}; log {emulator.log}"
    assert {e.status for e in raised} == {case.status}, f"{case.code} must come with HTTP {case.status}"
    if case.handling == "handled":
        assert not isinstance(result, ProviderError), result
        return
    assert isinstance(result, ProviderError), f"the provider hid {case.code}: {result}"
    if case.handling == "gone":
        assert is_not_found(result)
        return
    assert result.code == case.code, result
    assert result.retryable is (case.handling == "retry"), f"{case.code} retryable={result.retryable}"
    assert not is_not_found(result), f"{case.code} is not 'already deleted'"
    assert case.hint in result.message


@pytest.mark.parametrize(("action", "status", "code"), [(a, s, c) for a, answers in CONFLICTS.items()
                                                         for s, c, _ in answers])
def test_try_again_answers_are_retried(action: str, status: int, code: str, emulator: Emulator,
                                       make_provider: ProviderFactory) -> None:
    """The documented "try again later" answers (operations.CONFLICTS, what Faults.conflict_rate
    injects) are retryable for the operation that gets them."""
    p = make_provider()
    emulator.inject(action, ApiError(status, code, "try again later"))
    op = {"CopyImage": "copy_image", "DeleteImage": "delete_image", "DeleteSnapshot": "delete_snapshot",
          "CreateImageComponent": "create_image_component", "CreateImagePipeline": "create_image_pipeline",
          "StartImagePipelineExecution": "start_image_pipeline_execution"}[action]
    model = getattr(ecs, "".join(w.capitalize() for w in op.split("_")) + "Request")
    request = model() if op == "delete_snapshot" else model(region_id=HOME)
    err = _direct(p, HOME, op, request)
    assert isinstance(err, ProviderError) and err.code == code and err.retryable, err
