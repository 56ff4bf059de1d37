"""Region-wide listings shared by every read and wait of one provider, so the request count grows
with regions and pages, not with objects (issue #20, goal 3).

A refresh reads each object in state from a thread of its own, and apply waits on each build and
copy from a thread of its own. Instead of one request per object, the first reader of a region
lists everything imgb made there (``DescribeImages`` filtered by the ``imgb:managed`` tag, all
statuses, 100 per page; components and templates by pages of 500) and the others wait for that
answer and read it. A read reuses a listing younger than ``max_age`` and than the provider's last change in the region;
a poll reuses one made after its previous poll and after the operation started, so polling many
operations costs one listing per region per interval.

An object missing from a listing is looked up by its id before it counts as gone: a listing by tag
misses objects without imgb's tags (imported ones, tags removed by hand) and stops at 1,000 results
(DescribeImages documents that limit for tag filters). So a listing can only save requests, never
change an answer.

Share permissions cannot be listed for several images at once (DescribeImageSharePermission takes
one ImageId): they are read once per image, for all its accounts.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from alibabacloud_ecs20140526 import models as ecs

from .api import EcsApi
from .images import ALL_STATUSES, PAGE
from .tagging import MANAGED

T = TypeVar("T")
LIST_PAGE = 500
"""MaxResults of the Image Builder Describe* calls (1–500)."""


@dataclass
class _Entry(Generic[T]):
    lock: threading.Lock = field(default_factory=threading.Lock)
    at: float = -1.0
    """When the fetch that produced ``value`` started (epoch seconds)."""
    value: T | None = None
    changed: float = -1.0
    """When this provider last changed something the answer covers."""


class Shared(Generic[T]):
    """Answers of ``fetch(key)``, fetched once for any number of concurrent callers."""

    def __init__(self, fetch: Callable[[str], T], max_age: float):
        self._fetch = fetch
        self.max_age = max_age
        self._entries: dict[str, _Entry[T]] = {}
        self._lock = threading.Lock()

    def _entry(self, key: str) -> _Entry[T]:
        with self._lock:
            return self._entries.setdefault(key, _Entry())

    def get(self, key: str, *, newer_than: float | None = None) -> T:
        """A read: the answer if it is younger than ``max_age`` and younger than this provider's last
        change to what it covers. A poll passes ``newer_than`` (epoch seconds) instead: an answer
        fetched after that is good enough, changes or not (what the poll looks for is older)."""
        entry = self._entry(key)
        floor = max(time.time() - self.max_age, entry.changed) if newer_than is None else newer_than
        with entry.lock:  # callers that arrive while one fetches wait for its answer
            if entry.value is None or entry.at <= floor:
                started = time.time()
                entry.value = self._fetch(key)
                entry.at = started
            return entry.value

    def peek(self, key: str, newer_than: float) -> T | None:
        """The cached answer if it was fetched after ``newer_than``; never fetches."""
        entry = self._entry(key)
        return entry.value if entry.value is not None and entry.at > newer_than else None

    def changed(self, key: str) -> None:
        self._entry(key).changed = time.time()


class Listings:
    def __init__(self, api: EcsApi, home: str, max_age: float):
        self._api = api
        self._home = home
        self.images = Shared(self._list_images, max_age)
        """region → {image id: image} of the images carrying imgb's tag, in every status."""
        self.recent = Shared(self._list_recent, max_age)
        """region → the same, created since the oldest build or copy being waited on there (one page,
        usually): what polls read."""
        self._since: Callable[[str], float | None] = lambda region: None
        self.components = Shared(lambda _: self._list_components(), max_age)
        self.templates = Shared(lambda _: self._list_templates(), max_age)
        self.shares = Shared(self._list_shares, max_age)
        """"region/image id" → accounts it is shared with."""
        self._share_reader: Callable[[str, str], set[str]] | None = None

    def read_shares_with(self, reader: Callable[[str, str], set[str]]) -> None:
        self._share_reader = reader

    def polls_since(self, since: Callable[[str], float | None]) -> None:
        """``since(region)``: when the oldest operation waited on in the region started."""
        self._since = since

    def changed(self, region: str, image_id: str | None = None) -> None:
        """Something in ``region`` changed through this provider: list it again next time."""
        self.images.changed(region)
        self.recent.changed(region)
        if region == self._home:
            self.components.changed("")
            self.templates.changed("")
        if image_id is not None:
            self.shares.changed(f"{region}/{image_id}")

    def _list_recent(self, region: str) -> dict[str, Any]:
        since = self._since(region)
        if since is None:
            return self._list_images(region)
        # Filter.N CreationStartTime takes minutes (yyyy-MM-ddTHH:mmZ, UTC): a minute of margin.
        start = datetime.fromtimestamp(since - 60, UTC).strftime("%Y-%m-%dT%H:%MZ")
        return self._list_images(region, [ecs.DescribeImagesRequestFilter(key="CreationStartTime", value=start)])

    def _list_images(self, region: str, filters: list[Any] | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {}
        page = 1
        while True:
            req = ecs.DescribeImagesRequest(region_id=region, status=ALL_STATUSES, image_owner_alias="self",
                                            tag=[ecs.DescribeImagesRequestTag(key=MANAGED, value="true")],
                                            filter=filters, page_number=page, page_size=PAGE)
            body = self._api.call(region, "describe_images", req)
            batch = body.images.image if body.images else []
            out.update({i.image_id: i for i in batch or []})
            if not batch or page * PAGE >= (body.total_count or 0):
                return out
            page += 1

    def _list_components(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        token: str | None = None
        while True:
            req = ecs.DescribeImageComponentsRequest(region_id=self._home, owner="SELF", max_results=LIST_PAGE,
                                                     next_token=token)
            body = self._api.call(self._home, "describe_image_components", req)
            out.update({c.image_component_id: c for c in body.image_component.image_component_set or []})
            token = body.next_token or None
            if not token:
                return out

    def _list_templates(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        token: str | None = None
        while True:
            req = ecs.DescribeImagePipelinesRequest(region_id=self._home, max_results=LIST_PAGE, next_token=token)
            body = self._api.call(self._home, "describe_image_pipelines", req)
            out.update({p.image_pipeline_id: p for p in body.image_pipeline.image_pipeline_set or []})
            token = body.next_token or None
            if not token:
                return out

    def _list_shares(self, key: str) -> set[str]:
        assert self._share_reader is not None
        region, _, image_id = key.partition("/")
        return self._share_reader(region, image_id)
