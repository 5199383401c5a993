"""``run_detection``: detection against the store, start to finish.

The I/O shell around the pure :mod:`graphlink.detect.pipeline`: read the
links (:mod:`graphlink.detect.source`) and the previous run
(:mod:`graphlink.detect.writeback`), pick the active risk model
(:mod:`graphlink.decisions`), detect, write the run back and make it current.
Kept apart from the pipeline so the imports run one way: store code imports
the pipeline, never the reverse.
"""

from __future__ import annotations

import time
from pathlib import Path

from graphlink.decisions import active_model
from graphlink.detect import readout, source, writeback
from graphlink.detect.config import DetectionConfig
from graphlink.detect.linking import CodedLinks, encode_links
from graphlink.detect.pipeline import DEFAULT_SEED, DetectionResult, Progress, detect_links
from graphlink.detect.riskmodel import RiskModel
from graphlink.store import GraphStore

__all__ = ["run_detection"]


def run_detection(
    store: GraphStore,
    config: DetectionConfig = DetectionConfig(),
    *,
    seed: int = DEFAULT_SEED,
    progress: Progress | None = None,
    batch_size: int = 10_000,
    model: RiskModel | None = None,
    columnar: bool = True,
    spark_master: str | None = None,
    spark_exchange: str | Path | None = None,
    spark_conf: dict[str, str] | None = None,
) -> DetectionResult:
    """Read the graph, detect, write the run back and make it current.

    ``columnar`` (default) reads links as node-id arrays
    (:mod:`graphlink.detect.readout`); ``False`` takes the older row-dict
    read-out (:func:`graphlink.detect.source.read_links`), kept as the
    benchmark's baseline.  Both project through the same link weights.
    ``spark_master`` (e.g. ``local[*]``) clusters on Spark
    (:mod:`graphlink.detect.spark_engine`; ``spark_exchange``: its Parquet exchange
    directory, ``spark_conf``: extra Spark settings); scoring and write-back as always.

    >>> res = run_detection(store, DetectionConfig(resolution=0.05), seed=42)  # doctest: +SKIP
    >>> current_run(store)["run_id"] == res.run_id                              # doctest: +SKIP
    True
    """
    say = progress or (lambda _s: None)
    say("read")
    t = time.perf_counter()
    store.apply_schema()
    if model is None:  # investigators' calibrated model when one is active (graphlink calibrate)
        model = active_model(store)
    links = (readout.read_coded(store, config, progress=say) if columnar
             else source.read_links(store))
    prev = writeback.current_run(store)
    prev_members = writeback.read_members(store, prev["run_id"]) if prev else None
    max_number = writeback.max_cluster_number(store)
    read_s = time.perf_counter() - t
    clustering = None
    if spark_master is not None:
        from graphlink.detect import spark_engine  # needs the optional 'spark' extra

        coded = links if isinstance(links, CodedLinks) else encode_links(links, config)
        clustering = spark_engine.cluster_accounts_spark(
            coded, config, seed=seed, master=spark_master, exchange_dir=spark_exchange,
            conf=spark_conf)
    result = detect_links(
        links, config, seed=seed, previous_members=prev_members, clustering=clustering,
        previous_run_id=prev["run_id"] if prev else None, max_cluster_number=max_number,
        progress=progress, model=model,
    )
    result.stage_seconds = {"read": round(read_s, 3)} | result.stage_seconds
    say("write")
    writeback.write_run(store, result, batch_size=batch_size)
    return result
