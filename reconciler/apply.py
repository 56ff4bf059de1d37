"""Carrying out a plan: a scheduler that starts each action as soon as what it needs is done.

Not in waves: a copy starts the moment its image exists, whatever else is still building. The
scheduler is bounded by --parallelism and by the provider's limits (one build per template,
copies per region). Every completed action is recorded in state at once (the state manager
appends it to a journal, so this stays O(1) per action), and a long operation's in-flight
marker is recorded *before* waiting on it, so a killed apply is adopted by the next one.

Ordering (Terraform's rules): creates follow their dependencies; deletes go in reverse; a
replacement creates the new object, moves dependents to it, then deletes the old one.

The image lifecycle (docs/lifecycle.md) adds one step per template: the *promotion* of the
generation the plan makes current. It waits for that generation's build, copies and shares, and
every deletion of an image, copy or share of the template waits for it (I1): when anything of the
new generation fails, what is in service stays untouched, and ``current`` still names it (I2).
"""

from __future__ import annotations

import heapq
import queue
import random
import signal
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Protocol

from imgb import unknown
from imgb.addresses import Address, Kind
from imgb.providers.base import Cancelled, Leftovers, Progress, Provider, ProviderError
from imgb.reconciler.dag import Dag
from imgb.reconciler.plan import FORGOTTEN, Action, Change, Plan
from imgb.reconciler.workers import Workers
from imgb.state.model import DEPOSED, TEST_FAILED, BuildFailure, Operation, ResourceState, deposed_key

TRANSIENT_INPUTS = ("context_dir", "sensitive_values")
"""Inputs a provider gets for a build and that are never persisted (providers/base.py)."""


class Step(StrEnum):
    CREATE = "create"
    DELETE = "delete"
    PROMOTE = "promote"
    """Put a template's generation in service, once it is built, tested, copied and shared."""
    FORGET = "forget"


@dataclass(frozen=True, eq=False)
class Node:
    step: Step
    change: Change

    @property
    def id(self) -> str:
        return f"{self.step}:{self.change.display_address}:{self.change.image_hash or ''}"

    @property
    def label(self) -> str:
        return self.change.display_address

    @property
    def is_action(self) -> bool:
        """False for the promotion of a generation this plan builds or distributes: part of those
        actions, not one of its own (a rollback's promotion is its action)."""
        return self.step is not Step.PROMOTE or self.change.action is Action.REUSE


class Session(Protocol):
    """What apply needs of an open state session (``state.manager.StateSession``)."""

    @property
    def state(self) -> Any: ...

    def get(self, address: str, image_hash: str | None = None) -> ResourceState | None: ...

    def put(self, resource: ResourceState, *, wait: bool = True) -> None: ...

    def remove(self, address: str, image_hash: str | None) -> None: ...

    def begin_operation(self, op: Operation) -> None: ...

    def end_operation(self, address: str, image_hash: str | None) -> None: ...

    def promote(self, template: str, image_hash: str, at: str) -> None: ...

    def retire(self, template: str, at: str) -> None: ...

    def set_failure(self, template: str, failure: BuildFailure | None) -> None: ...

    def sync(self, grace: float = 0.0) -> None:
        """Return once everything recorded (also with ``wait=False``) is durable."""


class Hooks:
    """Observer of an apply; views override what they show. Called from worker threads."""

    def started(self, node: Node) -> None: ...

    def progress(self, node: Node, message: str, phase: str | None) -> None: ...

    def finished(self, node: Node, result: Mapping[str, Any] | None, seconds: float) -> None: ...

    def failed(self, node: Node, error: ProviderError) -> None: ...

    def skipped(self, node: Node, because: str) -> None: ...

    def in_service(self, node: Node) -> None:
        """A generation just built (or copied and shared) went into service."""

    def retrying(self, node: Node, error: ProviderError, delay: float, attempt: int) -> None: ...

    def interrupted(self, second: bool) -> None: ...


@dataclass
class RetryPolicy:
    attempts: int = 6
    base_delay: float = 1.0
    max_delay: float = 30.0
    max_total: float = 600.0
    sleep: Callable[[float], None] = time.sleep


@dataclass
class Failure:
    address: str
    step: str
    code: str
    message: str
    request_id: str | None = None


@dataclass
class ApplyResult:
    done: list[str] = field(default_factory=list)
    failed: list[Failure] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    interrupted: bool = False
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.failed and not self.interrupted


_SHARE_FSYNC_S = 0.003
"""How long a recorded result waits for a dependent's start record to share its fsync."""


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def build_steps(plan: Plan) -> Dag[Node]:
    """The execution DAG: nodes are ``Node``s, an edge a→b means b waits for a."""
    g: Dag[Node] = Dag()
    creates: dict[str, Node] = {}
    deletes: dict[tuple[str, str | None], Node] = {}
    promotes: dict[str, Node] = {}
    images: dict[tuple[str, str | None], Change] = {}
    """(template, hash) -> the plan's image change, to hang the promotion on."""
    for c in plan.changes:
        if c.kind is Kind.IMAGE and c.template:
            images[(c.template, c.image_hash)] = c
        if c.action in (Action.CREATE, Action.RESUME):
            creates[c.address] = Node(Step.CREATE, c)
        elif c.action is Action.REUSE:
            if c.template:
                promotes[c.template] = Node(Step.PROMOTE, c)
        elif c.action is Action.REPLACE:
            creates[c.address] = Node(Step.CREATE, c)
            deletes[c.key] = Node(Step.DELETE, c)
        elif c.action is Action.DELETE:
            deletes[c.key] = Node(Step.DELETE, c)
        elif c.action is Action.FORGET:
            g.add_node(Node(Step.FORGET, c))
    # A template whose plan makes anything of the generation it leaves in service gets a promotion.
    generation: dict[str, list[Node]] = {}
    for n in creates.values():
        c = n.change
        if c.template and c.kind in _GENERATION_KINDS and plan.current_after.get(c.template) == c.image_hash:
            generation.setdefault(c.template, []).append(n)
    for t in generation:
        if t not in promotes:
            h = plan.current_after[t]
            image = images.get((t, h)) or _image_change(t, h, generation[t][0].change.provider)
            promotes[t] = Node(Step.PROMOTE, image)
    for n in list(creates.values()) + list(deletes.values()) + list(promotes.values()):
        g.add_node(n)

    # Creates after what they need.
    for n in creates.values():
        for dep in n.change.depends_on:
            if dep in creates:
                g.add_edge(creates[dep], n)

    # I1: the promotion after the whole generation; every removal of the template's images,
    # copies and shares after the promotion.
    for t, p in promotes.items():
        for n in generation.get(t, []):
            g.add_edge(n, p)
    for d in deletes.values():
        c = d.change
        gate = promotes.get(c.template or "")
        if gate is not None and c.kind in _GENERATION_KINDS:
            g.add_edge(gate, d)

    # Deletes in reverse dependency order: a share before its copy, a copy before its image,
    # a template before the components it uses.
    by_addr: dict[str, list[Node]] = {}
    for (addr, _), n in deletes.items():
        by_addr.setdefault(addr, []).append(n)
    for n in deletes.values():
        c = n.change
        for dep in _delete_deps(c):
            for d in by_addr.get(dep, []):
                if d is n:
                    continue
                same_gen = d.change.image_hash == c.image_hash or d.change.kind in (Kind.COMPONENT, Kind.TEMPLATE)
                if same_gen:
                    g.add_edge(n, d)

    # A share goes before the very object it shares (by id), whatever generation state keys them
    # under: a share left on a copy an interrupted apply replaced (deposed) included.
    by_id = {d.change.prior_id: d for d in deletes.values() if d.change.kind in (Kind.IMAGE, Kind.COPY) and d.change.prior_id}
    for d in deletes.values():
        c = d.change
        if c.kind is Kind.SHARE and c.prior_id:
            target = by_id.get(c.prior_id.rpartition("/")[0])
            if target is not None:
                g.add_edge(d, target)

    # Replacements: the old object goes after the new one exists and after everything that
    # depended on it has moved to the new one; unless the kind deletes first.
    for d in deletes.values():
        c = d.change
        if c.action is not Action.REPLACE:
            continue
        new = creates.get(c.address)
        if new is None:
            continue
        if c.create_before_destroy:
            g.add_edge(new, d)
            for other in creates.values():
                if c.address in other.change.depends_on:
                    g.add_edge(other, d)
        else:
            g.add_edge(d, new)
    return g


_GENERATION_KINDS = (Kind.IMAGE, Kind.COPY, Kind.SHARE)


def _image_change(template: str, image_hash: str | None, provider: str) -> Change:
    """The image change a promotion stands for, when the plan holds none (a targeted plan)."""
    t = Address.parse(template)
    return Change(address=str(Address(Kind.IMAGE, t.name, t.key)), kind=Kind.IMAGE, action=Action.NOOP,
                  provider=provider, template=template, image_hash=image_hash)


def _delete_deps(c: Change) -> list[str]:
    """Addresses this object, being deleted, must go before: a share before the copy or image it
    shares, a copy before its image, a template before the components it uses."""
    addr = Address.parse(c.address)
    if c.kind is Kind.SHARE:
        return [str(Address.copy(addr.template, addr.region or "")), str(Address.image(addr.template))]
    if c.kind is Kind.COPY:
        return [str(Address.image(addr.template))]
    if c.kind is Kind.TEMPLATE:
        return [d for d in c.depends_on if d.startswith(f"{Kind.COMPONENT}.")]
    return []


class Engine:
    def __init__(
        self,
        plan: Plan,
        session: Session,
        providers: Mapping[str, Provider],
        *,
        secrets: Sequence[str] = (),
        sensitive_values: Sequence[str] = (),
        parallelism: int = 10,
        hooks: Hooks | None = None,
        retry: RetryPolicy | None = None,
        context_dir: str = ".",
        mask: Callable[[Any], Any] = lambda v: v,
    ):
        self.plan = plan
        self.session = session
        self.providers = providers
        self.secrets = list(secrets)
        """The values of the plan's placeholders (``Plan.secrets``, in order): providers get them whole."""
        self.sensitive_values = [s for s in sensitive_values if s]
        """Every sensitive value of the configuration: what a build's log must not show."""
        self._announced: set[Node] = set()
        self.parallelism = max(1, parallelism)
        self.hooks = hooks or Hooks()
        self.retry = retry or RetryPolicy()
        self.context_dir = context_dir
        self.mask = mask
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._cancel = threading.Event()
        self._handles: dict[str, tuple[Provider, Kind, dict[str, Any]]] = {}
        self._next_call: dict[str, float] = {}
        """Provider key -> earliest time of its next request, for providers with a request rate."""
        self._ids: dict[tuple[str, str | None], str] = {}
        """(address, image hash) -> id, kept beside state so lookups stay O(1) at any size."""
        self._events: queue.SimpleQueue[tuple[Node, bool, BaseException | None]] = queue.SimpleQueue()
        """Workers -> scheduler: (node, finished, error). ``finished=False``: the node's provider work
        is over and its result recorded, so its slot is free and what depends on it may begin."""

    # -- scheduling ------------------------------------------------------------------------
    def run(self, install_signal_handlers: bool = False) -> ApplyResult:
        started = time.monotonic()
        self._ids = {r.key: r.id for r in self.session.state.resources}
        for c in self.plan.changes:
            # An image in service that refresh found gone is built again: until then nothing is (I2).
            if c.kind is Kind.IMAGE and c.action is Action.CREATE and c.template and c.key in self._ids:
                if self.session.state.current.get(c.template) == c.image_hash:
                    self.session.retire(c.template, _now())
        g = build_steps(self.plan)
        result = ApplyResult()
        remaining = {n: g.in_degree(n) for n in g.nodes}
        failed_or_skipped: set[Node] = set()
        slots: set[Node] = set()
        """Started nodes still doing provider work: at most ``parallelism``."""
        released: set[Node] = set()
        outstanding = 0
        builds: dict[str, int] = {}
        copies: dict[tuple[str, str], int] = {}
        order = {n: i for i, n in enumerate(sorted(g.nodes, key=lambda n: (n.change.addr.sort_key(), n.id)))}
        # A heap keeps start order deterministic without rescanning everything that is ready.
        ready: list[tuple[int, Node]] = [(order[n], n) for n, deps in remaining.items() if not deps]
        heapq.heapify(ready)
        previous = None
        if install_signal_handlers and threading.current_thread() is threading.main_thread():
            previous = signal.signal(signal.SIGINT, self._on_sigint)
        try:
            # Threads beyond the slots: a worker whose slot is free still waits for its result to be
            # durable (sharing that fsync with the next action's start record) before it reports.
            with Workers(2 * self.parallelism) as pool:
                while ready or outstanding:
                    if not self._stop.is_set():
                        blocked: list[tuple[int, Node]] = []
                        while ready and len(slots) < self.parallelism:
                            item = heapq.heappop(ready)
                            n = item[1]
                            if not self._admit(n, builds, copies):
                                blocked.append(item)  # waits for a build or copy slot
                                continue
                            self._take(n, builds, copies, +1)
                            slots.add(n)
                            outstanding += 1
                            pool.submit(self._work, n)
                        for item in blocked:
                            heapq.heappush(ready, item)
                    elif ready:
                        for _, n in sorted(ready):
                            if n.is_action:
                                result.skipped.append(n.label)
                                self.hooks.skipped(n, "the apply was interrupted")
                        ready = []
                    if not outstanding:
                        break
                    try:
                        events = [self._events.get(timeout=0.2)]  # wakes up to notice an interrupt
                    except queue.Empty:
                        continue
                    while not self._events.empty():
                        events.append(self._events.get())
                    for n, finished, err in events:
                        if n in slots:
                            slots.discard(n)
                            self._take(n, builds, copies, -1)
                        if err is None and n not in released:
                            # Recorded (or done): dependents may start. Their start records go to the
                            # journal after this result, so none starts before it is durable.
                            released.add(n)
                            for succ in g.successors(n):
                                remaining[succ] -= 1
                                if not remaining[succ] and succ not in failed_or_skipped:
                                    heapq.heappush(ready, (order[succ], succ))
                        if not finished:
                            continue
                        outstanding -= 1
                        if err is None:
                            if n.is_action:
                                result.done.append(n.label)
                            continue
                        if isinstance(err, ProviderError):
                            err.message = self.mask(err.message)  # a build's output may quote a secret
                        failure = _failure(n, err)
                        failure.message = self.mask(failure.message)
                        result.failed.append(failure)
                        if isinstance(err, ProviderError):
                            self.hooks.failed(n, err)
                        if n in released:
                            continue  # its result was recorded; what depends on it has started already
                        for succ in g.descendants(n):
                            if succ not in failed_or_skipped:
                                failed_or_skipped.add(succ)
                                if succ.is_action:
                                    result.skipped.append(succ.label)
                                    self.hooks.skipped(succ, f"{n.label} failed")
        finally:
            if previous is not None:
                signal.signal(signal.SIGINT, previous)
        result.interrupted = self._stop.is_set()
        result.seconds = time.monotonic() - started
        return result

    def _admit(self, n: Node, builds: dict[str, int], copies: dict[tuple[str, str], int]) -> bool:
        c = n.change
        if n.step is not Step.CREATE:
            return True
        limits = self.providers[c.provider].schema().limits if c.provider in self.providers else None
        if limits is None:
            return True
        if c.kind is Kind.IMAGE and c.template and builds.get(c.template, 0) >= limits.builds_per_template:
            return False
        if c.kind is Kind.COPY and limits.copies_per_region is not None:
            region = (c.after or {}).get("region", "")
            if copies.get((c.provider, region), 0) >= limits.copies_per_region:
                return False
        return True

    @staticmethod
    def _take(n: Node, builds: dict[str, int], copies: dict[tuple[str, str], int], delta: int) -> None:
        c = n.change
        if n.step is not Step.CREATE:
            return
        if c.kind is Kind.IMAGE and c.template:
            builds[c.template] = builds.get(c.template, 0) + delta
        elif c.kind is Kind.COPY:
            key = (c.provider, (c.after or {}).get("region", ""))
            copies[key] = copies.get(key, 0) + delta

    def _on_sigint(self, signum: int, frame: object) -> None:
        if not self._stop.is_set():
            self._stop.set()
            self.hooks.interrupted(False)
            return
        self._cancel.set()
        self.hooks.interrupted(True)
        for provider, kind, handle in list(self._handles.values()):
            try:
                provider.cancel(kind, handle)
            except ProviderError:
                pass

    def interrupt(self) -> None:
        """Programmatic first Ctrl-C (tests, embedding)."""
        self._on_sigint(signal.SIGINT, None)

    # -- one action ------------------------------------------------------------------------
    def _work(self, n: Node) -> None:
        try:
            self._execute(n)
        except BaseException as e:  # noqa: BLE001 - reported to the scheduler, which fails the node
            self._events.put((n, True, e))
            return
        self._events.put((n, True, None))

    def _execute(self, n: Node) -> None:
        if n.step is Step.DELETE and self._replaced_by_itself(n.change):
            # Said as it is: a delete that deletes nothing is not reported as "Deleted".
            self.hooks.skipped(n, f"the replacement is the very same object, {n.change.prior_id}: kept")
            self._announced.add(n)
            return
        if not n.is_action:
            self._announced.add(n)
        else:
            self.hooks.started(n)
        t0 = time.monotonic()
        c = n.change
        res: Mapping[str, Any] | None = None
        if n.step is Step.CREATE:
            res = self._create(n)
        elif n.step is Step.DELETE:
            self._delete(n)
        elif n.step is Step.PROMOTE:
            self._promote(n)
        elif n.step is Step.FORGET:
            self._release(n)
            self.session.remove(c.address, c.image_hash)
            if c.kind is Kind.IMAGE and c.template and self.session.state.current.get(c.template) == c.image_hash:
                self.session.retire(c.template, _now())  # I2: current never names an image that is gone
        if n not in self._announced:
            self.hooks.finished(n, res, time.monotonic() - t0)

    def _promote(self, n: Node) -> None:
        """Put the generation in service (I1, I2): only reached once it is built, tested, copied
        and shared everywhere, and durable before any removal of the template's objects starts."""
        c = n.change
        assert c.template and c.image_hash
        image = self.session.get(c.address, c.image_hash)
        if image is None or image.status != "ok":
            raise ProviderError(
                "ImageNotAvailable",
                f"{c.address} ({c.image_hash[:8]}) is not in state as a usable image, so it is not made current",
            )
        if "hash_inputs" not in image.attributes and c.after:
            # An image adoption recorded: give it the inputs later plans explain changes with.
            inputs = c.after.get("hash_inputs", {})
            self.session.put(image.model_copy(update={"attributes": {**image.attributes, "hash_inputs": inputs}}))
        periods = self.session.state.in_service.get(c.template, [])
        if self.session.state.current.get(c.template) != c.image_hash or not periods or periods[-1].until is not None:
            self.session.promote(c.template, c.image_hash, _now())
            if c.action is not Action.REUSE:
                self.hooks.in_service(n)

    def _provider(self, c: Change) -> Provider:
        p = self.providers.get(c.provider)
        if p is None:
            raise ProviderError("ProviderNotConfigured", f'provider "{c.provider}" is not configured')
        return p

    def _resolve(self, value: Any, image_hash: str | None) -> Any:
        if isinstance(value, str) and unknown.has_markers(value):

            def sub(ref: str) -> str:
                addr = ref[: -len(".id")]
                kind = Address.parse(addr).kind
                rid = self._ids.get((addr, image_hash if kind in (Kind.IMAGE, Kind.COPY, Kind.SHARE) else None))
                if rid is None:
                    raise ProviderError("DependencyMissing", f"{addr} does not exist, so its id is not known")
                return rid

            return unknown.substitute(value, sub)
        if isinstance(value, dict):
            return {k: self._resolve(v, image_hash) for k, v in value.items()}
        return value

    def _create(self, n: Node) -> dict[str, Any]:
        c = n.change
        provider = self._provider(c)
        # The reviewed plan's values, as recorded: ids known only now filled in, secrets put back.
        attrs = {k: self._resolve(v, c.image_hash) for k, v in self.plan.executable(c, self.secrets).items()}
        attrs.pop("hash_inputs", None)
        if c.kind is Kind.IMAGE:
            attrs["context_dir"] = self.context_dir
            if self.sensitive_values:
                attrs["sensitive_values"] = self.sensitive_values
        if c.kind in (Kind.IMAGE, Kind.COPY):
            attrs["tags"] = {**attrs.get("tags", {}), "imgb:managed": "true", "imgb:hash": c.image_hash or "", "imgb:address": c.address}
        existing = next(
            (o for o in self.session.state.operations if o.address == c.address and o.image_hash == c.image_hash), None
        )
        if existing is not None:
            op = existing
        else:
            op = Operation(
                address=c.address,
                kind=c.kind,
                provider=c.provider,
                token=uuid.uuid4().hex,
                handle={},
                template=c.template,
                image_hash=c.image_hash,
                desired=self.mask({k: v for k, v in attrs.items() if k not in TRANSIENT_INPUTS}),
                started_at=_now(),
            )
            # Durable before the provider is asked: a crash after this point is adopted by
            # token (start is idempotent per token), never started twice.
            self.session.begin_operation(op)
        t0 = time.monotonic()
        handle = dict(op.handle)
        if not handle:
            try:
                def start() -> dict[str, Any]:
                    self._pace(c.provider)
                    return provider.start(c.kind, attrs, op.token)

                handle = self._with_retry(n, start)
            except ProviderError as e:
                if not e.retryable:  # refused: nothing was started
                    self.session.end_operation(c.address, c.image_hash)
                    if c.kind is Kind.IMAGE:
                        _record_failure(self.session, c.address, c.provider, c.template, c.image_hash, e, {}, self.mask)
                raise
            if self._long_running(provider, c.kind):
                # The handle (an execution id) is what a later apply polls; short operations are
                # adopted by re-issuing start with the same token instead.
                op = op.model_copy(update={"handle": handle})
                self.session.begin_operation(op)
        self._handles[n.id] = (provider, c.kind, handle)
        try:
            result = self._with_retry(n, lambda: provider.wait(c.kind, handle, _progress_for(n, self.hooks, self.mask)))
        except ProviderError as e:
            # Failed or cancelled for good: nothing to adopt, the next apply starts afresh. A
            # transient error keeps the marker: the operation may still be running.
            if not e.retryable:
                self.session.end_operation(c.address, c.image_hash)
                if c.kind is Kind.IMAGE and not isinstance(e, Cancelled):
                    _record_failure(self.session, c.address, c.provider, c.template, c.image_hash, e, handle, self.mask)
                if e.partial and e.partial.get("id"):
                    _clean_up(self.session, provider, c, e.partial, self.retry, self._ids)
            raise
        finally:
            self._handles.pop(n.id, None)
        status = TEST_FAILED if c.kind is Kind.IMAGE and result.get("status") == "TEST_FAILED" else "ok"
        stored = {k: v for k, v in attrs.items() if k not in TRANSIENT_INPUTS}
        stored.update({k: v for k, v in result.items() if k != "id"})
        if c.kind is Kind.IMAGE:
            stored["hash_inputs"] = (c.after or {}).get("hash_inputs", {})
        resource = ResourceState(
            address=c.address,
            kind=c.kind,
            provider=c.provider,
            id=str(result["id"]),
            attributes=self.mask(stored),
            dependencies=list(c.depends_on),
            template=c.template,
            image_hash=c.image_hash,
            status=status,
            created_at=_now(),
            duration_s=round(time.monotonic() - t0, 3),
        )
        # Not under the engine's lock (no other action records this key), and not waited for here:
        # the slot is freed and dependents start at once. Their start records follow this result in
        # the journal, so one fsync makes both durable; sync() below covers a result nothing follows.
        # A create (not a replacement) at a key state still holds: refresh found that object gone.
        record(self.session, resource, self._ids, wait=False, old_is_gone=c.action is Action.CREATE)  # also ends the operation
        if c.kind is Kind.IMAGE and c.template and c.template in self.session.state.failures:
            self.session.set_failure(c.template, None)  # a later build of the template got through
        if status == "ok":
            # Said before the dependents it releases start, so the log reads in order.
            self.hooks.finished(n, result, time.monotonic() - t0)
            self._announced.add(n)
            self._events.put((n, False, None))
        self.session.sync(grace=_SHARE_FSYNC_S)
        if status == TEST_FAILED:
            raise ProviderError(
                "TEST_FAILED",
                f"the image {resource.id} was built but its test commands failed; it is kept and not distributed",
            )
        return result

    def _release(self, n: Node) -> None:
        """An object refresh found gone may have left billed parts (an interrupted delete): the
        provider frees them before state forgets the object. Not for a removed block's forget,
        whose object lives on."""
        c = n.change
        provider = self.providers.get(c.provider)
        if c.prior_id is None or FORGOTTEN in c.reasons or not isinstance(provider, Leftovers):
            return
        prior_id, release = c.prior_id, provider.release
        self._with_retry(n, lambda: release(c.kind, prior_id, c.before or {}))

    def _replaced_by_itself(self, c: Change) -> bool:
        """The replacement came out as the very same object (a reproducible local build; an alicloud
        copy, which is found again by its name): there is nothing to delete."""
        return c.action is Action.REPLACE and c.create_before_destroy and self._ids.get(c.key) == c.prior_id

    def _delete(self, n: Node) -> None:
        c = n.change
        provider = self._provider(c)
        if c.prior_id is not None:
            prior_id = c.prior_id

            def delete() -> None:
                self._pace(c.provider)
                provider.delete(c.kind, prior_id, c.before or {})

            self._with_retry(n, delete)
        with self._lock:
            deposed = (c.address, deposed_key(c.prior_id or ""))
            if deposed in self._ids:  # replaced: its successor holds the key
                self._ids.pop(deposed)
                self.session.remove(*deposed)
            elif self._ids.get(c.key) == c.prior_id:
                self._ids.pop(c.key, None)
                self.session.remove(c.address, c.image_hash)
                if c.kind is Kind.IMAGE and c.template and self.session.state.current.get(c.template) == c.image_hash:
                    self.session.retire(c.template, _now())  # its template is gone (or destroy)

    def _pace(self, provider_key: str) -> None:
        """Keep to the provider's declared request rate (Limits.requests_per_second)."""
        p = self.providers.get(provider_key)
        rate = p.schema().limits.requests_per_second if p is not None else None
        if not rate:
            return
        with self._lock:
            now = time.monotonic()
            at = max(now, self._next_call.get(provider_key, now))
            self._next_call[provider_key] = at + 1.0 / rate
        if at > now:
            time.sleep(at - now)

    @staticmethod
    def _long_running(provider: Provider, kind: Kind) -> bool:
        ks = provider.schema().kinds.get(kind)
        return ks is None or ks.long_running

    def _with_retry(self, n: Node, call: Callable[[], Any]) -> Any:
        return _retry_transient(
            self.retry, call, stop=self._cancel.is_set, notify=lambda e, delay, attempt: self.hooks.retrying(n, e, delay, attempt)
        )


def record(
    session: Session,
    resource: ResourceState,
    ids: dict[tuple[str, str | None], str],
    *,
    wait: bool = True,
    old_is_gone: bool = False,
) -> None:
    """Put ``resource`` in state. An object it supersedes at the same key (a replacement whose
    old object is not deleted yet) is kept as deposed, so a crash before that delete loses
    nothing: the next plan deletes it. ``old_is_gone``: the plan created this anew because refresh
    found the old one gone, so there is nothing to keep (I5)."""
    old_id = ids.get(resource.key)
    if old_id is not None and old_id != resource.id and not old_is_gone:
        old = session.get(*resource.key)
        if old is not None:
            moved = old.model_copy(update={"image_hash": deposed_key(old.id), "status": DEPOSED})
            session.put(moved, wait=wait)
            ids[moved.key] = moved.id
    session.put(resource, wait=wait)
    ids[resource.key] = resource.id


def adopt_operations(
    session: Session,
    providers: Mapping[str, Provider],
    hooks: Hooks | None = None,
    *,
    retry: RetryPolicy | None = None,
    context_dir: str | None = None,
) -> list[Failure]:
    """Finish what an interrupted apply left in flight, before planning: wait on each operation
    (re-issuing its start with the same token where the handle never got saved) and record the
    result. The plan then sees real objects, so a changed configuration is a normal diff.

    Transient errors are retried; one that persists keeps the operation's marker, because the
    operation may have taken effect and only its token finds it again without making a second
    object. The caller must then stop before planning (``state.operations`` is not empty)."""
    policy = retry or RetryPolicy()
    failures: list[Failure] = []
    ids = {r.key: r.id for r in session.state.resources}
    for op in sorted(session.state.operations, key=lambda o: (o.address, o.image_hash or "")):
        provider = providers.get(op.provider)
        if provider is None:
            continue
        change = Change(address=op.address, kind=op.kind, action=Action.RESUME, provider=op.provider,
                        template=op.template, image_hash=op.image_hash)
        node = Node(Step.CREATE, change)
        if hooks:
            hooks.started(node)
        t0 = time.monotonic()
        # A build started afresh needs the directory COPY reads from, which is never persisted.
        desired = {**op.desired, "context_dir": context_dir} if op.kind is Kind.IMAGE and context_dir else op.desired
        try:
            result = _finish(provider, op, desired, policy, _progress_for(node, hooks))
        except ProviderError as e:
            if not e.retryable:  # failed or cancelled for good: nothing to adopt
                session.end_operation(op.address, op.image_hash)
                if op.kind is Kind.IMAGE and not isinstance(e, Cancelled):
                    _record_failure(session, op.address, op.provider, op.template, op.image_hash, e, op.handle)
                if e.partial and e.partial.get("id"):
                    _clean_up(session, provider, change, e.partial, policy, ids)
            if hooks:
                hooks.failed(node, e)
            failures.append(_failure(node, e))
            continue
        status = TEST_FAILED if result.get("status") == "TEST_FAILED" else "ok"
        attrs = {**op.desired, **{k: v for k, v in result.items() if k != "id"}}
        record(
            session,
            ResourceState(address=op.address, kind=op.kind, provider=op.provider, id=str(result["id"]),
                          attributes=attrs, template=op.template, image_hash=op.image_hash, status=status,
                          created_at=_now(), duration_s=round(time.monotonic() - t0, 3)),
            ids,
        )
        if hooks:
            hooks.finished(node, result, time.monotonic() - t0)
    return failures


def _record_failure(
    session: Session,
    address: str,
    provider: str,
    template: str | None,
    image_hash: str | None,
    error: ProviderError,
    handle: Mapping[str, Any],
    mask: Callable[[Any], Any] = lambda v: v,
) -> None:
    """Keep a failed build's time, error and handle: the next plan says so, and ``imgb logs``
    finds the log through the handle (docs/lifecycle.md)."""
    if not template or not image_hash:
        return
    failure = BuildFailure(address=address, provider=provider, hash=image_hash, at=_now(), code=error.code,
                           message=mask(error.message), handle=dict(handle))
    session.set_failure(template, failure)


def _clean_up(
    session: Session,
    provider: Provider,
    c: Change,
    partial: Mapping[str, Any],
    policy: RetryPolicy,
    ids: dict[tuple[str, str | None], str],
) -> None:
    """Delete what a failed operation left (a copy that ended CreateFailed, the image of a failed
    build): state must not lose track of it (I5). When the delete fails too, it is recorded as
    deposed, so the next plan deletes it."""
    object_id = str(partial["id"])
    try:
        _retry_transient(policy, lambda: provider.delete(c.kind, object_id, partial))
        return
    except ProviderError:
        pass
    leftover = ResourceState(address=c.address, kind=c.kind, provider=c.provider, id=object_id, attributes=dict(partial),
                             template=c.template, image_hash=deposed_key(object_id), status=DEPOSED, created_at=_now())
    session.put(leftover)
    ids[leftover.key] = object_id


def _finish(provider: Provider, op: Operation, desired: Mapping[str, Any], policy: RetryPolicy,
            progress: Progress) -> dict[str, Any]:
    saved = [dict(op.handle)]

    def attempt() -> dict[str, Any]:
        # After the saved handle, every attempt asks start again with the same token: it returns the
        # same operation, and starts again one that failed retryably (a build whose worker was lost),
        # which waiting on the old handle never would.
        handle, saved[0] = saved[0] or provider.start(op.kind, desired, op.token), {}
        return provider.wait(op.kind, handle, progress)

    result: dict[str, Any] = _retry_transient(policy, attempt)
    return result


def _retry_transient(
    policy: RetryPolicy,
    call: Callable[[], Any],
    *,
    stop: Callable[[], bool] = lambda: False,
    notify: Callable[[ProviderError, float, int], None] | None = None,
) -> Any:
    """``call()``, retried with backoff and jitter while it fails with a retryable error, within
    the policy's attempts and total time, and until ``stop()`` (a cancel) says no more."""
    started = time.monotonic()
    attempt = 0
    while True:
        attempt += 1
        try:
            return call()
        except Cancelled:
            raise
        except ProviderError as e:
            if not e.retryable or attempt >= policy.attempts or time.monotonic() - started >= policy.max_total or stop():
                raise
            delay = min(policy.max_delay, policy.base_delay * (2 ** (attempt - 1)))
            delay = delay / 2 + random.uniform(0, delay / 2)  # jitter: no thundering herd
            delay = max(delay, e.retry_after or 0.0)
            if notify is not None:
                notify(e, delay, attempt)
            policy.sleep(delay)


def _progress_for(node: Node, hooks: Hooks | None, mask: Callable[[Any], Any] = lambda v: v) -> Progress:
    def progress(message: str, *, phase: str | None = None) -> None:
        if hooks is not None:
            hooks.progress(node, mask(message), phase)

    return progress


def _failure(n: Node, err: BaseException) -> Failure:
    if isinstance(err, ProviderError):
        return Failure(n.label, str(n.step), err.code, err.message, err.request_id)
    return Failure(n.label, str(n.step), type(err).__name__, str(err))
