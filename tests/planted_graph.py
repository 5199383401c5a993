"""A small, hand-planted graph that follows ``docs/graph-model.md`` exactly.

Used by the saved-query and report tests so every query has a known answer:

* ring ``r01..r08`` (+ verified-org account ``v01``) shares prepaid card
  ``pi-prepaid-1`` and proxy IPs of provider ``SwiftProxy``; ``r01..r04`` use
  IPs .10/.11, ``r05..r08`` use .12/.13, so ``r01``–``r08`` are linked only
  by the card (and a chain of ``SIMILAR_TO`` prompt-template pairs);
* ring ``s01..s04`` shares credit card ``pi-shared-2``; ``s01`` and ``r05``
  both use IP ``198.51.100.7`` (a bridge between the two clusters);
* a benign family ``b01..b03`` shares a card, old accounts;
* new signups ``n01`` (uses a ring proxy IP) and ``n02`` (touches nothing);
* detection runs ``run-1`` (``c-000001`` = r01..r05, ``c-000003`` = r06..r08),
  ``run-2`` (current: ``c-000001`` = r01..r08 + v01, merged from both, and
  ``c-000002`` = s01..s04), ``run-3`` still ``running`` (must be ignored);
* ban waves ``wave-0001`` (run-1, r01..r05) and ``wave-0002`` (run-2,
  r01..r08 + v01, ``PREVIOUS`` -> wave-0001).

All writes are parameterised ``UNWIND $rows`` statements.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from graphlink.store import GraphStore

T0 = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
RING = [f"r{i:02d}" for i in range(1, 9)]
RING2 = [f"s{i:02d}" for i in range(1, 5)]
FAMILY = ["b01", "b02", "b03"]
PROTECTED = "v01"
NEW_RISKY, NEW_CLEAN = "n01", "n02"
PROVIDER = "SwiftProxy"
PREPAID = "pi-prepaid-1"
BRIDGE_IP = "198.51.100.7"
SINCE = datetime(2026, 11, 19, tzinfo=UTC)


def _accounts() -> list[dict[str, Any]]:
    rows = []
    for i, a in enumerate(RING):
        rows.append(
            dict(
                account_id=a,
                created_at=T0 + timedelta(minutes=7 * i),
                plan="free",
                country="SG",
                email_domain="mailbox.example",
                org_id=None,
                status="active",
            )
        )
    rows.append(
        dict(
            account_id=PROTECTED,
            created_at=T0 + timedelta(hours=2),
            plan="team",
            country="US",
            email_domain="acme.example",
            org_id="org-acme",
            status="active",
        )
    )
    for i, a in enumerate(RING2):
        rows.append(
            dict(
                account_id=a,
                created_at=T0 + timedelta(days=3, minutes=i),
                plan="pro",
                country="BR",
                email_domain="fast.example",
                org_id=None,
                status="active",
            )
        )
    for i, a in enumerate(FAMILY):
        rows.append(
            dict(
                account_id=a,
                created_at=datetime(2026, 1, 5 + i, tzinfo=UTC),
                plan="pro",
                country="DE",
                email_domain="mailbox.example",  # webmail: shared with the ring, as in life
                org_id=None,
                status="active",
            )
        )
    rows.append(
        dict(
            account_id=NEW_RISKY,
            created_at=datetime(2026, 11, 20, 9, tzinfo=UTC),
            plan="free",
            country="SG",
            email_domain="mailbox.example",
            org_id=None,
            status="active",
        )
    )
    rows.append(
        dict(
            account_id=NEW_CLEAN,
            created_at=datetime(2026, 11, 20, 10, tzinfo=UTC),
            plan="free",
            country="FR",
            email_domain="ok.example",
            org_id=None,
            status="active",
        )
    )
    return rows


def _payments() -> list[dict[str, Any]]:
    rows = [
        dict(account_id=a, instrument_id=PREPAID, kind="prepaid", bin="411111", issuer_country="SG")
        for a in [*RING, PROTECTED]
    ]
    rows += [
        dict(
            account_id=a,
            instrument_id="pi-shared-2",
            kind="credit",
            bin="522222",
            issuer_country="BR",
        )
        for a in RING2
    ]
    rows += [
        dict(
            account_id=a,
            instrument_id="pi-family",
            kind="credit",
            bin="533333",
            issuer_country="DE",
        )
        for a in FAMILY
    ]
    rows.append(
        dict(
            account_id=NEW_CLEAN,
            instrument_id="pi-own-n02",
            kind="debit",
            bin="544444",
            issuer_country="FR",
        )
    )
    return [dict(r, first_seen=T0) for r in rows]


def _ips() -> list[dict[str, Any]]:
    rows = []
    proxy = dict(asn=64500, proxy_provider=PROVIDER, is_datacenter=True)
    for i, a in enumerate(RING):
        pair = ["203.0.113.10", "203.0.113.11"] if i < 4 else ["203.0.113.12", "203.0.113.13"]
        for j, ip in enumerate(pair):
            start = T0 + timedelta(minutes=7 * i + 1)
            rows.append(
                dict(
                    account_id=a,
                    ip=ip,
                    first_seen=start + timedelta(hours=j),
                    last_seen=start + timedelta(days=10 + i),
                    requests=1000 + i,
                    **proxy,
                )
            )
    rows.append(
        dict(
            account_id=PROTECTED,
            ip="203.0.113.10",
            first_seen=T0 + timedelta(hours=2),
            last_seen=T0 + timedelta(days=12),
            requests=50,
            **proxy,
        )
    )
    rows.append(
        dict(
            account_id=NEW_RISKY,
            ip="203.0.113.10",
            first_seen=datetime(2026, 11, 20, 9, 5, tzinfo=UTC),
            last_seen=datetime(2026, 11, 21, tzinfo=UTC),
            requests=400,
            **proxy,
        )
    )
    bridge = dict(ip=BRIDGE_IP, asn=64501, proxy_provider="", is_datacenter=True)
    for a in ("r05", "s01"):
        rows.append(
            dict(
                account_id=a,
                first_seen=T0 + timedelta(days=4),
                last_seen=T0 + timedelta(days=9),
                requests=77,
                **bridge,
            )
        )
    for a in RING2:
        rows.append(
            dict(
                account_id=a,
                ip="198.51.100.20",
                asn=64501,
                proxy_provider="",
                is_datacenter=False,
                first_seen=T0 + timedelta(days=3),
                last_seen=T0 + timedelta(days=8),
                requests=300,
            )
        )
    for a in FAMILY:
        rows.append(
            dict(
                account_id=a,
                ip="192.0.2.1",
                asn=64502,
                proxy_provider="",
                is_datacenter=False,
                first_seen=datetime(2026, 1, 5, tzinfo=UTC),
                last_seen=datetime(2026, 11, 1, tzinfo=UTC),
                requests=20,
            )
        )
    return rows


def _identifiers() -> list[dict[str, Any]]:
    return [dict(account_id=a, kind="device", value="dev-ring-1", first_seen=T0) for a in RING[:3]]


def _similarity() -> list[dict[str, Any]]:
    return [
        dict(a=RING[i], b=RING[i + 1], signal="prompt_template", score=0.9 + i / 100)
        for i in range(len(RING) - 1)
    ]


def _runs() -> list[dict[str, Any]]:
    return [
        dict(run_id="run-1", created_at=datetime(2026, 11, 10, tzinfo=UTC), status="complete"),
        dict(run_id="run-2", created_at=datetime(2026, 11, 15, tzinfo=UTC), status="complete"),
        dict(run_id="run-3", created_at=datetime(2026, 11, 16, tzinfo=UTC), status="running"),
    ]


def _clusters() -> list[dict[str, Any]]:
    ring_reasons = ["prepaid_card_shared", "proxy_provider", "prompt_template"]
    return [
        dict(
            run_id="run-1", cluster_id="c-000001", risk=0.8, reasons=ring_reasons, members=RING[:5]
        ),
        dict(
            run_id="run-1",
            cluster_id="c-000003",
            risk=0.6,
            reasons=["proxy_provider"],
            members=RING[5:],
        ),
        dict(
            run_id="run-2",
            cluster_id="c-000001",
            risk=0.93,
            reasons=ring_reasons,
            members=[*RING, PROTECTED],
        ),
        dict(
            run_id="run-2",
            cluster_id="c-000002",
            risk=0.55,
            reasons=["shared_payment"],
            members=RING2,
        ),
        dict(
            run_id="run-3", cluster_id="c-000001", risk=0.1, reasons=["shared_ip"], members=RING[:2]
        ),
    ]


def _continues() -> list[dict[str, Any]]:
    return [
        dict(src="run-2/c-000001", dst="run-1/c-000001", jaccard=5 / 9),
        dict(src="run-2/c-000001", dst="run-1/c-000003", jaccard=3 / 9),
    ]


def _waves() -> list[dict[str, Any]]:
    return [
        dict(
            wave_id="wave-0001",
            created_at=datetime(2026, 11, 11, tzinfo=UTC),
            run_id="run-1",
            cluster_id="c-000001",
            cluster_risk=0.8,
            members=RING[:5],
            previous=None,
        ),
        dict(
            wave_id="wave-0002",
            created_at=datetime(2026, 11, 16, tzinfo=UTC),
            run_id="run-2",
            cluster_id="c-000001",
            cluster_risk=0.93,
            members=[*RING, PROTECTED],
            previous="wave-0001",
        ),
    ]


_WRITE_ACCOUNTS = """
UNWIND $rows AS row
MERGE (a:Account {account_id: row.account_id})
SET a.created_at = row.created_at, a.plan = row.plan, a.country = row.country,
    a.email_domain = row.email_domain, a.org_id = row.org_id, a.status = row.status
WITH a, row WHERE row.org_id IS NOT NULL
MERGE (o:Org {org_id: row.org_id})
MERGE (a)-[:IN_ORG]->(o)
"""

_WRITE_PAYMENTS = """
UNWIND $rows AS row
MATCH (a:Account {account_id: row.account_id})
MERGE (p:PaymentInstrument {instrument_id: row.instrument_id})
SET p.kind = row.kind, p.bin = row.bin, p.issuer_country = row.issuer_country,
    p.first_seen = row.first_seen
MERGE (a)-[r:PAID_WITH]->(p) SET r.first_seen = row.first_seen
"""

_WRITE_IPS = """
UNWIND $rows AS row
MATCH (a:Account {account_id: row.account_id})
MERGE (i:IP {ip: row.ip})
SET i.asn = row.asn, i.proxy_provider = row.proxy_provider, i.is_datacenter = row.is_datacenter
MERGE (n:ASN {asn: row.asn})
MERGE (i)-[:IN_ASN]->(n)
MERGE (a)-[u:USED_IP]->(i)
SET u.first_seen = row.first_seen, u.last_seen = row.last_seen, u.requests = row.requests,
    u.snapshots = ['planted']
WITH i, row WHERE row.proxy_provider <> ''
MERGE (pp:ProxyProvider {name: row.proxy_provider})
MERGE (i)-[:VIA_PROVIDER]->(pp)
"""

_WRITE_IDENTIFIERS = """
UNWIND $rows AS row
MATCH (a:Account {account_id: row.account_id})
MERGE (i:Identifier {key: row.kind + ':' + row.value})
SET i.kind = row.kind, i.value = row.value
MERGE (a)-[h:HAS_IDENTIFIER]->(i) SET h.first_seen = row.first_seen
"""

_WRITE_SIMILARITY = """
UNWIND $rows AS row
MATCH (a:Account {account_id: row.a}), (b:Account {account_id: row.b})
MERGE (a)-[s:SIMILAR_TO {signal: row.signal}]->(b) SET s.score = row.score
"""

_WRITE_RUNS = """
UNWIND $rows AS row
MERGE (r:DetectionRun {run_id: row.run_id})
SET r.created_at = row.created_at, r.status = row.status, r.algorithm = 'leiden',
    r.objective = 'CPM', r.resolution = 0.05, r.seed = 42, r.n_iterations = 10,
    r.params_json = '{}', r.stage_seconds_json = '{}'
"""

_WRITE_CLUSTERS = """
UNWIND $rows AS row
MATCH (r:DetectionRun {run_id: row.run_id})
MERGE (c:Cluster {cluster_key: row.run_id + '/' + row.cluster_id})
SET c.cluster_id = row.cluster_id, c.run_id = row.run_id, c.size = size(row.members),
    c.risk = row.risk, c.reasons = row.reasons, c.features_json = '{}'
MERGE (c)-[:IN_RUN]->(r)
WITH c, row
UNWIND row.members AS account_id
MATCH (a:Account {account_id: account_id})
MERGE (a)-[m:MEMBER_OF]->(c)
SET m.run_id = row.run_id, m.account_risk = row.risk, m.reasons = row.reasons
"""

_WRITE_CONTINUES = """
UNWIND $rows AS row
MATCH (a:Cluster {cluster_key: row.src}), (b:Cluster {cluster_key: row.dst})
MERGE (a)-[k:CONTINUES]->(b) SET k.jaccard = row.jaccard
"""

_WRITE_WAVES = """
UNWIND $rows AS row
MERGE (w:BanWave {wave_id: row.wave_id})
SET w.created_at = row.created_at, w.run_id = row.run_id, w.min_risk = 0.7, w.params_json = '{}',
    w.evidence_json = '{}', w.n_accounts = size(row.members), w.n_clusters = 1,
    w.protected_skipped = 0, w.committed = true
WITH w, row
UNWIND row.members AS account_id
MATCH (a:Account {account_id: account_id})
MERGE (w)-[i:INCLUDES]->(a)
SET i.reasons = ['prepaid_card_shared', 'proxy_provider'], i.cluster_id = row.cluster_id,
    i.cluster_risk = row.cluster_risk
"""

_LINK_WAVES = """
UNWIND $rows AS row
MATCH (w:BanWave {wave_id: row.wave_id}), (p:BanWave {wave_id: row.previous})
MERGE (w)-[:PREVIOUS]->(p)
"""


def plant(store: GraphStore) -> None:
    """Write the planted graph (idempotent: every write MERGEs on the model's keys)."""
    for name, text, rows in [
        ("accounts", _WRITE_ACCOUNTS, _accounts()),
        ("payments", _WRITE_PAYMENTS, _payments()),
        ("ips", _WRITE_IPS, _ips()),
        ("identifiers", _WRITE_IDENTIFIERS, _identifiers()),
        ("similarity", _WRITE_SIMILARITY, _similarity()),
        ("runs", _WRITE_RUNS, _runs()),
        ("clusters", _WRITE_CLUSTERS, _clusters()),
        ("continues", _WRITE_CONTINUES, _continues()),
        ("waves", _WRITE_WAVES, _waves()),
        ("wave_links", _LINK_WAVES, [w for w in _waves() if w["previous"]]),
    ]:
        store.query(text, {"rows": rows}, name=f"tests/plant/{name}", write=True)
