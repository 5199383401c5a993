"""Bearer-key authentication with a short-lived cache of verified keys.

A request's ``Authorization: Bearer <key>`` is hashed (SHA-256) and looked up
as ``(:ApiKey {key_hash})``.  The answer, positive or negative, is cached in
the process for ``ttl`` seconds (5 by default), so the hot path costs one
hash and one dictionary lookup instead of a Neo4j round trip.  Consequences,
by design:

* a revoked key keeps working for at most ``ttl`` seconds in each server
  process that had verified it (then the next request re-reads the store);
* a key created while a process had cached its hash as unknown works after
  at most ``ttl`` seconds;
* while Neo4j is down, keys verified in the last ``ttl`` seconds keep
  working; any other key gets 503 (we fail closed, never open).
"""

from __future__ import annotations

import time
from typing import Any

from graphlink.apikeys import KeyInfo

_MISS: Any = object()


class KeyCache:
    """hash -> (KeyInfo or None, expiry), bounded in size."""

    def __init__(self, ttl: float, *, max_entries: int = 10_000) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._entries: dict[str, tuple[KeyInfo | None, float]] = {}

    def get(self, key_hash: str) -> KeyInfo | None | Any:
        hit = self._entries.get(key_hash)
        if hit is None or hit[1] < time.monotonic():
            return _MISS
        return hit[0]

    def put(self, key_hash: str, info: KeyInfo | None) -> None:
        if len(self._entries) >= self.max_entries:
            # Unknown keys could fill the cache: start over rather than grow.
            self._entries.clear()
        self._entries[key_hash] = (info, time.monotonic() + self.ttl)

    def clear(self) -> None:
        self._entries.clear()


__all__ = ["KeyCache", "is_miss"]


def is_miss(value: object) -> bool:
    return value is _MISS
