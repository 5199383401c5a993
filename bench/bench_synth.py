"""Benchmark of ``graphlink synth``: generation and writing at scale.

    .venv/bin/python bench/bench_synth.py --accounts 1000000 --repeats 3 --format csv

Times ``generate`` (the baseline: building every table in memory) and the
writing of each table separately, over a few repeats, and prints rows per
table, write seconds and rows/s per table, and per stage the median (min,
max) with rows/s.  Files go to a fresh directory under /tmp (removed
afterwards unless ``--keep``).
"""

from __future__ import annotations

import argparse
import gc
import shutil
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import psutil
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from graphlink.synth import FORMATS, TABLES, generate, write_truth  # noqa: E402
from graphlink.synth.write import write_table  # noqa: E402


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--accounts", type=int, default=1_000_000, help="benign accounts (1,000,000)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--format", choices=FORMATS, default="csv")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--keep", action="store_true", help="keep the written files")
    args = ap.parse_args(argv)
    console = Console()
    out = Path(tempfile.mkdtemp(prefix="bench-synth-", dir="/tmp"))

    gen_s: list[float] = []
    write_s: dict[str, list[float]] = defaultdict(list)
    sizes: dict[str, int] = {}
    peak = 0
    proc = psutil.Process()
    for r in range(args.repeats):
        gc.collect()
        t0 = time.perf_counter()
        sc = generate(args.accounts, seed=args.seed)
        gen_s.append(time.perf_counter() - t0)
        for name in TABLES:
            t = time.perf_counter()
            write_table(sc.tables[name], out / f"{name}.{args.format}", args.format)
            write_s[name].append(time.perf_counter() - t)
        t = time.perf_counter()
        write_truth(sc, out / "truth.csv")
        write_s["truth"].append(time.perf_counter() - t)
        sizes = {**sc.sizes(), "truth": sc.truth_table.num_rows}
        peak = max(peak, proc.memory_info().rss)
        wrote = sum(v[-1] for v in write_s.values())
        console.print(
            f"repeat {r + 1}/{args.repeats}: generate {gen_s[-1]:.1f} s, write {wrote:.1f} s"
        )
        del sc
    rows = sum(sizes.values())
    on_disk = {p.name.split(".")[0]: p.stat().st_size for p in out.iterdir()}
    med = {name: statistics.median(v) for name, v in write_s.items()}

    t = Table(title=f"{args.accounts:,} benign accounts → {args.format}, {args.repeats} repeats")
    for col in ("table", "rows", "MiB", "write s (median)", "write rows/s"):
        t.add_column(col, justify="left" if col == "table" else "right")
    for name, n in sizes.items():
        mib = on_disk.get(name, 0) / 2**20
        t.add_row(name, f"{n:,}", f"{mib:,.0f}", f"{med[name]:.2f}", f"{n / med[name]:,.0f}")
    t.add_row("[bold]all", f"[bold]{rows:,}", f"{sum(on_disk.values()) / 2**20:,.0f}", "", "")
    console.print(t)

    s = Table(title="stages: seconds over repeats (rows/s over all tables, at the median)")
    for col in ("stage", "median s", "min s", "max s", "rows/s"):
        s.add_column(col, justify="left" if col == "stage" else "right")
    write_total = [sum(v[i] for v in write_s.values()) for i in range(args.repeats)]
    total = [g + w for g, w in zip(gen_s, write_total)]
    for stage, xs in (
        ("generate (baseline)", gen_s),
        (f"write {args.format}", write_total),
        ("generate + write", total),
    ):
        m = statistics.median(xs)
        s.add_row(stage, f"{m:.2f}", f"{min(xs):.2f}", f"{max(xs):.2f}", f"{rows / m:,.0f}")
    console.print(s)
    console.print(
        f"peak RSS {peak / 2**30:.2f} GiB; {psutil.cpu_count()} CPUs, "
        f"load average {psutil.getloadavg()[0]:.1f}; files in {out}"
        + ("" if args.keep else " (removed)")
    )
    if not args.keep:
        shutil.rmtree(out)


if __name__ == "__main__":
    main()
