"""What an ingest did: per-table counts, the rejects file, the JSON report.

The report is the proof that nothing was dropped silently: for every table
``loaded + rejected == read``.  It is written as
``<report_dir>/ingest-report-<timestamp>.json`` next to
``rejects-<timestamp>.csv`` (columns ``table, file, line, reason, raw``; ``raw``
is the row as JSON with card numbers masked), and a copy of the JSON is kept
on the run's ``(:IngestRun)`` node.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TextIO

import pandas as pd


@dataclass
class TableReport:
    table: str
    file: str | None = None
    format: str | None = None
    #: content hash of the table file (sha256): guards USED_IP.requests
    ingest_id: str | None = None
    #: loaded | absent | skipped | refused
    status: str = "absent"
    read: int = 0
    loaded: int = 0
    rejected: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    message: str | None = None

    @property
    def rows_per_s(self) -> float:
        return self.read / self.seconds if self.seconds > 0 else 0.0

    @property
    def balanced(self) -> bool:
        return self.loaded + self.rejected == self.read


@dataclass
class IngestReport:
    ingest_id: str
    snapshot: str
    mode: str  # incremental | bulk
    started_at: str
    finished_at: str | None = None
    seconds: float = 0.0
    tables: list[TableReport] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    report_path: str | None = None
    rejects_path: str | None = None
    #: False when this snapshot (same content hash) had been ingested before
    new_run: bool = True
    peak_rss_mb: float | None = None
    #: seconds per phase (schema, load; bulk: validate, stop, import, start, schema, finish)
    phases: dict[str, float] = field(default_factory=dict)

    def table(self, name: str) -> TableReport:
        for t in self.tables:
            if t.table == name:
                return t
        raise KeyError(name)

    @property
    def read(self) -> int:
        return sum(t.read for t in self.tables)

    @property
    def loaded(self) -> int:
        return sum(t.loaded for t in self.tables)

    @property
    def rejected(self) -> int:
        return sum(t.rejected for t in self.tables)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        for t, td in zip(self.tables, d["tables"]):
            td["rows_per_s"] = round(t.rows_per_s, 1)
            td["balanced"] = t.balanced
        d["totals"] = {"read": self.read, "loaded": self.loaded, "rejected": self.rejected}
        return d

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=False)


class RejectsWriter:
    """Appends rejected rows to the rejects CSV as they are found (bounded memory)."""

    COLUMNS = ("table", "file", "line", "reason", "raw")

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._f: TextIO = path.open("w", newline="", encoding="utf-8")
        self._w = csv.writer(self._f)
        self._w.writerow(self.COLUMNS)

    def write(self, table: str, file: str, rejects: pd.DataFrame) -> Counter[str]:
        """Write ``rejects`` (line, reason, raw) and return the count per reason."""
        for line, reason, raw in rejects.itertuples(index=False):
            self._w.writerow((table, file, int(line), reason, raw))
        return Counter(rejects["reason"].tolist())

    def close(self) -> None:
        self._f.close()


def write_report(report: IngestReport, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    report.report_path = str(path)
    path.write_text(report.to_json() + "\n", encoding="utf-8")
