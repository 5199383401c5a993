"""The offline fast path: first load of a snapshot into an EMPTY local database.

Same reading and validation as the incremental path (same report, same
rejects file); only the sink differs.  Valid rows are normalised and streamed
into the importer's CSV files (header files with ``:ID(Account)`` etc., data
files without), the local server is stopped, ``neo4j-admin database import
full --overwrite-destination`` builds the store files directly (no
transactions, no MERGE), the server is restarted and the schema applied.

The importer creates, it does not merge, so this module makes the rows
unique first, with the compact hash sets of :mod:`graphlink.ingest.keys`:

* a node is written at its first sighting (IP, instrument, identifier, ASN,
  proxy provider, org); ``IN_ASN``/``VIA_PROVIDER`` with its IP node;
* ``USED_IP``/``PAID_WITH``/accounts are already unique (validation rejects
  duplicates);
* a repeated ``HAS_IDENTIFIER`` (account, identifier) or ``SIMILAR_TO``
  (pair, signal) row is *deferred* and merged after the import through the
  incremental statements, so first_seen-min and score-max hold exactly;
* a ``PaymentInstrument``'s ``first_seen`` is then set to the minimum over its
  ``PAID_WITH`` links (one auto-commit pass, only if an instrument repeats).

* an IP row whose (non-null) properties differ from every combination seen
  for that IP is deferred too and merged after the import by the incremental
  ``ip_nodes`` statement (newest non-null value, ``IN_ASN``/``VIA_PROVIDER``
  follow).

Known difference from the incremental path, inside one snapshot only: rows of
one instrument disagreeing on ``kind``/``bin``/``issuer_country`` keep the
first value (incremental: the last non-null), and an IP whose properties flip
back to an earlier combination (A, B, A) ends on B (incremental: A).
"""

from __future__ import annotations

import re
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from graphlink.errors import IngestError
from graphlink.ingest import write
from graphlink.ingest.keys import KeySet, hash_keys
from graphlink.ingest.read import total_rows
from graphlink.ingest.report import IngestReport, RejectsWriter
from graphlink.ingest.stream import AccountIndex, Plan, Progress, stream_table
from graphlink.ingest.tables import TABLES
from graphlink.ingest.validate import Checked
from graphlink.neo4j_local import LocalNeo4j
from graphlink.store import GraphStore

#: importer header per output file: (kind, label or type, header columns)
HEADERS: dict[str, tuple[str, str, list[str]]] = {
    "accounts": (
        "nodes",
        "Account",
        [
            ":ID(Account)",
            "account_id",
            "created_at:datetime",
            "email_domain",
            "country",
            "plan",
            "org_id",
            "status",
        ],
    ),
    "orgs": ("nodes", "Org", [":ID(Org)", "org_id"]),
    "instruments": (
        "nodes",
        "PaymentInstrument",
        [
            ":ID(PaymentInstrument)",
            "instrument_id",
            "kind",
            "bin",
            "issuer_country",
            "first_seen:datetime",
        ],
    ),
    "ips": (
        "nodes",
        "IP",
        [":ID(IP)", "ip", "asn:long", "proxy_provider", "is_datacenter:boolean"],
    ),
    "asns": ("nodes", "ASN", [":ID(ASN)", "asn:long"]),
    "providers": ("nodes", "ProxyProvider", [":ID(ProxyProvider)", "name"]),
    "identifiers": ("nodes", "Identifier", [":ID(Identifier)", "key", "kind", "value"]),
    "in_org": ("relationships", "IN_ORG", [":START_ID(Account)", ":END_ID(Org)"]),
    "paid_with": (
        "relationships",
        "PAID_WITH",
        [
            ":START_ID(Account)",
            ":END_ID(PaymentInstrument)",
            "first_seen:datetime",
        ],
    ),
    "used_ip": (
        "relationships",
        "USED_IP",
        [
            ":START_ID(Account)",
            ":END_ID(IP)",
            "first_seen:datetime",
            "last_seen:datetime",
            "requests:long",
            "snapshots:string[]",
        ],
    ),
    "in_asn": ("relationships", "IN_ASN", [":START_ID(IP)", ":END_ID(ASN)"]),
    "via_provider": ("relationships", "VIA_PROVIDER", [":START_ID(IP)", ":END_ID(ProxyProvider)"]),
    "has_identifier": (
        "relationships",
        "HAS_IDENTIFIER",
        [
            ":START_ID(Account)",
            ":END_ID(Identifier)",
            "first_seen:datetime",
        ],
    ),
    "similar_to": (
        "relationships",
        "SIMILAR_TO",
        [":START_ID(Account)", ":END_ID(Account)", "signal", "score:double"],
    ),
}


def iso_ms(ms: pd.Series | np.ndarray) -> np.ndarray:
    """Epoch milliseconds (nullable) -> ISO-8601 UTC text the importer reads (None when missing)."""
    s = pd.Series(ms)
    present = s.notna().to_numpy()
    out = np.full(len(s), None, dtype=object)
    if present.any():
        vals = s[present].to_numpy(dtype=np.int64).astype("datetime64[ms]")
        out[present] = np.char.add(np.datetime_as_string(vals, unit="ms"), "Z")
    return out


@dataclass
class ImportFiles:
    """The importer's data files, appended batch by batch with Arrow's C++ CSV writer.

    Missing values are written as empty unquoted fields, which the importer
    reads as "no property" (the incremental path never stores them either).
    """

    root: Path
    multiline: bool = False
    rows: dict[str, int] = field(default_factory=dict)
    _files: dict[str, BinaryIO] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        for name, (_, _, cols) in HEADERS.items():
            (self.root / f"{name}.header.csv").write_text(",".join(cols) + "\n", encoding="utf-8")
            self._files[name] = (self.root / f"{name}.csv").open("wb")
            self.rows[name] = 0

    def append(self, name: str, frame: pd.DataFrame) -> None:
        if frame.empty:
            return
        assert len(frame.columns) == len(HEADERS[name][2]), name
        frame = frame.set_axis([f"c{i}" for i in range(len(frame.columns))], axis=1)
        table = pa.Table.from_pandas(frame, preserve_index=False)
        for col in table.columns:
            is_text = pa.types.is_string(col.type) or pa.types.is_large_string(col.type)
            if is_text and pc.any(pc.match_substring(col, "\n")).as_py():
                self.multiline = True
        pacsv.write_csv(table, self._files[name], write_options=_WRITE)
        self.rows[name] += len(frame)

    def close(self) -> None:
        for f in self._files.values():
            f.close()

    def args(self) -> list[str]:
        out = []
        for name, (kind, label, _) in HEADERS.items():
            if self.rows[name]:
                out.append(
                    f"--{kind}={label}={self.root / f'{name}.header.csv'},"
                    f"{self.root / f'{name}.csv'}"
                )
        return out


_WRITE = pacsv.WriteOptions(include_header=False, quoting_style="needed")


def _opt(s: pd.Series) -> pd.Series:
    """Optional values as they are: nulls become empty fields."""
    return s


class BulkSink:
    """Turns validated batches into importer rows (nodes once, links unique)."""

    def __init__(self, files: ImportFiles, ingest_ids: dict[str, str]) -> None:
        self.f = files
        self.ingest_ids = ingest_ids
        self.seen = {
            k: KeySet()
            for k in (
                "org",
                "instrument",
                "ip",
                "ip_props",
                "asn",
                "provider",
                "identifier",
                "has_identifier",
                "similar_to",
            )
        }
        self.deferred: dict[str, list[pd.DataFrame]] = {
            "ip_nodes": [],
            "identifiers": [],
            "behaviour_similarity": [],
        }
        self.instrument_repeats = 0

    def _new(self, kind: str, frame: pd.DataFrame, cols: list[str]) -> np.ndarray:
        return self.seen[kind].first_sighting(hash_keys(frame, cols))

    def add(self, checked: Checked) -> None:
        v = checked.valid
        if v.empty:
            return
        getattr(self, "_" + checked.table)(v)

    def _accounts(self, v: pd.DataFrame) -> None:
        out = pd.DataFrame(
            {
                "id": v["account_id"],
                "account_id": v["account_id"],
                "created_at": iso_ms(v["created_at"]),
                "email_domain": _opt(v["email_domain"]),
                "country": _opt(v["country"]),
                "plan": _opt(v["plan"]),
                "org_id": _opt(v["org_id"]),
                "status": v["status"].astype(object).where(v["status"].notna(), "active"),
            }
        )
        self.f.append("accounts", out)
        with_org = v[v["org_id"].notna()]
        if len(with_org):
            self.f.append("in_org", with_org[["account_id", "org_id"]])
            orgs = with_org[self._new("org", with_org, ["org_id"])]
            self.f.append("orgs", pd.DataFrame({"id": orgs["org_id"], "org_id": orgs["org_id"]}))

    def _payment_instruments(self, v: pd.DataFrame) -> None:
        first = iso_ms(v["first_seen"])
        self.f.append(
            "paid_with", pd.DataFrame({"a": v["account_id"], "p": v["instrument_id"], "f": first})
        )
        new = self._new("instrument", v, ["instrument_id"])
        self.instrument_repeats += int((~new).sum())
        n = v[new]
        self.f.append(
            "instruments",
            pd.DataFrame(
                {
                    "id": n["instrument_id"],
                    "instrument_id": n["instrument_id"],
                    "kind": n["kind"],
                    "bin": _opt(n["bin"]),
                    "issuer_country": _opt(n["issuer_country"]),
                    "first_seen": first[new],
                }
            ),
        )

    def _ip_observations(self, v: pd.DataFrame) -> None:
        self.f.append(
            "used_ip",
            pd.DataFrame(
                {
                    "a": v["account_id"],
                    "i": v["ip"],
                    "f": iso_ms(v["first_seen"]),
                    "l": iso_ms(v["last_seen"]),
                    "r": v["requests"],
                    "s": self.ingest_ids["ip_observations"],
                }
            ),
        )
        nodes = write.ip_node_rows(v)
        new = self._new("ip", nodes, ["ip"])
        # A seen IP whose properties differ from every combination seen so far is merged
        # after the import (ip_nodes statement: newest non-null, links follow).
        props = self.seen["ip_props"]
        h = hash_keys(nodes, ["ip", "asn", "proxy_provider", "is_datacenter"])
        has_value = nodes[["asn", "proxy_provider", "is_datacenter"]].notna().any(axis=1).to_numpy()
        changed = ~new & has_value & ~props.contains(h)
        props.add(h)
        self.deferred["ip_nodes"].append(nodes[changed])
        nodes = nodes[new]
        dc = nodes["is_datacenter"].map({True: "true", False: "false"})
        self.f.append(
            "ips",
            pd.DataFrame(
                {
                    "id": nodes["ip"],
                    "ip": nodes["ip"],
                    "asn": _opt(nodes["asn"]),
                    "proxy_provider": _opt(nodes["proxy_provider"]),
                    "is_datacenter": _opt(dc),
                }
            ),
        )
        asn = nodes[nodes["asn"].notna()]
        self.f.append("in_asn", pd.DataFrame({"i": asn["ip"], "a": asn["asn"].astype("int64")}))
        new_asn = asn[self._new("asn", asn.astype({"asn": "int64"}), ["asn"])]
        self.f.append(
            "asns",
            pd.DataFrame(
                {"id": new_asn["asn"].astype("int64"), "asn": new_asn["asn"].astype("int64")}
            ),
        )
        prov = nodes[nodes["proxy_provider"].notna()]
        self.f.append("via_provider", pd.DataFrame({"i": prov["ip"], "p": prov["proxy_provider"]}))
        new_prov = prov[self._new("provider", prov, ["proxy_provider"])]
        self.f.append(
            "providers",
            pd.DataFrame({"id": new_prov["proxy_provider"], "name": new_prov["proxy_provider"]}),
        )

    def _identifiers(self, v: pd.DataFrame) -> None:
        first_link = self._new("has_identifier", v, ["account_id", "key"])
        self.deferred["identifiers"].append(v[~first_link])
        links = v[first_link]
        self.f.append(
            "has_identifier",
            pd.DataFrame(
                {
                    "a": links["account_id"],
                    "k": links["key"],
                    "f": iso_ms(links["first_seen"]),
                }
            ),
        )
        n = v[self._new("identifier", v, ["key"])]
        self.f.append(
            "identifiers",
            n[["key", "key", "kind", "value"]].set_axis(["id", "key", "kind", "value"], axis=1),
        )

    def _behaviour_similarity(self, v: pd.DataFrame) -> None:
        first = self._new("similar_to", v, ["account_a", "account_b", "signal"])
        self.deferred["behaviour_similarity"].append(v[~first])
        s = v[first]
        self.f.append("similar_to", s[["account_a", "account_b", "signal", "score"]])


def load(
    store: GraphStore,
    local: LocalNeo4j,
    p: Plan,
    report: IngestReport,
    *,
    rejects: RejectsWriter,
    batch_size: int,
    progress: Progress,
    log_path: Path | None = None,
) -> None:
    """Validate ``p``'s tables into importer files, import offline, restart, finish.

    ``log_path``: where the importer's own log is kept (its stage times and what it
    skipped; default: the work folder, removed on success); its stage times also go
    into the report's notes.
    """
    work = local.home / "import" / f"bulk-{p.ingest_id[:16]}"
    shutil.rmtree(work, ignore_errors=True)
    files = ImportFiles(work)
    sink = BulkSink(files, p.hashes)
    accounts = AccountIndex(None)  # the database is empty: only this snapshot's accounts exist
    t_validate = time.perf_counter()
    for spec in TABLES:
        tf = p.files.get(spec.name)
        if tf is None:
            continue
        tr = report.table(spec.name)
        progress.table_started(spec.name, total_rows(tf))
        t = time.perf_counter()

        def on_valid(checked: Checked, *, _name: str = spec.name) -> None:
            sink.add(checked)
            progress.rows_done(_name, checked.n_read)

        stream_table(
            spec,
            tf,
            batch_size=batch_size,
            accounts=accounts,
            rejects=rejects,
            table_report=tr,
            on_valid=on_valid,
        )
        tr.seconds = round(time.perf_counter() - t, 3)
        progress.table_finished(spec.name)
    files.close()
    report.phases["validate"] = round(time.perf_counter() - t_validate, 2)
    report.notes.append(
        f"bulk: validated and wrote importer files in {report.phases['validate']:.1f}s"
    )

    t_import = time.perf_counter()
    clock = _Clock(report.phases)
    local.stop()
    clock("stop")
    # The database name goes first: the --nodes/--relationships options take
    # several values and would swallow a trailing positional argument.
    args = [
        "database",
        "import",
        "full",
        store.database,
        "--overwrite-destination=true",
        f"--multiline-fields={'true' if files.multiline else 'false'}",
        "--array-delimiter=;",
        "--skip-bad-relationships=false",
        "--skip-duplicate-nodes=false",
        f"--report-file={work / 'import.report'}",
        "--max-off-heap-memory=2g",
        *files.args(),
    ]
    proc = local.admin(*args)
    clock("import")
    output = proc.stdout + proc.stderr
    log_file = log_path or work / "import.log"
    log_file.parent.mkdir(parents=True, exist_ok=True)
    log_file.write_text(output, encoding="utf-8")
    stages = importer_stages(output)
    if stages:
        took = ", ".join(f"{k} {v:.1f}s" for k, v in stages.items())
        report.notes.append(f"bulk: importer {took} (log: {log_file})")
    if proc.returncode != 0:
        # The database was empty (checked before): drop the half-written store so the
        # server recreates an empty one, rather than refusing to start on it.
        for d in (
            local.home / "data" / "databases" / store.database,
            local.home / "data" / "transactions" / store.database,
        ):
            shutil.rmtree(d, ignore_errors=True)
        local.start()
        store.reconnect()
        raise IngestError(
            f"the offline importer failed (log: {log_file}); the database is empty "
            "again:\n" + output[-3000:]
        )
    local.start()
    clock("start")
    store.reconnect()
    store.apply_schema()
    clock("schema_after_import")
    report.notes.append(
        f"bulk: offline import + restart + schema in {time.perf_counter() - t_import:.1f}s"
    )

    # rows the importer could not merge, and the instrument first_seen minimum
    for table, frames in sink.deferred.items():
        frames = [f for f in frames if len(f)]
        if not frames:
            continue
        rows = pd.concat(frames)
        report.notes.append(f"bulk: {len(rows):,} {table} rows merged after the import")
        for lo in range(0, len(rows), batch_size):
            chunk = rows.iloc[lo : lo + batch_size]
            if table == "ip_nodes":
                store.write_batches("ingest/ip_nodes", [write.to_rows(chunk)])
            else:
                write.WRITERS[table](store, chunk, p.hashes[table])
    if sink.instrument_repeats:
        store.run_in_session(
            "ingest/instrument_first_seen",
            lambda session: session.run(_cypher("ingest/instrument_first_seen")).consume(),
        )
    clock("finish")
    shutil.rmtree(work, ignore_errors=True)


#: ``Node import COMPLETED in 1m 11s 142ms``: one line per importer stage.
_STAGE = re.compile(
    r"^([A-Z][a-z]+(?: [a-z]+)*) COMPLETED in ((?:\d+h )?(?:\d+m )?(?:\d+s )?\d+ms)", re.MULTILINE
)


def importer_stages(log: str) -> dict[str, float]:
    """Seconds per stage from ``neo4j-admin database import`` output, in its order.

    >>> importer_stages("Node import COMPLETED in 11s 142ms\\nLinking COMPLETED in 2m 3s 1ms")
    {'node import': 11.142, 'linking': 123.001}
    """
    units = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}
    out: dict[str, float] = {}
    for name, took in _STAGE.findall(log):
        secs = sum(float(num) * units[unit] for num, unit in re.findall(r"(\d+)(ms|h|m|s)", took))
        out[name.lower()] = round(secs, 3)
    return out


class _Clock:
    """Records seconds since the previous call under a phase name."""

    def __init__(self, phases: dict[str, float]) -> None:
        self.phases = phases
        self.t = time.perf_counter()

    def __call__(self, name: str) -> None:
        now = time.perf_counter()
        self.phases[name] = round(now - self.t, 2)
        self.t = now


def _cypher(name: str) -> str:
    from graphlink import cypher_files

    return cypher_files.internal(name)
