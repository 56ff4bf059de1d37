"""Credentials never leak into anything the provider returns or raises; plan-time checks."""

from __future__ import annotations

import json
from typing import Any

import pytest
from alibabacloud_credentials.utils import auth_util
from alibabacloud_tea_openapi.exceptions import ClientException

from imgb.diagnostics import Severity
from imgb.providers.alicloud import AlicloudProvider, static_credentials
from imgb.providers.alicloud.credentials import REDACTED, Redactor
from imgb.providers.alicloud.errors import translate
from imgb.providers.base import ProviderError
from tests.alicloud.conftest import BASE_IMAGE, HOME, Recorder
from tests.alicloud.emulator import Emulator, Faults

AK, SK, TOKEN = "LTAI5tLeakCanaryAK", "leak-canary-secret-7f3e9a", "leak-canary-sts-token-51c2"


def _scan(texts: list[str]) -> None:
    joined = "\n".join(texts)
    for secret in (AK, SK, TOKEN):
        assert secret not in joined


def _environment(monkeypatch: pytest.MonkeyPatch, **values: str | None) -> None:
    """alibabacloud-credentials reads its environment variables once, at import; set them there."""
    for name, value in values.items():
        monkeypatch.setattr(auth_util, f"environment_{name}", value)


def test_no_credential_in_outputs_errors_or_handles(monkeypatch: pytest.MonkeyPatch) -> None:
    _environment(monkeypatch, access_key_id=AK, access_key_secret=SK, security_token=TOKEN)
    seen: list[str] = []
    with Emulator(access_keys={AK: SK}, security_tokens={AK: TOKEN}, phase_seconds=0.01) as em:
        # No credentials argument: the default chain reads the environment.
        provider = AlicloudProvider(HOME, endpoint=f"http://{em.endpoint}", poll_interval=0.01, max_backoff=0.01)
        progress = Recorder()
        tpl = provider.start("template", {"name": "tpl", "base_image": BASE_IMAGE}, "t")
        seen.append(json.dumps(tpl))
        for outcome in ("SUCCESS", "FAILED"):
            em.world.outcomes.append(outcome)
            handle = provider.start("image", {"template_id": tpl["id"], "content_hash": outcome}, outcome)
            seen.append(json.dumps(handle))
            try:
                img = provider.wait("image", handle, progress)
                seen += [json.dumps(img), provider.logs("image", img["id"], img), json.dumps(provider.read("image", img["id"], img))]
            except ProviderError as err:
                seen += [str(err), repr(err), err.message, json.dumps(err.partial)]
        seen += [m for _, m in progress.events]
        em.set_faults(Faults(throttle_rate=1.0))
        for call in (lambda: provider.read("template", tpl["id"], {}),
                     lambda: provider.start("component", {"name": "cc", "content": "RUN x"}, "c")):
            with pytest.raises(ProviderError) as exc:
                call()
            seen += [str(exc.value), repr(exc.value), str(exc.value.request_id)]
        em.set_faults(Faults())
        seen += [d.summary + d.detail for d in provider.check("template", {"base_image": "nope", "vswitch_id": "vsw-x"}, "template.t")]
        wrong = AlicloudProvider(HOME, endpoint=em.endpoint, protocol="http",
                                 credentials=static_credentials(AK, "not-" + SK, TOKEN))
        with pytest.raises(ProviderError) as exc:
            wrong.read("template", tpl["id"], {})
        assert exc.value.code == "SignatureDoesNotMatch"
        seen += [str(exc.value), repr(exc.value)]
    assert len(seen) > 10
    _scan(seen)


def test_error_text_echoing_a_secret_is_scrubbed() -> None:
    redact = Redactor(static_credentials(AK, SK, TOKEN))
    redact.learn()
    exc = ClientException(status_code=400, code="InvalidAccessKeyId", message=f"bad key {AK} with {SK}",
                          request_id="R-1", data={"Message": f"key {AK} secret {SK} token {TOKEN}"})
    err = translate(exc, redact)
    assert REDACTED in err.message and err.request_id == "R-1"
    _scan([str(err), err.message, repr(err)])


def test_missing_credentials_is_a_clear_non_retryable_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    _environment(monkeypatch, access_key_id=None, access_key_secret=None, security_token=None,
                 ecs_metadata_disabled="true", cli_profile_disabled="true",
                 credentials_file=str(tmp_path / "none.ini"))
    with Emulator() as em:
        provider = AlicloudProvider(HOME, endpoint=em.endpoint, protocol="http")
        with pytest.raises(ProviderError) as exc:
            provider.read("template", "ip-1", {})
    assert exc.value.code == "CredentialsNotFound" and not exc.value.retryable
    assert "ALIBABA_CLOUD_ACCESS_KEY_ID" in exc.value.message


def test_check_reports_each_problem_with_the_address(provider: AlicloudProvider) -> None:
    diags = provider.check("template", {
        "base_image": "m-missing", "instance_type": "ecs.c7.8xlarge", "vswitch_id": "vsw-nope",
        "build_content": "COPY files/app.conf /etc/app/\nRUN true", "test_content": "",
    }, "template.web")
    summaries = sorted(d.summary for d in diags)
    assert summaries == sorted([
        "Base image not found", 'Instance type "ecs.c7.8xlarge" is not in stock', 'vSwitch "vsw-nope" not found',
        'COPY of a local file "files/app.conf" is not possible on Alibaba Cloud'])
    assert all(d.address == "template.web" and d.severity is Severity.ERROR and d.detail.endswith(".") for d in diags)
    good = {"base_image": BASE_IMAGE, "instance_type": "ecs.g6.large", "vswitch_id": f"vsw-{HOME}-a",
            "build_content": "COPY https://example.com/app.conf /etc/app/", "internet_max_bandwidth_out": 10}
    assert provider.check("template", good, "template.web") == []
    assert [d.summary for d in provider.check("copy", {"region": "mars-1"}, "copy.web")] == ['Unknown region "mars-1"']
    assert provider.check("copy", {"region": "cn-shanghai"}, "copy.web") == []
    assert [d.summary for d in provider.check("share", {"region": HOME, "account": "abc"}, "share.web")] == [
        'Invalid account id "abc"']


def test_check_skips_values_known_only_after_apply(provider: AlicloudProvider) -> None:
    from imgb.unknown import Unknown, marker

    desired = {"base_image": Unknown("template.base.image_id"), "vswitch_id": marker("var.vsw"),
               "build_content": f"COMPONENT {marker('component.x.id')}"}
    assert provider.check("template", desired, "template.web") == []


def test_check_degrades_to_a_warning_when_the_api_fails(provider: AlicloudProvider, emulator: Emulator) -> None:
    emulator.set_faults(Faults(server_error_rate=1.0))
    diags = provider.check("template", {"instance_type": "ecs.g6.large"}, "template.web")
    assert [d.severity for d in diags] == [Severity.WARNING]
