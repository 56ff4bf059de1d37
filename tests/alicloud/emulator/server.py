"""The HTTP front of the emulator: RPC requests in, JSON out, with signatures, tokens and faults.

Requests are what the official SDK sends (reference §6.3): ``POST /?<params>`` with an empty
body, signed with ACS3-HMAC-SHA256. Parameters in a form body are merged too, as other clients
send them there. Every response is JSON; errors carry ``RequestId, HostId, Code, Message,
Recommend`` with the documented HTTP status.
"""

from __future__ import annotations

import json
import random
import re
import secrets
import socket
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from .errors import ApiError
from .image_ops import HOST_REGION
from .operations import CONFLICTS, IDEMPOTENT, OPERATIONS
from .signature import Credential, verify
from .world import Timings, World, iso

HOST_ID = "ecs.aliyuncs.com"
METADATA_HOST = "100.100.100.200"
"""[ecs-ram-role] the instance metadata service; a client reaches the emulator's copy of it through
an HTTP proxy (HTTP_PROXY=http://<emulator endpoint>)."""
_REGIONAL_HOST = re.compile(r"^(?:ecs|vpc)(?P<vpc>-vpc)?[.-](?P<region>[a-z]+-[a-z0-9-]+?)\.aliyuncs\.com(?::\d+)?$")
"""[endpoints] ecs.<region>.aliyuncs.com, ecs-vpc.<region>.aliyuncs.com (and ecs-cn-hangzhou.aliyuncs.com)."""
TEST_ACCESS_KEY_ID = "LTAI5tEmulatorTestKey01"
TEST_ACCESS_KEY_SECRET = "emulator-secret-0123456789abcdef"
_UNSIGNED = ("ClientToken", HOST_REGION)


@dataclass
class Faults:
    """Injected failures, drawn from a seeded generator. Rates are per request, in [0, 1]."""

    seed: int = 0
    throttle_rate: float = 0.0
    retry_after: int | None = 1
    """Seconds sent in ``x-acs-retry-after`` with a throttling error; None sends no header."""
    server_error_rate: float = 0.0
    """500 InternalError / 503 ServiceUnavailable; half of them after the operation took effect."""
    drop_rate: float = 0.0
    """Close the connection without answering; half of them after the operation took effect."""
    slow_rate: float = 0.0
    slow_seconds: float = 0.0
    actions: frozenset[str] | None = None
    """Only these actions get faults (None: all)."""
    conflict_rate: float = 0.0
    """A documented "try again later" answer of the action (operations.CONFLICTS: OperationDenied.ImageCopying,
    OperationDenied.ImageCopyConflict, InvalidOperation.Conflict, IdempotentProcessing...), before the
    operation took effect. Actions without such codes are not affected."""


Answer = str | ApiError
"""A scripted answer: "drop-before", "drop-after", "5xx-before", "5xx-after", "throttle", or an error."""


@dataclass
class Logged:
    action: str
    status: int
    code: str = ""
    fault: str = ""
    host: str = ""
    """The Host the request was sent to (the endpoint)."""
    region: str = ""
    """The request's RegionId (empty for operations without one)."""


@dataclass
class _Remembered:
    fingerprint: tuple[tuple[str, str], ...]
    body: dict[str, Any]


@dataclass
class _State:
    world: World
    faults: Faults
    credentials: dict[str, Credential]
    lock: threading.Lock = field(default_factory=threading.Lock)
    tokens: dict[tuple[str, str], _Remembered] = field(default_factory=dict)
    nonces: set[str] = field(default_factory=set)
    log: list[Logged] = field(default_factory=list)
    raw: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    fault_rng: random.Random = field(default_factory=random.Random)
    role_credentials: dict[str, str] = field(default_factory=dict)
    """ECS instance RAM role name → nothing: the roles the metadata service hands credentials for."""
    sts_seconds: float = 3600.0
    """How long credentials from the metadata service are accepted."""
    connections: set[socket.socket] = field(default_factory=set)
    """Open client connections: closed when the emulator stops, so a client's pooled connection
    never reaches a stopped emulator's handler (and its old world) through a reused port."""
    scripted: dict[str, list[Answer]] = field(default_factory=dict)
    """Action → the answers its next requests get, in order (``Emulator.inject``)."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in two writes: avoid the 40 ms delayed-ACK stall
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # silence the default stderr log
        pass

    def setup(self) -> None:
        super().setup()
        with self.server.state.lock:
            self.server.state.connections.add(self.connection)

    def finish(self) -> None:
        with self.server.state.lock:
            self.server.state.connections.discard(self.connection)
        super().finish()

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_PUT(self) -> None:
        self._serve()

    def _serve(self) -> None:
        st = self.server.state
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        # Through a proxy the request line holds the absolute URL; the Host header names the endpoint.
        url = urlsplit(self.path)
        host = (self.headers.get("Host") or url.netloc or "").lower()
        if host.split(":")[0] == METADATA_HOST:
            return self._metadata(url.path)
        query = dict(parse_qsl(url.query, keep_blank_values=True))
        params = dict(query)
        if body and self.headers.get("Content-Type", "").startswith("application/x-www-form-urlencoded"):
            params.update(parse_qsl(body.decode(), keep_blank_values=True))
        headers = {k.lower(): v for k, v in self.headers.items()}
        action = headers.get("x-acs-action") or params.get("Action", "")
        request_id = str(uuid.uuid4()).upper()
        where = (host, params.get("RegionId", ""))
        with st.lock:
            st.raw = [*st.raw[-49:], (self.path, dict(self.headers.items()))]

        regional = _REGIONAL_HOST.match(host)
        if regional and regional["vpc"] and params.get("RegionId") not in (None, "", regional["region"]):
            # [endpoints] a VPC endpoint is reachable only from its own region's VPCs: a request for
            # another region never gets an answer.
            return self._drop(action, "wrong-endpoint", where)
        if regional:
            params[HOST_REGION] = regional["region"]

        fault = self._next_scripted(action) or self._draw_fault(action)
        if isinstance(fault, ApiError):
            return self._error(action, fault, request_id, "scripted", where)
        if fault == "slow":
            time.sleep(st.faults.slow_seconds)
        if fault == "drop-before":
            return self._drop(action, fault, where)
        if fault == "throttle":
            hdr = {"x-acs-retry-after": str(st.faults.retry_after)} if st.faults.retry_after else {}
            err = ApiError(400, "Throttling.User", "Request was denied due to user flow control.", hdr)
            return self._error(action, err, request_id, fault, where)
        if fault == "5xx-before":
            return self._error(action, self._server_error(), request_id, fault, where)
        if fault == "conflict":
            with st.lock:
                status, code, message = st.fault_rng.choice(CONFLICTS[action])
            return self._error(action, ApiError(status, code, message), request_id, fault, where)
        try:
            verify(self.command, url.path or "/", query, headers, body, st.credentials, time.time())
            result = self._dispatch(action, headers, params)
        except ApiError as e:
            return self._error(action, e, request_id, fault, where)
        if fault == "drop-after":
            return self._drop(action, fault, where)
        if fault == "5xx-after":
            return self._error(action, self._server_error(), request_id, fault, where)
        with st.lock:  # logged before the answer leaves: a client that got it sees it in the log
            st.log.append(Logged(action, 200, fault=fault, host=where[0], region=where[1]))
        self._send(200, {"RequestId": request_id, **result}, {})

    def _metadata(self, path: str) -> None:
        """[ecs-ram-role] the instance metadata service: an IMDSv2 token, the role name, and
        short-lived STS credentials for the role (accepted for ``sts_seconds``)."""
        st = self.server.state
        prefix = "/latest/meta-data/ram/security-credentials/"
        if path == "/latest/api/token":
            return self._send_text(200, secrets.token_hex(16))
        if path == prefix:
            return self._send_text(200, "\n".join(sorted(st.role_credentials)))
        role = path.removeprefix(prefix)
        if not path.startswith(prefix) or role not in st.role_credentials:
            return self._send_text(404, "Not Found")
        now = time.time()
        cred = Credential(f"STS.emu{secrets.token_hex(6)}", secrets.token_hex(16), secrets.token_hex(24),
                          expires_at=now + st.sts_seconds)
        with st.lock:
            st.credentials[cred.access_key_id] = cred
            st.log.append(Logged("MetadataCredentials", 200, host=METADATA_HOST))
        # The credentials library refreshes 15 minutes before Expiration: announce an expiry that
        # makes it refresh halfway through the real lifetime.
        announced = now + 15 * 60 + st.sts_seconds / 2
        self._send(200, {"Code": "Success", "AccessKeyId": cred.access_key_id, "AccessKeySecret": cred.access_key_secret,
                         "SecurityToken": cred.security_token, "Expiration": iso(announced), "LastUpdated": iso(now)}, {})

    def _server_error(self) -> ApiError:
        if self.server.state.fault_rng.random() < 0.5:
            return ApiError(500, "InternalError", "The request processing has failed due to some unknown error.")
        return ApiError(503, "ServiceUnavailable", "The request has failed due to a temporary failure of the server.")

    def _next_scripted(self, action: str) -> Answer | None:
        st = self.server.state
        with st.lock:
            queue = st.scripted.get(action)
            return queue.pop(0) if queue else None

    def _draw_fault(self, action: str) -> str:
        st = self.server.state
        f = st.faults
        if f.actions is not None and action not in f.actions:
            return ""
        with st.lock:
            r = st.fault_rng.random()
            half = st.fault_rng.random() < 0.5
        for name, rate in (("throttle", f.throttle_rate), ("5xx", f.server_error_rate), ("drop", f.drop_rate),
                           ("slow", f.slow_rate), ("conflict", f.conflict_rate if action in CONFLICTS else 0.0)):
            if r < rate:
                return f"{name}-{'after' if half else 'before'}" if name in ("5xx", "drop") else name
            r -= rate
        return ""

    def _dispatch(self, action: str, headers: Mapping[str, str], params: dict[str, str]) -> dict[str, Any]:
        st = self.server.state
        version = headers.get("x-acs-version") or params.get("Version") or ""
        handler = OPERATIONS.get((version, action))
        if handler is None:
            if any(a == action for _, a in OPERATIONS):
                raise ApiError(400, "InvalidVersion", f"Specified parameter Version {version} is not valid.")
            raise ApiError(404, "InvalidAction.NotFound", f"Specified api {action} is not found, please check your url and method.")
        nonce = headers.get("x-acs-signature-nonce", "")
        with st.lock:
            if nonce in st.nonces:
                raise ApiError(400, "SignatureNonceUsed", "Specified signature nonce was used already.")
            st.nonces.add(nonce)
            now = time.time()
            st.world.advance(now)
            token = params.get("ClientToken")
            if action in IDEMPOTENT and token:
                # [idempotence] the same token with the same parameters answers the first result; with
                # other parameters, 403 IdempotentParameterMismatch.
                if len(token) > 64 or not token.isascii():
                    raise ApiError(400, "InvalidClientToken.Malformed", "The ClientToken is not valid.")
                fp = tuple(sorted((k, v) for k, v in params.items() if k not in _UNSIGNED))
                seen = st.tokens.get((action, token))
                if seen is not None:
                    if seen.fingerprint != fp:
                        raise ApiError(403, "IdempotentParameterMismatch",
                                       "The request uses the same client token as a previous, but non-identical request.")
                    return dict(seen.body)
                body = handler(st.world, params, now)
                st.tokens[(action, token)] = _Remembered(fp, dict(body))
                return body
            return handler(st.world, params, now)

    def _error(self, action: str, e: ApiError, request_id: str, fault: str, where: tuple[str, str] = ("", "")) -> None:
        body = {"RequestId": request_id, "HostId": HOST_ID, "Code": e.code, "Message": e.message,
                "Recommend": f"https://api.aliyun.com/troubleshoot?q={e.code}&product=Ecs&requestId={request_id}"}
        with self.server.state.lock:
            self.server.state.log.append(Logged(action, e.status, e.code, fault, host=where[0], region=where[1]))
        self._send(e.status, body, e.headers)

    def _drop(self, action: str, fault: str, where: tuple[str, str] = ("", "")) -> None:
        with self.server.state.lock:
            self.server.state.log.append(Logged(action, 0, "", fault, host=where[0], region=where[1]))
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _send_text(self, status: int, text: str) -> None:
        data = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _send(self, status: int, body: dict[str, Any], headers: Mapping[str, str]) -> None:
        data = json.dumps(body).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json;charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            for k, v in headers.items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up (a timeout test): nothing to answer


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    state: _State

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client killed mid-request (the crash suites) resets its connection: not an emulator error.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class Emulator:
    """An ECS Image Builder endpoint on 127.0.0.1 (ephemeral port). Use as a context manager.

    ``endpoint`` is what the SDK's ``Config(endpoint=…, protocol="http")`` takes. ``world`` holds
    the objects (``world.created`` records every creation; ``world.outcomes`` forces the next
    build results; ``world.rates`` sets random ones). ``faults`` can be changed at any time.
    """

    def __init__(
        self,
        *,
        seed: int = 0,
        phase_seconds: float = 0.02,
        copy_seconds: float = 0.02,
        faults: Faults | None = None,
        access_keys: Mapping[str, str] | None = None,
        security_tokens: Mapping[str, str] | None = None,
        token_expiry: Mapping[str, float] | None = None,
        instance_roles: tuple[str, ...] = (),
        sts_seconds: float = 3600.0,
        image_seconds: float = 0.0,
        regions: tuple[str, ...] | None = None,
    ):
        """``token_expiry``: access key → epoch seconds after which its security token is refused
        (InvalidSecurityToken.Expired). ``instance_roles``: RAM roles the metadata service serves
        credentials for, each valid ``sts_seconds``. ``image_seconds``: how long a built image stays
        Creating (see ``Timings``). ``regions``: the account's regions (default: five)."""
        keys = dict(access_keys or {TEST_ACCESS_KEY_ID: TEST_ACCESS_KEY_SECRET})
        tokens = dict(security_tokens or {})
        expiry = dict(token_expiry or {})
        creds = {ak: Credential(ak, sk, tokens.get(ak), expiry.get(ak)) for ak, sk in keys.items()}
        self.faults = faults or Faults()
        self.world = World(seed, Timings(phase_seconds, copy_seconds, image_seconds), **({"regions": regions} if regions else {}))
        self._state = _State(self.world, self.faults, creds, fault_rng=random.Random(self.faults.seed),
                             role_credentials={r: r for r in instance_roles}, sts_seconds=sts_seconds)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def set_faults(self, faults: Faults) -> None:
        self.faults = faults
        self._state.faults = faults
        self._state.fault_rng = random.Random(faults.seed)

    @property
    def log(self) -> list[Logged]:
        return list(self._state.log)

    def inject(self, action: str, *answers: Answer) -> None:
        """The next requests of ``action`` get these answers, in order, before any random fault:
        ``"drop-after"`` (the operation takes effect, the answer is lost), ``"drop-before"``,
        ``"5xx-after"``, ``"5xx-before"``, ``"throttle"``, or an ``ApiError`` (refused before taking effect)."""
        with self._state.lock:
            self._state.scripted.setdefault(action, []).extend(answers)

    def expire(self, access_key_id: str) -> None:
        """From now on, the access key's security token is refused as expired."""
        with self._state.lock:
            c = self._state.credentials[access_key_id]
            self._state.credentials[access_key_id] = Credential(c.access_key_id, c.access_key_secret,
                                                                c.security_token, expires_at=time.time())

    def request_counts(self) -> Counter[str]:
        """Requests received per action (faulted ones included): what an API budget is measured in."""
        return Counter(entry.action for entry in self._state.log)

    def reset_log(self) -> None:
        with self._state.lock:
            self._state.log.clear()

    @property
    def raw_requests(self) -> list[tuple[str, dict[str, str]]]:
        """The last 50 requests as received: (path with query, headers)."""
        return list(self._state.raw)

    @property
    def endpoint(self) -> str:
        assert self._server is not None, "the emulator is not started"
        host, port = self._server.server_address[:2]
        return f"{host}:{port}"

    def start(self) -> Emulator:
        server = _Server(("127.0.0.1", 0), _Handler)
        server.state = self._state
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
            with self._state.lock:
                open_connections = list(self._state.connections)
            for conn in open_connections:
                try:
                    conn.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
