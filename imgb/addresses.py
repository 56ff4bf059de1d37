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


def moved(address: Address, src: Address, dst: Address) -> Address | None:
    """Where ``address`` goes when ``src`` moves to ``dst`` (imgb state mv), or None if it stays.

    Moving a template moves what it made (its images, copies and shares, whose keys start with
    the template's key); moving anything else moves that address alone. Without a key, ``src``
    stands for every instance of the block, which keep their keys.
    """
    if src.kind is Kind.TEMPLATE and address.kind in (Kind.TEMPLATE, Kind.IMAGE, Kind.COPY, Kind.SHARE):
        if address.name != src.name:
            return None
        own = address.key if address.kind in (Kind.TEMPLATE, Kind.IMAGE) else _template_key(address.kind, address.key)
        if src.key is not None and own != src.key:
            return None
        if src.key is None and (dst.key is not None and own is not None):
            return None
        new_own = own if src.key is None and dst.key is None else dst.key
        if address.kind in (Kind.TEMPLATE, Kind.IMAGE):
            return Address(address.kind, dst.name, new_own, address.retained)
        rest = address.key if own is None else (address.key or "")[len(own) + 1 :]
        return Address(address.kind, dst.name, rest if new_own is None else f"{new_own}/{rest}", address.retained)
    if address.kind is not src.kind or address.name != src.name:
        return None
    if src.key is None:
        return Address(address.kind, dst.name, address.key if dst.key is None else dst.key, address.retained) if (
            dst.key is None or address.key is None
        ) else None
    return Address(address.kind, dst.name, dst.key, address.retained) if address.key == src.key else None


def _template_key(kind: Kind, key: str | None) -> str | None:
    """The template's for_each key inside a copy or share key: "ubuntu" of "ubuntu/cn-shanghai".

    A copy's key is its region and a share's "region/account", after the instance key if any.
    """
    parts = (key or "").split("/")
    return parts[0] if len(parts) == (2 if kind is Kind.COPY else 3) else None
