"""Detection's clustering on Apache Spark (``graphlink detect --engine spark``).

What runs where, and why:

* **projection** - the (thing, account) links become a Spark DataFrame,
  repartitioned by thing; each partition calls the in-process engine's
  :func:`graphlink.detect.linking.kind_edges` (``applyInPandas``).  A thing's
  edges depend on its own members only, so any partition of things gives the
  same edges: ONE definition of a link weight for both engines.  Pairs are
  then summed over kinds (``groupBy(src, dst)``: sum of weights, OR of bits)
  and thinned by :func:`graphlink.detect.linking.keep_mask`, also in Spark.
* **components** - connected components of the kept edges (scipy on the
  driver: the kept edge list is two int arrays, ~70 MB at 1M accounts; see
  ``docs/scale.md`` for the distributed replacement beyond one machine).
* **Leiden** - on the executors, one task per bucket of whole components
  (``groupBy(bucket).applyInPandas``), each running the in-process engine's
  :func:`graphlink.detect.communities.leiden_bucket` with the same config and
  seed: the in-process engine runs the same buckets one after another, so the
  two engines give the same clusters.  Leiden's communities are connected, so
  one never spans two components; vertices without an edge skip Leiden.
* **pruning, scoring, lineage, write-back** - on the driver, the in-process
  engine's functions (:func:`graphlink.detect.pipeline.detect_links` with a
  ready :class:`~graphlink.detect.pipeline.Clustering`).

The input is :class:`~graphlink.detect.linking.CodedLinks` (the columnar
read-out from Neo4j, or encoded frames).  Frames cross between the driver and
Spark as Parquet files in an exchange directory, never as one in-memory
collection: ``createDataFrame(pandas)`` holds every row in the driver JVM's heap
and ``toPandas()`` is capped by ``spark.driver.maxResultSize`` (1 GiB), and at
10M accounts the links alone are ~3 GB.  On a cluster the exchange directory
must be a path the driver and every executor see (``--exchange``).
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from graphlink.detect import communities
from graphlink.detect.config import DetectionConfig
from graphlink.detect.linking import (
    AccountGraph,
    CodedLinks,
    account_ip_features,
    keep_mask,
    kind_edges,
    org_codes,
    similarity_edges,
    thing_tables,
)

if TYPE_CHECKING:
    from graphlink.detect.pipeline import Clustering

EDGE_SCHEMA = "src long, dst long, weight double, bits int"
LABEL_SCHEMA = "node long, label long"
KINDS = {"payment": 0, "ip": 1, "identifier": 2}


@contextmanager
def spark_session(
    master: str = "local[*]", *, app: str = "graphlink-detect", conf: dict[str, str] | None = None
) -> Iterator[Any]:
    """A SparkSession for detection (Arrow on: frames cross the JVM boundary as columns)."""
    from pyspark.sql import SparkSession

    b = (
        SparkSession.builder.master(master)
        .appName(app)
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.sql.shuffle.partitions", "8")
        .config("spark.ui.enabled", "false")
    )
    if master.startswith("local"):  # stay on loopback, as the local Neo4j does; workers: our Python
        b = (
            b.config("spark.driver.host", "127.0.0.1")
            .config("spark.driver.bindAddress", "127.0.0.1")
            .config("spark.pyspark.python", sys.executable)
        )
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    for k, v in (conf or {}).items():
        b = b.config(k, v)
    spark = b.getOrCreate()
    try:
        yield spark
    finally:
        pass  # getOrCreate: a caller's session outlives us (tests share one); the CLI stops it


class Exchange:
    """Frames to and from Spark as Parquet files under one directory (see the module doc)."""

    def __init__(self, spark: Any, root: Path) -> None:
        self.spark, self.root, self._n = spark, root, 0

    def _path(self, name: str) -> str:
        self._n += 1
        return str(self.root / f"{self._n:02d}-{name}")

    def put(self, frame: pd.DataFrame, name: str) -> Any:
        """A Spark DataFrame reading ``frame`` back from a Parquet file."""
        path = self._path(name)
        pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path)
        return self.spark.read.parquet(path)

    def get(self, df: Any, name: str) -> pa.Table:
        """A Spark DataFrame's rows on the driver, through the Parquet files Spark writes."""
        path = self._path(name)
        df.write.mode("overwrite").parquet(path)
        return pq.read_table(path)


@contextmanager
def exchange(spark: Any, root: str | Path | None = None) -> Iterator[Exchange]:
    """An :class:`Exchange` in a fresh directory under ``root`` (default: the system temp
    directory), removed afterwards."""
    d = Path(tempfile.mkdtemp(prefix="graphlink-spark-", dir=root))
    try:
        yield Exchange(spark, d)
    finally:
        shutil.rmtree(d, ignore_errors=True)


def _links_frame(coded: CodedLinks, org: np.ndarray) -> pd.DataFrame:
    """All (thing, account) links of all kinds in one frame, per-thing attributes on each row."""
    parts = []
    for kind, (thing, acct, _nt, attrs) in thing_tables(coded).items():
        a = np.zeros(len(thing), np.int64)
        b = np.zeros(len(thing), np.int64)
        if kind == "payment":
            a = attrs["prepaid"][thing].astype(np.int64)
        elif kind == "ip":
            a = attrs["proxy"][thing].astype(np.int64)
            b = attrs["datacenter"][thing].astype(np.int64)
        else:
            a = attrs["kind"][thing].astype(np.int64)
        parts.append(
            pd.DataFrame(
                {
                    "kind": KINDS[kind],
                    "thing": thing.astype(np.int64),
                    "acct": acct.astype(np.int64),
                    "org": org[acct].astype(np.int64),
                    "a": a,
                    "b": b,
                }
            )
        )
    if not parts:
        return pd.DataFrame(
            {c: pd.Series(dtype=np.int64) for c in ["kind", "thing", "acct", "org", "a", "b"]}
        )
    return pd.concat(parts, ignore_index=True)


def _edges_udf(config: DetectionConfig, kind_names: list[str]) -> Any:
    names = {v: k for k, v in KINDS.items()}

    def fn(pdf: pd.DataFrame) -> pd.DataFrame:
        kind = names[int(pdf["kind"].iat[0])]
        things, local = np.unique(pdf["thing"].to_numpy(), return_inverse=True)
        accts, aloc = np.unique(pdf["acct"].to_numpy(), return_inverse=True)
        org = np.full(len(accts), -1, np.int64)
        org[aloc] = pdf["org"].to_numpy()
        nt = len(things)
        a = np.zeros(nt, np.int64)
        b = np.zeros(nt, np.int64)
        a[local] = pdf["a"].to_numpy()
        b[local] = pdf["b"].to_numpy()
        attrs = {
            "prepaid": a.astype(bool),
            "proxy": a.astype(bool),
            "datacenter": b.astype(bool),
            "kind": a,
        }
        # project() salts its shuffle with account ids: keep the global ids (not local ones)
        # so each thing's circulant is the one the in-process engine draws.
        e = kind_edges(
            kind, local, accts[aloc], nt, _SparseOrg(accts, org),  # type: ignore[arg-type]
            attrs, config, kind_names
        )
        return pd.DataFrame({"src": e.src, "dst": e.dst, "weight": e.weight, "bits": e.bits})

    return fn


class _SparseOrg:
    """``org[acct]`` for global account ids, backed by the partition's own accounts only."""

    def __init__(self, accts: np.ndarray, org: np.ndarray) -> None:
        self.accts, self.org = accts, org

    def __getitem__(self, idx: np.ndarray) -> np.ndarray:
        return self.org[np.searchsorted(self.accts, idx)]

    def __len__(self) -> int:
        return int(self.accts.max()) + 1 if len(self.accts) else 0


def _leiden_udf(config: DetectionConfig, seed: int) -> Any:
    def fn(pdf: pd.DataFrame) -> pd.DataFrame:
        nodes, labels, _q = communities.leiden_bucket(
            pdf["src"].to_numpy(np.int64), pdf["dst"].to_numpy(np.int64),
            pdf["weight"].to_numpy(np.float64), config, seed=seed,
        )
        return pd.DataFrame({"node": nodes, "label": labels})

    return fn


def project_spark(
    ex: Exchange, coded: CodedLinks, config: DetectionConfig, partitions: int = 8
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict]:
    """Linking and projection as Spark jobs; kept edges back on the driver (src < dst, sorted)."""
    from pyspark.sql import functions as F

    org = org_codes(coded.nodes)
    links = ex.put(_links_frame(coded, org), "links")
    edges = links.groupBy("kind", (F.col("thing") % partitions).alias("bucket")).applyInPandas(
        _edges_udf(config, coded.idf_kind_names), EDGE_SCHEMA
    )
    sim = similarity_edges(coded, config)
    if len(sim.src):
        edges = edges.unionByName(
            ex.put(pd.DataFrame({"src": sim.src.astype(np.int64), "dst": sim.dst.astype(np.int64),
                                 "weight": sim.weight.astype(np.float64),
                                 "bits": sim.bits.astype(np.int32)}), "similarity")
        )
    summed = edges.groupBy("src", "dst").agg(
        F.sum("weight").alias("weight"), F.bit_or("bits").alias("bits")
    )
    out = ex.get(summed, "edges")
    src, dst = (out.column(c).to_numpy().astype(np.int64) for c in ("src", "dst"))
    w = out.column("weight").to_numpy().astype(np.float64)
    b = out.column("bits").to_numpy().astype(np.int32)
    del out
    keep = keep_mask(w, b, config)
    order = np.lexsort((dst[keep], src[keep]))
    stats = {"edges_below_min_weight": int((~keep).sum()), "edges": int(keep.sum())}
    return src[keep][order], dst[keep][order], w[keep][order], b[keep][order], stats


components = communities.components


def leiden_spark(
    ex: Exchange,
    n: int,
    src: np.ndarray,
    dst: np.ndarray,
    weight: np.ndarray,
    comp: np.ndarray,
    config: DetectionConfig,
    *,
    seed: int,
) -> np.ndarray:
    """Leiden on the executors, one task per bucket of whole components; a label per account.

    Components are dealt into ``config.leiden_buckets`` buckets (a task per
    component was measured far too slow: tens of thousands of two-account
    components, each a Python call), each clustered by
    :func:`communities.leiden_bucket`, the in-process engine's own per-bucket
    step, so both engines give the same labels.  Leiden's communities are
    connected, so a community never spans two components even when they share a
    task.  Vertices without an edge stay alone.
    """
    frame = pd.DataFrame({"bucket": communities.bucket_of(comp, src, config), "src": src,
                          "dst": dst, "weight": weight})
    labels = ex.get(
        ex.put(frame, "projected").groupBy("bucket").applyInPandas(_leiden_udf(config, seed),
                                                                   LABEL_SCHEMA),
        "labels",
    )
    node = labels.column("node").to_numpy().astype(np.int64)
    lab = labels.column("label").to_numpy().astype(np.int64)
    return communities.join_buckets(n, communities.bucket_of(comp, node, config), node, lab)


def cluster_accounts_spark(
    coded: CodedLinks,
    config: DetectionConfig = DetectionConfig(),
    *,
    seed: int,
    spark: Any | None = None,
    master: str = "local[*]",
    exchange_dir: str | Path | None = None,
    conf: dict[str, str] | None = None,
) -> Clustering:
    """The Spark engine's :class:`~graphlink.detect.pipeline.Clustering` of ``coded``.

    ``exchange_dir``: where frames cross between driver and Spark (default: the
    system temp directory; on a cluster a path every executor sees).  ``conf``:
    extra Spark settings for a session this call starts (e.g. ``spark.driver.memory``).
    """
    from graphlink.detect.pipeline import Clustering

    with (spark_session(master, conf=conf) if spark is None else _given(spark)) as sp, \
            exchange(sp, exchange_dir) as ex, warnings.catch_warnings():
        # PySpark 4.x warns on pandas 3 (not "fully supported"); what we use of it
        # (Arrow transfer of int/float columns, applyInPandas) is covered by the tests.
        warnings.filterwarnings(
            "ignore", message="PySpark does not yet fully support pandas", category=FutureWarning
        )
        secs: dict[str, float] = {}
        t = time.perf_counter()
        src, dst, w, b, stats = project_spark(ex, coded, config)
        nodes = coded.nodes.copy()
        for col, values in account_ip_features(coded).items():
            nodes[col] = values
        g = AccountGraph(nodes=nodes, src=src, dst=dst, weight=w, bits=b, stats=stats)
        secs["projection"] = time.perf_counter() - t
        t = time.perf_counter()
        comp = components(g.n, src, dst)
        g.stats["components"] = int(len(np.unique(comp[src]))) if len(src) else 0
        membership = leiden_spark(ex, g.n, src, dst, w, comp, config, seed=seed)
        membership, detached = communities.prune_periphery(membership, src, dst, w, b, config)
        secs["leiden"] = time.perf_counter() - t
    return Clustering(g, membership, detached, float("nan"), secs)


@contextmanager
def _given(spark: Any) -> Iterator[Any]:
    yield spark


__all__ = ["Exchange", "cluster_accounts_spark", "components", "exchange", "leiden_spark",
           "project_spark", "spark_session"]
