"""Names of the generated world, drawn per seed: plans, providers, BINs, domains.

(And two other things a detector could otherwise learn as constants: the
countries whose issuers sell the prepaid cards, and the months the campaigns
sign up in.)

A detector tuned on one generated world must not be able to key on a name:
the prepaid BIN table, the names of the entry and API plans, the proxy/VPN
providers and every organisation's e-mail domain are made up from a seeded
syllable generator, so two seeds share none of them.  Only what every real
platform has under the same name stays fixed: the ``free``, ``pro``, ``team``
and ``enterprise`` plans and the big webmail domains (benign and ring
accounts use those alike).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

_ONSETS = np.array(
    ["b", "c", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z",
     "br", "tr", "st", "kr", "pl", "sh", "gl", "dr", "fl", "qu", "th", "vr"]
)  # fmt: skip
_VOWELS = np.array(["a", "e", "i", "o", "u", "ai", "ei", "ou", "y", "ia"])
_CODAS = np.array(["", "", "", "n", "r", "s", "x", "l", "m", "k", "t"])
#: Ending of a provider's name, drawn independently of its kind (a name tells nothing).
_PROVIDER_TAILS = np.array(
    ["", "-vpn", "-net", "-proxy", "-link", "-hop", "-io", "-mesh", "-cloud"]
)
_ORG_TLDS = np.array(["com", "io", "ai", "co", "net", "dev", "tech", "org"])
_ORG_TLD_W = np.array([45, 15, 10, 8, 7, 5, 5, 5], dtype=float)

#: Plan roles and whether the role's name is drawn per seed (True) or the common one.
PLAN_ROLES: dict[str, bool] = {
    "free": False,
    "pro": False,
    "team": False,
    "enterprise": False,
    "edu": True,  # education / student plan
    "startup": True,  # startup-credits plan (needs an organisation)
    "api": True,  # developer / API plan
    "lite": True,  # a cheap entry plan
}


def words(rng: np.random.Generator, n: int, *, syllables: tuple[int, int] = (2, 3)) -> np.ndarray:
    """``n`` distinct pronounceable made-up words (object array), e.g. ``'brixolen'``."""
    if n <= 0:
        return np.zeros(0, dtype=object)
    out: list[str] = []
    seen: set[str] = set()
    while len(out) < n:
        k = max(16, 2 * (n - len(out)))
        n_syl = rng.integers(syllables[0], syllables[1] + 1, k)
        parts = [
            np.char.add(
                _ONSETS[rng.integers(0, len(_ONSETS), k)], _VOWELS[rng.integers(0, len(_VOWELS), k)]
            )
            for _ in range(syllables[1])
        ]
        coda = _CODAS[rng.integers(0, len(_CODAS), k)]
        for i in range(k):
            w = "".join(p[i] for p in parts[: n_syl[i]]) + coda[i]
            if w not in seen:
                seen.add(w)
                out.append(w)
                if len(out) == n:
                    break
    return np.array(out, dtype=object)


@cache
def _digits(width: int) -> pa.Array:
    """Every ``width``-digit zero-padded decimal, as text (a lookup table)."""
    return pa.array([f"{i:0{width}d}" for i in range(10**width)])


def random_bins(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` card BINs (text, 6 digits, a quarter 8), card-network-like first digit."""
    lead = np.array([4, 5, 2, 3, 6])[
        np.searchsorted(np.cumsum([0.55, 0.35, 0.04, 0.04, 0.02]), rng.random(n) * 0.9999)
    ]
    six = pc.binary_join_element_wise(
        _digits(1).take(lead), _digits(5).take(rng.integers(0, 100000, n)), ""
    )
    eight = rng.random(n) < 0.25
    ext = _digits(2).take(rng.integers(10, 100, n))
    text = pc.if_else(pa.array(eight), pc.binary_join_element_wise(six, ext, ""), six)
    return text.to_numpy(zero_copy_only=False)


@dataclass(frozen=True)
class Names:
    """One world's names (see the module docstring)."""

    #: plan role -> plan name (``plan("edu")`` is this world's student plan)
    plans: dict[str, str]
    #: proxy / VPN provider names, one per entry of :data:`graphlink.synth.params.PROVIDER_SPECS`
    providers: np.ndarray
    #: BINs of the prepaid / gift cards sold in this world (rings buy them in bulk)
    prepaid_bins: np.ndarray
    #: countries whose issuers sell those cards in bulk (some of a ring's cards come from there)
    prepaid_issuers: np.ndarray
    #: (start, end) epoch seconds of the range this world's ring sign-up bursts fall in
    ring_bursts: tuple[int, int]
    #: a reserve of distinct words for domains (campuses, companies, shells, events)
    _words: np.ndarray
    _tlds: np.ndarray

    def plan(self, role: str) -> str:
        return self.plans[role]

    def domains(self, kind: str, idx: np.ndarray) -> np.ndarray:
        """Domains of the ``idx``-th organisation of ``kind`` (``edu``, ``org``, ``vanity``).

        The same (kind, index) always gives the same domain; different ones never collide.
        """
        kinds = {"edu": 0, "org": 1, "vanity": 2, "event": 3}
        idx = np.asarray(idx, dtype=np.int64)
        k = kinds[kind]
        slot = (idx * 4 + k) % len(self._words)
        base = self._words[slot]
        if kind == "edu":
            return base + ".edu"
        if kind == "event":
            return base + "-events.org"
        return base + "." + self._tlds[slot]


def draw_names(
    seed: int, n_domains: int, n_providers: int, countries: np.ndarray, window_start: int
) -> Names:
    """The names of seed ``seed``'s world (``n_domains`` distinct organisation domains at least)."""
    rng = np.random.default_rng([seed, 3])
    random_roles = [r for r, rnd in PLAN_ROLES.items() if rnd]
    plan_words = words(rng, len(random_roles), syllables=(2, 3))
    plans = {r: r for r, rnd in PLAN_ROLES.items() if not rnd}
    plans.update(dict(zip(random_roles, plan_words.tolist())))
    prov = words(rng, n_providers, syllables=(2, 3))
    tails = _PROVIDER_TAILS[rng.integers(0, len(_PROVIDER_TAILS), n_providers)]
    providers = np.char.add(prov.astype(str), tails.astype(str)).astype(object)
    n_bins = int(rng.integers(6, 15))
    prepaid = np.unique(random_bins(rng, n_bins * 2))[:n_bins]
    prepaid = prepaid[rng.permutation(len(prepaid))]
    n_words = max(64, 4 * n_domains + 64)
    pool = words(rng, n_words, syllables=(2, 4))
    tlds = _ORG_TLDS[
        np.minimum(
            np.searchsorted(np.cumsum(_ORG_TLD_W) / _ORG_TLD_W.sum(), rng.random(n_words)),
            len(_ORG_TLDS) - 1,
        )
    ].astype(object)
    issuers = rng.choice(countries, int(rng.integers(3, 7)), replace=False).astype(object)
    day = 86_400
    start = window_start - int(rng.integers(40, 200)) * day
    end = min(start + int(rng.integers(40, 100)) * day, window_start + 20 * day)
    return Names(
        plans=plans,
        providers=providers,
        prepaid_bins=prepaid,
        prepaid_issuers=issuers,
        ring_bursts=(start, end),
        _words=pool,
        _tlds=tlds,
    )
