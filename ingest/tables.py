"""The snapshot tables graphlink ingests, as data (``docs/input-format.md``).

One :class:`TableSpec` per table: its required and optional columns and, for
tables the spec says hold "one row per" key, the columns of that key (a second
row with the same key is rejected as a duplicate, because merging it would
silently drop or double a count).  Load order matters: ``accounts`` first,
because every other table links to accounts and an account unknown to the
snapshot and to the store is rejected.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TableSpec:
    name: str
    required: tuple[str, ...]
    optional: tuple[str, ...] = ()
    #: columns whose combination must be unique within the table file
    unique_key: tuple[str, ...] = ()
    #: columns that must name an account known to the snapshot or the store
    account_columns: tuple[str, ...] = ("account_id",)

    @property
    def columns(self) -> tuple[str, ...]:
        return self.required + self.optional


ACCOUNTS = TableSpec(
    "accounts",
    required=("account_id", "created_at"),
    optional=("email_domain", "country", "plan", "org_id", "status"),
    unique_key=("account_id",),
    account_columns=(),
)
PAYMENT_INSTRUMENTS = TableSpec(
    "payment_instruments",
    required=("account_id", "instrument_id", "kind"),
    optional=("bin", "issuer_country", "first_seen"),
    unique_key=("account_id", "instrument_id"),
)
IP_OBSERVATIONS = TableSpec(
    "ip_observations",
    required=("account_id", "ip", "first_seen", "last_seen", "requests"),
    optional=("asn", "proxy_provider", "is_datacenter"),
    unique_key=("account_id", "ip"),
)
IDENTIFIERS = TableSpec(
    "identifiers",
    required=("account_id", "kind", "value"),
    optional=("first_seen",),
)
BEHAVIOUR_SIMILARITY = TableSpec(
    "behaviour_similarity",
    required=("account_a", "account_b", "score", "signal"),
    account_columns=("account_a", "account_b"),
)

#: The optional raw log (``requests``): validated row by row like every table, not
#: stored as such; its valid rows feed the behavioural-similarity derivation
#: (:mod:`graphlink.similarity`), whose pairs then load as ``behaviour_similarity``.
REQUESTS = TableSpec(
    "requests",
    required=("account_id", "ts", "prompt_fingerprint"),
    optional=("ip", "model", "output_tokens"),
)

#: Tables ingest loads, in load order.
TABLES: tuple[TableSpec, ...] = (
    ACCOUNTS,
    PAYMENT_INSTRUMENTS,
    IP_OBSERVATIONS,
    IDENTIFIERS,
    BEHAVIOUR_SIMILARITY,
)
BY_NAME: dict[str, TableSpec] = {t.name: t for t in TABLES}

#: Tables the spec defines that ingest does not load (reported as skipped).
SKIPPED_TABLES: tuple[str, ...] = ()
#: Tables ingest reads to derive other tables from, after the loaded ones.
DERIVED_FROM: tuple[TableSpec, ...] = (REQUESTS,)

PAYMENT_KINDS = frozenset({"card", "bank", "wallet", "crypto", "other"})
