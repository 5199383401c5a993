"""The streamed accumulator of a revision against today's, on the same validated batches.

    .venv/bin/python bench/bench_accumulate.py LOG.parquet [--old-rev 70bc6b6] [--rounds 2]

Reads and validates the log once (ingest's reader and validator), keeps the
valid batches, then feeds them to ``RequestAccumulator`` of ``--old-rev``
(``graphlink/similarity/accumulate.py`` at that commit, loaded from git) and to
today's, alternating for ``--rounds`` rounds, and prints wall and CPU seconds
of each and whether the aggregates are identical.  Baseline and new run in the
same process on the same batches, so the machine's load hits both alike.
"""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

FIELDS = (
    "fp_account",
    "fp_hash",
    "fp_count",
    "bucket_account",
    "bucket",
    "mh_account",
    "mh_model",
    "mh_hour",
    "mh_count",
    "first_account",
    "first_model",
    "first_ms",
)


def load_old(rev: str):
    src = subprocess.run(
        ["git", "-C", str(REPO), "show", f"{rev}:graphlink/similarity/accumulate.py"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    path = Path(tempfile.mkdtemp()) / "accumulate_old.py"
    path.write_text(src)
    spec = importlib.util.spec_from_file_location("accumulate_old", path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules["accumulate_old"] = mod
    spec.loader.exec_module(mod)
    return mod.RequestAccumulator


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("log", type=Path)
    ap.add_argument("--old-rev", default="70bc6b6")
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args()

    from graphlink.ingest import read
    from graphlink.ingest.tables import REQUESTS
    from graphlink.ingest.validate import validate
    from graphlink.similarity.accumulate import RequestAccumulator
    from graphlink.similarity.run import requests_file

    batches = []
    t = time.perf_counter()
    for raw in read.iter_batches(requests_file(args.log), REQUESTS, batch_size=500_000):
        v = validate(REQUESTS, raw).valid
        batches.append((v["account_id"], v["ts"].to_numpy(), v["model"], v["prompt_fingerprint"]))
    print(f"read + validate: {time.perf_counter() - t:.1f} s wall, {len(batches)} batches")
    classes = {f"old ({args.old_rev})": load_old(args.old_rev), "new": RequestAccumulator}
    ref = None
    for _ in range(args.rounds):
        for name, cls in classes.items():
            acc = cls(bucket_seconds=60)
            w, c = time.perf_counter(), time.process_time()
            for b in batches:
                acc.add(*b)
            agg = acc.finish()
            w, c = time.perf_counter() - w, time.process_time() - c
            same = (
                ""
                if ref is None
                else (
                    "  identical"
                    if all(np.array_equal(getattr(ref, f), getattr(agg, f)) for f in FIELDS)
                    else "  DIFFERENT"
                )
            )
            ref = ref or agg
            print(
                f"{name:<16} accumulate {w:7.1f} s wall {c:7.1f} s CPU  "
                f"facts {len(agg.fp_hash):,} / {len(agg.bucket):,} / {len(agg.mh_count):,}{same}",
                flush=True,
            )


if __name__ == "__main__":
    main()
