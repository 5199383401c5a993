"""Benchmark the ingest's read + validate stages (no store) against a baseline commit.

    .venv/bin/python bench/bench_validate.py --accounts 100000 --repeats 5 --baseline 70bc6b6
    .venv/bin/python bench/bench_validate.py --accounts 1000000 --repeats 3 --baseline 5eaed8a \
        --tables ip_observations                       # one table: the IPv6 fast path

The snapshot comes from :mod:`graphlink.synth` (cached under
``/tmp/graphlink-bench-validate``).  The baseline's ``graphlink/`` and
``ingest/`` are extracted with ``git archive``; each repeat runs the baseline
and this checkout alternately, each in its own Python process, so both see the
same machine.  Printed: seconds per run, the medians and their ratio.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CACHE = Path("/tmp/graphlink-bench-validate")

WORKER = """
import sys, time
from pathlib import Path
try:  # the package layout, or a baseline commit's top-level ingest/
    from graphlink.ingest import read
    from graphlink.ingest.tables import TABLES, DERIVED_FROM
    from graphlink.ingest.validate import validate
except ImportError:
    from ingest import read
    from ingest.tables import TABLES, DERIVED_FROM
    from ingest.validate import validate
snap = Path(sys.argv[1])
only = set(sys.argv[2].split(",")) if len(sys.argv) > 2 and sys.argv[2] else None
t = time.perf_counter()
rows = 0
for spec in (*TABLES, *DERIVED_FROM):
    if only is not None and spec.name not in only:
        continue
    tf = read.find_table_file(snap, spec.name)
    if tf is None:
        continue
    for raw in read.iter_batches(tf, spec, batch_size=20_000):
        c = validate(spec, raw)
        rows += c.n_read
print(rows, time.perf_counter() - t)
"""


def snapshot(n: int, fmt: str) -> Path:
    out = CACHE / f"snap-{n}-{fmt.replace('.', '')}"
    if (out / ".complete").exists():
        return out
    sys.path.insert(0, str(REPO))
    from graphlink.synth import generate, write_snapshot

    shutil.rmtree(out, ignore_errors=True)
    write_snapshot(generate(n, seed=1), out, fmt=fmt)
    (out / ".complete").touch()
    return out


def run(code_dir: Path, snap: Path, tables: str = "") -> tuple[int, float]:
    proc = subprocess.run(
        [sys.executable, "-c", WORKER, str(snap), tables],
        cwd=code_dir,
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": str(code_dir), "PATH": "/usr/bin:/bin"},
    )
    rows, secs = proc.stdout.split()
    return int(rows), float(secs)


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--accounts", type=int, default=100_000)
    ap.add_argument("--fmt", default="csv", choices=["csv", "csv.gz", "parquet"])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--baseline", default="main")
    ap.add_argument("--tables", default="",
                    help="only these tables, comma-separated (e.g. ip_observations)")
    a = ap.parse_args()
    snap = snapshot(a.accounts, a.fmt)
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        archive = subprocess.run(
            ["git", "-C", str(REPO), "archive", a.baseline, "graphlink", "ingest", "cypher"],
            capture_output=True,
            check=True,
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(base)], input=archive, check=True)
        times: dict[str, list[float]] = {"baseline": [], "this": []}
        for i in range(a.repeats):
            for name, d in (("baseline", base), ("this", REPO)):
                rows, secs = run(d, snap, a.tables)
                times[name].append(secs)
                print(
                    f"repeat {i + 1} {name:8s} {rows:,} rows {secs:6.2f}s "
                    f"{rows / secs:12,.0f} rows/s",
                    flush=True,
                )
    mb, mt = statistics.median(times["baseline"]), statistics.median(times["this"])
    print(
        f"median baseline ({a.baseline}) {mb:.2f}s, this {mt:.2f}s, "
        f"ratio this/baseline {mt / mb:.2f} "
        f"({a.accounts:,} accounts, {a.fmt}, {a.tables or 'every table'}, "
        f"{time.strftime('%Y-%m-%d %H:%M')})"
    )


if __name__ == "__main__":
    main()
