"""SDK exceptions → ProviderError: retryable or not, gone or not, with the request id.

Classification follows the Terraform provider's ``NeedRetry`` (reference §3.10): codes matching
``Throttling``, ``ServiceUnavailable``, ``InternalError*``, ``LastTokenProcessing``, any HTTP 5xx,
and transport failures (connection refused or reset, timeouts) may succeed when retried.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from imgb.providers.base import ProviderError

_RETRYABLE_CODE = re.compile(r"Throttling|^ServiceUnavailable|^InternalError|^LastTokenProcessing|^Rejected\.Throttling")
NOT_FOUND_CODES = frozenset({
    "InvalidImageComponent.NotFound",
    "InvalidImagePipeline.NotFound",
    "InvalidImagePipelineId.NotFound",
    "InvalidImagePipelineExecution.NotFound",
    "InvalidImagePipelineExecutionId.NotFound",
    "InvalidImageId.NotFound",
})


def is_not_found(err: ProviderError) -> bool:
    return err.code in NOT_FOUND_CODES


def translate(exc: BaseException, redact: Callable[[str], str]) -> ProviderError:
    """The ProviderError for any exception the SDK raised; secrets scrubbed from the text."""
    if isinstance(exc, ProviderError):
        return exc
    code = getattr(exc, "code", None)
    status = getattr(exc, "status_code", None) or getattr(exc, "statusCode", None)
    data = getattr(exc, "data", None)
    if isinstance(code, str) and isinstance(status, int):
        message = data.get("Message") if isinstance(data, dict) else None
        message = str(message or getattr(exc, "message", "") or code)
        request_id = getattr(exc, "request_id", None) or (data.get("RequestId") if isinstance(data, dict) else None)
        retry_after = getattr(exc, "retry_after", None)
        retryable = status >= 500 or bool(_RETRYABLE_CODE.search(code))
        return ProviderError(
            code,
            redact(f"{message} (HTTP {status})"),
            retryable=retryable,
            request_id=request_id,
            retry_after=float(retry_after) if retry_after else None,
        )
    name = type(exc).__name__
    text = redact(str(getattr(exc, "message", None) or exc))
    if "Credential" in name or "credential" in text.lower() and "unable to load" in text.lower():
        return ProviderError(
            "CredentialsNotFound",
            "No Alibaba Cloud credentials were found. Set ALIBABA_CLOUD_ACCESS_KEY_ID and "
            "ALIBABA_CLOUD_ACCESS_KEY_SECRET, configure a profile with `aliyun configure` and name it in the "
            "provider block, or run on an ECS instance with a RAM role. (" + text + ")",
        )
    # Transport failures: the SDK wraps requests' IOError into RetryError/UnretryableException.
    return ProviderError("RequestFailed", f"{name}: {text}", retryable=True)
