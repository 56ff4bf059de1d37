"""Acceptance tests against the real Alibaba Cloud. Opt-in: IMGB_ACC=1 and credentials.

They create and delete a component and a template (free), and check a base image and regions.
With IMGB_ACC_BUILD=1 they also run one build (a pay-as-you-go instance for a few minutes) and
delete the image. See docs/alicloud.md.
"""

from __future__ import annotations

import os
import uuid

import pytest

from imgb.providers.alicloud import AlicloudProvider
from imgb.providers.base import no_progress

REGION = os.environ.get("IMGB_ACC_REGION", "cn-hangzhou")
FAMILY = os.environ.get("IMGB_ACC_FAMILY", "acs:ubuntu_22_04_x64")


def _skip_reason() -> str | None:
    if os.environ.get("IMGB_ACC") != "1":
        return "acceptance tests against the real cloud run only with IMGB_ACC=1"
    has_env = os.environ.get("ALIBABA_CLOUD_ACCESS_KEY_ID") and os.environ.get("ALIBABA_CLOUD_ACCESS_KEY_SECRET")
    has_profile = os.path.exists(os.path.expanduser("~/.aliyun/config.json"))
    if not (has_env or has_profile or os.environ.get("IMGB_ACC_RAM_ROLE") == "1"):
        return "no Alibaba Cloud credentials (ALIBABA_CLOUD_ACCESS_KEY_ID/_SECRET, ~/.aliyun/config.json or a RAM role)"
    return None


pytestmark = pytest.mark.skipif(_skip_reason() is not None, reason=_skip_reason() or "")


@pytest.fixture(scope="module")
def provider() -> AlicloudProvider:
    return AlicloudProvider(REGION, profile=os.environ.get("IMGB_ACC_PROFILE"), poll_interval=15.0)


def test_regions_and_base_image(provider: AlicloudProvider) -> None:
    assert provider.check("copy", {"region": REGION}, "copy.acc") == []
    image = provider.resolve_base_image(None, FAMILY)
    assert provider.resolve_base_image(image, None) == image


def test_component_and_template_round_trip(provider: AlicloudProvider) -> None:
    run = uuid.uuid4().hex[:8]
    comp = provider.wait("component", provider.start("component", {
        "name": f"imgb-acc-{run}", "content": "RUN echo imgb-acceptance", "tags": {"imgb-acc": run}}, f"acc-c-{run}"),
        no_progress)
    tpl = None
    try:
        base = provider.resolve_base_image(None, FAMILY)
        tpl = provider.wait("template", provider.start("template", {
            "name": f"imgb-acc-{run}", "base_image": base, "build_content": f"COMPONENT {comp['id']}",
            "image_name": f"imgb-acc-{run}", "tags": {"imgb-acc": run}}, f"acc-t-{run}"), no_progress)
        assert provider.read("template", tpl["id"], tpl) is not None
        if os.environ.get("IMGB_ACC_BUILD") == "1":
            image = provider.wait("image", provider.start("image", {"template_id": tpl["id"], "content_hash": run},
                                                          f"acc-i-{run}"), no_progress)
            assert image["id"].startswith("m-")
            provider.delete("image", image["id"], image)
    finally:
        if tpl is not None:
            provider.delete("template", tpl["id"], tpl)
        provider.delete("component", comp["id"], comp)
    assert provider.read("component", comp["id"], comp) is None
