"""IP network functions (cidrhost, cidrnetmask, cidrsubnet, cidrsubnets), as Terraform's go-cidr."""

from __future__ import annotations

import ipaddress
from typing import Any

from imgb.reconciler.config.functions import Call, FuncError, Param, function, whole
from imgb.reconciler.config.types import NUMBER, STRING
from imgb.reconciler.config.values import ListV

Net = ipaddress.IPv4Network | ipaddress.IPv6Network


def _go_ipv4(text: str) -> str:
    """Terraform parses addresses as Go 1.16's net did: an IPv4 part's leading zeros are decimal
    ("010.0.0.0" is 10.0.0.0), as are the prefix length's; Python refuses them."""
    addr, slash, bits = text.partition("/")
    parts = addr.split(".")
    if len(parts) == 4 and all(p and p.isascii() and p.isdigit() for p in parts):
        addr = ".".join(str(int(p)) for p in parts)
    if slash and bits.isascii() and bits.isdigit():
        bits = str(int(bits))
    return addr + slash + bits


def _network(prefix: str, arg: int = 0) -> Net:
    if "/" not in prefix:  # Go's ParseCIDR; Python would read a lone address as a /32 or /128
        raise FuncError(f"invalid CIDR expression: invalid CIDR address: {prefix}", arg)
    try:
        return ipaddress.ip_network(_go_ipv4(prefix), strict=False)
    except ValueError:
        raise FuncError(f'invalid CIDR expression: invalid CIDR address: {prefix}', arg) from None


def _int(v: Any, arg: int) -> int:
    return whole(v, arg)


def _addr(net: Net, value: int) -> str:
    """The address as Go's net.IP prints it: an IPv4-mapped IPv6 address in dotted form."""
    if net.version == 4:
        return str(ipaddress.IPv4Address(value))
    v6 = ipaddress.IPv6Address(value)
    return str(v6.ipv4_mapped) if v6.ipv4_mapped is not None else str(v6)


@function("cidrhost", Param("prefix", STRING), Param("hostnum", NUMBER))
def f_cidrhost(c: Call, a: list[Any]) -> Any:
    net = _network(a[0])
    hostnum = _int(a[1], 1)
    size = net.num_addresses
    if hostnum < 0:
        hostnum += size
    if not 0 <= hostnum < size:
        raise FuncError(f"prefix of {net.prefixlen} does not accommodate a host numbered {_int(a[1], 1)}", 1)
    if net.version == 6 and net.network_address.ipv4_mapped is not None:
        # go-cidr's Host takes an IPv4-mapped network's bit length as 32 and shifts the host
        # number into the wrong place (0:1::ffff:a00:0 for host 1 of ::ffff:10.0.0.0/104); as Terraform.
        return _addr(net, int(net.network_address) | hostnum << 96)
    return _addr(net, int(net.network_address) + hostnum)


@function("cidrnetmask", Param("prefix", STRING))
def f_cidrnetmask(c: Call, a: list[Any]) -> Any:
    net = _network(a[0])
    if net.version == 6:
        raise FuncError("IPv6 addresses cannot have a netmask: " + a[0], 0)
    return str(net.netmask)


def _subnet(net: Net, newbits: int, netnum: int) -> Net:
    bits = net.max_prefixlen
    new_len = net.prefixlen + newbits
    if new_len < 0:
        raise FuncError(f"insufficient address space to extend prefix of {net.prefixlen} by {newbits}")
    if newbits < 0:  # go-cidr shortens the prefix
        cls = ipaddress.IPv6Network if net.version == 6 else ipaddress.IPv4Network
        return cls((int(net.network_address) >> (bits - new_len) << (bits - new_len) if new_len else 0, new_len))
    if new_len > bits:
        raise FuncError(f"insufficient address space to extend prefix of {net.prefixlen} by {newbits}")
    if netnum < 0 or netnum >= 1 << newbits:
        raise FuncError(f"prefix extension of {newbits} does not accommodate a subnet numbered {netnum}")
    value = int(net.network_address) | (netnum << (bits - new_len))
    cls = ipaddress.IPv6Network if net.version == 6 else ipaddress.IPv4Network
    return cls((value, new_len))


@function("cidrsubnet", Param("prefix", STRING), Param("newbits", NUMBER), Param("netnum", NUMBER))
def f_cidrsubnet(c: Call, a: list[Any]) -> Any:
    net = _network(a[0])
    return str(_subnet(net, _int(a[1], 1), _int(a[2], 2)))


@function("cidrsubnets", Param("prefix", STRING), variadic=Param("newbits", NUMBER))
def f_cidrsubnets(c: Call, a: list[Any]) -> Any:
    net = _network(a[0])
    bits = net.max_prefixlen
    start = net.prefixlen
    lengths = a[1:]
    if not lengths:
        return ListV([], STRING)
    cls = ipaddress.IPv6Network if net.version == 6 else ipaddress.IPv4Network
    top = (1 << bits) - 1
    first = _int(lengths[0], 1)
    if first < 1:
        raise FuncError("must extend prefix by at least one bit", 1)
    first += start
    # go-cidr's PreviousSubnet: the subnet of length `first` just before the network's start
    mask = lambda n: (top << (bits - n)) & top  # noqa: E731
    prev = (int(net.network_address) - 1) & top & mask(first)
    cur_ip, cur_len = prev, first
    out: list[str] = []
    for i, arg in enumerate(lengths, start=1):
        length = _int(arg, i)
        if length < 1:
            raise FuncError("must extend prefix by at least one bit", i)
        length += start
        if length > bits:
            raise FuncError(f"would extend prefix to {length} bits, which is too long for an IPv{net.version} address", i)
        # go-cidr's NextSubnet
        last = cur_ip | (~mask(cur_len) & top)
        current = last & mask(length)
        current_last = current | (~mask(length) & top)
        nxt = (current_last + 1) & top
        rollover = nxt == 0
        if rollover or not (int(net.network_address) <= nxt <= int(net.broadcast_address)):
            shown = str(cls((cur_ip, cur_len)))
            raise FuncError(
                f"not enough remaining address space for a subnet with a prefix of {length} bits after {shown}", i
            )
        cur_ip, cur_len = nxt & mask(length), length
        out.append(str(cls((cur_ip, cur_len))))
    return ListV(out, STRING)
