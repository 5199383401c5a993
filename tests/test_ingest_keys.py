"""The ingest's cross-batch key sets (``ingest/keys.py``) against Python's own set."""

from __future__ import annotations

import numpy as np
import pandas as pd

from graphlink.ingest.keys import KeySet, hash_keys


def _check(ks: KeySet, ref: set[int], queries: np.ndarray) -> None:
    got = ks.contains(queries)
    assert got.tolist() == [int(q) in ref for q in queries.tolist()]
    assert len(ks) == len(ref)


def test_keyset_agrees_with_a_python_set_under_colliding_keys_and_growth():
    """Keys sharing their low bits all start probing at one slot (the worst case for linear
    probing); batches repeat keys within and across batches; the table grows many times;
    the hash 0 (the empty-slot marker) is a key like any other."""
    rng = np.random.default_rng(3)
    ks, ref = KeySet(), set()
    for it in range(250):
        batch = rng.integers(0, 4000, rng.integers(0, 300)).astype(np.uint64)
        batch = batch * np.uint64(1 << 40) if it % 2 else batch * np.uint64(0x9E3779B97F4A7C15)
        if it % 9 == 0:
            batch = np.r_[batch, np.uint64(0)]
        queries = np.r_[rng.integers(0, 4000, 200).astype(np.uint64) * np.uint64(1 << 40),
                        batch, np.uint64(0)]
        _check(ks, ref, queries)
        ks.add(batch)
        ref.update(int(b) for b in batch.tolist())
        _check(ks, ref, queries)
    assert len(ref) > 4000  # grew far past the initial 1,024 slots


def test_first_sighting_marks_only_the_first_row_of_each_key_across_batches():
    frame = pd.DataFrame({"a": ["x", "y", "x", "z", "w", "x"], "b": [1, 1, 1, 2, 1, 1]})
    ks = KeySet()
    first = ks.first_sighting(hash_keys(frame.iloc[:3], ["a", "b"]))
    assert first.tolist() == [True, True, False]  # ("x", 1) again within the batch
    second = ks.first_sighting(hash_keys(frame.iloc[3:], ["a", "b"]))
    assert second.tolist() == [True, True, False]  # ("w", 1) new; ("x", 1) seen before
    assert len(ks) == 4


def test_first_sighting_treats_the_empty_slot_hash_zero_as_a_key():
    ks = KeySet()
    first = ks.first_sighting(np.array([0, 0, 5], dtype=np.uint64))
    assert first.tolist() == [True, False, True]
    again = ks.first_sighting(np.array([0, 5, 7], dtype=np.uint64))
    assert again.tolist() == [False, False, True]
    assert len(ks) == 3 and ks.contains(np.array([0, 7, 9], dtype=np.uint64)).tolist() == [
        True, True, False]
