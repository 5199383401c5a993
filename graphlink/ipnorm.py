"""The one spelling of an IP address that the graph keys ``(:IP {ip})`` on.

Ingest and the API both key IP nodes by this text, so it must not depend on the
Python or C library it runs on.  ``str(ipaddress.ip_address(v))`` does: for an
IPv4-mapped IPv6 address Python 3.11/3.12 print ``::ffff:c000:201`` and 3.13
prints ``::ffff:192.0.2.1``, and ``inet_ntop`` differs between C libraries, so
a re-ingest after an upgrade would have created a second node for the same
address.  Here ``ipaddress`` only *parses* (its grammar has been stable since
3.9.5); the text is written by :func:`format_ipv6`, with these rules:

* IPv4: dotted quad, no leading zeros (``1.2.3.4``);
* IPv4-mapped IPv6 (``::ffff:a.b.c.d``, any spelling) is that IPv4 address: a
  dual-stack server reports IPv4 clients this way, and it is the same client;
* other IPv6: RFC 5952 section 4 text, lower-case hex, no leading zeros, the
  longest run (first on a tie) of two or more zero groups written ``::``,
  never a dotted tail (``::192.0.2.1`` is written ``::c000:201``);
* a zone (``fe80::1%eth0``) is kept as written after the address.
"""

from __future__ import annotations

import ipaddress
import re

_MAPPED_PREFIX = 0xFFFF << 32
#: Hex groups and colons only: the IPv6 spellings :func:`parse_plain_ipv6` reads itself.
_PLAIN_V6 = re.compile(r"[0-9A-Fa-f:]+")


def format_ipv6(value: int) -> str:
    """RFC 5952 text of a 128-bit address (no embedded IPv4).

    >>> format_ipv6(0x20010db8000000000000000000000001), format_ipv6(0), format_ipv6(1 << 112)
    ('2001:db8::1', '::', '1::')
    """
    groups = [(value >> (16 * (7 - i))) & 0xFFFF for i in range(8)]
    best_start, best_len, i = -1, 1, 0  # runs of length 1 are never compressed
    while i < 8:
        if groups[i] == 0:
            j = i
            while j < 8 and groups[j] == 0:
                j += 1
            if j - i > best_len:
                best_start, best_len = i, j - i
            i = j
        else:
            i += 1
    hexes = [f"{g:x}" for g in groups]
    if best_start < 0:
        return ":".join(hexes)
    head = ":".join(hexes[:best_start])
    tail = ":".join(hexes[best_start + best_len :])
    return f"{head}::{tail}"


def parse_plain_ipv6(text: str) -> int | None:
    """The 128-bit value of IPv6 text made of hex groups and at most one ``::``
    (no dotted tail, no zone), or None when ``text`` is anything else, valid or not.

    Why: ingest validates tens of millions of IP rows and ``ipaddress.ip_address``
    costs ~35 us per IPv6 value, most of ip_observations' validation time; these
    spellings are nearly all of them and parse here in a few string operations.
    Every other text (and anything this path refuses) still goes to ``ipaddress``,
    so the grammar accepted is exactly that module's (``tests/test_ingest_fuzz.py``
    compares both on random spellings).

    >>> hex(parse_plain_ipv6("2001:DB8::1")), parse_plain_ipv6("1.2.3.4"), parse_plain_ipv6("1:::2")
    ('0x20010db8000000000000000000000001', None, None)
    """
    if not _PLAIN_V6.fullmatch(text):
        return None
    head, sep, tail = text.partition("::")
    if sep:
        if "::" in tail:
            return None
        hg = head.split(":") if head else []
        tg = tail.split(":") if tail else []
        if len(hg) + len(tg) > 7:
            return None
        groups = [*hg, *(["0"] * (8 - len(hg) - len(tg))), *tg]
    else:
        groups = text.split(":")
        if len(groups) != 8:
            return None
    value = 0
    for g in groups:
        if not 0 < len(g) <= 4:
            return None
        value = (value << 16) | int(g, 16)
    return value


def normalize_ip(text: str, *, fast: bool = True) -> str | None:
    """The canonical text of an IPv4/IPv6 address, None if ``text`` is not one.

    ``fast=False`` parses everything with ``ipaddress`` (the reference the fast
    path is tested against).

    >>> vs = ("2001:DB8:0::1", "::FFFF:192.0.2.1", "::ffff:c000:201", "1.2.3.04")
    >>> [normalize_ip(v) for v in vs]
    ['2001:db8::1', '192.0.2.1', '192.0.2.1', None]
    """
    if not isinstance(text, str) or not text.isascii():
        return None
    value = parse_plain_ipv6(text) if fast and ":" in text else None
    scope: str | None = None
    if value is None:
        try:
            addr = ipaddress.ip_address(text)
        except ValueError:
            return None
        if addr.version == 4:
            return str(addr)
        value = int(addr)
        scope = getattr(addr, "scope_id", None)
    if scope is None and value >> 32 == _MAPPED_PREFIX >> 32:
        return str(ipaddress.IPv4Address(value & 0xFFFFFFFF))
    return format_ipv6(value) + (f"%{scope}" if scope is not None else "")
