"""Test fixtures: a real Neo4j for the whole session.

The session starts its own private Neo4j server (a fresh data directory under
pytest's tmp dir, free ports, the jars of the project's install shared by a
symlink), so tests never touch the developer's data and can stop/restart it.
Set ``GRAPHLINK_TEST_NEO4J_URI`` (+ ``GRAPHLINK_TEST_NEO4J_PASSWORD``) to run
against an existing, disposable server instead: it will be wiped.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from graphlink.config import Settings, get_settings
from graphlink.neo4j_local import LocalNeo4j, free_port
from graphlink.store import GraphStore


@pytest.fixture(scope="session")
def neo4j_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalNeo4j | None]:
    """A running private Neo4j (None when an external test server is configured)."""
    if os.environ.get("GRAPHLINK_TEST_NEO4J_URI"):
        yield None
        return
    main = LocalNeo4j(home=get_settings().neo4j_home)
    main.install()  # no-op once the jars are there
    home = tmp_path_factory.mktemp("neo4j")
    server = LocalNeo4j(
        home=home, bolt_port=free_port(), http_port=free_port(), heap="1g", pagecache="512m"
    )
    server.install(lib_from=main.lib)
    try:
        server.start(timeout=240)
    except Exception:
        print(server.log_tail(200))  # keep the server's log when startup fails
        raise
    yield server
    server.stop()


@pytest.fixture(scope="session")
def settings(neo4j_server: LocalNeo4j | None, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings pointing at the test server (as a user with their own Neo4j would)."""
    if neo4j_server is None:
        uri = os.environ["GRAPHLINK_TEST_NEO4J_URI"]
        pw = os.environ.get("GRAPHLINK_TEST_NEO4J_PASSWORD", "")
    else:
        uri, pw = neo4j_server.bolt_uri, neo4j_server.password()
    return get_settings(
        NEO4J_URI=uri,
        NEO4J_PASSWORD=pw,
        GRAPHLINK_HOME=str(tmp_path_factory.mktemp("graphlink-home")),
        GRAPHLINK_BATCH_SIZE=5000,
    )


@pytest.fixture(scope="session")
def session_store(settings: Settings) -> Iterator[GraphStore]:
    store = GraphStore.from_settings(settings)
    store.apply_schema()
    yield store
    store.close()


def wipe(store: GraphStore) -> None:
    """Delete every node and relationship (schema stays)."""
    # CALL { } IN TRANSACTIONS needs an auto-commit (implicit) transaction,
    # which execute_query never opens: run it on a plain session.
    store.run_in_session(
        "tests/wipe",
        lambda s: s.run(
            "MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS"
        ).consume(),
    )


def fresh_statistics(store: GraphStore) -> None:
    """Resample every index, wait for it, and empty the plan cache.

    Plan-shape tests run right after a wipe and a load; until the background
    sampler catches up the planner may believe an index is empty and then sees
    no difference between a seek and a full index scan (CI planned
    ``identifier_accounts`` as a scan twice in a row, hint and all, with a cleared
    plan cache).  ``db.prepareForReplanning`` makes plans use the statistics of
    the graph actually loaded.
    """
    store.query("CALL db.prepareForReplanning(120)", write=True)


@pytest.fixture()
def store(session_store: GraphStore) -> Iterator[GraphStore]:
    """The session's store, emptied before the test."""
    wipe(session_store)
    yield session_store


@pytest.fixture()
def env_for_cli(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Environment variables that point the CLI (in-process or subprocess) at the test server."""
    env = {
        "NEO4J_URI": settings.bolt_uri(),
        "NEO4J_PASSWORD": settings.password(),
        "GRAPHLINK_HOME": str(settings.home),
        "GRAPHLINK_BATCH_SIZE": str(settings.batch_size),
    }
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    return env


REPO = Path(__file__).resolve().parent.parent
