"""The emulated operations: (API version, action) → handler ``(world, params, now) → response body``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import builder_ops, image_ops, lookup_ops, price_ops
from .params import Params
from .world import World

Handler = Callable[[World, Params, float], dict[str, Any]]
ECS = "2014-05-26"
VPC = "2016-04-28"

OPERATIONS: dict[tuple[str, str], Handler] = {
    (ECS, "CreateImageComponent"): builder_ops.create_image_component,
    (ECS, "DescribeImageComponents"): builder_ops.describe_image_components,
    (ECS, "DeleteImageComponent"): builder_ops.delete_image_component,
    (ECS, "CreateImagePipeline"): builder_ops.create_image_pipeline,
    (ECS, "DescribeImagePipelines"): builder_ops.describe_image_pipelines,
    (ECS, "DeleteImagePipeline"): builder_ops.delete_image_pipeline,
    (ECS, "StartImagePipelineExecution"): builder_ops.start_image_pipeline_execution,
    (ECS, "DescribeImagePipelineExecutions"): builder_ops.describe_image_pipeline_executions,
    (ECS, "CancelImagePipelineExecution"): builder_ops.cancel_image_pipeline_execution,
    (ECS, "DescribeImages"): image_ops.describe_images,
    (ECS, "DeleteImage"): image_ops.delete_image,
    (ECS, "CopyImage"): image_ops.copy_image,
    (ECS, "CancelCopyImage"): image_ops.cancel_copy_image,
    (ECS, "ModifyImageSharePermission"): image_ops.modify_image_share_permission,
    (ECS, "DescribeImageSharePermission"): image_ops.describe_image_share_permission,
    (ECS, "DeleteSnapshot"): image_ops.delete_snapshot,
    (ECS, "TagResources"): image_ops.tag_resources,
    (ECS, "UntagResources"): image_ops.untag_resources,
    (ECS, "DescribeRegions"): lookup_ops.describe_regions,
    (ECS, "DescribeAvailableResource"): lookup_ops.describe_available_resource,
    (ECS, "DescribePrice"): price_ops.describe_price,
    (VPC, "DescribeVSwitches"): lookup_ops.describe_vswitches,
}

IDEMPOTENT = frozenset({"CreateImageComponent", "CreateImagePipeline", "StartImagePipelineExecution", "CopyImage"})
"""Operations that take a ClientToken ([idempotence])."""

CONFLICTS: dict[str, tuple[tuple[int, str, str], ...]] = {
    # The documented "try again later" answers, injected by Faults.conflict_rate. [CopyImage] lists
    # the first three; IdempotentProcessing (the previous request with this token is still being
    # processed) is named by issue 22 for the token-taking operations (HTTP status unverified).
    "CopyImage": (
        (403, "OperationDenied.ImageCopying", "The image is currently being copied. Please try again later."),
        (400, "OperationDenied.ImageCopyConflict", "The same image cannot be copied concurrently. Please wait until "
                                                   "the last copy is completed before performing the next operation."),
        (409, "InvalidOperation.Conflict", "Request was denied due to conflict with a previous request, please try "
                                           "again later."),
        (409, "IdempotentProcessing", "The previous idempotent request(s) is still processing."),
    ),
    "DeleteImage": ((403, "OperationDenied.ImageCopying", "The image is being copied. Please use the CancelCopyImage API."),),
    "DeleteSnapshot": ((403, "Operation.Conflict", "The operation may conflicts with others, please retry later."),),
    "CreateImageComponent": ((409, "IdempotentProcessing", "The previous idempotent request(s) is still processing."),),
    "CreateImagePipeline": ((409, "IdempotentProcessing", "The previous idempotent request(s) is still processing."),),
    "StartImagePipelineExecution": ((409, "IdempotentProcessing", "The previous idempotent request(s) is still processing."),),
}
