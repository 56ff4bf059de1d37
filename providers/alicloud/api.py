"""The one seam to the official SDK: a client per region, each call translated into ProviderError."""

from __future__ import annotations

import threading
from typing import Any

from alibabacloud_ecs20140526.client import Client as EcsClient
from alibabacloud_tea_openapi import models as open_api_models
from darabonba.runtime import RuntimeOptions

from .credentials import Redactor
from .errors import translate


class EcsApi:
    def __init__(
        self,
        credential: Any,
        *,
        endpoint: str | None,
        protocol: str,
        read_timeout_ms: int,
        connect_timeout_ms: int,
    ):
        self._credential = credential
        self._endpoint = endpoint
        self._protocol = protocol
        self._runtime = RuntimeOptions(read_timeout=read_timeout_ms, connect_timeout=connect_timeout_ms)
        self._clients: dict[str, EcsClient] = {}
        self._lock = threading.Lock()
        self.redact = Redactor(credential)

    def _client(self, region: str) -> EcsClient:
        with self._lock:
            client = self._clients.get(region)
            if client is None:
                # An explicit endpoint (emulator, VPC endpoint) serves every region; otherwise the SDK's
                # per-region endpoint rules apply.
                cfg = open_api_models.Config(credential=self._credential, region_id=region,
                                             endpoint=self._endpoint, protocol=self._protocol)
                client = self._clients[region] = EcsClient(cfg)
            return client

    def call(self, region: str, operation: str, request: Any) -> Any:
        """``operation`` is the SDK method name (``create_image_component``); returns the response body."""
        method = getattr(self._client(region), f"{operation}_with_options")
        try:
            response = method(request, self._runtime)
        except Exception as exc:
            if getattr(exc, "status_code", None) is not None:
                self.redact.learn()  # the credential resolved: make sure its values are scrubbed
            raise translate(exc, self.redact) from None
        self.redact.learn()
        return response.body
