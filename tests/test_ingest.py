"""Ingest against the real Neo4j: validation, merge rules, idempotency, formats, CLI."""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from graphlink.errors import IngestError
from graphlink.ingest.job import run_ingest
from graphlink.ingest.read import RawBatch, TableFile, iter_batches
from graphlink.ingest.tables import IDENTIFIERS, IP_OBSERVATIONS
from graphlink.ingest.validate import is_raw_card_number, luhn_valid, mask_card_numbers, validate
from graphlink.store import GraphStore

REPO = Path(__file__).resolve().parent.parent

ACCOUNTS = [
    {"account_id": "a1", "created_at": "2026-01-01T00:00:00Z", "email_domain": "example.com",
     "country": "US", "plan": "free", "org_id": "", "status": ""},
    {"account_id": "a2", "created_at": "2026-01-02T02:00:00+02:00", "email_domain": "example.com",
     "country": "US", "plan": "pro", "org_id": "org1", "status": "active"},
    {"account_id": "a3", "created_at": "2026-01-03 10:00:00", "email_domain": "x.com",
     "country": "", "plan": "team", "org_id": "org1", "status": "suspended"},
]
IPS = [
    {"account_id": "a1", "ip": "2001:DB8::1", "first_seen": "2026-01-01T00:00:00Z",
     "last_seen": "2026-01-05T00:00:00Z", "requests": "10", "asn": "64500",
     "proxy_provider": "BrightProxy", "is_datacenter": "true"},
    {"account_id": "a2", "ip": "2001:db8:0::1", "first_seen": "2026-01-02T00:00:00Z",
     "last_seen": "2026-01-04T00:00:00Z", "requests": "5", "asn": "64500",
     "proxy_provider": "BrightProxy", "is_datacenter": "1"},
    {"account_id": "a3", "ip": "10.0.0.1", "first_seen": "2026-01-01T00:00:00Z",
     "last_seen": "2026-01-05T00:00:00Z", "requests": "7", "asn": "", "proxy_provider": "",
     "is_datacenter": ""},
]
PAYMENTS = [
    {"account_id": "a1", "instrument_id": "fp_abc", "kind": "card", "bin": "411111",
     "issuer_country": "US", "first_seen": "2026-01-01T00:00:00Z"},
    {"account_id": "a2", "instrument_id": "fp_abc", "kind": "card", "bin": "411111",
     "issuer_country": "US", "first_seen": "2025-12-01T00:00:00Z"},
]
IDENTS = [
    {"account_id": "a1", "kind": "device", "value": "dev1", "first_seen": ""},
    {"account_id": "a2", "kind": "device", "value": "dev1", "first_seen": "2026-01-01T00:00:00Z"},
]
SIMS = [
    {"account_a": "a2", "account_b": "a1", "score": "0.8", "signal": "prompt_template"},
    {"account_a": "a1", "account_b": "a2", "score": "0.9", "signal": "prompt_template"},
    {"account_a": "a3", "account_b": "a1", "score": "0.4", "signal": "timing_sync"},
]
BASE = {
    "accounts": ACCOUNTS,
    "ip_observations": IPS,
    "payment_instruments": PAYMENTS,
    "identifiers": IDENTS,
    "behaviour_similarity": SIMS,
}


def write_snapshot(d: Path, tables: dict[str, list[dict[str, str]]], fmt: str = "csv") -> Path:
    d.mkdir(parents=True, exist_ok=True)
    for name, rows in tables.items():
        df = pd.DataFrame(rows, dtype=object)
        if fmt == "parquet":
            df.replace("", None).to_parquet(d / f"{name}.parquet", index=False)
        else:
            df.to_csv(d / f"{name}.{fmt}", index=False)
    return d


KEY_PROPS = ("account_id", "ip", "instrument_id", "key", "asn", "name", "org_id", "ingest_id")


def graph_dump(store: GraphStore, *, with_runs: bool = True) -> list[str]:
    """Every node and relationship with all its properties, canonical and sorted."""
    nodes = store.query(
        "MATCH (n) WHERE $runs OR NOT n:IngestRun "
        "RETURN labels(n) AS l, properties(n) AS p, elementId(n) AS id",
        {"runs": with_runs},
    )
    key = {}
    out = []
    for n in nodes:
        p = dict(n["p"])
        if not with_runs:
            p.pop("snapshots", None)
        key[n["id"]] = (
            f"{sorted(n['l'])}"
            f"{sorted((k, str(v)) for k, v in p.items() if k in KEY_PROPS)}"
        )
        out.append(f"N {sorted(n['l'])} {sorted((k, str(v)) for k, v in p.items())}")
    rels = store.query(
        "MATCH (a)-[r]->(b) RETURN type(r) AS t, properties(r) AS p, elementId(a) AS a, "
        "elementId(b) AS b"
    )
    for r in rels:
        p = dict(r["p"])
        if not with_runs:
            p.pop("snapshots", None)
        out.append(
            f"R {key[r['a']]} -{r['t']}-> {key[r['b']]} {sorted((k, str(v)) for k, v in p.items())}"
        )
    return sorted(out)


def count(store: GraphStore, q: str, **params: object) -> int:
    return store.query(q, params)[0]["n"]


# -- pure units -----------------------------------------------------------------


def test_luhn_and_card_detection() -> None:
    assert luhn_valid(
        np.array(["4111111111111111", "79927398713", "4111111111111112"])
    ).tolist() == [
        True,
        True,
        False,
    ]
    s = pd.Series(
        [
            "4111 1111 1111 1111",
            "4111-1111-1111-1111",
            "4111111111111112",
            "fp_4111111111111111",
            "378282246310005",
            "123456",
            "",
        ],
        dtype=object,
    )
    assert is_raw_card_number(s).tolist() == [True, True, False, False, True, False, False]
    masked = mask_card_numbers('{"instrument_id": "4111 1111 1111 1111", "n": "4111111111111112"}')
    assert (
        "4111 1111" not in masked and "************1111" in masked and "4111111111111112" in masked
    )


def test_csv_line_numbers_count_quoted_newlines(tmp_path: Path) -> None:
    p = tmp_path / "identifiers.csv"
    p.write_text('account_id,kind,value\na1,device,"two\nlines"\na2,device,x\na3\na4,device,"z"\n')
    batches = list(iter_batches(TableFile("identifiers", p, "csv"), IDENTIFIERS, batch_size=1))
    lines = np.concatenate([b.lines for b in batches]).tolist()
    malformed = [m for b in batches for m in b.malformed]
    assert lines == [2, 4, 6]
    assert [(m[0], m[1]) for m in malformed] == [(5, "wrong number of fields (expected 3, got 1)")]


def test_parquet_native_types(tmp_path: Path) -> None:
    """Parquet exports carry real timestamps (zoned or naive = UTC), ints, bools, floats."""
    p = tmp_path / "ip_observations.parquet"
    pd.DataFrame(
        {
            "account_id": ["a", "b"],
            "ip": ["1.2.3.4", "::1"],
            "first_seen": pd.to_datetime(
                ["2026-01-01T02:00:00+02:00", "2026-01-01T00:00:00.250Z"],
                utc=True,
                format="ISO8601",
            ),
            "last_seen": pd.to_datetime(
                ["2026-01-02T00:00:00", "2026-01-02T00:00:00"]
            ),  # naive: UTC
            "requests": [3, 4],
            "asn": pd.array([64500, None], dtype="Int64"),
            "is_datacenter": [True, None],
        }
    ).to_parquet(p)
    (b,) = list(
        iter_batches(TableFile("ip_observations", p, "parquet"), IP_OBSERVATIONS, batch_size=10)
    )
    c = validate(IP_OBSERVATIONS, b)
    assert c.n_rejected == 0 and b.lines.tolist() == [1, 2]
    v = c.valid
    assert v["first_seen"].tolist() == [1767225600000, 1767225600250]
    assert v["last_seen"].tolist() == [1767312000000] * 2
    assert (
        v["requests"].tolist() == [3, 4]
        and v["asn"].tolist()[0] == 64500
        and pd.isna(v["asn"].tolist()[1])
    )
    assert v["is_datacenter"].tolist() == [True, None]


def test_validate_ip_rules_vectorised() -> None:
    f = pd.DataFrame(
        {
            "account_id": ["a", "a", "a", "a", "a", "a", ""],
            "ip": [
                "2001:DB8::1",
                "1.2.3.999",
                "1.1.1.1",
                "1.1.1.2",
                "1.1.1.3",
                "1.1.1.4",
                "1.1.1.5",
            ],
            "first_seen": ["2026-01-01"] * 4 + ["2026-01-09", "bad", "2026-01-01"],
            "last_seen": ["2026-01-02"] * 7,
            "requests": ["3", "1", "-1", "2.5", "1", "1", "1"],
        },
        dtype=object,
    )
    c = validate(IP_OBSERVATIONS, RawBatch(f, np.arange(2, 9)))
    assert c.valid["ip"].tolist() == ["2001:db8::1"]
    assert c.rejects()["reason"].tolist() == [
        "invalid ip",
        "requests < 0",
        "requests not an integer",
        "last_seen before first_seen",
        "unparseable timestamp in first_seen",
        "empty account_id",
    ]


# -- against Neo4j ---------------------------------------------------------------


def test_load_then_reload_changes_nothing(store: GraphStore, tmp_path: Path) -> None:
    snap = write_snapshot(tmp_path / "s1", BASE)
    r1 = run_ingest(store, snap, batch_size=2, report_dir=tmp_path / "rep")
    assert r1.new_run and r1.rejected == 0
    for t in r1.tables:
        assert t.loaded + t.rejected == t.read
    assert r1.table("accounts").loaded == 3
    # merge rules
    a2 = store.query("MATCH (a:Account {account_id:'a2'}) RETURN a.created_at AS c, a.status AS s")[
        0
    ]
    assert a2["c"] == datetime(2026, 1, 2, tzinfo=UTC) and a2["s"] == "active"
    assert (
        store.query("MATCH (a:Account {account_id:'a1'}) RETURN a.status AS s")[0]["s"] == "active"
    )
    assert (
        count(store, "MATCH (:Account)-[:IN_ORG]->(:Org {org_id:'org1'}) RETURN count(*) AS n") == 2
    )
    assert count(store, "MATCH (i:IP) RETURN count(i) AS n") == 2  # IPv6 spellings are one IP
    assert (
        count(
            store,
            "MATCH (:IP {ip:'2001:db8::1'})-[:IN_ASN]->(:ASN {asn:64500}) RETURN count(*) AS n",
        )
        == 1
    )
    assert (
        count(
            store,
            "MATCH (:IP)-[:VIA_PROVIDER]->(:ProxyProvider {name:'BrightProxy'}) RETURN count(*) AS "
            "n",
        )
        == 1
    )
    pi = store.query("MATCH (p:PaymentInstrument) RETURN p.first_seen AS f")[0]["f"]
    assert pi.isoformat().startswith("2025-12-01")  # min of the rows
    sim = store.query(
        "MATCH (a)-[s:SIMILAR_TO]->(b) RETURN a.account_id AS a, b.account_id AS b, s.score AS s, "
        "s.signal AS g ORDER BY g"
    )
    assert sim == [
        {"a": "a1", "b": "a2", "s": 0.9, "g": "prompt_template"},
        {"a": "a1", "b": "a3", "s": 0.4, "g": "timing_sync"},
    ]
    assert count(store, "MATCH (:IngestRun) RETURN count(*) AS n") == 1
    before = graph_dump(store)

    r2 = run_ingest(store, snap, batch_size=1000, report_dir=tmp_path / "rep")
    assert not r2.new_run
    assert graph_dump(store) == before
    report = json.loads(Path(r2.report_path).read_text())
    assert report["totals"] == {"read": 13, "loaded": 13, "rejected": 0}
    assert all(t["balanced"] for t in report["tables"])


@pytest.mark.parametrize("fmt", ["csv.gz", "parquet"])
def test_gzip_and_parquet_load_the_same_graph(store: GraphStore, tmp_path: Path, fmt: str) -> None:
    run_ingest(store, write_snapshot(tmp_path / "csv", BASE), batch_size=1000, report_dir=tmp_path)
    want = graph_dump(store, with_runs=False)
    from conftest import wipe

    wipe(store)
    r = run_ingest(
        store, write_snapshot(tmp_path / fmt, BASE, fmt), batch_size=1000, report_dir=tmp_path
    )
    assert r.table("accounts").format == fmt and r.rejected == 0
    assert graph_dump(store, with_runs=False) == want


def test_newer_snapshot_updates(store: GraphStore, tmp_path: Path) -> None:
    run_ingest(store, write_snapshot(tmp_path / "s1", BASE), batch_size=100, report_dir=tmp_path)
    newer = {
        "accounts": [
            dict(ACCOUNTS[0], plan="pro", status="banned", email_domain=""),
            dict(ACCOUNTS[2], org_id="org2"),
        ],
        "ip_observations": [
            dict(
                IPS[0],
                first_seen="2025-12-30T00:00:00Z",
                last_seen="2026-02-01T00:00:00Z",
                requests="4",
                asn="64501",
                proxy_provider="",
            ),
            {
                "account_id": "a1",
                "ip": "10.9.9.9",
                "first_seen": "2026-02-01T00:00:00Z",
                "last_seen": "2026-02-02T00:00:00Z",
                "requests": "1",
            },
        ],
        "behaviour_similarity": [
            {"account_a": "a2", "account_b": "a1", "score": "0.5", "signal": "prompt_template"}
        ],
    }
    r = run_ingest(
        store, write_snapshot(tmp_path / "s2", newer), batch_size=100, report_dir=tmp_path
    )
    assert r.new_run and r.rejected == 0
    a1 = store.query(
        "MATCH (a:Account {account_id:'a1'}) RETURN a.plan AS p, a.status AS s, a.email_domain AS e"
    )[0]
    assert a1 == {"p": "pro", "s": "banned", "e": "example.com"}  # missing value keeps the old one
    u = store.query(
        "MATCH (:Account {account_id:'a1'})-[u:USED_IP]->(:IP {ip:'2001:db8::1'}) "
        "RETURN u.requests AS r, u.first_seen AS f, u.last_seen AS l, size(u.snapshots) AS n"
    )[0]
    assert u["r"] == 14 and u["n"] == 2
    assert u["f"].isoformat().startswith("2025-12-30") and u["l"].isoformat().startswith(
        "2026-02-01"
    )
    assert (
        count(store, "MATCH (:Account {account_id:'a1'})-[:USED_IP]->(i:IP) RETURN count(i) AS n")
        == 2
    )
    assert store.query(
        "MATCH ()-[s:SIMILAR_TO {signal:'prompt_template'}]->() RETURN s.score AS s"
    ) == [{"s": 0.9}]
    # single-valued links follow the newest value; an empty value keeps the old one
    assert store.query("MATCH (:IP {ip:'2001:db8::1'})-[:IN_ASN]->(n:ASN) RETURN n.asn AS asn") == [
        {"asn": 64501}
    ]
    assert (
        count(store, "MATCH (:IP {ip:'2001:db8::1'})-[:VIA_PROVIDER]->() RETURN count(*) AS n") == 1
    )
    assert store.query(
        "MATCH (:Account {account_id:'a3'})-[:IN_ORG]->(o) RETURN o.org_id AS o"
    ) == [{"o": "org2"}]
    # the newer snapshot loaded twice adds its requests once
    before = graph_dump(store)
    run_ingest(store, tmp_path / "s2", batch_size=100, report_dir=tmp_path)
    assert graph_dump(store) == before
    assert count(store, "MATCH (:IngestRun) RETURN count(*) AS n") == 2


def test_bad_rows_rejected_with_reasons(store: GraphStore, tmp_path: Path) -> None:
    snap = tmp_path / "bad"
    snap.mkdir()
    (snap / "accounts.csv").write_text(
        "account_id,created_at\n"
        "a1,2026-01-01T00:00:00Z\n"
        "a2,2026-01-01T00:00:00Z\n"
        ",2026-01-01T00:00:00Z\n"  # 4 empty key
        "a3,yesterday\n"  # 5 bad timestamp
        "a1,2026-01-02T00:00:00Z\n"  # 6 duplicate
    )
    (snap / "payment_instruments.csv").write_text(
        "account_id,instrument_id,kind\n"
        "a1,fp1,card\n"
        "a1,4111-1111-1111-1111,card\n"  # 3 raw card
        "a2,fp2,rocket\n"  # 4 unknown kind
        "a3,fp3,card\n"  # 5 account rejected above -> unknown
    )
    (snap / "ip_observations.csv").write_text(
        "account_id,ip,first_seen,last_seen,requests\n"
        "a1,1.2.3.4,2026-01-01,2026-01-02,1\n"
        "a1,1.2.3,2026-01-01,2026-01-02,1\n"  # 3 invalid ip
        "a2,1.2.3.4,2026-01-03,2026-01-02,1\n"  # 4 last before first
        "a2,1.2.3.5,2026-01-01,2026-01-02,-3\n"  # 5 negative
        "a2,1.2.3.6,2026-01-01,2026-01-02,x\n"  # 6 not a number
        "a1,1.2.3.4,2026-01-01,2026-01-02,1\n"  # 7 duplicate pair
        "ghost,1.2.3.4,2026-01-01,2026-01-02,1\n"  # 8 unknown account
    )
    (snap / "behaviour_similarity.csv").write_text(
        "account_a,account_b,score,signal\n"
        "a1,a2,0.5,timing_sync\n"
        "a1,a1,0.5,timing_sync\n"  # 3 self-pair
        "a1,a2,0,model_pivot\n"  # 4 score 0
        "a1,a2,1.01,model_pivot\n"  # 5 score > 1
        "a1,ghost,0.5,model_pivot\n"  # 6 unknown account_b
    )
    r = run_ingest(store, snap, batch_size=2, report_dir=tmp_path / "rep")
    for t in r.tables:
        assert t.loaded + t.rejected == t.read
    assert (r.table("accounts").loaded, r.table("accounts").rejected) == (2, 3)
    assert (r.table("ip_observations").loaded, r.table("ip_observations").rejected) == (1, 6)
    with open(r.rejects_path, newline="") as f:
        rej = {(row["table"], int(row["line"])): row for row in csv.DictReader(f)}
    want = {
        ("accounts", 4): "empty account_id",
        ("accounts", 5): "unparseable timestamp in created_at",
        ("accounts", 6): "duplicate account_id",
        ("payment_instruments", 3): "raw card number in instrument_id",
        ("payment_instruments", 4): "unknown kind",
        ("payment_instruments", 5): "unknown account in account_id",
        ("ip_observations", 3): "invalid ip",
        ("ip_observations", 4): "last_seen before first_seen",
        ("ip_observations", 5): "requests < 0",
        ("ip_observations", 6): "requests not a number",
        ("ip_observations", 7): "duplicate account_id + ip",
        ("ip_observations", 8): "unknown account in account_id",
        ("behaviour_similarity", 3): "self-pair",
        ("behaviour_similarity", 4): "score out of range",
        ("behaviour_similarity", 5): "score out of range",
        ("behaviour_similarity", 6): "unknown account in account_b",
    }
    assert set(rej) == set(want)
    for k, reason in want.items():
        assert rej[k]["reason"].startswith(reason), (k, rej[k])
    assert "4111-1111-1111-1111" not in Path(r.rejects_path).read_text()
    assert "***1111" in rej[("payment_instruments", 3)]["raw"]
    # the good rows loaded
    assert count(store, "MATCH (a:Account) RETURN count(a) AS n") == 2
    assert store.query(
        "MATCH (:Account {account_id:'a1'})-[u:USED_IP]->() RETURN u.requests AS r"
    ) == [{"r": 1}]
    assert count(store, "MATCH ()-[s:SIMILAR_TO]->() RETURN count(s) AS n") == 1


def test_raw_card_number_never_reaches_the_store(store: GraphStore, tmp_path: Path) -> None:
    pan = "4111 1111 1111 1111"
    tables = dict(BASE)
    tables["payment_instruments"] = PAYMENTS + [
        {
            "account_id": "a3",
            "instrument_id": pan,
            "kind": "card",
            "bin": "",
            "issuer_country": "",
            "first_seen": "",
        },
        {
            "account_id": "a3",
            "instrument_id": "fp9",
            "kind": "card",
            "bin": "5555555555554444",
            "issuer_country": "",
            "first_seen": "",
        },
    ]
    tables["identifiers"] = IDENTS + [
        {"account_id": "a3", "kind": "card", "value": "378282246310005", "first_seen": ""}
    ]
    r = run_ingest(
        store, write_snapshot(tmp_path / "s", tables), batch_size=100, report_dir=tmp_path
    )
    assert r.table("payment_instruments").rejected == 2 and r.table("identifiers").rejected == 1
    digits = re.compile(r"\d[\d -]{11,}\d")
    found = []
    for q in ("MATCH (n) RETURN properties(n) AS p", "MATCH ()-[r]->() RETURN properties(r) AS p"):
        for row in store.query(q):
            for k, v in row["p"].items():
                for s in v if isinstance(v, list) else [v]:
                    for m in digits.findall(str(s)):
                        d = re.sub(r"[ -]", "", m)
                        if 13 <= len(d) <= 19 and luhn_valid(np.array([d]))[0]:
                            found.append((k, s))
    assert found == []
    text = Path(r.rejects_path).read_text()
    assert (
        "1111 1111 1111" not in text
        and "5555555555554444" not in text
        and "378282246310005" not in text
    )


def test_missing_required_column_refuses_the_file(store: GraphStore, tmp_path: Path) -> None:
    tables = dict(BASE)
    tables["ip_observations"] = [{k: v for k, v in row.items() if k != "requests"} for row in IPS]
    snap = write_snapshot(tmp_path / "s", tables)
    with pytest.raises(IngestError) as e:
        run_ingest(store, snap, batch_size=100, report_dir=tmp_path)
    assert "ip_observations.csv" in str(e.value) and "'requests'" in str(e.value)
    assert count(store, "MATCH (n) RETURN count(n) AS n") == 0  # nothing half-loaded


def test_not_csv_or_parquet_is_refused(store: GraphStore, tmp_path: Path) -> None:
    snap = write_snapshot(tmp_path / "s", {"accounts": ACCOUNTS})
    (snap / "identifiers.json").write_text("[]")
    with pytest.raises(IngestError, match=r"identifiers\.json: not CSV"):
        run_ingest(store, snap, batch_size=100, report_dir=tmp_path)
    (snap / "identifiers.json").unlink()
    (snap / "identifiers.parquet").write_bytes(b"not parquet at all")
    with pytest.raises(IngestError, match=r"identifiers\.parquet"):
        run_ingest(store, snap, batch_size=100, report_dir=tmp_path)


def test_account_already_in_store_is_accepted(store: GraphStore, tmp_path: Path) -> None:
    run_ingest(
        store,
        write_snapshot(tmp_path / "s1", {"accounts": ACCOUNTS}),
        batch_size=100,
        report_dir=tmp_path,
    )
    later = {
        "accounts": [{"account_id": "a9", "created_at": "2026-03-01T00:00:00Z"}],
        "identifiers": [
            {"account_id": "a1", "kind": "device", "value": "d"},  # in the store
            {"account_id": "a9", "kind": "device", "value": "d"},  # in this snapshot
            {"account_id": "nobody", "kind": "device", "value": "d"},  # nowhere
        ],
        "requests": [{"account_id": "a1", "ts": "2026-03-01T00:00:00Z", "prompt_fingerprint": "p"}],
    }
    r = run_ingest(
        store, write_snapshot(tmp_path / "s2", later), batch_size=100, report_dir=tmp_path
    )
    t = r.table("identifiers")
    assert (t.read, t.loaded, t.rejected) == (3, 2, 1)
    assert t.reasons == {"unknown account in account_id": 1}
    req = r.table("requests")  # validated (its account is in the store) and used, not stored
    assert (req.status, req.read, req.loaded) == ("used", 1, 1) and any(
        "requests" in n for n in r.notes
    )
    assert (
        count(
            store,
            "MATCH (:Account)-[:HAS_IDENTIFIER]->(:Identifier {key:'device:d'}) RETURN count(*) AS "
            "n",
        )
        == 2
    )


def test_cli_ingest_external_uri(
    store: GraphStore, tmp_path: Path, env_for_cli: dict[str, str]
) -> None:
    snap = write_snapshot(tmp_path / "s", BASE)
    env = {**os.environ, **env_for_cli, "COLUMNS": "160"}
    cmd = [
        sys.executable,
        "-m",
        "graphlink",
        "ingest",
        str(snap),
        "--report-dir",
        str(tmp_path / "rep"),
    ]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "ip_observations" in proc.stdout and "rejects:" in proc.stdout
    assert len(list((tmp_path / "rep").glob("ingest-report-*.json"))) == 1
    assert count(store, "MATCH (a:Account) RETURN count(a) AS n") == 3
    bulk = subprocess.run(
        cmd + ["--bulk"], env=env, capture_output=True, text=True, check=False, timeout=120
    )
    assert bulk.returncode == 2 and "--bulk" in bulk.stdout and "NEO4J_URI" in bulk.stdout
    missing = subprocess.run(
        cmd[:4] + [str(tmp_path / "nope")],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert missing.returncode == 2 and "not a snapshot directory" in missing.stdout
