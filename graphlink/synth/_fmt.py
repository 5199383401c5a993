"""Vectorised string columns built through Arrow lookup tables.

Formatting millions of IPs, ids and timestamps one Python call at a time is
what made naive generators take minutes; here every string column is a
``take`` into a small table of precomputed pieces followed by one
``binary_join_element_wise``, so a million values cost tens of milliseconds.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

_DEC256 = pa.array([str(i) for i in range(256)])
_HEX = pa.array([f"{i:x}" for i in range(65536)])  # IPv6 groups, canonical (no leading zeros)
_HEX4 = pa.array([f"{i:04x}" for i in range(65536)])
_DIG4 = pa.array([f"{i:04d}" for i in range(10000)])
_MASK64 = np.uint64(0xFFFFFFFFFFFFFFFF)


def join(*parts: pa.Array | str, sep: str = "") -> pa.Array:
    """Element-wise concatenation (plain strings broadcast)."""
    return pc.binary_join_element_wise(*parts, sep)


def ipv4(ints: np.ndarray) -> pa.Array:
    """Dotted quads of 32-bit integers."""
    v = np.asarray(ints, dtype=np.uint64)
    parts = [
        _DEC256.take(((v >> np.uint64(s)) & np.uint64(255)).astype(np.int32))
        for s in (24, 16, 8, 0)
    ]
    return join(*parts, sep=".")


def ipv6(groups: np.ndarray) -> pa.Array:
    """IPv6 text of an ``(n, 8)`` array of 16-bit groups.

    Groups must all be non-zero: the result is then already in the canonical
    form :func:`graphlink.ipnorm.normalize_ip` gives (no ``::`` to compress), so
    the same address always has the same text.
    """
    g = np.asarray(groups, dtype=np.int32)
    return join(*(_HEX.take(g[:, j]) for j in range(8)), sep=":")




def hex64(values: np.ndarray, prefix: str) -> pa.Array:
    """``prefix`` + 16 lower-case hex digits of each uint64 value."""
    v = np.asarray(values, dtype=np.uint64)
    parts = [
        _HEX4.take(((v >> np.uint64(s)) & np.uint64(0xFFFF)).astype(np.int32))
        for s in (48, 32, 16, 0)
    ]
    return join(prefix, *parts)


def padded(numbers: np.ndarray, prefix: str) -> pa.Array:
    """``prefix`` + 8-digit zero-padded decimal (numbers < 10**8)."""
    n = np.asarray(numbers, dtype=np.int64)
    return join(
        prefix, _DIG4.take((n // 10000).astype(np.int32)), _DIG4.take((n % 10000).astype(np.int32))
    )


@cache
def _time_of_day() -> pa.Array:
    """``HH:MM:SSZ`` for every second of a day."""
    text = np.datetime_as_string(np.arange(86400).astype("datetime64[s]"), unit="s")
    return pc.utf8_slice_codeunits(pa.array(np.char.add(text, "Z").astype(object)), 11)


def iso(seconds: np.ndarray) -> pa.Array:
    """ISO-8601 UTC text (``2026-02-01T12:00:00Z``) of epoch seconds."""
    s = np.asarray(seconds, dtype=np.int64)
    if len(s) == 0:
        return pa.array([], pa.string())
    day, sod = np.divmod(s, 86400)
    d0 = int(day.min())
    days = np.arange(d0, int(day.max()) + 1).astype("datetime64[D]")
    dates = pa.array(np.char.add(np.datetime_as_string(days), "T").astype(object))
    return join(dates.take((day - d0).astype(np.int32)), _time_of_day().take(sod.astype(np.int32)))
