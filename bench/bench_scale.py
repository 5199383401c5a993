"""Scale benchmark: ``graphlink detect`` end to end against a Neo4j holding a scenario.

Compares, in the same run and on the same store, the old row-dict read-out
(``run_detection(columnar=False)``), the columnar read-out (the default) and,
with ``--spark``, the Spark engine (``local[*]``).  Each variant runs in its own
subprocess (clean peak RSS), variants alternate, ``--repeats`` times; medians and
ratios against the old path are printed, with agreement of the clusterings
(adjusted Rand index over all accounts, non-members as singletons) and of the
ban wave (accounts in clusters at or above the risk threshold).

Usage (Neo4j already loaded, e.g. ``graphlink synth -n 1000000 -f parquet`` then
``graphlink ingest --bulk``; the usual GRAPHLINK_* / NEO4J_* environment)::

    .venv/bin/python bench/bench_scale.py --repeats 3 [--spark] [--truth truth.csv] \
        [--json out.json]

Server CPU seconds are read from /proc for the local server (its pid file),
because on a shared machine wall time mostly measures the neighbours.

``--stores`` mode: the engines side by side at several sizes, in one run. Each store is
``LABEL=GRAPHLINK_HOME:BOLT_PORT`` (its server already up); at each size the variants
(default ``linked,spark,columnar``: the in-process engine as shipped, Leiden on linked
accounts; the Spark engine on ``local[*]``; the in-process engine with Leiden over all
accounts) run once each, and the bench prints wall, CPU (this process, its
child processes such as Spark's JVM and Python workers, and the Neo4j server), peak RSS
(driver, and driver + children), the adjusted Rand index and ban-wave difference of each
variant against the first (the shipped path), then the growth table with the fitted growth exponent
(slope of log cost on log accounts, least squares over the sizes run)::

    .venv/bin/python bench/bench_scale.py \
        --stores 0.1M=/tmp/gl-s2/h100:26687,1M=/tmp/gl-scale/h1m:28687 --json out.json
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

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _server_cpu() -> float | None:
    from graphlink.config import get_settings

    pid_file = get_settings().neo4j_home / "run" / "neo4j.pid"
    try:
        f = open(f"/proc/{int(pid_file.read_text().strip())}/stat").read().split(")")[1].split()
        return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError):
        return None


def _children() -> tuple[float, float]:
    """CPU seconds and summed peak RSS (MB) of this process's live descendants (Spark's JVM...)."""
    import psutil

    cpu = rss = 0.0
    for c in psutil.Process().children(recursive=True):
        try:
            t = c.cpu_times()
            cpu += t.user + t.system
            hwm = [ln for ln in open(f"/proc/{c.pid}/status") if ln.startswith("VmHWM")]
            rss += int(hwm[0].split()[1]) / 1024 if hwm else 0.0
        except (OSError, psutil.Error):
            continue
    return cpu, rss


def one(variant: str, out: Path) -> None:
    """Run one detection and dump its figures + membership.

    Variants: ``row`` (old read-out), ``columnar`` (Leiden over all accounts),
    ``linked`` (columnar, Leiden on linked accounts only: the default),
    ``spark`` (``local[*]``).
    """
    from graphlink.config import get_settings
    from graphlink.detect import DetectionConfig
    from graphlink.detect.run import run_detection
    from graphlink.store import open_store

    s0, w0, c0 = _server_cpu(), time.perf_counter(), time.process_time()
    with open_store(get_settings()) as store:
        res = run_detection(
            store,
            DetectionConfig(leiden_linked_only=variant == "linked"),
            seed=42,
            columnar=variant != "row",
            spark_master="local[*]" if variant == "spark" else None,
        )
    wall, cpu, s1 = time.perf_counter() - w0, time.process_time() - c0, _server_cpu()
    live_cpu, live_rss = _children()
    reaped = resource.getrusage(resource.RUSAGE_CHILDREN)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    res.members[["account_id", "cluster_id", "cluster_risk"]].to_parquet(
        out.with_suffix(".parquet")
    )
    out.write_text(
        json.dumps(
            {
                "variant": variant,
                "wall_s": wall,
                "client_cpu_s": cpu,
                "server_cpu_s": None if s0 is None or s1 is None else s1 - s0,
                "stage_seconds": res.stage_seconds,
                "peak_rss_mb": peak,
                "children_cpu_s": live_cpu + reaped.ru_utime + reaped.ru_stime,
                "peak_rss_with_children_mb": peak + max(live_rss, reaped.ru_maxrss / 1024),
                "load": os.getloadavg(),
                "accounts": res.stats["accounts"],
                "edges": res.stats["edges"],
                "risk_threshold": res.params["risk_threshold"],
            }
        )
    )


def agreement(a: Path, b: Path, threshold: float) -> dict[str, float | int]:
    import pandas as pd
    from sklearn.metrics import adjusted_rand_score

    ma, mb = pd.read_parquet(a), pd.read_parquet(b)
    ids = pd.Index(sorted(set(ma["account_id"]) | set(mb["account_id"])))

    def labels(m: pd.DataFrame) -> list[str]:
        lab = m.set_index("account_id")["cluster_id"].reindex(ids)
        return [x if isinstance(x, str) else f"_alone{i}" for i, x in enumerate(lab)]

    fa = set(ma.loc[ma["cluster_risk"] >= threshold, "account_id"])
    fb = set(mb.loc[mb["cluster_risk"] >= threshold, "account_id"])
    return {
        "ari": adjusted_rand_score(labels(ma), labels(mb)),
        "wave_a": len(fa),
        "wave_b": len(fb),
        "wave_differ": len(fa ^ fb),
    }


def _run_one(variant: str, out: Path, env: dict[str, str] | None, timeout: float) -> dict | None:
    try:
        subprocess.run([sys.executable, __file__, "--one", variant, "--out", str(out)],
                       check=True, env=env, timeout=timeout)
    except (subprocess.TimeoutExpired, subprocess.CalledProcessError) as e:
        print(f"  {variant}: did not finish ({e})", flush=True)
        return None
    return json.loads(out.read_text())


def growth_exponent(sizes: list[float], costs: list[float]) -> float:
    """Least-squares slope of log(cost) on log(size): cost ~ size ** exponent."""
    import numpy as np

    return float(np.polyfit(np.log(sizes), np.log(costs), 1)[0])


def engines(stores: list[str], variants: list[str], timeout: float, json_out: Path | None) -> None:
    """The engines side by side at each size, then the growth table (see the module docstring)."""
    import tempfile

    tmp = Path(tempfile.mkdtemp(prefix="bench-engines-"))
    figs: dict[str, dict[str, dict]] = {}
    agree: dict[str, dict[str, dict]] = {}
    for spec in stores:
        label, where = spec.split("=", 1)
        home, port = where.rsplit(":", 1)
        env = os.environ | {"GRAPHLINK_HOME": home, "GRAPHLINK_BOLT_PORT": port}
        figs[label], agree[label] = {}, {}
        print(f"\n== {label}: {home} (load {os.getloadavg()[0]:.1f})", flush=True)
        # One untimed detection first: page cache, query plans and the write path warm
        # (measured: the first run on an idle store paid twice the server CPU).
        _run_one("columnar", tmp / f"{label}-warm.json", env, timeout)
        for v in variants:
            fig = _run_one(v, tmp / f"{label}-{v}.json", env, timeout)
            if fig is None:
                continue
            fig["cpu_total_s"] = (fig["client_cpu_s"] + fig["children_cpu_s"]
                                  + (fig["server_cpu_s"] or 0.0))
            figs[label][v] = fig
            print(f"  {v:<9} wall {fig['wall_s']:7.1f}s  CPU {fig['cpu_total_s']:6.1f}s "
                  f"(client {fig['client_cpu_s']:.1f}, children {fig['children_cpu_s']:.1f}, "
                  f"server {fig['server_cpu_s'] or float('nan'):.1f})  peak RSS "
                  f"{fig['peak_rss_mb']:,.0f} MB (+children "
                  f"{fig['peak_rss_with_children_mb']:,.0f})  load {fig['load'][0]:.1f}  "
                  f"{fig['stage_seconds']}", flush=True)
        base = variants[0]
        if base in figs[label]:
            thr = figs[label][base]["risk_threshold"]
            for v in variants[1:]:
                if v in figs[label]:
                    a = agreement(tmp / f"{label}-{base}.parquet",
                                  tmp / f"{label}-{v}.parquet", thr)
                    agree[label][v] = a
                    print(f"  {v} vs {base}: ARI {a['ari']:.4f}, ban wave {a['wave_b']:,} vs "
                          f"{a['wave_a']:,} ({a['wave_differ']:,} differ)", flush=True)
    print(f"\ngrowth table (load now {os.getloadavg()[0]:.1f}; CPU = client + children + server)")
    print(f"{'variant':<10}{'size':>8}{'accounts':>11}{'edges':>11}{'wall s':>9}{'CPU s':>8}"
          f"{'peak RSS MB':>13}")
    for v in variants:
        pts = [(figs[lab][v]["accounts"], figs[lab][v]) for lab in figs if v in figs[lab]]
        for lab in figs:
            if v in figs[lab]:
                f = figs[lab][v]
                print(f"{v:<10}{lab:>8}{f['accounts']:>11,}{f['edges']:>11,}{f['wall_s']:>9.1f}"
                      f"{f['cpu_total_s']:>8.1f}{f['peak_rss_with_children_mb']:>13,.0f}")
        if len(pts) >= 2:
            n = [p[0] for p in pts]
            print(f"{v:<10} growth exponent over {len(pts)} sizes: wall "
                  f"{growth_exponent(n, [p[1]['wall_s'] for p in pts]):.2f}, CPU "
                  f"{growth_exponent(n, [p[1]['cpu_total_s'] for p in pts]):.2f}, peak RSS "
                  f"{growth_exponent(n, [p[1]['peak_rss_with_children_mb'] for p in pts]):.2f}"
                  + (" (two sizes: a slope, not a fit)" if len(pts) == 2 else ""))
    if json_out:
        json_out.write_text(json.dumps({"figures": figs, "agreement": agree}, indent=2))


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--spark", action="store_true", help="also the Spark engine (local[*])")
    ap.add_argument("--variants", default=None, help="comma list (row,columnar,spark)")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--stores", help="LABEL=HOME:PORT,... : engines side by side at each size")
    ap.add_argument("--timeout", type=float, default=1800, help="seconds per detection run")
    ap.add_argument("--one", help=argparse.SUPPRESS)
    ap.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        one(args.one, args.out)
        return
    if args.stores:
        variants = (args.variants or "linked,spark,columnar").split(",")
        engines(args.stores.split(","), variants, args.timeout, args.json)
        return
    variants = (
        args.variants.split(",")
        if args.variants
        else ["row", "columnar"] + (["spark"] if args.spark else [])
    )
    import tempfile

    tmp = Path(tempfile.mkdtemp(prefix="bench-scale-"))
    runs: dict[str, list[dict]] = {v: [] for v in variants}
    for r in range(args.repeats):
        for v in variants:
            out = tmp / f"{v}-{r}.json"
            subprocess.run([sys.executable, __file__, "--one", v, "--out", str(out)], check=True)
            fig = json.loads(out.read_text())
            runs[v].append(fig)
            print(
                f"[{r}] {v:<9} wall {fig['wall_s']:6.1f}s  client CPU {fig['client_cpu_s']:6.1f}s  "
                f"server CPU {fig['server_cpu_s'] or float('nan'):6.1f}s  peak RSS "
                f"{fig['peak_rss_mb']:,.0f} MB  {fig['stage_seconds']}",
                flush=True,
            )
    base = variants[0]
    med = {
        v: {k: statistics.median(x[k] for x in runs[v]) for k in ("wall_s", "client_cpu_s")}
        for v in variants
    }
    for v in variants:
        sv = [x["server_cpu_s"] for x in runs[v] if x["server_cpu_s"] is not None]
        med[v]["server_cpu_s"] = statistics.median(sv) if sv else float("nan")
        med[v]["read_s"] = statistics.median(x["stage_seconds"]["read"] for x in runs[v])
        med[v]["peak_rss_mb"] = max(x["peak_rss_mb"] for x in runs[v])
    print(
        f"\naccounts {runs[base][0]['accounts']:,}, edges {runs[base][0]['edges']:,}; "
        f"medians of {args.repeats}:"
    )
    print(
        f"{'variant':<10}{'wall s':>9}{'read s':>9}{'client CPU':>12}{'server CPU':>12}"
        f"{'peak RSS MB':>13}"
        f"{'wall ratio':>12}"
    )
    for v in variants:
        m = med[v]
        print(
            f"{v:<10}{m['wall_s']:>9.1f}{m['read_s']:>9.1f}{m['client_cpu_s']:>12.1f}"
            f"{m['server_cpu_s']:>12.1f}{m['peak_rss_mb']:>13,.0f}"
            f"{m['wall_s'] / med[base]['wall_s']:>12.2f}"
        )
    agree = {}
    thr = runs[base][0]["risk_threshold"]
    for v in variants[1:]:
        agree[v] = agreement(tmp / f"{base}-0.parquet", tmp / f"{v}-0.parquet", thr)
        print(f"{v} vs {base}: {agree[v]}")
    if args.json:
        args.json.write_text(
            json.dumps({"runs": runs, "medians": med, "agreement": agree}, indent=2)
        )


if __name__ == "__main__":
    main()
