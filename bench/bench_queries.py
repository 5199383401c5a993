"""Latency of every saved query and of both reports, on the loaded graph.

Run after ``graphlink demo`` (or any ingest + detect + banwave) against the
configured Neo4j.  Parameters are discovered from the data: the riskiest
cluster of the current run, two of its members, an IP, proxy provider,
identifier and card they share, the newest ban wave.  Each query runs once to
warm the page cache and plan cache, then ``--repeat`` times; the table shows
rows returned, median and worst latency and the plan's leaf operators (index
seeks expected wherever a query has an anchor).

    .venv/bin/python bench/bench_queries.py --repeat 5
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from graphlink import queries  # noqa: E402
from graphlink.config import get_settings  # noqa: E402
from graphlink.reports import build_banwave_report, build_cluster_report  # noqa: E402
from graphlink.store import open_store  # noqa: E402


def leaf(op: str) -> str:
    """``NodeUniqueIndexSeek@neo4j UNIQUE a:Account(account_id) ...`` -> ``NodeUniqueIndexSeek
    Account(account_id)``."""
    m = re.search(r"\w+:(\w+(?:\(\w+\))?)", op)
    return op.split("@")[0].split(" ")[0] + (f" {m.group(1)}" if m else "")


def timed(fn: Any, repeat: int) -> tuple[Any, list[float]]:
    result = fn()  # warm-up
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - t) * 1000)
    return result, times


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    console = Console(width=170)
    store = open_store(get_settings())
    params = queries.example_params(store)
    counts = store.query("MATCH (a:Account) RETURN count(a) AS n", name="bench/count")[0]["n"]
    table = Table(title=f"saved queries on {counts:,} accounts ({args.repeat} runs after warm-up)")
    for col in ("query", "rows", "median ms", "max ms", "plan", "plan leaves"):
        table.add_column(col, justify="right" if "ms" in col or col == "rows" else "left")
    for name in sorted(queries.saved()):
        p = params.get(name, {})
        df, times = timed(lambda: queries.run(store, name, p), args.repeat)
        ops = queries.explain(store, name, p)
        leaves = sorted({leaf(op) for op in ops if "Seek" in op or "Scan" in op})
        problems = queries.plan_problems(ops, queries.get(name).anchors)
        table.add_row(
            name,
            str(len(df)),
            f"{statistics.median(times):.1f}",
            f"{max(times):.1f}",
            "ok" if not problems else "; ".join(problems),
            ", ".join(leaves),
        )
    r = {
        "cluster_id": params["cluster_members"]["cluster_id"],
        "wave_id": params["banwave_changes"]["wave_id"],
    }
    page, times = timed(
        lambda: build_cluster_report(store, r["cluster_id"]), max(1, args.repeat // 2)
    )
    table.add_row(
        f"report cluster {r['cluster_id']}",
        f"{len(page) / 1e6:.1f} MB",
        f"{statistics.median(times):.1f}",
        f"{max(times):.1f}",
        "",
        "",
    )
    if r["wave_id"]:
        page, times = timed(
            lambda: build_banwave_report(store, r["wave_id"]), max(1, args.repeat // 2)
        )
        table.add_row(
            f"report banwave {r['wave_id']}",
            f"{len(page) / 1e6:.1f} MB",
            f"{statistics.median(times):.1f}",
            f"{max(times):.1f}",
            "",
            "",
        )
    console.print(table)
    store.close()


if __name__ == "__main__":
    main()
