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
    """A resource's address: ``kind.name``, ``kind.name["key"]``, or a retained image's ``image.web (retained 3f2a9c1d)``."""

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
        s = block_address(str(self.kind), self.name, self.key)
        if self.retained:
            s += f" (retained {self.retained})"
        return s

    # -- what an image, copy or share is of: their keys hold the template's, then region, account ------
    @classmethod
    def image(cls, template: Address) -> Address:
        """The image built from ``template`` (template.web["u"] -> image.web["u"])."""
        return cls(Kind.IMAGE, template.name, template.key)

    @classmethod
    def copy(cls, template: Address, region: str) -> Address:
        """A copy of ``template``'s image into ``region``: copy.web["u/cn-beijing"]."""
        return cls(Kind.COPY, template.name, _join(template.key, region))

    @classmethod
    def share(cls, template: Address, region: str, account: str) -> Address:
        """``template``'s image shared in ``region`` with ``account``: share.web["u/cn-beijing/123"]."""
        return cls(Kind.SHARE, template.name, _join(template.key, f"{region}/{account}"))

    @property
    def instance(self) -> str | None:
        """The block's for_each key: the template's for an image, copy or share ("u" of copy.web["u/r"])."""
        if self.kind in (Kind.COPY, Kind.SHARE):
            return self._parts()[0]
        return self.key

    @property
    def region(self) -> str | None:
        """A copy's or share's region."""
        return self._parts()[1] if self.kind in (Kind.COPY, Kind.SHARE) else None

    @property
    def account(self) -> str | None:
        """A share's account."""
        return self._parts()[2] if self.kind is Kind.SHARE else None

    def _parts(self) -> tuple[str | None, str, str | None]:
        # Regions and accounts hold no "/": split from the right, a for_each key may hold one.
        head, account = (self.key or "").rpartition("/")[::2] if self.kind is Kind.SHARE else (self.key or "", None)
        instance, _, region = head.rpartition("/")
        return instance or None, region, account

    @property
    def template(self) -> Address:
        """The template an image, copy or share comes from (the address itself for other kinds)."""
        if self.kind in (Kind.IMAGE, Kind.COPY, Kind.SHARE):
            return Address(Kind.TEMPLATE, self.name, self.instance)
        return self.current()

    def sort_key(self) -> tuple[str, int, str, str, str]:
        return (self.name, KIND_ORDER[self.kind], self.key or "", self.retained or "", str(self.kind))

    def __lt__(self, other: Address) -> bool:
        return self.sort_key() < other.sort_key()

    def with_name(self, name: str, instance: str | None) -> Address:
        """The same object under another block name and for_each key (what a template's move does
        to its images, copies and shares)."""
        if self.kind is Kind.COPY:
            return Address(self.kind, name, _join(instance, self.region or ""), self.retained)
        if self.kind is Kind.SHARE:
            return Address(self.kind, name, _join(instance, f"{self.region}/{self.account}"), self.retained)
        return Address(self.kind, name, instance, self.retained)

    def current(self) -> Address:
        return Address(self.kind, self.name, self.key, None)

    def as_retained(self, short_hash: str) -> Address:
        return Address(self.kind, self.name, self.key, short_hash)


@functools.lru_cache(maxsize=1 << 16)
def _parse(text: str) -> Address:
    """Addresses are parsed again and again (sorting, ordering, the differ); they are immutable."""
    return Address._parse_uncached(text)


def block_address(kind: str, name: str, key: str | None) -> str:
    """``kind.name`` or ``kind.name["key"]``: how every block instance is written."""
    return f"{kind}.{name}" if key is None else f"{kind}.{name}[{json.dumps(key, ensure_ascii=False)}]"


def _join(instance: str | None, rest: str) -> str:
    return rest if instance is None else f"{instance}/{rest}"


def moved(address: Address, src: Address, dst: Address) -> Address | None:
    """Where ``address`` goes when ``src`` moves to ``dst`` (imgb state mv), or None if it stays.

    Moving a template moves what it made (its images, copies and shares, whose keys start with
    the template's key); moving anything else moves that address alone. Without a key, ``src``
    stands for every instance of the block, which keep their keys.
    """
    if src.kind is Kind.TEMPLATE and address.kind in (Kind.TEMPLATE, Kind.IMAGE, Kind.COPY, Kind.SHARE):
        own = address.instance
        if address.name != src.name or (src.key is not None and own != src.key):
            return None
        if src.key is None and dst.key is not None and own is not None:
            return None
        return address.with_name(dst.name, own if src.key is None and dst.key is None else dst.key)
    if address.kind is not src.kind or address.name != src.name:
        return None
    if src.key is None:
        return Address(address.kind, dst.name, address.key if dst.key is None else dst.key, address.retained) if (
            dst.key is None or address.key is None
        ) else None
    return Address(address.kind, dst.name, dst.key, address.retained) if address.key == src.key else None
