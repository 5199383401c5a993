"""In-memory tables passed between pipeline stages.

:class:`Links` holds the account-to-thing links in the same column layout as
the input tables (``../shared/spec/input-format.md``), whether they were read
back from Neo4j (what detection uses in production: what investigators see is
what detection used) or taken straight from a generated scenario (unit tests,
benchmarks of the pure stages).  Stages downstream never care which.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

ACCOUNT_COLUMNS = [
    "account_id",
    "created_at",
    "email_domain",
    "country",
    "plan",
    "org_id",
    "status",
]
PAYMENT_COLUMNS = ["account_id", "instrument_id", "kind", "bin", "issuer_country"]
IP_COLUMNS = [
    "account_id",
    "ip",
    "first_seen",
    "last_seen",
    "requests",
    "asn",
    "proxy_provider",
    "is_datacenter",
]
IDENTIFIER_COLUMNS = ["account_id", "kind", "value"]
SIMILARITY_COLUMNS = ["account_a", "account_b", "score", "signal"]


@dataclass
class Links:
    """Everything detection links accounts by.

    ``accounts`` has one row per account; the others one row per link.
    ``created_at``/``first_seen``/``last_seen`` are tz-aware UTC timestamps.
    """

    accounts: pd.DataFrame
    payments: pd.DataFrame
    ips: pd.DataFrame
    identifiers: pd.DataFrame
    similarity: pd.DataFrame

    def sizes(self) -> dict[str, int]:
        return {
            "accounts": len(self.accounts),
            "payments": len(self.payments),
            "ips": len(self.ips),
            "identifiers": len(self.identifiers),
            "similarity": len(self.similarity),
        }
