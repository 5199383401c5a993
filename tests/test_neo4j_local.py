"""The project-local Neo4j and the store seam, against the real server."""

from __future__ import annotations

import stat
import subprocess
import sys

import pytest

from graphlink.errors import StoreError, StoreUnavailable
from graphlink.neo4j_local import LocalNeo4j
from graphlink.store import GraphStore


def test_server_is_loopback_with_auth_and_private_password(neo4j_server: LocalNeo4j | None) -> None:
    if neo4j_server is None:
        pytest.skip("external test server")
    conf = (neo4j_server.conf_dir / "neo4j.conf").read_text()
    assert "server.default_listen_address=127.0.0.1" in conf
    assert "dbms.security.auth_enabled=true" in conf
    mode = stat.S_IMODE(neo4j_server.password_file.stat().st_mode)
    assert mode == 0o600
    st = neo4j_server.status()
    assert st["running"] and st["bolt_answers"]


def test_start_is_idempotent(neo4j_server: LocalNeo4j | None) -> None:
    if neo4j_server is None:
        pytest.skip("external test server")
    pid = neo4j_server.pid()
    neo4j_server.start()  # already running: returns at once, same process
    assert neo4j_server.pid() == pid


def test_schema_is_idempotent(session_store: GraphStore) -> None:
    before = session_store.query("SHOW CONSTRAINTS YIELD name RETURN count(*) AS n")[0]["n"]
    session_store.apply_schema()
    after = session_store.query("SHOW CONSTRAINTS YIELD name RETURN count(*) AS n")[0]["n"]
    assert before == after >= 10


def test_wrong_password_is_unavailable(settings) -> None:  # type: ignore[no-untyped-def]
    bad = GraphStore(
        settings.bolt_uri(), ("neo4j", "not-the-password"), connect_timeout=2, retry_time=1
    )
    with pytest.raises(StoreUnavailable):
        bad.ping()
    bad.close()


def test_nothing_listening_is_unavailable() -> None:
    from graphlink.neo4j_local import free_port

    s = GraphStore(
        f"bolt://127.0.0.1:{free_port()}", ("neo4j", "x"), connect_timeout=1, retry_time=1
    )
    with pytest.raises(StoreUnavailable):
        s.query("RETURN 1")
    s.close()


def test_cypher_error_names_the_query(session_store: GraphStore) -> None:
    with pytest.raises(StoreError) as ei:
        session_store.query("RETURN $missing_param", name="tests/broken")
    assert "tests/broken" in str(ei.value)


def test_external_uri_path_via_cli(env_for_cli: dict[str, str]) -> None:
    """A user with their own Neo4j sets NEO4J_URI/PASSWORD; the CLI uses it unchanged."""
    proc = subprocess.run(
        [sys.executable, "-m", "graphlink", "init"],
        env={**__import__("os").environ, **env_for_cli},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "schema applied" in proc.stdout
