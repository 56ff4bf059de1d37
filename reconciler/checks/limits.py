"""The documented limits of Image Builder's API (names, descriptions, ranges, tags, distribution),
checked offline. Each check adds diagnostics quoting the Alibaba error code the API would return.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

from imgb.diagnostics import Diagnostics, SourcePos
from imgb.providers.base import Limits
from imgb.reconciler.config.model import Template

_NAME_CHARS_RE = re.compile(r"^[A-Za-z0-9:._-]*$")
_VERSION_RE = re.compile(r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$")
_REGION_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
_ACCOUNT_RE = re.compile(r"^[0-9]+$")
MAX_TAGS = 20


def _chars(n: int) -> str:
    return f"{n} character" if n == 1 else f"{n} characters"


def _has_url(text: str) -> bool:
    return "http://" in text or "https://" in text


def check_name(name: str, kind: str, pos: SourcePos, addr: str, diags: Diagnostics) -> bool:
    """Component and template names: 2–128 characters, a letter first, then ``[A-Za-z0-9:._-]``.
    Returns whether a problem was reported."""
    problem = None
    if not 2 <= len(name) <= 128:
        problem = f"it has {_chars(len(name))}"
    elif not name[0].isalpha() or not name[0].isascii():
        problem = "it does not start with a letter"
    elif not _NAME_CHARS_RE.match(name):
        bad = sorted({c for c in name if not _NAME_CHARS_RE.match(c)})
        problem = "it contains " + ", ".join(f'"{c}"' for c in bad)
    if problem:
        diags.error(
            f"Invalid {kind} name",
            f'The {kind} name "{name}" is not accepted by Image Builder: {problem}. A name has 2 to 128 '
            "characters, starts with a letter and contains only letters, digits, colons, periods, underscores "
            "and hyphens (under for_each, the name is the label, a hyphen and the key). Rename the block "
            "or change the keys. Alibaba Cloud would reject it with InvalidName.Malformed.",
            pos,
            addr,
        )
    return problem is not None


def check_description(text: str, attr: str, pos: SourcePos, addr: str, diags: Diagnostics) -> None:
    """Descriptions: 2–256 characters, not starting with http(s)://. Empty means not set."""
    if not text:
        return
    code = "InvalidDescription.Malformed"
    if not 2 <= len(text) <= 256:
        diags.error(
            f"Invalid {attr}",
            f"{attr} has {_chars(len(text))}; Image Builder accepts 2 to 256. "
            f"Shorten or lengthen it. Alibaba Cloud would reject it with {code}.",
            pos,
            addr,
        )
    elif text.startswith(("http://", "https://")):
        diags.error(
            f"Invalid {attr}",
            f"{attr} starts with a URL scheme, which Image Builder does not accept. Reword it so it does not "
            f"start with http:// or https://. Alibaba Cloud would reject it with {code}.",
            pos,
            addr,
        )


def check_version(version: str, pos: SourcePos, addr: str, diags: Diagnostics) -> None:
    if not _VERSION_RE.match(version):
        diags.error(
            "Invalid component version",
            f'version "{version}" is not major.minor.patch with non-negative integers (like 1.2.0). '
            "Fix it, or remove version to let imgb manage versions. "
            "Alibaba Cloud would reject it with InvalidParameter.ComponentVersion.",
            pos,
            addr,
        )


def check_range(
    value: int,
    low: int,
    high: int,
    attr: str,
    unit: str,
    code: str,
    pos: SourcePos,
    addr: str,
    diags: Diagnostics,
) -> None:
    if not low <= value <= high:
        diags.error(
            f"Invalid {attr}",
            f"{attr} is {value}, but Image Builder accepts {low} to {high} {unit}. "
            f"Set a value in that range. Alibaba Cloud would reject it with {code}.",
            pos,
            addr,
        )


def check_image_name(
    name: str, pos: SourcePos, addr: str, diags: Diagnostics, *, default: bool = False
) -> None:
    """ImageOptions.ImageName: 2–64, a letter first, ``[a-zA-Z0-9:._-]``."""
    problem = None
    if not 2 <= len(name) <= 64:
        problem = f"it has {_chars(len(name))}"
    elif not (name[0].isascii() and name[0].isalpha()):
        problem = "it does not start with a letter"
    elif not _NAME_CHARS_RE.match(name):
        bad = sorted({c for c in name if not _NAME_CHARS_RE.match(c)})
        problem = "it contains " + ", ".join(f'"{c}"' for c in bad)
    if problem:
        what = (
            f'The default image name "{name}" (the template\'s name)' if default else f'image_name "{name}"'
        )
        fix = " Set image_name to a valid name." if default else ""
        diags.error(
            "Invalid image_name",
            f"{what} is not accepted: {problem}. It must have 2 to 64 characters, start with a "
            "letter and contain only letters, digits, colons, periods, underscores and hyphens (Image Builder "
            f"appends _<execution id>).{fix} Alibaba Cloud would reject it with InvalidImageName.Malformed.",
            pos,
            addr,
        )


def check_image_family(family: str, pos: SourcePos, addr: str, diags: Diagnostics) -> None:
    problem = None
    if not 2 <= len(family) <= 128:
        problem = f"it has {_chars(len(family))}"
    elif family.startswith(("acs:", "aliyun")):
        problem = 'it starts with "acs:" or "aliyun", which are reserved for Alibaba Cloud\'s public families'
    elif not (family[0].isascii() and family[0].isalpha()):
        problem = "it does not start with a letter"
    elif _has_url(family):
        problem = "it contains http:// or https://"
    if problem:
        diags.error(
            "Invalid image_family",
            f'image_family "{family}" is not accepted: {problem}. It must have 2 to 128 characters, start '
            'with a letter and not start with "acs:" or "aliyun". '
            "Alibaba Cloud would reject it with InvalidImageFamily.Malformed.",
            pos,
            addr,
        )


IMGB_TAGS = ("imgb:managed", "imgb:hash", "imgb:address")
"""The tags imgb adds to everything it makes; they count towards Alibaba's 20 per resource."""
MAX_USER_TAGS = MAX_TAGS - len(IMGB_TAGS)


def too_many_tags(count: int, what: str, pos: SourcePos, addr: str, diags: Diagnostics) -> None:
    """``count`` user tags on one resource, plus imgb's own."""
    if count > MAX_USER_TAGS:
        total = count + len(IMGB_TAGS)
        diags.error(
            "Too many tags",
            f"{what} {count} tags, and imgb adds its own {len(IMGB_TAGS)} ({', '.join(IMGB_TAGS)}): {total} tags "
            f"on one resource, but Alibaba Cloud accepts at most {MAX_TAGS}. Keep at most {MAX_USER_TAGS}: remove "
            f"{total - MAX_TAGS}. Alibaba Cloud would reject it with InvalidTagCount.",
            pos,
            addr,
        )


def check_tags(tags: Mapping[str, str], attr: str, pos: SourcePos, addr: str, diags: Diagnostics) -> None:
    too_many_tags(len(tags), f"{attr} has", pos, addr, diags)
    for key in sorted(set(tags) & set(IMGB_TAGS)):
        diags.error(
            "Reserved tag key",
            f'Tag key "{key}" in {attr} is one imgb sets itself on everything it makes. Rename it.',
            pos,
            addr,
        )
    for key in sorted(tags):
        value = tags[key]
        if not 1 <= len(key) <= 128 or key.startswith(("aliyun", "acs:")) or _has_url(key):
            diags.error(
                "Invalid tag key",
                f'Tag key "{key}" in {attr} is not accepted: a key has 1 to 128 characters, does not start with '
                '"aliyun" or "acs:" and does not contain http:// or https://. Rename it. '
                "Alibaba Cloud would reject it with InvalidTagKey.Malformed.",
                pos,
                addr,
            )
        if len(value) > 128 or value.startswith("acs:") or _has_url(value):
            diags.error(
                "Invalid tag value",
                f'The value of tag "{key}" in {attr} is not accepted: a value has at most 128 characters, does '
                'not start with "acs:" and does not contain http:// or https://. Change it. '
                "Alibaba Cloud would reject it with InvalidTagValue.Malformed.",
                pos,
                addr,
            )


def check_regions(regions: Iterable[str], pos: SourcePos, addr: str, diags: Diagnostics) -> None:
    for region in sorted(set(regions)):
        if not _REGION_RE.match(region):
            diags.error(
                "Invalid region id",
                f'"{region}" is not a region id; region ids are lowercase letters, digits and dashes, like '
                "cn-shanghai or ap-southeast-1. Fix it. Alibaba Cloud would reject it with InvalidRegionId.NotFound.",
                pos,
                addr,
            )


def check_accounts(accounts: Iterable[str], pos: SourcePos, addr: str, diags: Diagnostics) -> None:
    for account in sorted(set(accounts)):
        if not _ACCOUNT_RE.match(account):
            diags.error(
                "Invalid account id",
                f'"{account}" is not an Alibaba Cloud account id; account ids are digits only, like '
                "1234567890123456. Use the numeric account id (UID), not an alias or a name.",
                pos,
                addr,
            )


def check_distribution_union(
    template: Template, regions: Sequence[str], shares: Sequence[tuple[str, str]], limits: Limits, pos: SourcePos,
    diags: Diagnostics,
) -> None:
    """At most as many regions (besides the home region) and accounts over all of a template's
    distributions as its provider accepts (Alibaba: 20 and 20)."""
    accounts = sorted({a for _, a in shares})
    if limits.regions_per_template is not None and len(regions) > limits.regions_per_template:
        diags.error(
            "Too many distribution regions",
            f"{template.address} distributes to {len(regions)} regions besides its home region; Image Builder "
            f"accepts at most {limits.regions_per_template} per template. Split the regions over two templates. "
            "Alibaba Cloud would reject it with InvalidToRegionIdSize.ExceededMaxNumber.",
            pos,
            template.address,
        )
    if limits.accounts_per_template is not None and len(accounts) > limits.accounts_per_template:
        diags.error(
            "Too many share accounts",
            f"{template.address} shares with {len(accounts)} accounts; Image Builder accepts at most "
            f"{limits.accounts_per_template} per template. Split the accounts over two templates. "
            "Alibaba Cloud would reject it with InvalidAddAccountSize.ExceededMaxNumber.",
            pos,
            template.address,
        )
