"""Where each emulated behaviour comes from: the documentation page of every operation.

Every rule in the operations cites one of these keys in a comment (``# [CopyImage]``). The pages
are Alibaba Cloud's API reference for ECS 2014-05-26 (and VPC 2016-04-28 for DescribeVSwitches);
the texts were read from copies of those pages (see /work/shared/reference/alicloud-image-builder.md
§12 for the sources and their dates). Where a page leaves something open, the operation says
"unverified" next to the choice it makes.
"""

from __future__ import annotations

_API = "https://www.alibabacloud.com/help/en/ecs/developer-reference/api-ecs-2014-05-26-"

DOCS: dict[str, str] = {
    "CreateImageComponent": _API + "createimagecomponent",
    "DescribeImageComponents": _API + "describeimagecomponents",
    "DeleteImageComponent": _API + "deleteimagecomponent",
    "CreateImagePipeline": _API + "createimagepipeline",
    "DescribeImagePipelines": _API + "describeimagepipelines",
    "DeleteImagePipeline": _API + "deleteimagepipeline",
    "StartImagePipelineExecution": _API + "startimagepipelineexecution",
    "DescribeImagePipelineExecutions": _API + "describeimagepipelineexecutions",
    "CancelImagePipelineExecution": _API + "cancelimagepipelineexecution",
    "CopyImage": _API + "copyimage",
    "CancelCopyImage": _API + "cancelcopyimage",
    "DescribeImages": _API + "describeimages",
    "DeleteImage": _API + "deleteimage",
    "ModifyImageSharePermission": _API + "modifyimagesharepermission",
    "DescribeImageSharePermission": _API + "describeimagesharepermission",
    "DeleteSnapshot": _API + "deletesnapshot",
    "DescribeSnapshots": _API + "describesnapshots",
    "TagResources": _API + "tagresources",
    "UntagResources": _API + "untagresources",
    "DescribeRegions": _API + "describeregions",
    "DescribeAvailableResource": _API + "describeavailableresource",
    "DescribePrice": _API + "describeprice",
    "Vpc.DescribeVSwitches": "https://www.alibabacloud.com/help/en/vpc/developer-reference/api-vpc-2016-04-28-describevswitches",
    # Cross-cutting pages.
    "idempotence": "https://www.alibabacloud.com/help/en/ecs/developer-reference/how-to-ensure-idempotence",
    "tag-limits": "https://www.alibabacloud.com/help/en/ecs/user-guide/limits (Tags: at most 20 custom tags per resource)",
    "endpoints": "https://www.alibabacloud.com/help/en/ecs/developer-reference/endpoints (regional and VPC endpoints)",
    "signature-v3": "https://www.alibabacloud.com/help/en/sdk/product-overview/v3-request-structure-and-signature",
    "ecs-ram-role": "https://www.alibabacloud.com/help/en/ecs/user-guide/attach-an-instance-ram-role "
                    "(credentials at 100.100.100.200/latest/meta-data/ram/security-credentials/<role>)",
    "delete-image": "https://www.alibabacloud.com/help/en/ecs/user-guide/delete-a-custom-image "
                    "(deleting an image keeps its snapshots)",
}
