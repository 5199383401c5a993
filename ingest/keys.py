"""Compact sets of row keys, for rules that span batches of one table file.

A key (``account_id``; ``account_id + ip``; ...) is hashed to 64 bits with
pandas' vectorised ``hash_pandas_object`` and kept in a sorted numpy array:
8 bytes per key instead of ~100 for a Python set of strings, so checking
"unique within the table" and "account known to this snapshot" stays small at
millions of rows.  Two distinct keys share a 64-bit hash with probability
~n²/2⁶⁵ (about 3·10⁻⁸ at 10⁶ keys): negligible, and the cost of a collision is
one row wrongly rejected as a duplicate, reported in the rejects file.
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
    """A growing set of uint64 key hashes (sorted array, merged per batch)."""

    def __init__(self) -> None:
        self._keys = np.zeros(0, dtype=np.uint64)

    def __len__(self) -> int:
        return len(self._keys)

    def contains(self, hashes: np.ndarray) -> np.ndarray:
        if len(self._keys) == 0 or len(hashes) == 0:
            return np.zeros(len(hashes), dtype=bool)
        pos = np.searchsorted(self._keys, hashes)
        pos[pos == len(self._keys)] = 0
        return self._keys[pos] == hashes

    def add(self, hashes: np.ndarray) -> None:
        new = np.unique(hashes)
        new = new[~self.contains(new)]
        if len(new):
            self._keys = np.insert(self._keys, np.searchsorted(self._keys, new), new)

    def first_sighting(self, hashes: np.ndarray) -> np.ndarray:
        """Mask of rows whose key is new (not seen before nor earlier in this batch); adds them."""
        seen = self.contains(hashes) | pd.Series(hashes).duplicated().to_numpy()
        self.add(hashes[~seen])
        return ~seen
