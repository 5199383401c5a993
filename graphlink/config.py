"""One configuration object, read from the environment by the CLI and the API.

The library itself never reads the environment: functions take explicit
arguments, and only the edges (``graphlink.cli``, ``graphlink.api.app``) call
:func:`get_settings`.  Settings are built on demand, not at import time, so
tests can point a fresh object at their own Neo4j.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

from platformdirs import user_data_path
from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_home() -> Path:
    """Where graphlink keeps what it downloads and runs (Neo4j jars, data, logs,
    the generated password) when ``GRAPHLINK_HOME`` is unset.

    In a source checkout (an editable install: the package sits next to the
    project's ``pyproject.toml`` and ``cypher/``) that is the checkout's
    ``.graphlink/``, which git ignores, so ``make demo``/``make test`` keep
    everything in the working tree.  Installed from a wheel, the package lives
    in site-packages, where nothing may be written: the user's data directory
    (``~/.local/share/graphlink`` on Linux) is used instead.
    """
    checkout = Path(__file__).resolve().parent.parent
    if (checkout / "pyproject.toml").is_file() and (
        checkout / "cypher" / "schema.cypher"
    ).is_file():
        return checkout / ".graphlink"
    return user_data_path("graphlink", appauthor=False)


DEFAULT_HOME = default_home()


class Settings(BaseSettings):
    """Runtime configuration.

    ``NEO4J_URI``/``NEO4J_USER``/``NEO4J_PASSWORD`` select an external Neo4j or
    Aura.  Left unset, graphlink uses the local server that
    ``graphlink neo4j start`` runs under ``GRAPHLINK_HOME``.
    """

    # Only the aliases are read from the environment (never e.g. $HOME for `home`).
    model_config = SettingsConfigDict(env_prefix="", extra="ignore")

    neo4j_uri: str | None = Field(default=None, alias="NEO4J_URI")
    neo4j_user: str = Field(default="neo4j", alias="NEO4J_USER")
    neo4j_password: str | None = Field(default=None, alias="NEO4J_PASSWORD")
    neo4j_database: str = Field(default="neo4j", alias="NEO4J_DATABASE")

    home: Path = Field(default=DEFAULT_HOME, alias="GRAPHLINK_HOME")
    bolt_port: int = Field(default=7687, alias="GRAPHLINK_BOLT_PORT")
    http_port: int = Field(default=7474, alias="GRAPHLINK_HTTP_PORT")
    heap: str = Field(default="4g", alias="GRAPHLINK_NEO4J_HEAP")
    pagecache: str = Field(default="6g", alias="GRAPHLINK_NEO4J_PAGECACHE")

    batch_size: int = Field(default=20_000, alias="GRAPHLINK_BATCH_SIZE", gt=0)
    #: MB of request-log facts the similarity derivation buffers before spilling them
    #: to disk (``graphlink similarity`` and a snapshot's ``requests`` table): bounds
    #: its memory whatever the log's size; the pairs do not depend on it.
    similarity_memory_mb: int = Field(default=256, alias="GRAPHLINK_SIMILARITY_MEMORY_MB", gt=0)

    #: Operator data for detection (``graphlink.detect.operator_data``), empty by
    #: default: an issuer BIN table of prepaid cards, and the plans abuse is
    #: known to enter by (comma-separated).  Detection does not need either.
    bin_table: Path | None = Field(default=None, alias="GRAPHLINK_BIN_TABLE")
    entry_plans: str = Field(default="", alias="GRAPHLINK_ENTRY_PLANS")
    #: A risk model file (``graphlink calibrate --out``) to score with instead of
    #: the store's active model or the shipped default.
    risk_model: Path | None = Field(default=None, alias="GRAPHLINK_RISK_MODEL")
    #: Seconds a Bolt call may wait for a connection or a reply: bounded so
    #: the API answers 503 instead of hanging when Neo4j is down.
    connect_timeout: float = Field(default=3.0, alias="GRAPHLINK_CONNECT_TIMEOUT", gt=0)
    #: Answer valid sign-up checks before FastAPI's routing (``graphlink.api.hotpath``);
    #: ``0`` sends every request through the route (same answers, about half the
    #: throughput: ``bench/bench_api.py`` measures both).
    api_fast_path: bool = Field(default=True, alias="GRAPHLINK_API_FAST_PATH")
    query_timeout: float = Field(default=300.0, alias="GRAPHLINK_QUERY_TIMEOUT", gt=0)

    @field_validator("neo4j_password")
    @classmethod
    def _refuse_default_password(cls, v: str | None) -> str | None:
        # Neo4j's factory password; a server still on it is not configured.
        if v == "neo4j":
            raise ValueError("NEO4J_PASSWORD must not be the factory default 'neo4j'")
        return v

    @cached_property
    def neo4j_home(self) -> Path:
        """Directory of the project-local Neo4j (jars, conf, data, logs)."""
        return self.home.resolve() / "neo4j"

    @property
    def uses_local_server(self) -> bool:
        return self.neo4j_uri is None

    def bolt_uri(self) -> str:
        return self.neo4j_uri or f"bolt://127.0.0.1:{self.bolt_port}"

    def password(self) -> str:
        """The password to use: the environment's, else the local server's file."""
        if self.neo4j_password:
            return self.neo4j_password
        pw_file = self.neo4j_home / "password"
        if pw_file.exists():
            return pw_file.read_text().strip()
        from graphlink.errors import ConfigError

        raise ConfigError(
            "no Neo4j password: set NEO4J_PASSWORD or start the local server "
            "with `graphlink neo4j start`"
        )


def get_settings(**overrides: object) -> Settings:
    """Build settings from the environment (and explicit overrides, for tests)."""
    return Settings(**overrides)  # type: ignore[arg-type]
