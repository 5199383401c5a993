"""Where detection's input comes from: Neo4j (production) or a generated scenario.

:func:`read_links` reads everything detection links accounts by with a few
big, index-free scans (``cypher/internal/detect/*.cypher``), each streamed
as plain value lists into column arrays: ids and numbers only, datetimes as
epoch milliseconds (a Neo4j ``DateTime`` per row costs more to decode than
the rest of the row).  IP attributes travel once per IP, not once per
(account, IP) link, and are joined back in pandas.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd

from graphlink.model import (
    IDENTIFIER_COLUMNS, IP_COLUMNS, PAYMENT_COLUMNS, SIMILARITY_COLUMNS, Links,
)
from graphlink.store import GraphStore


def _frame(store: GraphStore, name: str, columns: list[str], fetch_size: int) -> pd.DataFrame:
    cols: list[list[Any]] = [[] for _ in columns]
    appends = [c.append for c in cols]
    for values in store.stream(name, fetch_size=fetch_size):
        for app, v in zip(appends, values):
            app(v)
    return pd.DataFrame(dict(zip(columns, cols)))


def _ms_to_ts(ms: pd.Series) -> pd.Series:
    return pd.to_datetime(pd.to_numeric(ms, errors="coerce"), unit="ms", utc=True)


def read_links(
    store: GraphStore, *, fetch_size: int = 100_000, progress: Callable[[str], None] | None = None
) -> Links:
    """Read :class:`Links` back from the graph (what investigators see is what detection uses).

    ``ips.first_seen``/``last_seen`` are not read (detection does not use them;
    NaT), which halves the size of the largest read.
    """
    say = progress or (lambda _s: None)
    say("accounts")
    acc = _frame(store, "detect/accounts",
                 ["account_id", "created_ms", "email_domain", "country", "plan", "org_id", "status"],
                 fetch_size)
    acc.insert(1, "created_at", _ms_to_ts(acc.pop("created_ms")))
    say("payment instruments")
    pay = _frame(store, "detect/payments", PAYMENT_COLUMNS, fetch_size)
    say("IPs")
    ip_nodes = _frame(store, "detect/ip_nodes", ["ip", "asn", "proxy_provider", "is_datacenter"],
                      fetch_size)
    used = _frame(store, "detect/used_ip", ["account_id", "ip", "requests"], fetch_size)
    ips = used.merge(ip_nodes, on="ip", how="left")
    ips["first_seen"] = pd.Series(pd.NaT, index=ips.index, dtype="datetime64[ns, UTC]")
    ips["last_seen"] = ips["first_seen"]
    ips["is_datacenter"] = ips["is_datacenter"].fillna(False).astype(bool)
    ips = ips[IP_COLUMNS]
    say("identifiers")
    idf = _frame(store, "detect/identifiers", IDENTIFIER_COLUMNS, fetch_size)
    say("similarity")
    sim = _frame(store, "detect/similarity", SIMILARITY_COLUMNS, fetch_size)
    return Links(accounts=acc, payments=pay, ips=ips, identifiers=idf, similarity=sim)


def links_from_scenario(scenario: Any) -> Links:
    """:class:`Links` straight from a generated scenario (``graphlink.synth``), no Neo4j.

    Takes the scenario's input tables (as the ingest spec names them) and keeps
    the columns :class:`Links` carries; missing optional columns become null.
    """

    def table(*names: str) -> pd.DataFrame:
        for n in names:
            v = getattr(scenario, n, None)
            if v is None and isinstance(getattr(scenario, "tables", None), dict):
                v = scenario.tables.get(n)
            if isinstance(v, pd.DataFrame):
                return v
        return pd.DataFrame()

    def cols(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
        out = pd.DataFrame(index=frame.index)
        for c in columns:
            out[c] = frame[c] if c in frame else None
        return out.reset_index(drop=True)

    acc = table("accounts").copy()
    acc["created_at"] = pd.to_datetime(acc["created_at"], utc=True, errors="coerce")
    ips = cols(table("ip_observations", "ips"), IP_COLUMNS)
    if len(ips):
        ips["is_datacenter"] = ips["is_datacenter"].map(
            lambda v: str(v).strip().lower() in ("true", "1", "t") if v is not None else False
        ).astype(bool) if ips["is_datacenter"].dtype != bool else ips["is_datacenter"]
    return Links(
        accounts=acc,
        payments=cols(table("payment_instruments", "payments"), PAYMENT_COLUMNS),
        ips=ips,
        identifiers=cols(table("identifiers"), IDENTIFIER_COLUMNS),
        similarity=cols(table("behaviour_similarity", "similarity"), SIMILARITY_COLUMNS),
    )


__all__ = ["read_links", "links_from_scenario"]
