"""``graphlink similarity REQUESTS_PATH``: derive behaviour_similarity pairs from a request log."""

from __future__ import annotations

import time
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from graphlink.cli._app import app, console
from graphlink.errors import IngestError


class PairsFormat(str, Enum):
    csv = "csv"
    csv_gz = "csv.gz"
    parquet = "parquet"


def _refuse_upstream(path: Path) -> None:
    """Never overwrite a pairs file that is not ours (an upstream job's pairs)."""
    if not path.exists():
        return
    from graphlink.ingest import read

    tf = read.TableFile("behaviour_similarity", path, path.name.split(".", 1)[1])
    if "derivation" not in read.header(tf):
        raise IngestError(f"{path}: holds pairs that were not derived by graphlink; "
                          "choose another --out directory")


@app.command("similarity")
def similarity(
    requests_path: Annotated[Path, typer.Argument(
        help="Request log: requests.csv, .csv.gz or .parquet (account_id, ts, prompt_fingerprint, "
             "optional ip, model, output_tokens).")],
    out: Annotated[Path, typer.Option(
        "--out", "-o", help="Directory for behaviour_similarity.<format> and the rejects file.")
    ] = Path("derived-similarity"),
    fmt: Annotated[PairsFormat, typer.Option("--format", "-f", help="csv, csv.gz or parquet.")
                   ] = PairsFormat.csv,
    batch_size: Annotated[int, typer.Option("--batch-size", min=1000,
                                            help="Rows per streamed batch.")] = 500_000,
    max_pairs: Annotated[int, typer.Option("--max-pairs-per-account", min=1,
                                           help="Most pairs an account keeps per signal.")] = 30,
) -> None:
    """Derive prompt_template, timing_sync and model_pivot pairs (streamed, never all pairs)."""
    from graphlink.cli._app import settings
    from graphlink.ingest.read import total_rows
    from graphlink.ingest.report import RejectsWriter
    from graphlink.similarity import DERIVATION_VERSION, SimilarityConfig, write_pairs
    from graphlink.similarity.run import derive_from_file, requests_file

    tf = requests_file(requests_path)
    cfg = SimilarityConfig(max_pairs_per_account=max_pairs)
    out.mkdir(parents=True, exist_ok=True)
    target = out / f"behaviour_similarity.{fmt.value}"
    _refuse_upstream(target)
    rejects = RejectsWriter(out / "requests-rejects.csv")
    t0 = time.perf_counter()
    try:
        with Progress(SpinnerColumn(), TextColumn("[bold]{task.description:<18}"), BarColumn(),
                      MofNCompleteColumn(), TimeElapsedColumn(), console=console,
                      transient=True) as bars:
            task = bars.add_task("reading requests", total=total_rows(tf))
            derived, counts = derive_from_file(
                tf.path, cfg, batch_size=batch_size, rejects=rejects,
                on_rows=lambda n: bars.advance(task, n),
                memory_mb=settings().similarity_memory_mb,
            )
    finally:
        rejects.close()
    write_pairs(derived.pairs, target)
    seconds = time.perf_counter() - t0

    t = Table(title=f"derived pairs (derivation {DERIVATION_VERSION}) from {tf.path.name}")
    for col in ("signal", "pairs", "accounts", "p50", "p90", "candidates", "s"):
        t.add_column(col, justify="left" if col == "signal" else "right", no_wrap=True)
    for signal, st in derived.stats.items():
        g = derived.pairs[derived.pairs["signal"] == signal]
        accounts = len(set(g["account_a"]) | set(g["account_b"]))
        q = g["score"].quantile([0.5, 0.9]).tolist() if len(g) else [0.0, 0.0]
        t.add_row(
            signal,
            f"{len(g):,}",
            f"{accounts:,}",
            f"{q[0]:.3f}",
            f"{q[1]:.3f}",
            f"{st.get('candidates', st.get('pivoting_accounts', 0)):,}",
            f"{st['seconds']:.1f}",
        )
    console.print(t)
    console.print(
        f"requests: {counts.read:,} read, {counts.used:,} used, "
        f"[{'red' if counts.rejected else 'green'}]{counts.rejected:,} rejected[/]"
        + (
            f" ({', '.join(f'{r}: {n}' for r, n in counts.reasons.most_common(3))})"
            if counts.rejected
            else ""
        )
    )
    console.print(f"{derived.n_accounts:,} accounts, {seconds:.1f}s")
    console.print(f"pairs:   {target}")
    console.print(f"rejects: {rejects.path}")
