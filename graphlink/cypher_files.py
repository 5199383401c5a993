"""Cypher kept as files: one statement or saved query per ``.cypher`` file.

Layout under ``cypher/`` (the package ``graphlink.cypher`` once installed; read
through :mod:`importlib.resources`, so a wheel and a checkout find the same files):

* ``schema.cypher`` - constraints and indexes, ``;``-separated, all idempotent.
* ``internal/<stage>/<name>.cypher`` - statements the pipeline runs, loaded by
  ``"<stage>/<name>"``.
* ``queries/<name>.cypher`` - investigators' saved queries.

Every file starts with a header of ``//`` comments.  Saved queries declare
``// params: $a, $b`` and a one-line ``// description:``; a test checks the
declared parameters match the ones the body uses.  Nothing here builds Cypher
from strings: files are read verbatim and parameters travel separately.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from importlib.resources.abc import Traversable

#: The root of the Cypher files: ``cypher/`` in a checkout, ``graphlink/cypher``
#: in site-packages.
CYPHER_DIR: Traversable = files("graphlink.cypher")

_PARAM_RE = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
_HEADER_RE = re.compile(r"^//\s*(\w+)\s*:\s*(.*)$")


@dataclass(frozen=True)
class CypherFile:
    """A parsed ``.cypher`` file: its header fields and body."""

    name: str
    path: Traversable
    header: dict[str, str]
    body: str

    @property
    def description(self) -> str:
        return self.header.get("description", "")

    @property
    def declared_params(self) -> tuple[str, ...]:
        raw = self.header.get("params", "").strip()
        if not raw or raw.lower() == "none":
            return ()
        # "$name: type = default" -> "name" (types and defaults: graphlink.queries)
        return tuple(
            p.strip().lstrip("$").split("=")[0].split(":")[0].strip()
            for p in raw.split(",")
            if p.strip()
        )

    @property
    def used_params(self) -> tuple[str, ...]:
        code = "\n".join(line.split("//", 1)[0] for line in self.body.splitlines())
        return tuple(sorted(set(_PARAM_RE.findall(code))))


def parse(path: Traversable, name: str) -> CypherFile:
    header: dict[str, str] = {}
    body_lines: list[str] = []
    in_header = True
    for line in path.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if in_header and stripped.startswith("//"):
            m = _HEADER_RE.match(stripped)
            if m:
                key = m.group(1).lower()
                header[key] = (header.get(key, "") + " " + m.group(2)).strip()
            continue
        if in_header and not stripped:
            continue
        in_header = False
        body_lines.append(line)
    return CypherFile(name=name, path=path, header=header, body="\n".join(body_lines).strip())


@lru_cache(maxsize=None)
def internal(name: str) -> str:
    """Body of ``cypher/internal/<name>.cypher`` (cached)."""
    path = CYPHER_DIR / "internal" / f"{name}.cypher"
    if not path.is_file():
        raise KeyError(f"no internal Cypher statement named {name!r} ({path})")
    return parse(path, name).body


@lru_cache(maxsize=None)
def saved_queries() -> dict[str, CypherFile]:
    """All investigators' saved queries, by name."""
    qdir = CYPHER_DIR / "queries"
    found = sorted(
        (p for p in qdir.iterdir() if p.is_file() and p.name.endswith(".cypher")),
        key=lambda p: p.name,
    )
    return {p.name.removesuffix(".cypher"): parse(p, p.name.removesuffix(".cypher")) for p in found}


def schema_statements() -> list[str]:
    """The statements of ``cypher/schema.cypher``, comments removed."""
    text = (CYPHER_DIR / "schema.cypher").read_text(encoding="utf-8")
    code = "\n".join(line for line in text.splitlines() if not line.strip().startswith("//"))
    return [s.strip() for s in code.split(";") if s.strip()]
