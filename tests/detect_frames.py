"""Small hand-made link frames for detection tests (no generator dependency).

A benign background (own cards and home IPs, a few households sharing an
IP), three benign look-alikes that must not be flagged - a campus behind a
NAT signing up in a burst on the edu plan, a CGNAT IP with hundreds of users,
a verified company sharing a corporate card and office IP - and planted
rings: prepaid cards and proxy IPs shared, devices, prompt-template
similarity, sign-ups within a day, entry plans, heavy request volume.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from graphlink.model import Links

T0 = pd.Timestamp("2025-06-01", tz="UTC")


def make_links(
    n_benign: int = 2000, ring_sizes: tuple[int, ...] = (60, 25), seed: int = 1,
    prefix: str = "",
) -> tuple[Links, pd.DataFrame]:
    """Links plus truth (``account_id, group``: 'benign', 'campus', 'cgnat', 'company',
    'ring-i')."""
    rng = np.random.default_rng(seed)
    acc: list[dict] = []
    pay: list[dict] = []
    ips: list[dict] = []
    idf: list[dict] = []
    sim: list[dict] = []
    truth: list[tuple[str, str]] = []

    def account(aid: str, group: str, created: pd.Timestamp, plan: str, org: str | None = None):
        acc.append(
            {
                "account_id": aid,
                "created_at": created,
                "email_domain": "mail.test",
                "country": "US",
                "plan": plan,
                "org_id": org,
                "status": "active",
            }
        )
        truth.append((aid, group))

    def ip(aid: str, addr: str, requests: int, proxy: str | None = None, dc: bool = False):
        ips.append(
            {
                "account_id": aid,
                "ip": addr,
                "first_seen": T0,
                "last_seen": T0,
                "requests": requests,
                "asn": 64500,
                "proxy_provider": proxy,
                "is_datacenter": dc,
            }
        )

    benign = [f"{prefix}b{i:05d}" for i in range(n_benign)]
    for i, aid in enumerate(benign):
        created = T0 + pd.Timedelta(seconds=int(rng.integers(0, 700 * 86400)))
        account(aid, "benign", created, str(rng.choice(["free", "pro", "pro", "team"])))
        pay.append(
            {
                "account_id": aid,
                "instrument_id": f"{prefix}card-{i}",
                "kind": "card",
                "bin": "411111",
                "issuer_country": "US",
            }
        )
        ip(aid, f"10.{i // 250}.{i % 250}.1", int(rng.integers(10, 500)))
        if rng.random() < 0.3:  # a few benign VPN users
            ip(aid, f"172.16.{i % 7}.9", 5, proxy="nordish", dc=True)
    # Households: pairs sharing a home IP.
    for j in range(0, min(n_benign, 400), 2):
        ip(benign[j + 1], f"10.{j // 250}.{j % 250}.1", 30)
    # CGNAT: one mobile carrier IP used by 600 benign accounts.
    for aid in benign[400:1000]:
        ip(aid, "100.64.0.1", 20)

    # Campus: 150 edu accounts behind 2 NAT IPs, sign-up burst in one day.
    for k in range(150):
        aid = f"{prefix}u{k:04d}"
        account(
            aid, "campus", T0 + pd.Timedelta(days=90, minutes=int(rng.integers(0, 1400))), "edu"
        )
        ip(aid, f"192.0.2.{k % 2}", int(rng.integers(10, 200)))
        pay.append(
            {
                "account_id": aid,
                "instrument_id": f"{prefix}ucard-{k}",
                "kind": "card",
                "bin": "422222",
                "issuer_country": "US",
            }
        )
    # Company: 60 verified-org accounts sharing a corporate card and the office IP.
    for k in range(60):
        aid = f"{prefix}co{k:03d}"
        account(aid, "company", T0 + pd.Timedelta(days=200, hours=k), "enterprise", org="org-acme")
        ip(aid, "198.51.100.7", int(rng.integers(100, 2000)))
        pay.append(
            {
                "account_id": aid,
                "instrument_id": f"{prefix}corp-card",
                "kind": "card",
                "bin": "433333",
                "issuer_country": "US",
            }
        )

    # Rings.
    for r, size in enumerate(ring_sizes):
        members = [f"{prefix}r{r}-{k:03d}" for k in range(size)]
        start = T0 + pd.Timedelta(days=300 + 20 * r)
        for k, aid in enumerate(members):
            account(
                aid,
                f"ring-{r}",
                start + pd.Timedelta(minutes=int(rng.integers(0, 1200))),
                str(rng.choice(["free", "edu", "startup"])),
            )
            pay.append(
                {
                    "account_id": aid,
                    "instrument_id": f"{prefix}prepaid-{r}-{k % 3}",
                    "kind": "card",
                    "bin": "423916",
                    "issuer_country": "PA",
                }
            )
            for p in rng.choice(8, size=2, replace=False):
                ip(aid, f"203.0.{r}.{p}", int(rng.integers(5000, 20000)), proxy="proxyco", dc=True)
            idf.append({"account_id": aid, "kind": "device", "value": f"{prefix}dev-{r}-{k % 5}"})
        for k in range(size):
            for d in (1, 2):
                a, b = sorted((members[k], members[(k + d) % size]))
                sim.append(
                    {"account_a": a, "account_b": b, "score": 0.9, "signal": "prompt_template"}
                )
    links = Links(
        accounts=pd.DataFrame(acc),
        payments=pd.DataFrame(pay),
        ips=pd.DataFrame(ips),
        identifiers=pd.DataFrame(idf, columns=["account_id", "kind", "value"]),
        similarity=pd.DataFrame(
            sim, columns=["account_a", "account_b", "score", "signal"]
        ).drop_duplicates(["account_a", "account_b", "signal"]),
    )
    return links, pd.DataFrame(truth, columns=["account_id", "group"])


def add_dc_group(
    links: Links, truth: pd.DataFrame, *, size: int = 36, seed: int = 5, prefix: str = "dc",
    created_over_days: int = 3, org_id: str | None = None, email_domain: str | None = None,
    group: str = "ring-dc",
) -> tuple[Links, pd.DataFrame]:
    """A small synchronized datacenter group of the kind no default was tuned on.

    An unlisted plan (``qx-api``), cards of unlisted BINs, datacenter IPs that
    no proxy feed names, two payment instruments for the whole group, a
    near-complete ``timing_sync`` clique and a shared API-key prefix; created
    over ``created_over_days`` days (aged or bought accounts: years), in
    ``org_id`` when given (a fake "verified" org), every member on ``email_domain``
    when given (a company on its own domain), labelled ``group`` in the truth.
    """
    rng = np.random.default_rng(seed)
    members = [f"{prefix}{k:03d}" for k in range(size)]
    start = T0 + pd.Timedelta(days=410)
    acc = [
        {
            "account_id": a,
            "created_at": start - pd.Timedelta(days=created_over_days - 3)
            + pd.Timedelta(minutes=int(rng.integers(0, created_over_days * 1440))),
            "email_domain": email_domain or (f"{prefix}-mail.test" if k % 3 else "mail.test"),
            "country": "US",
            "plan": "qx-api",
            "org_id": org_id,
            "status": "active",
        }
        for k, a in enumerate(members)
    ]
    pay = [
        {
            "account_id": a,
            "instrument_id": f"{prefix}-inst-{k % 2}",
            "kind": "card",
            "bin": "987654" if k % 2 else "876543",
            "issuer_country": "US",
        }
        for k, a in enumerate(members)
    ]
    ips = [
        {
            "account_id": a,
            "ip": f"198.18.{seed}.{p}",
            "first_seen": T0,
            "last_seen": T0,
            "requests": int(rng.integers(2000, 9000)),
            "asn": 64999,
            "proxy_provider": None,
            "is_datacenter": True,
        }
        for a in members
        for p in rng.choice(6, size=2, replace=False)
    ]
    idf = [{"account_id": a, "kind": "api_key_prefix", "value": f"{prefix}-sk-77"} for a in members]
    sim = [
        {"account_a": a, "account_b": b, "score": 0.85, "signal": "timing_sync"}
        for i, a in enumerate(members)
        for b in members[i + 1 :]
        if rng.random() < 0.9
    ]
    return _extend(links, truth, acc, pay, ips, idf, sim, group)


def add_campus_lab(
    links: Links, truth: pd.DataFrame, *, size: int = 15, seed: int = 6, prefix: str = "lab"
) -> tuple[Links, pd.DataFrame]:
    """A research lab inside the campus of :func:`make_links`: looks ring-like, is not.

    Students created over two years on the edu plan with the university's mail
    domain, behind the campus NAT, sharing the lab's card and two lab servers
    (datacenter IPs), running the same evaluation templates.
    """
    rng = np.random.default_rng(seed)
    members = [f"{prefix}{k:03d}" for k in range(size)]
    acc = [
        {
            "account_id": a,
            "created_at": T0 + pd.Timedelta(days=int(rng.integers(0, 700))),
            "email_domain": "uni.test",
            "country": "US",
            "plan": "edu",
            "org_id": None,
            "status": "active",
        }
        for a in members
    ]
    pay = [
        {
            "account_id": a,
            "instrument_id": f"{prefix}-card",
            "kind": "card",
            "bin": "422222",
            "issuer_country": "US",
        }
        for a in members
    ]
    ips = [
        {
            "account_id": a,
            "ip": f"192.0.2.{k % 2}",
            "first_seen": T0,
            "last_seen": T0,
            "requests": int(rng.integers(50, 400)),
            "asn": 64501,
            "proxy_provider": None,
            "is_datacenter": False,
        }
        for k, a in enumerate(members)
    ] + [
        {
            "account_id": a,
            "ip": f"192.0.3.{k % 2}",
            "first_seen": T0,
            "last_seen": T0,
            "requests": int(rng.integers(200, 2000)),
            "asn": 64501,
            "proxy_provider": None,
            "is_datacenter": True,
        }
        for k, a in enumerate(members)
    ]
    sim = [
        {"account_a": a, "account_b": b, "score": 0.7, "signal": "prompt_template"}
        for i, a in enumerate(members)
        for b in members[i + 1 :]
    ]
    return _extend(links, truth, acc, pay, ips, [], sim, "campus-lab")


def _extend(
    links: Links,
    truth: pd.DataFrame,
    acc: list[dict],
    pay: list[dict],
    ips: list[dict],
    idf: list[dict],
    sim: list[dict],
    group: str,
) -> tuple[Links, pd.DataFrame]:
    def cat(frame: pd.DataFrame, rows: list[dict]) -> pd.DataFrame:
        return (
            pd.concat([frame, pd.DataFrame(rows, columns=frame.columns)], ignore_index=True)
            if rows
            else frame
        )

    out = Links(
        accounts=cat(links.accounts, acc),
        payments=cat(links.payments, pay),
        ips=cat(links.ips, ips),
        identifiers=cat(links.identifiers, idf),
        similarity=cat(links.similarity, sim),
    )
    more = pd.DataFrame({"account_id": [r["account_id"] for r in acc], "group": group})
    return out, pd.concat([truth, more], ignore_index=True)
