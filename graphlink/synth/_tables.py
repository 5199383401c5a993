"""Building blocks shared by the benign and ring generators.

Link rows are generated as integer references: an account index and an index
into a *catalogue* of things (IPs, instruments, identifiers).  Two accounts
share a thing exactly when their rows point at the same catalogue entry, so
sharing is cheap to express (``take`` from a pool) and the text columns are
materialised once, at the end, with one Arrow ``take``.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from graphlink.hashing import mix64
from graphlink.synth import _fmt
from graphlink.synth.params import (
    CLOUD_ASNS,
    CLOUD_OCTETS,
    RESI_ASNS,
    RESI_OCTETS,
    V6_RESI_PREFIX,
    WINDOW_END,
    WINDOW_START,
)

DAY = 86_400
HOUR = 3_600


def _to_arrow(values: np.ndarray | pa.Array, typ: pa.DataType) -> pa.Array:
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if isinstance(values, pa.Array):
        return values if values.type == typ else values.cast(typ)
    return pa.array(values, type=typ)


class Catalogue:
    """Append-only columns of things; ``add`` returns the offset of the block."""

    def __init__(self, schema: dict[str, pa.DataType]):
        self.schema = schema
        self.blocks: dict[str, list[pa.Array]] = defaultdict(list)
        self.size = 0

    def add(self, n: int, **cols: np.ndarray | pa.Array | None) -> int:
        """Append ``n`` entries; columns left out (or None) are null."""
        offset = self.size
        for name, typ in self.schema.items():
            v = cols.get(name)
            arr = pa.nulls(n, typ) if v is None else _to_arrow(v, typ)
            if len(arr) != n:
                raise ValueError(f"column {name}: {len(arr)} values for {n} entries")
            self.blocks[name].append(arr)
        self.size += n
        return offset

    def columns(self) -> dict[str, pa.Array]:
        return {
            name: pa.concat_arrays(self.blocks[name]) if self.blocks[name] else pa.array([], typ)
            for name, typ in self.schema.items()
        }


@dataclass
class Rows:
    """Link rows of one table: parallel numpy columns appended part by part."""

    parts: dict[str, list[np.ndarray]] = field(default_factory=lambda: defaultdict(list))

    def add(self, **cols: np.ndarray) -> None:
        n = {len(v) for v in cols.values()}
        if len(n) != 1:
            raise ValueError(f"ragged part: {[(k, len(v)) for k, v in cols.items()]}")
        for k, v in cols.items():
            self.parts[k].append(np.asarray(v))

    def column(self, name: str) -> np.ndarray:
        return np.concatenate(self.parts[name]) if self.parts[name] else np.zeros(0, dtype=np.int64)


class Tokens:
    """Unique opaque tokens (``pi_3f9c…``) per prefix.

    Counter values pass through a bijective mixer, so tokens never collide and
    look random; the salt (from the seed) makes another seed give other tokens.
    """

    def __init__(self, seed: int):
        self.salt = int(mix64(np.array([seed + 0x5EED]))[0]) & 0xFFFFFFFF
        self.next: dict[str, int] = defaultdict(int)

    def take(self, prefix: str, n: int) -> pa.Array:
        start = self.next[prefix]
        self.next[prefix] += n
        tag = sum(prefix.encode()) * 0x1000003
        base = ((self.salt ^ tag) & 0xFFFFFFFF) << 32
        return _fmt.hex64(
            mix64(np.arange(start, start + n, dtype=np.uint64) + np.uint64(base)), prefix
        )


# --- sampling helpers -------------------------------------------------------


def choice(rng: np.random.Generator, n: int, p: np.ndarray | list[float]) -> np.ndarray:
    """``n`` category codes drawn with probabilities ``p`` (inverse CDF: fast)."""
    cdf = np.cumsum(np.asarray(p, dtype=float))
    return np.minimum(np.searchsorted(cdf / cdf[-1], rng.random(n), side="right"), len(cdf) - 1)


def pick_in(rng: np.random.Generator, start: np.ndarray, size: np.ndarray) -> np.ndarray:
    """One uniform index in ``[start, start + size)`` per row."""
    return np.asarray(start) + (rng.random(len(start)) * np.asarray(size)).astype(np.int64)


def slots(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(owner, slot) per row for ``counts[i]`` rows of owner ``i``."""
    counts = np.asarray(counts, dtype=np.int64)
    owner = np.repeat(np.arange(len(counts)), counts)
    slot = np.arange(len(owner)) - np.repeat(np.cumsum(counts) - counts, counts)
    return owner, slot


def after(rng: np.random.Generator, t0: np.ndarray, mean_days: float) -> np.ndarray:
    """``t0`` plus an exponential delay, wrapped to stay before the end of the window.

    Wrapping (not clipping) keeps values from piling up on the window's last minute.
    """
    t0 = np.asarray(t0, dtype=np.int64)
    room = np.maximum(WINDOW_END - 60 - t0, 1)
    return np.minimum(
        t0 + rng.exponential(mean_days * DAY, len(t0)).astype(np.int64) % room, WINDOW_END - 60
    )


def seen(
    rng: np.random.Generator, created: np.ndarray, *, mean_days: float = 10.0
) -> tuple[np.ndarray, np.ndarray]:
    """(first_seen, last_seen) of an IP inside the export window, after sign-up."""
    lo = np.maximum(created, WINDOW_START)
    first = lo + (rng.random(len(lo)) * 0.9 * (WINDOW_END - lo)).astype(np.int64)
    last = np.minimum(
        first + rng.exponential(mean_days * DAY, len(first)).astype(np.int64), WINDOW_END - 1
    )
    return first, last


# --- addresses --------------------------------------------------------------


def resi_v4(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Random residential IPv4 addresses (as ints) and their ASN."""
    o1 = RESI_OCTETS[rng.integers(0, len(RESI_OCTETS), n)].astype(np.uint64)
    mid = rng.integers(0, 65536, n).astype(np.uint64)
    host = rng.integers(1, 255, n).astype(np.uint64)
    ips = (o1 << np.uint64(24)) | (mid << np.uint64(8)) | host
    return ips, asn_of(ips, RESI_ASNS)


def asn_of(ips: np.ndarray, asns: np.ndarray) -> np.ndarray:
    """A stable ASN per /16 so the same address always has the same ASN."""
    h = ((np.asarray(ips, dtype=np.uint64) >> np.uint64(16)) * np.uint64(2654435761)) >> np.uint64(
        7
    )
    return asns[(h % np.uint64(len(asns))).astype(np.int64)]


def resi_v6(
    rng: np.random.Generator, n: int, prefixes: np.ndarray = V6_RESI_PREFIX
) -> tuple[pa.Array, np.ndarray]:
    groups = rng.integers(1, 65536, size=(n, 8))
    groups[:, 0] = prefixes[rng.integers(0, len(prefixes), n)]
    asn = RESI_ASNS[(groups[:, 0] * 7 + groups[:, 1]) % len(RESI_ASNS)]
    return _fmt.ipv6(groups), asn


def residential(rng: np.random.Generator, n: int, v6_share: float) -> tuple[pa.Array, np.ndarray]:
    """``n`` residential addresses (text: the IPv4 ones first, then IPv6) and their ASNs.

    Callers spread them over rows with a permutation.
    """
    n6 = int(rng.binomial(n, v6_share)) if n else 0
    ints, asn4 = resi_v4(rng, n - n6)
    text6, asn6 = resi_v6(rng, n6)
    return pa.concat_arrays([_fmt.ipv4(ints), text6]), np.concatenate([asn4, asn6])


def blocks(rng: np.random.Generator, sizes: np.ndarray, octets: np.ndarray) -> np.ndarray:
    """Each group's addresses, contiguous inside /24 blocks of its own (ints, groups in order)."""
    sizes = np.asarray(sizes, dtype=np.int64)
    n_blocks = -(-sizes // 254)
    bases = (
        octets[rng.integers(0, len(octets), int(n_blocks.sum()))].astype(np.uint64) << np.uint64(24)
    ) | (rng.integers(0, 65536, int(n_blocks.sum())).astype(np.uint64) << np.uint64(8))
    owner, j = slots(sizes)
    first_block = np.cumsum(n_blocks) - n_blocks
    b = first_block[owner] + j // 254
    return bases[b] | (np.uint64(1) + (j % 254).astype(np.uint64))


def cloud(rng: np.random.Generator, n: int) -> tuple[pa.Array, np.ndarray]:
    o1 = CLOUD_OCTETS[rng.integers(0, len(CLOUD_OCTETS), n)].astype(np.uint64)
    ips = (
        (o1 << np.uint64(24))
        | (rng.integers(0, 65536, n).astype(np.uint64) << np.uint64(8))
        | rng.integers(1, 255, n).astype(np.uint64)
    )
    return _fmt.ipv4(ips), asn_of(ips, CLOUD_ASNS)
