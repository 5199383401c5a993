"""Detection: links -> weighted account graph -> Leiden -> scored clusters -> Neo4j.

One module per stage; the middle is pure (DataFrames, numpy, igraph), Neo4j
is touched only by :mod:`~graphlink.detect.source` (read) and
:mod:`~graphlink.detect.writeback` (write + readers for other stages), and
:mod:`~graphlink.detect.run` strings them together.  ``run_detection`` is
not re-exported here: it needs :mod:`graphlink.decisions` (the active model),
which itself imports this package, so importing it here would be a circle.

>>> from graphlink.detect import DetectionConfig, detect_links                 # doctest: +SKIP
>>> from graphlink.detect.run import run_detection                           # doctest: +SKIP
>>> result = run_detection(store, DetectionConfig(), seed=42)                 # doctest: +SKIP
>>> current_run(store)["run_id"] == result.run_id                             # doctest: +SKIP
"""

from graphlink.detect.config import DetectionConfig
from graphlink.detect.linking import AccountGraph, build_account_graph
from graphlink.detect.pipeline import DEFAULT_SEED, DetectionResult, detect_links
from graphlink.detect.scoring import REASON_CODES
from graphlink.detect.source import links_from_scenario, read_links
from graphlink.detect.writeback import (
    current_run,
    get_run,
    read_clusters,
    read_members,
    write_run,
)

__all__ = [
    "DEFAULT_SEED", "REASON_CODES", "AccountGraph", "DetectionConfig", "DetectionResult",
    "build_account_graph", "current_run", "detect_links", "get_run", "links_from_scenario",
    "read_clusters", "read_links", "read_members", "write_run",
]
