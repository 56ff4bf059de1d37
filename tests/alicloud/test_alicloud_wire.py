"""The wire: signatures verified, errors classified, as the SDK surfaces them."""

from __future__ import annotations

import hashlib
import http.client
import json
import socket

import pytest
from alibabacloud_ecs20140526 import models as ecs

from imgb.providers.alicloud import AlicloudProvider, static_credentials
from imgb.providers.alicloud.errors import translate
from imgb.providers.base import ProviderError
from tests.alicloud.conftest import HOME, ProviderFactory
from tests.alicloud.emulator import TEST_ACCESS_KEY_ID, Emulator, Faults


def regions(provider: AlicloudProvider) -> set[str]:
    return provider._preflight.regions()


def test_signed_requests_are_accepted(provider: AlicloudProvider) -> None:
    assert {"cn-hangzhou", "cn-shanghai"} <= regions(provider)


def test_wrong_secret_is_rejected(make_provider: ProviderFactory) -> None:
    bad = make_provider(credentials=static_credentials(TEST_ACCESS_KEY_ID, "not-the-secret"))
    with pytest.raises(ProviderError) as exc:
        regions(bad)
    assert exc.value.code == "SignatureDoesNotMatch" and not exc.value.retryable and exc.value.request_id


def test_unknown_access_key_is_rejected(make_provider: ProviderFactory) -> None:
    with pytest.raises(ProviderError) as exc:
        regions(make_provider(credentials=static_credentials("LTAI-unknown", "x")))
    assert exc.value.code == "InvalidAccessKeyId.NotFound"


def test_sts_token_is_checked() -> None:
    with Emulator(access_keys={"STS.AK": "sts-secret"}, security_tokens={"STS.AK": "token-1"}) as em:
        def provider(token: str) -> AlicloudProvider:
            return AlicloudProvider(HOME, endpoint=em.endpoint, protocol="http",
                                    credentials=static_credentials("STS.AK", "sts-secret", token))
        assert regions(provider("token-1"))
        with pytest.raises(ProviderError) as exc:
            regions(provider("token-2"))
        assert exc.value.code == "InvalidSecurityToken.Mismatch"


def _raw(emulator: Emulator, path: str, headers: dict[str, str]) -> tuple[int, dict[str, str]]:
    host, port = emulator.endpoint.split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=5)
    conn.request("POST", path, body=b"", headers=headers)
    resp = conn.getresponse()
    return resp.status, json.loads(resp.read())


def test_tampered_query_and_replayed_nonce_are_rejected(provider: AlicloudProvider, emulator: Emulator) -> None:
    """Take a valid signed request as the emulator received it, then replay it changed and unchanged."""
    provider._api.call(HOME, "describe_images", ecs.DescribeImagesRequest(region_id=HOME))
    path, headers = emulator.raw_requests[-1]
    assert headers["Authorization"].startswith("ACS3-HMAC-SHA256 Credential=")
    status, body = _raw(emulator, path.replace("RegionId=cn-hangzhou", "RegionId=cn-beijing"), headers)
    assert (status, body["Code"]) == (400, "SignatureDoesNotMatch")
    assert set(body) == {"RequestId", "HostId", "Code", "Message", "Recommend"}
    status, body = _raw(emulator, path, headers)
    assert (status, body["Code"]) == (400, "SignatureNonceUsed")
    status, body = _raw(emulator, path, {k: v for k, v in headers.items() if k != "Authorization"})
    assert (status, body["Code"]) == (400, "MissingAuthorization")
    assert headers["x-acs-content-sha256"] == hashlib.sha256(b"").hexdigest()


def test_throttling_with_retry_after_is_retryable(provider: AlicloudProvider, emulator: Emulator) -> None:
    emulator.set_faults(Faults(throttle_rate=1.0, retry_after=3))
    with pytest.raises(ProviderError) as exc:
        regions(provider)
    assert exc.value.code == "Throttling.User" and exc.value.retryable and exc.value.retry_after == 3.0


def test_throttling_without_header_is_still_retryable(provider: AlicloudProvider, emulator: Emulator) -> None:
    emulator.set_faults(Faults(throttle_rate=1.0, retry_after=None))
    with pytest.raises(ProviderError) as exc:
        regions(provider)
    assert exc.value.code == "Throttling.User" and exc.value.retryable and exc.value.retry_after is None


def test_server_errors_are_retryable(provider: AlicloudProvider, emulator: Emulator) -> None:
    emulator.set_faults(Faults(seed=3, server_error_rate=1.0))
    codes = set()
    for _ in range(8):
        with pytest.raises(ProviderError) as exc:
            regions(provider)
        provider._preflight._regions = None
        assert exc.value.retryable
        codes.add(exc.value.code)
    assert codes == {"InternalError", "ServiceUnavailable"}


def test_dropped_connections_and_refused_connections_are_retryable(provider: AlicloudProvider, emulator: Emulator) -> None:
    emulator.set_faults(Faults(drop_rate=1.0))
    with pytest.raises(ProviderError) as exc:
        regions(provider)
    assert exc.value.code == "RequestFailed" and exc.value.retryable
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    closed = AlicloudProvider(HOME, endpoint=f"127.0.0.1:{port}", protocol="http",
                              credentials=static_credentials("a", "b"), connect_timeout_ms=500)
    with pytest.raises(ProviderError) as exc:
        regions(closed)
    assert exc.value.retryable


def test_slow_responses_time_out_as_retryable(make_provider: ProviderFactory, emulator: Emulator) -> None:
    emulator.set_faults(Faults(slow_rate=1.0, slow_seconds=1.0))
    with pytest.raises(ProviderError) as exc:
        regions(make_provider(read_timeout_ms=200))
    assert exc.value.retryable


def test_client_errors_are_not_retryable_and_not_found_is_gone(provider: AlicloudProvider) -> None:
    with pytest.raises(ProviderError) as exc:
        provider._api.call(HOME, "delete_image_pipeline",
                           ecs.DeleteImagePipelineRequest(region_id=HOME, image_pipeline_id="ip-missing"))
    assert exc.value.code == "InvalidImagePipeline.NotFound" and not exc.value.retryable
    provider.delete("template", "ip-missing", {})
    provider.delete("component", "ic-missing", {})
    provider.delete("image", "m-missing", {})
    assert provider.read("template", "ip-missing", {}) is None


def test_translate_passes_provider_errors_through() -> None:
    err = ProviderError("X", "y")
    assert translate(err, str) is err
