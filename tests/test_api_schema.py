"""Schemathesis against the app's own OpenAPI schema: no input may yield a server error.

Every operation is exercised with generated valid (positive) and invalid
(negative) inputs, a bounded number of examples each so this runs in well
under a minute, authenticated with a key holding every scope, against the real
Neo4j with the planted graph.  ``call_and_validate`` runs schemathesis' checks:
no 5xx, documented status codes and content types, responses matching their
schemas, invalid data rejected.

(schemathesis' lazy ``pytest.from_fixture`` loader breaks on pytest 9, so the
operations are parametrised from the app's schema and driven with
``as_strategy`` + Hypothesis directly.)
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

sys.path.insert(0, str(Path(__file__).resolve().parent))
import api_support as sup

from api.app import create_app
from graphlink.config import Settings
from graphlink.store import GraphStore

EXAMPLES = 30
_OPENAPI = create_app().openapi()  # no lifespan: no Neo4j needed
OPERATIONS = [(method.upper(), path) for path, ops in _OPENAPI["paths"].items() for method in ops]
#: Operations taking an opaque cursor: any string is schema-valid, but only cursors the API
#: issued are accepted (422 otherwise, as designed), so "schema-valid data must be accepted"
#: cannot hold for them and that one check is skipped there.
WITH_CURSOR = {
    (m.upper(), p) for p, ops in _OPENAPI["paths"].items() for m, op in ops.items()
    if any(par["name"] == "cursor" for par in op.get("parameters", []))
}
#: Operations with nothing to make invalid (no parameters, no body, no auth).
NO_INPUT = {("GET", "/healthz"), ("GET", "/readyz")}


@pytest.fixture(scope="module")
def keys(session_store: GraphStore) -> dict[str, str]:
    return sup.plant(session_store)


@pytest.fixture(scope="module")
def api_schema(settings: Settings, keys: dict[str, str]) -> Any:
    # Schemathesis runs the app's lifespan itself (and keeps it for the process).
    return schemathesis.openapi.from_asgi("/openapi.json", create_app(settings, poll_interval=0))


def test_every_operation_is_covered(api_schema: Any) -> None:
    assert len(OPERATIONS) == 10
    assert {(op.ok().method.upper(), op.ok().path) for op in api_schema.get_all_operations()} == set(
        OPERATIONS
    )


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_no_input_yields_a_server_error(
    api_schema: Any, keys: dict[str, str], method: str, path: str, mode: GenerationMode
) -> None:
    if mode is GenerationMode.NEGATIVE and (method, path) in NO_INPUT:
        pytest.skip("nothing to make invalid")
    operation = api_schema[path][method]
    auth = sup.bearer(keys["all"])
    excluded = [positive_data_acceptance] if (method, path) in WITH_CURSOR else []

    @given(case=operation.as_strategy(generation_mode=mode))
    @hsettings(max_examples=EXAMPLES, deadline=None, database=None,
               suppress_health_check=list(HealthCheck))
    def run(case: Any) -> None:
        # Set the key on the case itself so schemathesis knows it was sent.
        if case.headers is None:
            case.headers = {}
        case.headers.update(auth)
        case.call_and_validate(excluded_checks=excluded)

    run()
