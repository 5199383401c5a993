"""Benchmark ``graphlink similarity``: a 16-million-request log, beside naive baselines.

    .venv/bin/python bench/bench_similarity.py                                   # 16M, csv +
    parquet
    .venv/bin/python bench/bench_similarity.py --requests 2000000 --accounts 50000 \\
        --ring-accounts 2400 --formats parquet --evaluate                         # develop size

The scenario comes from :mod:`graphlink.synth` (``--accounts`` benign +
``--ring-accounts`` ring accounts) and the log from
:mod:`graphlink.synth.requests`, cached under ``/tmp/graphlink-bench-similarity``.
Each format is derived in its own Python process (so its peak RSS is its own),
through the same path as ``graphlink similarity`` (ingest's reader and per-row
validation, the streamed accumulator, the three signals).  Printed:

* wall and CPU seconds (read + validate + accumulate, derive), peak RSS, and the
  peak RSS of a log a quarter the size (memory flat in the number of requests);
* per signal: pairs, pair precision (both accounts in the same planted
  campaign), ring-account recall (ring accounts with at least one pair to a
  campaign mate), campus pairs;
* naive baselines on the same aggregates: accounts with exactly equal
  fingerprint sets paired; all pairs within each time bucket on a sample of
  accounts (time and pair incidences, extrapolated to the whole log);
* ``--evaluate``: detection (graphlink's core, then ``graphlink.evaluate``'s
  figures: what ``graphlink evaluate`` prints, without the Neo4j round trip) on
  the scenario twice: with the generator's upstream pairs, and with only the
  pairs derived from the log.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

CACHE = Path("/tmp/graphlink-bench-similarity")


def scenario(args: argparse.Namespace):
    from graphlink.synth import generate

    return generate(args.accounts, ring_accounts=args.ring_accounts, seed=args.seed)


def generator_version() -> str:
    """A digest of the generator's source: a cached log or truth made by another version of
    ``graphlink.synth`` names other accounts than today's scenario (a stale cache once
    paired a log with a newer scenario's truth), so it is never reused."""
    import hashlib

    h = hashlib.sha256()
    for f in sorted((REPO / "graphlink" / "synth").rglob("*.py")):
        h.update(f.read_bytes())
    return h.hexdigest()[:10]


def log_path(args: argparse.Namespace, n: int, fmt: str) -> Path:
    return (CACHE / f"requests-{args.accounts}-{args.ring_accounts}-{n}-s{args.seed}"
                    f"-g{generator_version()}.{fmt}")


def ensure_logs(args: argparse.Namespace, sizes: list[tuple[int, str]]) -> None:
    missing = [(n, f) for n, f in sizes if not log_path(args, n, f).exists()]
    if not missing:
        return
    from graphlink.synth import write_truth
    from graphlink.synth.requests import write_requests

    sc = scenario(args)
    CACHE.mkdir(parents=True, exist_ok=True)
    write_truth(sc, truth_path(args))
    for n, fmt in missing:
        t = time.perf_counter()
        tmp = log_path(args, n, fmt).with_suffix(".partial")
        write_requests(sc, tmp, n, fmt=fmt, seed=args.seed)
        tmp.rename(log_path(args, n, fmt))
        print(
            f"generated {log_path(args, n, fmt).name} in {time.perf_counter() - t:.0f}s", flush=True
        )


def truth_path(args: argparse.Namespace) -> Path:
    name = f"truth-{args.accounts}-{args.ring_accounts}-s{args.seed}-g{generator_version()}.csv"
    return CACHE / name


# -- one derivation, in its own process ---------------------------------------------------


class RssSampler:
    """Peak resident memory per stage, sampled every 50 ms from /proc (a thread)."""

    def __init__(self) -> None:
        import threading

        self.stage = "start"
        self.peaks: dict[str, float] = {}
        threading.Thread(target=self._run, daemon=True).start()

    @staticmethod
    def rss_mb() -> float:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * resource.getpagesize() / 2**20

    def _run(self) -> None:
        while True:
            r, s = self.rss_mb(), self.stage
            self.peaks[s] = max(self.peaks.get(s, 0.0), r)
            time.sleep(0.05)


def worker(path: Path, out: Path, naive: bool, sample: float, memory_mb: float | None) -> None:
    import graphlink.similarity as sim
    from graphlink.ingest import read
    from graphlink.ingest.tables import REQUESTS
    from graphlink.ingest.validate import validate
    from graphlink.similarity import RequestAccumulator, SimilarityConfig, derive
    from graphlink.similarity.run import accumulate_checked, requests_file

    rss = RssSampler()
    # stage names for the sampler: each signal of derive() as it runs
    for name in ("prompt_template_pairs", "timing_sync_pairs", "model_pivot_pairs", "finalise"):
        def staged(*a, _f=getattr(sim, name), _n=name, **k):
            rss.stage = _n.removesuffix("_pairs")
            return _f(*a, **k)
        setattr(sim, name, staged)
    cfg = SimilarityConfig()
    load0 = os.getloadavg()[0]
    w0, c0 = time.perf_counter(), time.process_time()
    acc = RequestAccumulator(bucket_seconds=cfg.bucket_seconds, memory_mb=memory_mb)
    n_read = n_rej = 0
    rss.stage = "read+validate+accumulate"
    for raw in read.iter_batches(requests_file(path), REQUESTS, batch_size=500_000):
        checked = validate(REQUESTS, raw)
        n_read += checked.n_read
        n_rej += checked.n_rejected
        accumulate_checked(acc, checked)
    rss.stage = "finish"
    agg = acc.finish()
    spills = acc.facts.spills
    del acc
    w1, c1 = time.perf_counter(), time.process_time()
    d = derive(agg, cfg)
    w2, c2 = time.perf_counter(), time.process_time()
    rss.stage = "after"
    pairs_file = out.with_suffix(".pairs.parquet")
    d.pairs.to_parquet(pairs_file)
    # the baseline of model_pivot's corroboration, on the same aggregates: cohort pairs
    # as derivation v1 emitted them (pivot time alone), the other signals unchanged
    from graphlink.similarity.pairs import finalise
    from graphlink.similarity.pivot import model_pivot_pairs

    mp, _ = model_pivot_pairs(agg, cfg.with_(pivot_max_chance=1.0))
    v1 = finalise(agg.account_ids, {"model_pivot": mp},
                  max_pairs_per_account=cfg.max_pairs_per_account)
    uncorroborated_file = out.with_suffix(".uncorroborated.parquet")
    pd.concat([d.pairs[d.pairs.signal != "model_pivot"], v1], ignore_index=True).to_parquet(
        uncorroborated_file)
    res = {
        "file": path.name,
        "rows": n_read,
        "rejected": n_rej,
        "accounts": d.n_accounts,
        "read_wall": w1 - w0,
        "read_cpu": c1 - c0,
        "derive_wall": w2 - w1,
        "derive_cpu": c2 - c1,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "stage_peak_mb": dict(rss.peaks),
        "spills": spills,
        "memory_mb": memory_mb,
        "load": [load0, os.getloadavg()[0]],
        "stats": d.stats, "pairs_file": str(pairs_file),
        "uncorroborated_file": str(uncorroborated_file),
    }
    if naive:
        res["naive"] = naive_baselines(agg, cfg, sample=sample)
    agg.close()
    out.write_text(json.dumps(res, default=float))


def naive_baselines(agg, cfg, *, sample: float) -> dict:
    """Exact-equal fingerprint sets; all pairs within buckets on a sample of accounts."""
    out: dict = {}
    # 1. exact-equal sets: an order-free hash of each account's set of fingerprints
    # (an account with a one-off prompt has a set nobody else has: only accounts without
    # one-offs can be equal, and their sets are in the shared facts)
    t = time.perf_counter()
    pr = agg.prompts
    h = (pr.fp_hash * np.uint64(0x9E3779B97F4A7C15)) ^ (pr.fp_hash >> np.uint64(29))
    set_hash = np.zeros(agg.n_accounts, dtype=np.uint64)
    np.add.at(set_hash, pr.fp_account, h)
    size = np.bincount(pr.fp_account, minlength=agg.n_accounts)
    key = pd.Series(set_hash).astype(str) + "/" + pd.Series(size).astype(str)
    codes, _ = pd.factorize(key)
    codes[(pr.oneoff_fps > 0) | (size == 0)] = -1
    groups = pd.Series(codes[codes >= 0]).value_counts()
    big = groups[groups >= 2]
    member = np.flatnonzero(np.isin(codes, big.index.to_numpy()))
    out["exact_sets"] = {
        "seconds": time.perf_counter() - t,
        "groups": len(big),
        "accounts": len(member),
        "pairs": int((big * (big - 1) // 2).sum()),
        "pair_groups": [
            (agg.account_ids[member[codes[member] == g]].tolist()) for g in big.index[:2000]
        ],
    }
    # 2. all pairs inside every time bucket, for a sample of the accounts
    t = time.perf_counter()
    rng = np.random.default_rng(0)
    chosen = rng.random(agg.n_accounts) < sample
    parts = [(acct[chosen[acct]], bucket[chosen[acct]]) for acct, bucket in agg.bucket_parts()]
    a = np.concatenate([p[0] for p in parts])
    b = np.concatenate([p[1] for p in parts])
    order = np.argsort(b, kind="stable")
    a, b = a[order], b[order]
    starts = np.r_[0, np.flatnonzero(b[1:] != b[:-1]) + 1, len(b)]
    keys = []
    incidences = 0
    for lo, hi in itertools.pairwise(starts):
        k = hi - lo
        if k < 2:
            continue
        i, j = np.triu_indices(k, 1)
        x, y = a[lo:hi][i], a[lo:hi][j]
        keys.append(np.minimum(x, y) * agg.n_accounts + np.maximum(x, y))
        incidences += len(i)
    allk = np.concatenate(keys) if keys else np.zeros(0, dtype=np.int64)
    uk, cnt = np.unique(allk, return_counts=True)
    hit = uk[cnt >= cfg.min_co_buckets]
    secs = time.perf_counter() - t
    out["bucket_pairs_sample"] = {
        "sample": sample,
        "accounts": int(chosen.sum()),
        "seconds": secs,
        "pair_incidences": int(incidences),
        "pairs_over_min": len(hit),
        "extrapolated_incidences": int(incidences / sample**2),
        "extrapolated_seconds": secs / sample**2,
        "pairs": [
            [agg.account_ids[k // agg.n_accounts], agg.account_ids[k % agg.n_accounts]]
            for k in hit[:200_000].tolist()
        ],
    }
    return out


# -- quality against the planted rings ------------------------------------------------------


def pair_quality(a: np.ndarray, b: np.ndarray, truth: pd.DataFrame) -> dict:
    t = truth.set_index("account_id")
    camp = t["campaign"].fillna("")
    seg = t["segment"]
    ca, cb = camp.reindex(a).fillna("").to_numpy(), camp.reindex(b).fillna("").to_numpy()
    sa, sb = seg.reindex(a).to_numpy(), seg.reindex(b).to_numpy()
    same = (ca == cb) & (ca != "")
    ring = set(t.index[seg == "ring"])
    covered = set(np.asarray(a)[same]) | set(np.asarray(b)[same])
    benign = (sa != "ring") | (sb != "ring")
    return {
        "pairs": len(a),
        "precision": float(same.mean()) if len(a) else float("nan"),
        "ring_recall": len(covered) / len(ring) if ring else float("nan"),
        "campus_pairs": int(((sa == "campus") & (sb == "campus")).sum()),
        "pairs_with_benign": int(benign.sum()),
    }


def exact_set_quality(groups: list[list[str]], truth: pd.DataFrame) -> dict:
    a, b = [], []
    for g in groups:
        g = sorted(g)[:50]
        for x in range(len(g)):
            for y in range(x + 1, len(g)):
                a.append(g[x])
                b.append(g[y])
    return pair_quality(np.array(a, dtype=object), np.array(b, dtype=object), truth)


# -- detection with upstream vs derived pairs -------------------------------------------------


def evaluate_twice(args: argparse.Namespace, pairs_file: Path,
                   baseline_file: Path | None = None,
                   other_pairs: Path | None = None) -> list[dict]:
    from dataclasses import replace

    from graphlink.banwave import WaveParams, select_wave
    from graphlink.detect import DEFAULT_SEED, DetectionConfig, detect_links
    from graphlink.holdout import wave_metrics

    sc = scenario(args)
    truth = sc.truth
    up = sc.links()
    cols = ["account_a", "account_b", "score", "signal"]
    runs = [("upstream pairs", up),
            ("request log only", replace(up, similarity=pd.read_parquet(pairs_file)[cols]))]
    if baseline_file is not None:
        runs.append(("log, pivot uncorroborated (v1)",
                     replace(up, similarity=pd.read_parquet(baseline_file)[cols])))
    if other_pairs is not None:
        runs.append(("log, --baseline-pairs file",
                     replace(up, similarity=pd.read_parquet(other_pairs)[cols])))
    if args.floor_too:  # the same runs with the infrastructure floor, same process
        runs += [(f"{label}, floor", links) for label, links in runs]
    rows = []
    for label, links in runs:
        t = time.perf_counter()
        config = DetectionConfig().with_(infrastructure_floor=label.endswith(", floor"))
        res = detect_links(links, config, seed=DEFAULT_SEED)
        # the wave `graphlink banwave` would commit (skip rules included): what
        # `graphlink evaluate` scores, not every member of a cluster over the bar
        wave = select_wave(res.clusters, res.members, links.accounts, WaveParams())
        m, per = wave_metrics(wave.entries, truth, method=label)
        seconds = time.perf_counter() - t
        rows.append({"label": label, "similarity_pairs": len(links.similarity),
                     "precision": m.precision, "recall": m.recall, "flagged": m.n_flagged,
                     "whole_groups_banned": sum(m.whole_groups_banned.values()),
                     "false_bans": m.false_bans_per_segment, "seconds": seconds,
                     "recall_per_archetype": per})
        fb = {k: v for k, v in m.false_bans_per_segment.items() if v}
        print(f"  {label:<31} P={m.precision:.4f} R={m.recall:.4f} flagged={m.n_flagged:,} "
              f"whole groups {sum(m.whole_groups_banned.values())} false bans {fb} "
              f"({seconds:.0f}s)", flush=True)
    archetypes = sorted({a for r in rows for a in r["recall_per_archetype"]})
    print(f"  {'recall per archetype':<31} " + " ".join(f"{a[:14]:>14}" for a in archetypes))
    for r in rows:
        print(f"  {r['label']:<31} " + " ".join(
            f"{r['recall_per_archetype'].get(a, float('nan')):>14.3f}" for a in archetypes))
    return rows


def run_worker(path: Path, naive: bool, sample: float, memory_mb: float | None) -> dict:
    out = CACHE / f"result-{path.name}.json"
    cmd = [
        sys.executable,
        __file__,
        "--worker",
        str(path),
        "--out",
        str(out),
        "--sample",
        str(sample),
        "--memory-mb",
        "none" if memory_mb is None else str(memory_mb),
    ] + (["--naive"] if naive else [])
    w = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(cmd, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    res = json.loads(out.read_text())
    res["wall"] = time.perf_counter() - w  # process start and imports included
    res["cpu"] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return res


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--requests", type=int, default=16_000_000)
    ap.add_argument("--accounts", type=int, default=400_000, help="benign accounts")
    ap.add_argument("--ring-accounts", type=int, default=20_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--formats", default="csv,parquet")
    ap.add_argument(
        "--sample", type=float, default=0.05, help="account sample of the naive bucket baseline"
    )
    ap.add_argument("--no-flat", action="store_true", help="skip the quarter-size memory run")
    ap.add_argument(
        "--evaluate", action="store_true", help="detection with upstream vs derived pairs"
    )
    ap.add_argument("--memory-mb", type=lambda v: None if v == "none" else float(v),
                    default=256.0, help="the accumulator's budget (default: that of "
                    "GRAPHLINK_SIMILARITY_MEMORY_MB); 'none': never spill")
    ap.add_argument("--baseline-pairs", type=Path,
                    help="pairs another revision derived from the same log (e.g. main's): the "
                         "difference from today's, and its detection figures beside them")
    ap.add_argument("--floor-too", action="store_true",
                    help="with --evaluate: also detect with DetectionConfig.infrastructure_floor "
                    "on (off by default)")
    ap.add_argument("--json", type=Path, help="also write every figure here")
    ap.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--naive", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        worker(args.worker, args.out, args.naive, args.sample, args.memory_mb)
        return

    fmts = args.formats.split(",")
    quarter = args.requests // 4
    sizes = [(args.requests, f) for f in fmts] + ([] if args.no_flat else [(quarter, fmts[0])])
    ensure_logs(args, sizes)
    truth = pd.read_csv(truth_path(args), keep_default_na=False)
    results = {}
    for i, fmt in enumerate(fmts):
        print(f"deriving from {log_path(args, args.requests, fmt).name} ...", flush=True)
        results[fmt] = run_worker(
            log_path(args, args.requests, fmt), naive=i == 0, sample=args.sample,
            memory_mb=args.memory_mb,
        )
    if not args.no_flat:
        print(f"deriving from the quarter-size log ({quarter:,} rows) ...", flush=True)
        results["quarter"] = run_worker(
            log_path(args, quarter, fmts[0]), naive=False, sample=args.sample,
            memory_mb=args.memory_mb,
        )

    print()
    print(
        f"graphlink similarity: {args.requests:,} requests, {args.accounts:,} benign + "
        f"{args.ring_accounts:,} ring accounts (seed {args.seed})"
    )
    print(
        f"{'input':<12} {'wall s':>8} {'cpu s':>8} {'read+acc s':>11} {'derive s':>9} "
        f"{'peak RSS MB':>12} {'rows':>12} {'rejected':>9} {'spills':>7} {'load avg':>10}"
    )
    for name, r in results.items():
        print(
            f"{name:<12} {r['wall']:>8.1f} {r['cpu']:>8.1f} {r['read_wall']:>11.1f} "
            f"{r['derive_wall']:>9.1f} {r['peak_rss_mb']:>12.0f} {r['rows']:>12,} "
            f"{r['rejected']:>9,} {r['spills']:>7} {r['load'][0]:>4.1f}-{r['load'][1]:<4.1f}"
        )
    print(f"budget GRAPHLINK_SIMILARITY_MEMORY_MB={args.memory_mb}; peak RSS MB per stage:")
    for name, r in results.items():
        print(f"  {name:<10} " + ", ".join(f"{s} {v:,.0f}" for s, v in r["stage_peak_mb"].items()))
    main_r = results[fmts[0]]
    pairs = pd.read_parquet(main_r["pairs_file"])
    print()
    print(
        f"{'method':<34} {'pairs':>10} {'precision':>10} {'ring recall':>12} {'campus pairs':>13} "
        f"{'seconds':>9}"
    )
    quality = {}
    for signal in ("prompt_template", "timing_sync", "model_pivot"):
        g = pairs[pairs.signal == signal]
        q = pair_quality(g.account_a.to_numpy(), g.account_b.to_numpy(), truth)
        q["seconds"] = main_r["stats"][signal]["seconds"]
        quality[signal] = q
        print(f"{'derived ' + signal:<34} {q['pairs']:>10,} {q['precision']:>10.4f} "
              f"{q['ring_recall']:>12.4f} {q['campus_pairs']:>13,} {q['seconds']:>9.1f}")
    base = pd.read_parquet(main_r["uncorroborated_file"])
    g = base[base.signal == "model_pivot"]
    q = pair_quality(g.account_a.to_numpy(), g.account_b.to_numpy(), truth)
    quality["model_pivot_uncorroborated"] = q
    st = main_r["stats"]["model_pivot"]
    print(f"{'  model_pivot uncorroborated (v1)':<34} {q['pairs']:>10,} {q['precision']:>10.4f} "
          f"{q['ring_recall']:>12.4f} {q['campus_pairs']:>13,}   "
          f"(cohort pairs {st['cohort_pairs']:,}, refused {st['uncorroborated']:,})")
    q = pair_quality(pairs.account_a.to_numpy(), pairs.account_b.to_numpy(), truth)
    quality["all"] = q
    print(
        f"{'derived, all signals':<34} {q['pairs']:>10,} {q['precision']:>10.4f} "
        f"{q['ring_recall']:>12.4f} {q['campus_pairs']:>13,}"
    )
    nv = main_r["naive"]
    ex = nv["exact_sets"]
    qe = exact_set_quality(ex["pair_groups"], truth)
    print(
        f"{'naive: exact-equal fingerprint sets':<34} {ex['pairs']:>10,} {qe['precision']:>10.4f} "
        f"{qe['ring_recall']:>12.4f} {qe['campus_pairs']:>13,} {ex['seconds']:>9.1f}"
    )
    bp = nv["bucket_pairs_sample"]
    bpp = np.array(bp["pairs"], dtype=object).reshape(-1, 2)
    qb = pair_quality(bpp[:, 0], bpp[:, 1], truth)
    print(
        f"{'naive: all pairs in buckets, ' + format(bp['sample'], '.0%') + ' sample':<34} "
        f"{bp['pairs_over_min']:>10,} {qb['precision']:>10.4f} {'(sample)':>12} "
        f"{qb['campus_pairs']:>13,} {bp['seconds']:>9.1f}"
    )
    print(
        f"  its pair incidences: {bp['pair_incidences']:,} on the sample; extrapolated to the "
        "whole "
        f"log {bp['extrapolated_incidences']:,} (~{bp['extrapolated_seconds'] / 60:,.0f} min)"
    )
    if not args.no_flat:
        print(
            f"\nmemory: peak RSS {results['quarter']['peak_rss_mb']:,.0f} MB at {quarter:,} rows, "
            f"{main_r['peak_rss_mb']:,.0f} MB at {args.requests:,} "
            f"(x{main_r['peak_rss_mb'] / results['quarter']['peak_rss_mb']:.2f} for x4 rows)"
        )
    if args.baseline_pairs:
        other = pd.read_parquet(args.baseline_pairs)
        key = ["account_a", "account_b", "signal"]
        m = pairs.merge(other, on=key, how="outer", suffixes=("", "_base"), indicator=True)
        both = m["_merge"] == "both"
        print(f"\nagainst {args.baseline_pairs.name}: {len(other):,} pairs there, {len(pairs):,} "
              f"here; only here {int((m['_merge'] == 'left_only').sum()):,}, only there "
              f"{int((m['_merge'] == 'right_only').sum()):,}, common pairs with another score "
              f"{int((m.score[both] != m.score_base[both]).sum()):,}")
        for signal, g in m[~both].groupby("signal"):
            print(f"  {signal}: only here {int((g['_merge'] == 'left_only').sum())}, only there "
                  f"{int((g['_merge'] == 'right_only').sum())}")
        qo = pair_quality(other.account_a.to_numpy(), other.account_b.to_numpy(), truth)
        print(f"  baseline pairs: precision {qo['precision']:.4f}, ring recall "
              f"{qo['ring_recall']:.4f} (here {quality['all']['precision']:.4f}, "
              f"{quality['all']['ring_recall']:.4f})")
        quality["baseline_pairs"] = qo
    evaluation = None
    if args.evaluate:
        print("\ndetection (core) + graphlink.evaluate figures, same scenario:")
        evaluation = evaluate_twice(args, Path(main_r["pairs_file"]),
                                    Path(main_r["uncorroborated_file"]), args.baseline_pairs)
    if args.json:
        for r in results.values():
            r.pop("naive", None)
        args.json.write_text(
            json.dumps(
                {"results": results, "quality": quality, "naive_exact": qe, "evaluate": evaluation},
                indent=2,
                default=float,
            )
        )


if __name__ == "__main__":
    main()
