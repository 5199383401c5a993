"""docs/input-format.md and the validator agree (issue 11).

The document's reject-reason table is parsed: its (table, reason) set must be
exactly the validator's catalogue (``REJECT_REASONS`` + ``COMMON_REASONS``,
which ``Checked.reject`` enforces at run time), and every example row in it is
read, validated and checked like in an ingest (unique keys, known accounts)
and must be rejected with the reason written beside it, while the rows before
it load.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import numpy as np
import pytest

from graphlink.ingest.read import TableFile
from graphlink.ingest.report import RejectsWriter, TableReport
from graphlink.ingest.stream import AccountIndex, hash_keys_values, stream_table
from graphlink.ingest.tables import BY_NAME, REQUESTS
from graphlink.ingest.validate import COMMON_REASONS, REJECT_REASONS, reason_code

DOC = Path(__file__).resolve().parent.parent / "docs" / "input-format.md"
SPECS = {**BY_NAME, "requests": REQUESTS}


def doc_reasons() -> list[tuple[str, str, str, list[str]]]:
    """(table, reason, header, rows) of the document's machine-readable table."""
    text = DOC.read_text(encoding="utf-8")
    block = text.split("<!-- reject-reasons:begin -->")[1].split("<!-- reject-reasons:end -->")[0]
    out = []
    for line in block.strip().splitlines()[2:]:
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        table, reason, header, rows = cells
        out.append(
            (
                table,
                reason.strip("`"),
                header.strip("`"),
                [r.strip().strip("`") for r in rows.split("⏎")],
            )
        )
    return out


def _expand(row: str) -> bytes:
    row = re.sub(r"x\{(\d+)\}", lambda m: "x" * int(m.group(1)), row)
    return re.sub(r"\\x([0-9a-f]{2})", lambda m: chr(0xDC00 + int(m.group(1), 16)), row).encode(
        "utf-8", "surrogateescape"
    )


def test_document_lists_exactly_the_validators_reasons() -> None:
    documented = {(t, r) for t, r, _, _ in doc_reasons()}
    catalogue = {(t, r) for t, reasons in REJECT_REASONS.items() for r in reasons}
    catalogue |= {("any", r) for r in COMMON_REASONS}
    assert documented == catalogue, {
        "undocumented": catalogue - documented,
        "not produced": documented - catalogue,
    }
    assert set(REJECT_REASONS) == set(SPECS)  # every table has its catalogue
    # the document names every column of every table, with its required flag
    text = DOC.read_text(encoding="utf-8")
    for spec in SPECS.values():
        section = text.split(f"### {spec.name}")[1].split("###")[0]
        for col in spec.required:
            assert re.search(rf"^\| {col} \| [^|]+ \| yes \|", section, re.M), (spec.name, col)
        for col in spec.optional:
            assert re.search(rf"^\| {col} \| [^|]+ \| no \|", section, re.M), (spec.name, col)


@pytest.mark.parametrize(
    "table,reason,header,rows", doc_reasons(), ids=lambda v: v if isinstance(v, str) else None
)
def test_documented_example_gets_its_reason(
    table: str, reason: str, header: str, rows: list[str], tmp_path: Path
) -> None:
    name = "identifiers" if table == "any" else table
    spec = SPECS[name]
    path = tmp_path / f"{name}.csv"
    path.write_bytes(b"\n".join([header.encode(), *(_expand(r) for r in rows)]) + b"\n")
    accounts = AccountIndex(None)
    accounts.snapshot.add(hash_keys_values(np.array(["a1", "a2"], dtype=object)))
    tr = TableReport(name)
    rejects = RejectsWriter(tmp_path / "rejects.csv")
    try:
        stream_table(
            spec,
            TableFile(name, path, "csv"),
            batch_size=100,
            accounts=accounts,
            rejects=rejects,
            table_report=tr,
            on_valid=lambda c: None,
        )
    finally:
        rejects.close()
    with open(tmp_path / "rejects.csv", newline="", encoding="utf-8") as f:
        got = [(int(r["line"]), r["reason"]) for r in csv.DictReader(f)]
    assert (tr.read, tr.loaded, tr.rejected) == (len(rows), len(rows) - 1, 1), got
    ((line, written),) = got
    assert line == len(rows) + 1 and reason_code(name, written) == reason, got
