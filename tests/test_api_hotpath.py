"""The sign-up check's fast path (``graphlink.api.hotpath``) against the routed endpoint.

Two apps on the same real Neo4j and planted graph (``tests/api_support.py``): one with the
fast path (the default), one without.  Every request goes to both: a valid check must be
answered by the fast path with the route's exact bytes, and everything else (no key, an
unknown or under-scoped key, a bad body, a query string, another content type) must be
handed to the route, whose error it then is.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

sys.path.insert(0, str(Path(__file__).resolve().parent))
import api_support as sup
import planted_graph as pg
from graphlink.api.app import create_app
from graphlink.config import Settings
from graphlink.store import GraphStore

URL = "/v1/signup-check"


@pytest.fixture(scope="module")
def keys(session_store: GraphStore) -> dict[str, str]:
    return sup.plant(session_store)


@pytest.fixture(scope="module")
def clients(settings: Settings, keys: dict[str, str]) -> Iterator[tuple[TestClient, TestClient]]:
    fast = create_app(settings, poll_interval=0, key_refresh_interval=0, warm_evidence=False)
    routed = create_app(settings, poll_interval=0, key_refresh_interval=0, warm_evidence=False,
                        fast_path=False)
    with TestClient(fast) as f, TestClient(routed) as r:
        yield f, r


def both(clients: tuple[TestClient, TestClient], **kw: Any) -> tuple[Any, Any, int, int]:
    """The fast app's and the routed app's answers, and how the fast path's counters moved."""
    fast, routed = clients
    stats = fast.app.state.signup_fast_path  # type: ignore[attr-defined]
    before = (stats.answered, stats.handed_on)
    a = fast.post(URL, **kw)
    b = routed.post(URL, **kw)
    assert routed.app.state.signup_fast_path.answered == 0  # type: ignore[attr-defined]
    return a, b, stats.answered - before[0], stats.handed_on - before[1]


VALID = [
    {"payment_instrument": pg.PREPAID},                   # a ring's prepaid card: block
    {"ip": pg.BRIDGE_IP},                                 # an address shared with strangers
    {"device": "dev-ring-1", "plan": "free", "email_domain": "mailbox.example"},
    {"identifiers": [{"kind": "device", "value": "dev-bulk"}]},
    {"ip": "203.0.113.10", "payment_instrument": "pi-unrelated", "device": "dev-nobody"},
    {"ip": "2001:DB8:0:0:0:0:0:1"},                       # normalised by the model's validator
    {},
]


@pytest.mark.parametrize("body", VALID, ids=range(len(VALID)))
def test_valid_checks_are_answered_by_the_fast_path_with_the_routes_bytes(
    clients: tuple[TestClient, TestClient], keys: dict[str, str], body: dict[str, Any]
) -> None:
    a, b, answered, handed_on = both(clients, json=body, headers=sup.bearer(keys["signup"]))
    assert (answered, handed_on) == (1, 0)
    assert a.status_code == b.status_code == 200, (a.text, b.text)
    assert a.content == b.content
    assert a.headers["content-type"] == b.headers["content-type"] == "application/json"
    assert int(a.headers["content-length"]) == len(a.content)


def test_the_fast_path_sees_what_the_route_sees(
    clients: tuple[TestClient, TestClient], keys: dict[str, str]
) -> None:
    """Not only equal bytes: the answer really touches the planted ring."""
    a, _, answered, _ = both(clients, json={"payment_instrument": pg.PREPAID},
                             headers=sup.bearer(keys["signup"]))
    body = a.json()
    assert answered == 1 and body["decision"] == "block"
    assert "instrument_in_ring" in body["reasons"]


ERRORS: list[tuple[str, dict[str, Any], int]] = [
    ("no key", {"json": {"ip": "203.0.113.10"}}, 401),
    ("unknown key", {"json": {}, "headers": sup.bearer("glk_not_a_key")}, 401),
    ("not bearer", {"json": {}, "headers": {"Authorization": "Basic abc"}}, 401),
    ("bad ip", {"json": {"ip": "999.1.1.1"}, "key": "signup"}, 422),
    ("extra field", {"json": {"nope": 1}, "key": "signup"}, 422),
    ("raw card", {"json": {"payment_instrument": "4111111111111111"}, "key": "signup"}, 422),
    ("not json", {"content": b"{not json", "headers": {"content-type": "application/json"},
                  "key": "signup"}, 422),
    ("array", {"content": b"[]", "headers": {"content-type": "application/json"},
               "key": "signup"}, 422),
    ("wrong scope", {"json": {}, "key": "reader"}, 403),
    ("query string", {"json": {}, "params": {"x": "1"}, "key": "signup"}, 422),
]


@pytest.mark.parametrize(("what", "kw", "status"), ERRORS, ids=[e[0] for e in ERRORS])
def test_everything_else_is_handed_to_the_route(
    clients: tuple[TestClient, TestClient], keys: dict[str, str],
    what: str, kw: dict[str, Any], status: int,
) -> None:
    kw = dict(kw)
    if "key" in kw:
        kw["headers"] = sup.bearer(keys[kw.pop("key")]) | kw.get("headers", {})
    a, b, answered, handed_on = both(clients, **kw)
    assert (answered, handed_on) == (0, 1), what
    assert a.status_code == b.status_code == status, (a.text, b.text)
    assert a.json() == b.json()


def test_a_text_body_is_the_routes_to_judge(
    clients: tuple[TestClient, TestClient], keys: dict[str, str]
) -> None:
    """Only ``application/json`` takes the fast path; the route decides what else means."""
    kw = {"content": json.dumps({}).encode(),
          "headers": sup.bearer(keys["signup"]) | {"content-type": "text/plain"}}
    a, b, answered, handed_on = both(clients, **kw)
    assert (answered, handed_on) == (0, 1)
    assert a.status_code == b.status_code and a.content == b.content


def test_the_setting_turns_the_fast_path_off(settings: Settings, keys: dict[str, str]) -> None:
    """``GRAPHLINK_API_FAST_PATH=0``: the middleware is there but answers nothing."""
    off = settings.model_copy(update={"api_fast_path": False})
    app = create_app(off, poll_interval=0, key_refresh_interval=0, warm_evidence=False)
    with TestClient(app) as c:
        r = c.post(URL, json={"payment_instrument": pg.PREPAID},
                   headers=sup.bearer(keys["signup"]))
        assert r.status_code == 200 and r.json()["decision"] == "block"
    assert app.state.signup_fast_path.answered == 0
