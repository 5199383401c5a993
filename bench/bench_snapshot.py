"""Benchmark the API's in-memory snapshot: build time and resident memory, per store size.

Why: ``graphlink serve`` answers sign-up checks and account lookups from a
snapshot it builds from the store (the current run's index plus a compact
table of every account and the ban map, ``graphlink.api.index``), and issue 12
asks for that build in <= 2 min with the server under 3 GB at 10M accounts.
This measures exactly the build the server runs (``load_snapshot``), each time
in a fresh subprocess so RSS is the snapshot's and not an earlier build's:
wall and CPU seconds, peak RSS, RSS after the build (what a server keeps),
and the sizes it holds.  The server frees what the build left behind
(``gc.collect`` and ``release_unused_memory``) before it serves; so does
this.  Stores are given like ``bench_scale.py --stores``
(``LABEL=GRAPHLINK_HOME:BOLT_PORT``, each server already up, a detection run
in it)::

    .venv/bin/python bench/bench_snapshot.py --repeats 3 \\
        --stores 1M=/tmp/gl12/h1m:29687,3M=/tmp/gl12/h3m:30687

Variants, alternating: ``columnar`` (what the server does: the accounts in pages,
each page one record of lists) and ``records`` (the accounts as one Bolt record each, the
design before 2026-11-27: the baseline).  Prints medians over the repeats, the
ratio against the baseline, and the growth exponent (slope of log cost on log
accounts) when more than one store is given.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _rss_mb() -> float:
    with open("/proc/self/status") as fh:
        line = next(ln for ln in fh if ln.startswith("VmRSS"))
    return int(line.split()[1]) / 1024


#: The accounts query as one Bolt record per account: the design before 2026-11-27, kept as
#: the baseline the columnar read is compared with in the same run.
RECORDS_QUERY = (
    "MATCH (a:Account) RETURN a.account_id AS account_id, a.created_at.epochMillis AS "
    "created_ms, a.status AS status, a.plan AS plan, a.country AS country, a.org_id AS org_id"
)


def _by_records(store: Any, versions: Any) -> Any:
    """The snapshot with its account table read record by record (the baseline)."""
    from graphlink.api.index import Snapshot, build_account_table, build_ban_map, load_index

    names = ("account_id", "created_ms", "status", "plan", "country", "org_id")
    cols: dict[str, list[Any]] = {n: [] for n in names}
    appends = [cols[n].append for n in names]

    def read(session: Any) -> None:
        for rec in session.run(RECORDS_QUERY):
            for add, v in zip(appends, rec.values()):
                add(v)

    store.run_in_session("bench/snapshot_records", read)
    accounts = build_account_table([cols])
    cols.clear()
    bans = build_ban_map(store.stream("api/index_bans"))
    return Snapshot(versions, load_index(store, versions.run_id, versions.run_created_at),
                    accounts, bans)


def one(variant: str) -> dict[str, float]:
    """Build the snapshot once, as the server does (``columnar``) or with the accounts read
    record by record (``records``); its figures as a dict."""
    import gc

    from graphlink.api.index import load_snapshot, read_versions, release_unused_memory
    from graphlink.config import get_settings
    from graphlink.store import open_store

    with open_store(get_settings()) as store:
        versions = read_versions(store)
        if versions.run_id is None:
            raise SystemExit("no detection run in this store: run graphlink detect first")
        gc.collect()
        base = _rss_mb()
        w0, c0 = time.perf_counter(), time.process_time()
        if variant == "records":
            snap = _by_records(store, versions)
        else:
            snap = load_snapshot(store, versions, None)
        wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    gc.collect()
    release_unused_memory()  # as the server does after each build
    return {
        "wall_s": wall,
        "cpu_s": cpu,
        "base_rss_mb": base,
        "rss_after_mb": _rss_mb(),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "accounts": float(len(snap.accounts)),
        "clusters": float(len(snap.index.clusters)),
        "bans": float(len(snap.bans)),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--stores", help="LABEL=GRAPHLINK_HOME:BOLT_PORT,...")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--json", type=Path, help="also write every run's figures here")
    ap.add_argument("--variants", default="columnar,records",
                    help="columnar (what the server does) and/or records (the accounts read "
                    "one Bolt record each: the earlier design, as a baseline)")
    ap.add_argument("--one", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.one:
        print(json.dumps(one(a.one)))
        return
    from rich.console import Console
    from rich.table import Table

    console = Console(width=160)
    stores = [s.split("=", 1) for s in (a.stores or "").split(",") if s]
    if not stores:
        raise SystemExit("--stores LABEL=GRAPHLINK_HOME:BOLT_PORT[,...] is required")
    variants = [v for v in a.variants.split(",") if v]
    results: dict[str, list[dict[str, float]]] = {}
    for label, spec in stores:
        home, port = spec.rsplit(":", 1)
        env = os.environ | {"GRAPHLINK_HOME": home, "GRAPHLINK_BOLT_PORT": port}
        for i in range(a.repeats):
            for v in variants:  # alternating, so both see the same machine
                with console.status(f"{label}: {v} snapshot build {i + 1}/{a.repeats}…"):
                    out = subprocess.run([sys.executable, __file__, "--one", v], env=env,
                                         check=True, capture_output=True, text=True).stdout
                results.setdefault(f"{label} {v}", []).append(
                    json.loads(out.strip().splitlines()[-1]))
    t = Table(title="API snapshot build (fresh process each; medians)")
    for col in ("store, variant", "accounts", "clusters", "bans", "wall s (runs)", "vs records",
                "CPU s", "RSS kept MB", "of which snapshot MB", "peak RSS MB"):
        t.add_column(col, justify="right")
    med = {k: {f: statistics.median(r[f] for r in runs) for f in runs[0]}
           for k, runs in results.items()}
    for key, runs in results.items():
        m = med[key]
        base = med.get(key.rsplit(" ", 1)[0] + " records")
        each = ", ".join(f"{r['wall_s']:.1f}" for r in runs)
        t.add_row(key, f"{m['accounts']:,.0f}", f"{m['clusters']:,.0f}", f"{m['bans']:,.0f}",
                  f"{m['wall_s']:.1f} ({each})",
                  f"{m['wall_s'] / base['wall_s']:.2f}x" if base else "-",
                  f"{m['cpu_s']:.1f}", f"{m['rss_after_mb']:,.0f}",
                  f"{m['rss_after_mb'] - m['base_rss_mb']:,.0f}", f"{m['peak_rss_mb']:,.0f}")
    console.print(t)
    for v in variants:
        rows = [m for k, m in med.items() if k.endswith(" " + v)]
        if len(rows) > 1:
            x = np.log([m["accounts"] for m in rows])
            for f, name in (("wall_s", "wall"), ("cpu_s", "CPU"), ("rss_after_mb", "RSS kept")):
                slope = np.polyfit(x, np.log([m[f] for m in rows]), 1)[0]
                console.print(f"{v}: growth exponent, {name}: {slope:.2f}")
    if a.json:
        a.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
