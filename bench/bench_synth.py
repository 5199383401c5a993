"""Benchmark of ``graphlink synth``: generation and writing at scale.

    .venv/bin/python bench/bench_synth.py --accounts 1000000 --repeats 3 --format csv

Times ``generate`` (the baseline: building the tables in memory) and
``write_snapshot`` separately, over a few repeats, and prints rows per table,
seconds per stage and rows/s with the median.  Files go under ``--out``
(default a fresh directory in /tmp, removed afterwards unless --keep).
"""

from __future__ import annotations

import argparse
import gc
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import psutil
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from graphlink.synth import FORMATS, generate, write_snapshot, write_truth  # noqa: E402


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--accounts", type=int, default=1_000_000, help="benign accounts (default 1,000,000)"
    )
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--format", choices=FORMATS, default="csv")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument(
        "--out", type=Path, default=None, help="directory for the files (default: a temp dir)"
    )
    ap.add_argument("--keep", action="store_true", help="keep the written files")
    args = ap.parse_args(argv)
    console = Console()
    out = args.out or Path(tempfile.mkdtemp(prefix="bench-synth-", dir="/tmp"))

    gen_s, write_s, sizes, peak = [], [], {}, 0
    proc = psutil.Process()
    for r in range(args.repeats):
        gc.collect()
        t0 = time.perf_counter()
        sc = generate(args.accounts, seed=args.seed)
        t1 = time.perf_counter()
        write_snapshot(sc, out / "snapshot", fmt=args.format)
        write_truth(sc, out / "truth.csv")
        t2 = time.perf_counter()
        gen_s.append(t1 - t0)
        write_s.append(t2 - t1)
        sizes = {**sc.sizes(), "truth": sc.truth_table.num_rows}
        peak = max(peak, proc.memory_info().rss)
        console.print(
            f"repeat {r + 1}/{args.repeats}: generate {t1 - t0:.1f} s, write {t2 - t1:.1f} s"
        )
        del sc
    rows = sum(sizes.values())
    on_disk = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())

    t = Table(
        title=f"graphlink synth: {args.accounts:,} benign accounts, {args.format}, {args.repeats} repeats"
    )
    t.add_column("table")
    t.add_column("rows", justify="right")
    for name, n in sizes.items():
        t.add_row(name, f"{n:,}")
    t.add_row("[bold]all", f"[bold]{rows:,}")
    console.print(t)

    s = Table(title="seconds (median of repeats; rows/s over all tables)")
    for col in ("stage", "median s", "min s", "max s", "rows/s (median)"):
        s.add_column(col, justify="right" if col != "stage" else "left")
    total = [g + w for g, w in zip(gen_s, write_s)]
    for stage, xs in (
        ("generate (baseline)", gen_s),
        (f"write {args.format}", write_s),
        ("total", total),
    ):
        med = statistics.median(xs)
        s.add_row(stage, f"{med:.2f}", f"{min(xs):.2f}", f"{max(xs):.2f}", f"{rows / med:,.0f}")
    console.print(s)
    console.print(
        f"files: {on_disk / 2**20:,.0f} MiB in {out}; peak RSS {peak / 2**30:.2f} GiB; "
        f"{psutil.cpu_count()} CPUs, load {psutil.getloadavg()[0]:.1f}"
    )
    if not args.keep and args.out is None:
        shutil.rmtree(out)


if __name__ == "__main__":
    main()
