"""Every threshold of the similarity derivation, in one frozen, documented object.

Why one object: the derived pairs carry a derivation version, and a version
means "this code with these numbers".  Changing a default here changes what
the pairs mean, so :data:`DERIVATION_VERSION` moves with it.

Nothing here names a model, a template or a time of day: every threshold is
relative to the log's own population (share of accounts, the log's own first
sighting of a model, each account's own activity).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace
from typing import Any

#: Written beside every derived pair (``derivation`` column): bump it when a
#: default below or the scoring changes, so pairs from two versions are never
#: mistaken for one another.
DERIVATION_VERSION = "v2"
SIGNALS: tuple[str, ...] = ("prompt_template", "timing_sync", "model_pivot")


@dataclass(frozen=True)
class SimilarityConfig:
    """Thresholds of the three signals, the LSH and the caps.

    >>> SimilarityConfig().bucket_seconds
    60
    >>> SimilarityConfig().with_(max_pairs_per_account=5).max_pairs_per_account
    5
    """

    # -- MinHash / LSH (datasketch) -------------------------------------------------
    #: Permutations per MinHash signature (datasketch ``num_perm``), cut into
    #: ``lsh_bands`` bands of ``lsh_rows`` rows: a pair becomes a candidate when one
    #: band agrees, with probability ``1 - (1 - J**rows)**bands`` at Jaccard J
    #: (16 x 3: 0.22 at J = 0.25, 0.88 at 0.5; 0.0001 at 0.02, the chance overlap
    #: of strangers in a busy log).  A ring account needs a few of its ring mates
    #: as candidates, not all of them: the graph connects the rest.
    num_perm: int = 48
    lsh_bands: int = 16
    lsh_rows: int = 3
    #: Seed of the permutations: same seed, same signatures, same pairs.
    seed: int = 1
    #: An LSH bucket with more accounts than this is not expanded into all its
    #: pairs: its accounts are put in a seeded order and each is paired with its
    #: next ``bucket_degree`` neighbours (linear, not quadratic).
    max_bucket: int = 64
    bucket_degree: int = 4

    # -- prompt_template ---------------------------------------------------------------
    #: Fingerprints used by more than this share of the log's accounts are generic
    #: (a popular public template) and carry no weight at all.
    popular_share: float = 0.02
    #: ...but never call a fingerprint popular below this many accounts (small logs).
    popular_min_accounts: int = 200
    #: Shared (non-popular) fingerprints a pair needs: one common template is chance.
    min_shared_fingerprints: int = 3
    min_template_score: float = 0.2

    # -- timing_sync -------------------------------------------------------------------
    #: Width of a time bucket.  Fine on purpose: a class meeting at 10:00 puts its
    #: students in the same hour, not in the same minutes.
    bucket_seconds: int = 60
    #: A pair must be co-active in at least this many buckets on this many distinct
    #: days: one shared class hour, one launch spike is not synchrony.
    min_co_buckets: int = 6
    min_co_days: int = 3
    min_timing_score: float = 0.1

    # -- model_pivot -------------------------------------------------------------------
    #: A model counts as new when the log first sees it at least this long after
    #: the log starts (a model present from day one has no "release").
    min_model_age_s: int = 3 * 86_400
    #: The signal: first use of the new model within this long of its first appearance.
    pivot_horizon_s: int = 86_400
    #: ...and at least this share of the account's traffic on it over ``share_window_s``.
    min_pivot_share: float = 0.5
    share_window_s: int = 3 * 86_400
    #: Requests on other models before the release: a pivot is a move, not a sign-up.
    min_requests_before: int = 3
    #: Accounts whose pivots lie within this many seconds of each other form a cohort...
    pivot_window_s: int = 120
    #: ...paired with at most this many time-neighbours each.
    pivot_neighbours: int = 6
    min_pivot_score: float = 0.2
    #: A cohort pair is emitted only when its shared non-popular fingerprints are this
    #: improbable for two independent accounts of its set sizes (Poisson tail of the
    #: null model in :mod:`~graphlink.similarity.pivot`): at ~100,000 cohort pairs on
    #: a busy release day, ~10 chance corroborations, each still needing the pivot.
    pivot_max_chance: float = 1e-4

    # -- output ------------------------------------------------------------------------
    #: Most pairs one account keeps per signal (its best-scoring ones).
    max_pairs_per_account: int = 30

    def with_(self, **changes: Any) -> SimilarityConfig:
        return replace(self, **changes)

    def to_json(self) -> str:
        return json.dumps({"derivation": DERIVATION_VERSION, **asdict(self)}, sort_keys=True)
