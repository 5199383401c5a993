"""Benchmark ``graphlink ingest``: incremental vs bulk on a generated snapshot.

    .venv/bin/python bench/bench_ingest.py --accounts 1000000            # 1 repeat
    .venv/bin/python bench/bench_ingest.py --accounts 50000 --repeats 3  # medians

The snapshot comes from :mod:`graphlink.synth` (cached under
``/tmp/graphlink-bench-ingest``).  Each path x repeat loads it into a FRESH
private Neo4j (own home, free ports; never the default server), in its own
Python process so the peak RSS measured is that load's alone.  Printed: rows/s
per table per path, wall time of the whole snapshot (server start excluded,
schema, import and restart included), peak RSS of the Python process, store
size on disk.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

CACHE = Path("/tmp/graphlink-bench-ingest")


def snapshot(n: int, fmt: str) -> Path:
    out = CACHE / f"snap-{n}-{fmt.replace('.', '')}"
    if (out / ".complete").exists():
        return out
    from graphlink.synth import generate, write_snapshot

    shutil.rmtree(out, ignore_errors=True)
    t = time.perf_counter()
    sc = generate(n, seed=1)
    write_snapshot(sc, out, fmt=fmt)
    (out / ".complete").write_text(f"{time.perf_counter() - t:.1f}s\n")
    return out


def _du(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def worker(path: str, snap: Path, batch_size: int, heap: str, pagecache: str) -> dict:
    """One load into a fresh server; returns the report plus store size."""
    from graphlink.config import get_settings
    from graphlink.ingest.job import run_ingest
    from graphlink.neo4j_local import LocalNeo4j, free_port
    from graphlink.store import GraphStore

    home = CACHE / f"neo4j-{path}"
    shutil.rmtree(home, ignore_errors=True)
    server = LocalNeo4j(
        home=home, bolt_port=free_port(), http_port=free_port(), heap=heap, pagecache=pagecache
    )
    server.install(lib_from=LocalNeo4j(home=get_settings().neo4j_home).lib)
    server.start(timeout=300)
    store = GraphStore(server.bolt_uri, ("neo4j", server.password()), retry_time=60)
    import psutil

    def server_cpu() -> float:
        # the server JVM is restarted by the bulk path: sum over the JVMs of this home
        total = 0.0
        for proc in psutil.process_iter(["cmdline"]):
            if any(str(home) in part for part in (proc.info["cmdline"] or [])):
                try:
                    c = proc.cpu_times()
                    total += c.user + c.system + c.children_user + c.children_system
                except psutil.Error:
                    pass
        return total

    me = psutil.Process()
    try:
        cpu0, py0 = server_cpu(), sum(me.cpu_times()[:4])
        t = time.perf_counter()
        rep = run_ingest(
            store,
            snap,
            batch_size=batch_size,
            bulk=server if path == "bulk" else None,
            report_dir=CACHE / f"reports-{path}",
        )
        wall = time.perf_counter() - t
        py_cpu = sum(me.cpu_times()[:4]) - py0  # includes neo4j-admin (a child process)
        srv_cpu = server_cpu() - cpu0  # misses JVMs that exited (the stopped server before import)
        counts = (
            store.query("MATCH (n) RETURN count(n) AS n")[0]["n"],
            store.query("MATCH ()-[r]->() RETURN count(r) AS n")[0]["n"],
        )
    finally:
        store.close()
        server.stop()
    out = rep.to_dict()
    out["wall_s"] = wall
    out["python_cpu_s"], out["server_cpu_s"] = py_cpu, srv_cpu
    out["store_bytes"] = _du(home / "data" / "databases" / "neo4j") + _du(
        home / "data" / "transactions" / "neo4j"
    )
    out["nodes"], out["rels"] = counts
    shutil.rmtree(home, ignore_errors=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--accounts", type=int, default=1_000_000)
    ap.add_argument("--fmt", default="csv", choices=["csv", "csv.gz", "parquet"])
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--paths", default="incremental,bulk")
    ap.add_argument("--batch-size", type=int, default=20_000)
    ap.add_argument("--heap", default="3g")
    ap.add_argument("--pagecache", default="3g")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--snap", help=argparse.SUPPRESS)
    a = ap.parse_args()

    if a.worker:
        print(json.dumps(worker(a.worker, Path(a.snap), a.batch_size, a.heap, a.pagecache)))
        return

    from rich.console import Console
    from rich.table import Table

    console = Console()
    with console.status(f"snapshot of {a.accounts:,} accounts ({a.fmt})…"):
        snap = snapshot(a.accounts, a.fmt)
    runs: dict[str, list[dict]] = {}
    for path in a.paths.split(","):
        for i in range(a.repeats):
            console.print(f"[bold]{path}[/] run {i + 1}/{a.repeats}…")
            proc = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--worker",
                    path,
                    "--snap",
                    str(snap),
                    "--batch-size",
                    str(a.batch_size),
                    "--heap",
                    a.heap,
                    "--pagecache",
                    a.pagecache,
                ],
                capture_output=True,
                text=True,
                check=False,
            )
            if proc.returncode != 0:
                console.print(proc.stdout[-3000:], proc.stderr[-5000:])
                raise SystemExit(f"{path} run failed")
            r = json.loads(proc.stdout.strip().splitlines()[-1])
            runs.setdefault(path, []).append(r)
            console.print(
                f"  {r['wall_s']:.1f}s, {r['nodes']:,} nodes, {r['rels']:,} rels; "
                + "; ".join(r["notes"])
            )

    med = statistics.median
    t = Table(
        title=f"ingest of {a.accounts:,} benign accounts + rings ({a.fmt}, batch {a.batch_size:,}, "
        f"median of {a.repeats})"
    )
    t.add_column("table")
    t.add_column("rows", justify="right")
    for path in runs:
        t.add_column(f"{path} rows/s", justify="right")
    first = next(iter(runs.values()))[0]
    for i, tab in enumerate(first["tables"]):
        if not tab["read"]:
            continue
        t.add_row(
            tab["table"],
            f"{tab['read']:,}",
            *[f"{med(r['tables'][i]['rows_per_s'] for r in rs):,.0f}" for rs in runs.values()],
        )
    total = first["totals"]["read"]
    t.add_row(
        "[bold]whole snapshot[/]",
        f"{total:,}",
        *[f"{total / med(r['wall_s'] for r in rs):,.0f}" for rs in runs.values()],
    )
    t.add_row("wall time (s)", "", *[f"{med(r['wall_s'] for r in rs):.1f}" for rs in runs.values()])
    t.add_row(
        "CPU s: python(+importer) / server",
        "",
        *[
            f"{med(r['python_cpu_s'] for r in rs):,.0f} / {med(r['server_cpu_s'] for r in rs):,.0f}"
            for rs in runs.values()
        ],
    )
    t.add_row(
        "rows per CPU-second (all)",
        "",
        *[
            f"{total / med(r['python_cpu_s'] + r['server_cpu_s'] for r in rs):,.0f}"
            for rs in runs.values()
        ],
    )
    t.add_row(
        "peak RSS (MB)", "", *[f"{med(r['peak_rss_mb'] for r in rs):,.0f}" for rs in runs.values()]
    )
    t.add_row(
        "store on disk (MB)",
        "",
        *[f"{med(r['store_bytes'] for r in rs) / 2**20:,.0f}" for rs in runs.values()],
    )
    t.add_row(
        "nodes / rels", "", *[f"{rs[0]['nodes']:,} / {rs[0]['rels']:,}" for rs in runs.values()]
    )
    console.print(t)
    for path, rs in runs.items():
        phases = ", ".join(f"{k} {v:.1f}s" for k, v in rs[0].get("phases", {}).items())
        console.print(f"{path} phases (run 1): {phases}")
    console.print(
        "bulk rows/s per table = validation + importer-file writing; the import itself, restart "
        "and "
        "schema are in the whole-snapshot figure."
    )


if __name__ == "__main__":
    main()
