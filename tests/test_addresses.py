"""Addresses: parsing round trips and where imgb state mv moves each object."""

from __future__ import annotations

import pytest

from imgb.addresses import Address, AddressError, moved

A = Address.parse


@pytest.mark.parametrize(
    "text",
    ['component.nginx', 'template.web["ubuntu"]', 'copy.web["ubuntu/cn-shanghai"]', 'share.web["cn-shanghai/1234"]',
     'image.web (retained 3f2a9c1d)'],
)
def test_round_trip(text: str) -> None:
    assert str(A(text)) == text


def test_not_an_address() -> None:
    with pytest.raises(AddressError, match="addresses look like"):
        A("bucket.x")


MOVES = [
    # (source, destination, address, where it goes or None)
    ("template.web", "template.site", "template.web", "template.site"),
    ("template.web", "template.site", "image.web", "image.site"),
    ("template.web", "template.site", 'copy.web["local-2"]', 'copy.site["local-2"]'),
    ("template.web", "template.site", 'share.web["local-2/1000"]', 'share.site["local-2/1000"]'),
    ("template.web", "template.site", "component.web", None),
    ("template.web", "template.site", "template.webx", None),
    # every instance keeps its key
    ("template.web", "template.site", 'copy.web["u/local-2"]', 'copy.site["u/local-2"]'),
    # one instance
    ('template.web["u"]', 'template.web["ubuntu"]', 'share.web["u/r/1"]', 'share.web["ubuntu/r/1"]'),
    ('template.web["u"]', 'template.web["ubuntu"]', 'share.web["a/r/1"]', None),
    ('template.web["u"]', 'template.web["ubuntu"]', 'image.web["u"]', 'image.web["ubuntu"]'),
    # a single template gains a key, and loses it again
    ("template.web", 'template.web["u"]', 'copy.web["local-2"]', 'copy.web["u/local-2"]'),
    ("template.web", 'template.web["u"]', 'share.web["local-2/1"]', 'share.web["u/local-2/1"]'),
    ('template.web["u"]', "template.web", 'share.web["u/local-2/1"]', 'share.web["local-2/1"]'),
    ("template.web", 'template.web["u"]', 'copy.web["v/local-2"]', None),
    # retained objects move with their template
    ("template.web", "template.site", "image.web (retained 3f2a9c1d)", "image.site (retained 3f2a9c1d)"),
    # components move alone
    ("component.web", "component.base", "component.web", "component.base"),
    ("component.web", "component.base", "template.web", None),
    ('component.agent["a"]', 'component.agent["b"]', 'component.agent["a"]', 'component.agent["b"]'),
    ('component.agent["a"]', 'component.agent["b"]', 'component.agent["c"]', None),
]


@pytest.mark.parametrize(("src", "dst", "address", "expected"), MOVES)
def test_moved(src: str, dst: str, address: str, expected: str | None) -> None:
    got = moved(A(address), A(src), A(dst))
    assert (None if got is None else str(got)) == expected
