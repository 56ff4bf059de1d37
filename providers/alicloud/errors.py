"""SDK exceptions → ProviderError: retryable or not, gone or not, with the request id.

Retryable (the same call may succeed later), as the Terraform provider's ``NeedRetry`` and the API
pages say:

* throttling (``Throttling*``), ``ServiceUnavailable``, ``InternalError*``, any HTTP 5xx, transport
  failures (refused, reset or dropped connections, timeouts);
* "try again later" answers: ``LastTokenProcessing`` and ``IdempotentProcessing`` (the previous
  request with this ClientToken is still being processed), ``InvalidOperation.Conflict`` (409),
  ``Operation.Conflict``/``OperationConflict``;
* per operation, conditions that pass on their own: CopyImage's ``OperationDenied.ImageCopying``,
  ``OperationDenied.ImageCopyConflict`` and ``IncorrectImageStatus`` (the source is not Available
  yet); DeleteImage's ``OperationDenied.ImageCopying``; sharing an image that is not Available yet; DeleteSnapshot's ``SnapshotCreatedImage``
  (the image's deletion has not reached it yet); a running build blocking StartImagePipelineExecution
  or DeleteImagePipeline (``InvalidImagePipeline.HasRunningExecution``);
* ``InvalidSecurityToken.Expired``: refreshing credentials (an assumed role, an instance role)
  renew their token before the next call, so a long wait survives the expiry.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from imgb.providers.base import ProviderError

_RETRYABLE_CODE = re.compile(
    r"Throttling|^ServiceUnavailable|^InternalError|^LastTokenProcessing|^IdempotentProcessing|^Rejected\.Throttling"
    r"|^InvalidOperation\.Conflict$|^Operation\.?Conflict$|^InvalidSecurityToken\.Expired$"
)
RETRYABLE_FOR: dict[str, frozenset[str]] = {
    "copy_image": frozenset({"OperationDenied.ImageCopying", "OperationDenied.ImageCopyConflict", "IncorrectImageStatus"}),
    "delete_image": frozenset({"OperationDenied.ImageCopying"}),
    "modify_image_share_permission": frozenset({"IncorrectImageStatus"}),
    "delete_snapshot": frozenset({"SnapshotCreatedImage"}),
    "start_image_pipeline_execution": frozenset({"InvalidImagePipeline.HasRunningExecution"}),
    "delete_image_pipeline": frozenset({"InvalidImagePipeline.HasRunningExecution"}),
}
NOT_FOUND_CODES = frozenset({
    "InvalidImageComponent.NotFound",
    "InvalidImagePipeline.NotFound",
    "InvalidImagePipelineId.NotFound",
    "InvalidImagePipelineExecution.NotFound",
    "InvalidImagePipelineExecutionId.NotFound",
    "InvalidImageId.NotFound",
    "InvalidSnapshotId.NotFound",
})
"""The object the call names is gone. Other 404s (a resource group, a KMS key, an account) are
configuration errors, never "already deleted"."""

HINTS: dict[str, str] = {
    "Forbidden": "The RAM user may lack rights on the default resource group: set resource_group_id in the "
                 'provider "alicloud" block to a group it may manage.',
    "InvalidEncrypted.NotMatchDiskDefaultEncryption": "The account encrypts new disks by default in that region, so "
                 'copies must be encrypted: set encrypted = true (and kms_key_ids) in the provider "alicloud" block.',
    "InvalidResourceGroup.NotFound": 'Check resource_group_id in the provider "alicloud" block.',
    "InvalidParameter.KMSKeyId.NotFound": 'Check kms_key_ids in the provider "alicloud" block: a key belongs to one region.',
    "OperationDeined.EncryptedSnapshot": "An image encrypted with the service key cannot be shared: give the copies a "
                 "KMS key of your own (kms_key_ids).",
    "InvalidTagCount": "Alibaba Cloud allows 20 tags per resource, imgb's own three included.",
    "OperationDenied.QuotaExceed": "Alibaba Cloud allows 20 tags per resource, imgb's own three included.",
    "ImageUsingByInstance": 'Instances still use the image: set force_delete = true in the provider "alicloud" '
                 "block to delete it anyway (those instances can then no longer re-initialise their disks).",
}


def is_not_found(err: ProviderError) -> bool:
    return err.code in NOT_FOUND_CODES


def translate(exc: BaseException, redact: Callable[[str], str], operation: str = "") -> ProviderError:
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
        retryable = status >= 500 or bool(_RETRYABLE_CODE.search(code)) or code in RETRYABLE_FOR.get(operation, ())
        hint = HINTS.get(code)
        text = f"{message} (HTTP {status})" + (f" {hint}" if hint else "")
        return ProviderError(
            code,
            redact(text),
            retryable=retryable,
            request_id=request_id,
            retry_after=float(retry_after) if retry_after else None,
        )
    name = type(exc).__name__
    text = redact(str(getattr(exc, "message", None) or exc))
    lowered = text.lower()
    if "Credential" in name and ("refresh" in lowered or "failed to get" in lowered):
        # A refreshing source (STS AssumeRole, the instance metadata service) did not answer this
        # time: the next attempt asks it again.
        return ProviderError("CredentialsRefreshFailed", f"Refreshing the credentials failed: {text}", retryable=True)
    if "Credential" in name or "credential" in lowered and "unable to load" in lowered:
        return ProviderError(
            "CredentialsNotFound",
            "No Alibaba Cloud credentials were found. Set ALIBABA_CLOUD_ACCESS_KEY_ID and "
            "ALIBABA_CLOUD_ACCESS_KEY_SECRET, configure a profile with `aliyun configure` and name it in the "
            "provider block, set ecs_role_name on an ECS instance with a RAM role, or assume a role with an "
            "assume_role block. (" + text + ")",
        )
    # Transport failures: the SDK wraps requests' IOError into RetryError/UnretryableException.
    return ProviderError("RequestFailed", f"{name}: {text}", retryable=True)
