"""Resource addresses: component.nginx, template.web["ubuntu"], copy.web["ubuntu/cn-shanghai"].

Retained (no longer current) images and their copies and shares carry ``retained``, the short
content hash of the image they belong to, in the way Terraform marks deposed objects:
``image.web (retained 3f2a9c1d)``.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    COMPONENT = "component"
    TEMPLATE = "template"
    IMAGE = "image"
    COPY = "copy"
    SHARE = "share"


# Dependency order of the kinds: creates go left to right, deletes right to left.
KIND_ORDER = {Kind.COMPONENT: 0, Kind.TEMPLATE: 1, Kind.IMAGE: 2, Kind.COPY: 3, Kind.SHARE: 4}

_ADDR_RE = re.compile(
    r'^(?P<kind>component|template|image|copy|share)\.(?P<name>[A-Za-z_][A-Za-z0-9_-]*)'
    r'(?:\[(?P<key>"(?:[^"\\]|\\.)*")\])?'
    r'(?: \(retained (?P<retained>[0-9a-f]{6,64})\))?$'
)


class AddressError(ValueError):
    """The text is not a resource address."""


@dataclass(frozen=True)
class Address:
    kind: Kind
    name: str
    key: str | None = None
    retained: str | None = None

    @classmethod
    def parse(cls, text: str) -> Address:
        return _parse(text) if cls is Address else cls._parse_uncached(text)

    @classmethod
    def _parse_uncached(cls, text: str) -> Address:
        m = _ADDR_RE.match(text.strip())
        if not m:
            raise AddressError(
                f'"{text}" is not a resource address; addresses look like component.nginx, '
                'template.web, image.web, copy.web["cn-shanghai"] or share.web["cn-shanghai/1234567890123456"].'
            )
        key = json.loads(m["key"]) if m["key"] else None
        return cls(Kind(m["kind"]), m["name"], key, m["retained"])

    def __str__(self) -> str:
        s = f"{self.kind}.{self.name}"
        if self.key is not None:
            s += "[" + json.dumps(self.key, ensure_ascii=False) + "]"
        if self.retained:
            s += f" (retained {self.retained})"
        return s

    def sort_key(self) -> tuple[str, int, str, str, str]:
        return (self.name, KIND_ORDER[self.kind], self.key or "", self.retained or "", str(self.kind))

    def __lt__(self, other: Address) -> bool:
        return self.sort_key() < other.sort_key()

    @property
    def block(self) -> str:
        """The configuration block this address comes from: template.web for image.web["x/y"]."""
        kind = "template" if self.kind in (Kind.IMAGE, Kind.COPY, Kind.SHARE) else str(self.kind)
        return f"{kind}.{self.name}"

    def current(self) -> Address:
        return Address(self.kind, self.name, self.key, None)

    def as_retained(self, short_hash: str) -> Address:
        return Address(self.kind, self.name, self.key, short_hash)


@functools.lru_cache(maxsize=1 << 16)
def _parse(text: str) -> Address:
    """Addresses are parsed again and again (sorting, ordering, the differ); they are immutable."""
    return Address._parse_uncached(text)
