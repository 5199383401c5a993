"""Knobs of the scenario generator, and the fixed "world" it draws from.

:class:`SynthParams` holds what a robustness sweep varies (how strongly ring
members are linked, how much they camouflage, how many hard negatives there
are).  The module constants describe the world every scenario shares: the
export window, the model release the rings pivot to, the proxy/VPN providers,
address blocks and ASNs.  Provider names are fictional.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np


@dataclass(frozen=True)
class SynthParams:
    """What a sweep varies.  Defaults give the hard baseline scenario.

    Rates are probabilities per account unless said otherwise.
    """

    # --- rings ("hydra" campaigns) ---
    #: Sub-ring sizes, log-uniform in [min, max]; max is also capped at a third of
    #: the ring accounts, so a small population still gets several rings.
    ring_size_min: int = 20
    ring_size_max: int = 2000
    #: A campaign is 1..subrings_max sub-rings joined by one weak link each.
    subrings_max: int = 5
    #: Size of a sub-ring's proxy IP pool relative to the sub-ring's size.
    ring_ip_pool_ratio: float = 0.25
    #: Mean number of pool (proxy) IPs per ring account.
    ips_per_ring_account: float = 4.0
    #: Ring accounts also seen on a residential IP of their own.
    ring_residential_rate: float = 0.35
    #: Ring accounts paying with one of the sub-ring's shared prepaid cards.
    shared_instrument_rate: float = 0.6
    #: Mean ring accounts per shared card (sets how many cards a sub-ring has).
    accounts_per_card: float = 40.0
    shared_device_rate: float = 0.3
    shared_phone_rate: float = 0.5
    referral_rate: float = 0.4
    #: Mean behaviour_similarity pairs each ring account takes part in.
    ring_pairs_per_account: float = 11.0
    #: Spread (lognormal sigma) of how often ring accounts appear in pairs: a few
    #: template hubs, many accounts in one pair or none.  0 = every account alike.
    ring_activity_sigma: float = 1.0
    #: Share of ring pairs that are mundane (low score: the ordinary prompts rings mix in).
    ring_mundane_pair_rate: float = 0.15
    #: Ring accounts with a camouflage link to a benign account (shared
    #: residential-proxy exit IP, or a similar-prompt pair).
    camouflage_rate: float = 0.3
    #: Ring accounts created inside a sign-up burst (a few hours wide); the others
    #: trickle in over the following days.
    burst_share: float = 0.6
    #: Ring accounts bought/aged rather than created in a burst.
    aged_account_rate: float = 0.15
    ring_suspended_rate: float = 0.02

    # --- what the proxy-intelligence feed knows (sets ``proxy_provider``) ---
    #: Share of datacenter proxy / VPN exits the feed names.
    proxy_intel_coverage: float = 0.85
    #: Share of residential-proxy exits the feed names (they look like home addresses).
    resi_proxy_intel_coverage: float = 0.4

    # --- benign population (shares of the benign accounts) ---
    campus_share: float = 0.03
    cgnat_share: float = 0.08
    company_share: float = 0.04
    family_share: float = 0.06
    vpn_share: float = 0.05
    heavy_share: float = 0.02
    #: Mean IPs per benign account.
    ips_per_account: float = 3.0
    ipv6_share: float = 0.15
    #: Benign pairs per 1,000 benign accounts from popular prompt templates.
    benign_template_pairs_per_1k: float = 25.0
    campus_pairs_per_student: float = 1.2
    #: Research labs inside campuses: 5-25 students sharing a lab card and lab servers
    #: (datacenter IPs), running the same eval templates, first on a new model.
    #: Share of campus students in a lab.
    lab_share: float = 0.12
    company_pairs_per_member: float = 0.5
    #: Heavy users who also jump on the new model on release day.
    heavy_pivot_pairs_per_user: float = 0.5
    #: Course / hackathon cohorts: 15-150 people signing up within hours on the student
    #: plan with an event code, doing the same exercises (ring-like, benign).
    cohort_share: float = 0.004
    #: Small startups on the API plan: CI jobs on datacenter addresses, one company card,
    #: one API-key prefix, no verified organisation (ring-like, benign).
    startup_share: float = 0.006

    #: Per-seed spread of the benign population: every share and rate above is multiplied
    #: by a factor drawn per seed in [1 - vary, 1 + vary] (0 = exactly these values), so
    #: no two seeds have the same proportions of hard negatives.
    vary: float = 0.4

    def __post_init__(self) -> None:
        if not 2 <= self.ring_size_min <= self.ring_size_max:
            raise ValueError("need 2 <= ring_size_min <= ring_size_max")
        shares = (
            self.campus_share,
            self.cgnat_share,
            self.company_share,
            self.family_share,
            self.vpn_share,
            self.heavy_share,
            self.cohort_share,
            self.startup_share,
        )
        if min(shares) < 0 or sum(shares) > 1:
            raise ValueError("benign segment shares must be >= 0 and sum to at most 1")
        if not 0 <= self.vary < 1:
            raise ValueError("vary must be in [0, 1)")


#: The benign-population fields that :func:`jittered` varies per seed.
_VARIED = (
    "campus_share", "cgnat_share", "company_share", "family_share", "vpn_share", "heavy_share",
    "ips_per_account", "ipv6_share", "benign_template_pairs_per_1k", "campus_pairs_per_student",
    "lab_share", "company_pairs_per_member", "heavy_pivot_pairs_per_user", "cohort_share",
    "startup_share",
)  # fmt: skip
_SHARES = _VARIED[:6] + ("cohort_share", "startup_share")


def jittered(p: SynthParams, rng: np.random.Generator) -> SynthParams:
    """``p`` with each benign share and rate scaled by a per-seed factor in ``[1 - vary, 1 +
    vary]``.

    A detector fitted on several seeds then sees campuses, carriers, companies, ... in
    different proportions and strengths, not one fixed mix.
    """
    if p.vary <= 0:
        return p
    f = 1 + p.vary * (2 * rng.random(len(_VARIED)) - 1)
    changes = {k: getattr(p, k) * float(x) for k, x in zip(_VARIED, f)}
    changes["ipv6_share"] = min(changes["ipv6_share"], 0.9)
    total = sum(changes[k] for k in _SHARES)
    if total > 0.9:
        for k in _SHARES:
            changes[k] *= 0.9 / total
    return replace(p, **changes)


def default_ring_accounts(n_accounts: int) -> int:
    """24,000 ring accounts at a million benign ones, scaled down (floor 60) below."""
    return int(min(24_000, max(60, round(0.024 * n_accounts))))


def _ts(text: str) -> int:
    return int(np.datetime64(text, "s").astype(np.int64))


#: Oldest account in the platform.
PLATFORM_START = _ts("2023-01-01T00:00:00")
#: The export window the link tables aggregate over.
WINDOW_START = _ts("2026-01-05T00:00:00")
WINDOW_END = _ts("2026-02-16T00:00:00")
#: Release of the new model the campaigns pivot to within 24 h.
MODEL_RELEASE = _ts("2026-02-03T17:00:00")
#: Sign-up bursts of the campaigns fall in this range.
RING_BURSTS = (_ts("2025-11-10T00:00:00"), _ts("2026-01-31T00:00:00"))
#: Semester starts: campus sign-up bursts (a hard negative for signup_burst).
SEMESTER_STARTS = np.array(
    [
        _ts(d)
        for d in (
            "2023-09-04",
            "2024-01-29",
            "2024-09-02",
            "2025-01-27",
            "2025-09-01",
            "2026-01-26",
        )
    ]
)

# Proxy / VPN providers: (kind, datacenter, pool size at 1M accounts).  Their names are
# drawn per seed (:mod:`graphlink.synth.names`): no fixed provider list to key on.
PROVIDER_SPECS: list[tuple[str, bool, int]] = [
    ("vpn", True, 3000),
    ("vpn", True, 2500),
    ("vpn", True, 2000),
    ("dc_proxy", True, 6000),
    ("dc_proxy", True, 5000),
    ("resi_proxy", False, 20000),
    ("resi_proxy", False, 15000),
    ("gateway", True, 1500),
]
PROVIDER_KIND = np.array([p[0] for p in PROVIDER_SPECS])

# Disjoint first octets per kind of address space, so a random residential
# address never lands in a carrier's or provider's block by accident.
RESI_OCTETS = np.array(
    [
        24,
        31,
        37,
        46,
        47,
        50,
        62,
        67,
        68,
        69,
        70,
        71,
        72,
        73,
        75,
        76,
        77,
        78,
        79,
        80,
        81,
        82,
        83,
        84,
        85,
        86,
        87,
        88,
        90,
        92,
        93,
        94,
        95,
        96,
        97,
        98,
        99,
        108,
        109,
        112,
        115,
        116,
        118,
        121,
        122,
        124,
        125,
        151,
        176,
        177,
        178,
        179,
        180,
        181,
        182,
        183,
        186,
        187,
        188,
        189,
        190,
        200,
        201,
        210,
        211,
        212,
        213,
        217,
        218,
        219,
        220,
        221,
        222,
    ]
)
CARRIER_OCTETS = np.array([39, 42, 49, 101, 106, 110, 111, 113, 114, 117, 120, 223])
CAMPUS_OCTETS = np.array(
    [
        128,
        129,
        130,
        131,
        132,
        134,
        136,
        137,
        140,
        143,
        144,
        147,
        150,
        152,
        155,
        157,
        158,
        160,
        161,
        163,
        164,
        165,
    ]
)
COMPANY_OCTETS = np.array([12, 13, 15, 16, 17, 19, 32, 33, 38, 44, 48, 53, 56, 57, 63, 65, 74])
PROVIDER_OCTETS = np.array(
    [
        5,
        23,
        45,
        89,
        91,
        102,
        103,
        104,
        107,
        138,
        139,
        141,
        146,
        149,
        154,
        156,
        162,
        167,
        185,
        193,
        194,
        195,
        206,
        209,
    ]
)
CLOUD_OCTETS = np.array([3, 18, 34, 35, 52, 54])
V6_RESI_PREFIX = np.array(
    [0x2A02, 0x2A01, 0x2600, 0x2601, 0x2603, 0x2A00, 0x2405, 0x2409, 0x2804, 0x2406]
)
V6_PROVIDER_PREFIX = np.array([0x2A0D, 0x2A0E, 0x2602, 0x2A12])

RESI_ASNS = np.array(
    [
        7922,
        3320,
        3215,
        2856,
        701,
        20115,
        5089,
        6830,
        12322,
        3352,
        4134,
        9121,
        4766,
        17676,
        7018,
        22773,
        812,
        1221,
        4837,
        9829,
        6739,
        8708,
        3269,
        5432,
        1136,
        6805,
        28573,
        18881,
        8151,
        9299,
    ]
)
MOBILE_ASNS = np.array(
    [21928, 22394, 20057, 12430, 3209, 45609, 55836, 26599, 9808, 56040, 24560, 16232]
)
PROVIDER_ASNS = np.array([9009, 212238, 60068, 136787, 16276, 24940, 14061, 20473, 51167, 62240])
CLOUD_ASNS = np.array([16509, 14618, 15169, 396982, 8075])

COUNTRIES = np.array(
    [
        "US",
        "IN",
        "GB",
        "DE",
        "FR",
        "BR",
        "CA",
        "JP",
        "KR",
        "ES",
        "IT",
        "NL",
        "AU",
        "PL",
        "MX",
        "ID",
        "TR",
        "VN",
        "PH",
        "NG",
        "SG",
        "SE",
        "CH",
        "IE",
        "AR",
        "CO",
        "EG",
        "ZA",
        "TW",
        "IL",
    ]
)
COUNTRY_W = np.array(
    [30, 9, 6, 6, 4, 5, 4, 4, 3, 3, 3, 2, 2, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1],
    dtype=float,
)
COUNTRY_W /= COUNTRY_W.sum()

WEBMAIL = np.array(
    [
        "gmail.com",
        "outlook.com",
        "yahoo.com",
        "icloud.com",
        "hotmail.com",
        "proton.me",
        "qq.com",
        "gmx.de",
        "mail.ru",
        "naver.com",
        "yandex.ru",
        "163.com",
    ]
)
WEBMAIL_W = np.array([45, 12, 6, 8, 4, 2, 3, 2, 2, 2, 1, 2], dtype=float)
WEBMAIL_W /= WEBMAIL_W.sum()
