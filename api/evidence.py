"""Cluster evidence summaries, precomputed in the background so a detail request reads memory.

``GET /v1/clusters/{id}`` shows what a cluster's members share (instruments,
IPs, identifiers, providers, similarity).  Computing that walks every member's
relationships: ~0.2 s warm for a 600-member cluster, but seconds on a cold
page cache, plus the planning of the query after a restart (measured 4-7 s,
which timed out at 1M accounts).  So the service computes the summaries of
the current snapshot's clusters itself, largest first (the slow ones), one
query at a time in the background, right after the snapshot is loaded or
swapped, and keeps them in memory (each list is capped at 20 entries: a few
KB a cluster).  A request then reads memory, also while Neo4j is down; only
a cluster beyond the warmed ones (``warm_limit``, 2,000 largest by default)
or one asked for before its turn costs one query (then cached).

Summaries belong to a snapshot generation (run id + ingests): a new run or a
new ingest starts a fresh generation, so a summary never mixes two states.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from graphlink.api.index import Snapshot
from graphlink.errors import GraphlinkError

log = logging.getLogger("graphlink.api")

#: How many clusters (largest first) get their evidence precomputed per generation.
WARM_LIMIT = 2000

Generation = tuple[Any, ...]
Fetch = Callable[[str, str], Awaitable[dict[str, Any] | None]]


def generation(snap: Snapshot) -> Generation:
    """What a summary depends on: the run and the ingests of the snapshot."""
    return (snap.versions.run_id, snap.versions.ingests)


class EvidenceCache:
    """cluster id -> evidence row of one generation; replaced when the generation changes."""

    def __init__(self, *, warm_limit: int = WARM_LIMIT) -> None:
        self.warm_limit = warm_limit
        self.generation: Generation | None = None
        self._rows: dict[str, dict[str, Any]] = {}
        #: Clusters of this generation warmed so far / to warm (for /readyz and the bench).
        self.warmed = 0
        self.to_warm = 0

    def get(self, generation: Generation, cluster_id: str) -> dict[str, Any] | None:
        if generation != self.generation:
            return None
        return self._rows.get(cluster_id)

    def put(self, generation: Generation, cluster_id: str, row: dict[str, Any]) -> None:
        if generation != self.generation:
            self.generation, self._rows = generation, {}
            self.warmed = 0
        self._rows[cluster_id] = row

    async def warm(self, generation: Generation, clusters: list[tuple[str, int]],
                   fetch: Fetch, run_id: str) -> int:
        """Fetch the evidence of ``clusters`` ((id, size)), largest first, up to
        ``warm_limit``, skipping those already cached.  Stops at the first store failure
        (the next poll starts again where it stopped).  Returns how many it fetched."""
        if generation != self.generation:
            self.generation, self._rows, self.warmed = generation, {}, 0
        order = sorted(clusters, key=lambda c: (-c[1], c[0]))[: self.warm_limit]
        self.to_warm = len(order)
        self.warmed = sum(1 for c, _ in order if c in self._rows)
        fetched = 0
        for cluster_id, _ in order:
            if cluster_id in self._rows:
                continue
            try:
                row = await fetch(run_id, cluster_id)
            except GraphlinkError as e:
                log.info("evidence warm-up paused at %s: %s", cluster_id, e)
                break
            if generation != self.generation:
                break  # a new snapshot arrived meanwhile
            if cluster_id not in self._rows:  # a request may have cached it meanwhile
                self.warmed += 1
            self._rows[cluster_id] = row or {}
            fetched += 1
        return fetched

    async def warm_forever(self, snapshot: Callable[[], Snapshot | None], fetch: Fetch, *,
                           interval: float) -> None:
        """Background loop: warm the current snapshot's clusters, re-checking every
        ``interval`` seconds for a new snapshot or work left after a store failure."""
        while True:
            try:
                snap = snapshot()
                if snap is not None and snap.versions.run_id is not None:
                    gen = generation(snap)
                    if gen != self.generation or self.warmed < self.to_warm:
                        clusters = [(c.cluster_id, c.size) for c in snap.index.clusters.values()]
                        await self.warm(gen, clusters, fetch, snap.versions.run_id)
            except Exception:
                log.exception("evidence warm-up crashed")
            await asyncio.sleep(interval)
