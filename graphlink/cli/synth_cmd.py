"""``graphlink synth``: generate a snapshot with planted rings and its ground truth."""

from __future__ import annotations

import time
from collections.abc import Callable
from enum import Enum
from pathlib import Path

import typer
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from graphlink import synth
from graphlink.cli._app import app, console
from graphlink.errors import InputError

_GEN_STAGES = ("layout", "benign accounts", "rings", "assemble")


class SnapshotFormat(str, Enum):
    csv = "csv"
    csv_gz = "csv.gz"
    parquet = "parquet"


@app.command("synth")
def synth_cmd(
    out: Path = typer.Option(
        ..., "--out", "-o", help="Snapshot directory to write (created if missing)."
    ),
    truth: Path = typer.Option(..., "--truth", help="Ground-truth CSV to write."),
    accounts: int = typer.Option(1_000_000, "--accounts", "-n", min=0, help="Benign accounts."),
    seed: int = typer.Option(7, "--seed", help="Random seed: same seed, same files."),
    ring_accounts: int = typer.Option(
        None,
        "--ring-accounts",
        min=0,
        help="Ring accounts on top (default 2.4% of --accounts, 60..24,000).",
    ),
    fmt: SnapshotFormat = typer.Option(
        SnapshotFormat.csv, "--format", "-f", help="csv, csv.gz or parquet."
    ),
    archetypes: str = typer.Option(
        None,
        "--archetypes",
        help="Comma-separated campaign archetypes to draw from (default all): "
        + ", ".join(synth.ARCHETYPES)
        + ".",
    ),
    no_similarity: bool = typer.Option(
        False,
        "--no-similarity",
        help="Write an empty behaviour_similarity table (infrastructure only; with --requests "
        "only the request log can give the pairs).",
    ),
    requests: int = typer.Option(
        0, "--requests", min=0, help="Also write a request log of this many rows "
                                     "(requests.<format>)."
    ),
) -> None:
    """Generate a synthetic snapshot with hydra-style rings and hard benign negatives.

    Each seed draws campaigns of several archetypes (tactics) with randomized sizes and
    rates, and its own plan, provider, BIN and domain names (docs/synth.md).
    """
    try:
        chosen = synth.archetype_codes(archetypes) if archetypes is not None else None
    except ValueError as e:
        raise InputError(f"--archetypes: {e}") from None
    total_steps = len(_GEN_STAGES) + len(synth.TABLES) + 1 + bool(requests)
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bars:
        task = bars.add_task("generating", total=total_steps)

        def step(prefix: str) -> Callable[[str], None]:
            def on(stage: str) -> None:
                bars.update(task, description=f"{prefix} {stage}")
                bars.advance(task)

            return on

        t0 = time.perf_counter()
        sc = synth.generate(
            accounts,
            ring_accounts=ring_accounts,
            seed=seed,
            archetypes=None if chosen is None else tuple(synth.ARCHETYPES[c] for c in chosen),
            with_similarity=not no_similarity,
            progress=step("generating"),
        )
        t_gen = time.perf_counter() - t0
        t1 = time.perf_counter()
        paths = synth.write_snapshot(sc, out, fmt=fmt.value, progress=step("writing"))
        step("writing")("truth")
        synth.write_truth(sc, truth)
        if requests:
            from graphlink.synth.requests import write_requests

            step("writing")("requests")
            paths["requests"] = write_requests(
                sc, out / f"requests.{fmt.value}", requests, fmt=fmt.value, seed=seed
            )
        else:
            for stale in out.glob("requests.*"):  # a log of an earlier run would not match
                stale.unlink()
        t_write = time.perf_counter() - t1

    table = Table(title=f"synthetic snapshot → {out}")
    table.add_column("table", style="bold")
    table.add_column("rows", justify="right")
    table.add_column("file")
    sizes = {k: v for k, v in sc.sizes().items() if k in paths}
    if requests:
        sizes["requests"] = requests
    for name, n in sizes.items():
        table.add_row(name, f"{n:,}", paths[name].name)
    table.add_row("truth", f"{sc.truth_table.num_rows:,}", str(truth))
    console.print(table)
    summary = Table(show_header=False, box=None)
    summary.add_row("benign accounts", f"{sc.n_benign:,}")
    summary.add_row("ring accounts", f"{sc.n_ring:,} in {len(sc.campaigns)} campaigns")
    ring = sc.truth[sc.truth.segment == "ring"]
    per_arch = ring.groupby("archetype").agg(
        campaigns=("campaign", "nunique"), accounts=("account_id", "size")
    )
    summary.add_row(
        "archetypes",
        ", ".join(f"{a} {r.campaigns}×/{r.accounts:,}" for a, r in per_arch.iterrows()),
    )
    summary.add_row("seed", str(seed))
    summary.add_row("seconds", f"{t_gen:.1f} generate + {t_write:.1f} write")
    console.print(summary)
