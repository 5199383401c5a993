"""The store seam: Neo4j values leave it as Python values, and every transaction
carries the configured timeout (``GRAPHLINK_QUERY_TIMEOUT``)."""

from __future__ import annotations

import time
from datetime import date, datetime

import pytest

from graphlink.config import Settings
from graphlink.errors import StoreError
from graphlink.store import GraphStore

# Counting to 10^10 takes Neo4j minutes: only a timeout ends it early.
ENDLESS = "UNWIND range(1, 100000) AS a UNWIND range(1, 100000) AS b RETURN count(*) AS n"


def test_temporal_values_are_python_values(session_store: GraphStore) -> None:
    q = ("RETURN datetime('2026-01-02T03:04:05Z') AS at, date('2026-01-02') AS day, "
         "[datetime('2026-01-02T03:04:05Z')] AS ats, {at: date('2026-01-02')} AS m, 'x' AS s")
    (row,) = session_store.query(q)
    assert type(row["at"]) is datetime and row["at"].isoformat() == "2026-01-02T03:04:05+00:00"
    assert type(row["day"]) is date
    assert type(row["ats"][0]) is datetime and type(row["m"]["at"]) is date
    df = session_store.query_df(q)
    # pandas keeps a column of datetimes as its Timestamp (a datetime subclass)
    assert isinstance(df["at"].iloc[0], datetime) and type(df["day"].iloc[0]) is date
    assert not any(hasattr(v, "to_native") for v in df.iloc[0])
    assert df["s"].iloc[0] == "x"


def test_query_timeout_reaches_the_server(settings: Settings) -> None:
    short = settings.model_copy(update={"query_timeout": 1.0})
    with GraphStore.from_settings(short) as store:
        assert store.query_timeout == 1.0
        t = time.perf_counter()
        with pytest.raises(StoreError, match="(?i)timed? ?out|terminated"):
            store.query(ENDLESS, name="tests/endless")
        assert time.perf_counter() - t < 60
        with pytest.raises(StoreError, match="tests/endless"):
            store.query_df(ENDLESS, name="tests/endless")
    # The default (300 s) is what the settings say, and a normal query is unaffected.
    with GraphStore.from_settings(settings) as store:
        assert store.query_timeout == settings.query_timeout == 300.0
        assert store.query("RETURN 1 AS n") == [{"n": 1}]
