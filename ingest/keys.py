"""Compact sets of row keys, for rules that span batches of one table file.

A key (``account_id``; ``account_id + ip``; ...) is hashed to 64 bits with
pandas' vectorised ``hash_pandas_object`` and kept in a numpy open-addressing
table (linear probing, at most 70 % full): 11-23 bytes per key instead of ~100
for a Python set of strings, so checking "unique within the table" and
"account known to this snapshot" stays small at millions of rows, and each
batch costs O(batch), not O(keys so far).  The earlier sorted array paid an
``np.insert`` of every key so far per batch and a binary search per lookup:
quadratic over a table: 10M keys in batches of 20k took 35.3 s against 7.5 s
(growth exponents 1.60 and 1.08 from 1M; ``bench/bench_keyset.py``).  Two
distinct keys share a 64-bit hash with probability ~n²/2⁶⁵ (about 3·10⁻⁸ at
10⁶ keys): negligible, and the cost of a collision is one row wrongly rejected
as a duplicate, reported in the rejects file.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def hash_keys(frame: pd.DataFrame, columns: tuple[str, ...] | list[str]) -> np.ndarray:
    """uint64 hash per row of ``frame[columns]``."""
    if len(frame) == 0:
        return np.zeros(0, dtype=np.uint64)
    if len(columns) == 1:  # hash of the values alone: comparable across tables/columns
        return pd.util.hash_array(frame[columns[0]].to_numpy(dtype=object)).astype(np.uint64)
    return pd.util.hash_pandas_object(frame[list(columns)], index=False).to_numpy(dtype=np.uint64)


class KeySet:
    """A growing set of uint64 key hashes (open addressing, vectorised probes per batch)."""

    MAX_LOAD = 0.7
    #: Fibonacci hashing: a key's home slot is the top bits of key x 2^64/phi, so keys
    #: that differ only in their high bits still spread over the table.
    _GOLDEN = np.uint64(0x9E3779B97F4A7C15)

    def __init__(self) -> None:
        self._table = np.zeros(1 << 10, dtype=np.uint64)
        self._n = 0
        self._zero = False  # 0 marks an empty slot, so the hash 0 is kept apart

    def __len__(self) -> int:
        return self._n + int(self._zero)

    def contains(self, hashes: np.ndarray) -> np.ndarray:
        hashes = np.asarray(hashes, dtype=np.uint64)
        out = np.zeros(len(hashes), dtype=bool)
        if self._n:
            t = self._table
            mask = np.uint64(len(t) - 1)
            idx = np.flatnonzero(hashes != 0)
            slot = self._home(hashes[idx])
            while len(idx):  # one round per probe step, over the keys still searching
                v = t[slot]
                hit = v == hashes[idx]
                out[idx[hit]] = True
                go = ~hit & (v != 0)
                idx, slot = idx[go], (slot[go] + np.uint64(1)) & mask
        if self._zero:
            out[hashes == 0] = True
        return out

    def _home(self, keys: np.ndarray) -> np.ndarray:
        shift = np.uint64(64 - (len(self._table).bit_length() - 1))
        with np.errstate(over="ignore"):
            return (keys * self._GOLDEN) >> shift

    def _place(self, keys: np.ndarray) -> None:
        """Insert distinct, absent, non-zero keys (room already made).  Keys racing for one
        free slot: the first wins it, the rest probe on, as one-by-one insertion would."""
        t = self._table
        mask = np.uint64(len(t) - 1)
        slot = self._home(keys)
        pending = np.arange(len(keys))
        won = np.zeros(len(keys), dtype=bool)
        while len(pending):
            s = slot[pending]
            free = t[s] == 0
            cand = pending[free]
            _, first = np.unique(s[free], return_index=True)
            win = cand[first]
            t[slot[win]] = keys[win]
            won[win] = True
            pending = pending[~won[pending]]
            slot[pending] = (slot[pending] + np.uint64(1)) & mask

    def add(self, hashes: np.ndarray) -> None:
        new = np.unique(np.asarray(hashes, dtype=np.uint64))
        self._insert(new[~self.contains(new)])

    def _insert(self, new: np.ndarray) -> None:
        """Add distinct keys known to be absent (growing the table first when needed)."""
        zero = new == 0
        if zero.any():
            self._zero, new = True, new[~zero]
        if not len(new):
            return
        need = self._n + len(new)
        if need > self.MAX_LOAD * len(self._table):
            cap = len(self._table)
            while need > self.MAX_LOAD * cap:
                cap *= 2
            old = self._table[self._table != 0]
            self._table = np.zeros(cap, dtype=np.uint64)
            self._place(old)
        self._place(new)
        self._n = need

    def first_sighting(self, hashes: np.ndarray) -> np.ndarray:
        """Mask of rows whose key is new (not seen before nor earlier in this batch); adds them."""
        hashes = np.asarray(hashes, dtype=np.uint64)
        seen = self.contains(hashes) | pd.Series(hashes).duplicated().to_numpy()
        self._insert(hashes[~seen])  # distinct (first of each in the batch) and absent
        return ~seen
