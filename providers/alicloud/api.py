"""The one seam to the official SDK: a client per region and endpoint, each call translated into
ProviderError.

Endpoints are per region. Without ``endpoint`` the SDK's own rules apply (``ecs.<region>.aliyuncs.com``,
``ecs-cn-hangzhou.aliyuncs.com``…). An ``endpoint`` containing ``{region}`` is a pattern filled in
for each region (``ecs-vpc.{region}.aliyuncs.com`` for VPC endpoints, which answer only their own
region); one without it is a single gateway that serves every region (an emulator, a proxy).
"""

from __future__ import annotations

import threading
from typing import Any

from alibabacloud_ecs20140526 import models as ecs
from alibabacloud_ecs20140526.client import Client as EcsClient
from alibabacloud_tea_openapi import models as open_api_models
from alibabacloud_tea_openapi import utils_models as open_api_util_models
from alibabacloud_tea_openapi.client import Client as OpenApiClient
from alibabacloud_tea_openapi.utils import Utils
from darabonba.core import DaraCore
from darabonba.runtime import RuntimeOptions

from .credentials import Redactor
from .errors import translate

VPC_VERSION = "2016-04-28"
VPC_ACTIONS = ("vpc:DescribeVSwitches",)
"""The VPC API actions the provider calls (everything else is ECS, through ``EcsApi.call``)."""
DEFAULT_VPC_ENDPOINT = "vpc.{region}.aliyuncs.com"


def endpoint_for(pattern: str | None, region: str) -> str | None:
    return pattern.replace("{region}", region) if pattern else None


def vpc_pattern(ecs_pattern: str | None) -> str:
    """The VPC API's endpoint next to an ECS endpoint: the same gateway, or the same naming with
    ``vpc`` for ``ecs`` (``ecs-vpc.{region}`` → ``vpc-vpc.{region}``, Alibaba's VPC-endpoint names)."""
    if not ecs_pattern:
        return DEFAULT_VPC_ENDPOINT
    if "{region}" in ecs_pattern and ecs_pattern.startswith("ecs"):
        return "vpc" + ecs_pattern[len("ecs"):]
    return ecs_pattern


class EcsApi:
    def __init__(
        self,
        credential: Any,
        *,
        endpoint: str | None,
        protocol: str,
        read_timeout_ms: int,
        connect_timeout_ms: int,
        vpc_endpoint: str | None = None,
    ):
        self._credential = credential
        self._endpoint = endpoint
        self._vpc_endpoint = vpc_endpoint or vpc_pattern(endpoint)
        self._protocol = protocol
        self._runtime = RuntimeOptions(read_timeout=read_timeout_ms, connect_timeout=connect_timeout_ms)
        self._clients: dict[tuple[str, str], OpenApiClient] = {}
        self._lock = threading.Lock()
        self.redact = Redactor(credential)

    def host(self, region: str) -> str | None:
        """The ECS endpoint requests for ``region`` go to (None: the SDK's own rule for the region)."""
        return endpoint_for(self._endpoint, region)

    def _client(self, product: str, region: str) -> Any:
        with self._lock:
            client = self._clients.get((product, region))
            if client is None:
                if product == "ecs":
                    cfg = open_api_models.Config(credential=self._credential, region_id=region,
                                                 endpoint=self.host(region), protocol=self._protocol)
                    client = EcsClient(cfg)
                else:
                    cfg = open_api_models.Config(credential=self._credential, region_id=region,
                                                 endpoint=endpoint_for(self._vpc_endpoint, region), protocol=self._protocol)
                    client = OpenApiClient(cfg)
                self._clients[(product, region)] = client
            return client

    def call(self, region: str, operation: str, request: Any) -> Any:
        """``operation`` is the SDK method name (``create_image_component``); returns the response body."""
        method = getattr(self._client("ecs", region), f"{operation}_with_options")
        return self._invoke(operation, lambda: method(request, self._runtime))

    def describe_vswitches(self, region: str, vswitch_id: str) -> Any:
        """VPC's DescribeVSwitches (ECS's own is deprecated); the response has ECS's model's shape."""
        client = self._client("vpc", region)
        params = open_api_util_models.Params(action="DescribeVSwitches", version=VPC_VERSION, protocol="HTTPS",
                                             pathname="/", method="POST", auth_type="AK", style="RPC",
                                             req_body_type="formData", body_type="json")
        req = open_api_util_models.OpenApiRequest(query=Utils.query({"RegionId": region, "VSwitchId": vswitch_id}))
        return self._invoke("describe_vswitches", lambda: DaraCore.from_map(
            ecs.DescribeVSwitchesResponse(), client.call_api(params, req, self._runtime)))

    def _invoke(self, operation: str, fn: Any) -> Any:
        try:
            response = fn()
        except Exception as exc:
            if getattr(exc, "status_code", None) is not None:
                self.redact.learn()  # the credential resolved: make sure its values are scrubbed
            raise translate(exc, self.redact, operation) from None
        self.redact.learn()
        return response.body
