"""``POST /v1/banwaves``: dry run writes nothing, commit records a wave readable over the API."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

sys.path.insert(0, str(Path(__file__).resolve().parent))
import api_support as sup
import planted_graph as pg
from graphlink.api.app import create_app
from graphlink.config import Settings
from graphlink.store import GraphStore


@pytest.fixture()
def client_keys(settings: Settings, session_store: GraphStore) -> Iterator[tuple[TestClient, dict]]:
    keys = sup.plant(session_store)
    with TestClient(create_app(settings, poll_interval=0)) as c:
        yield c, keys


def wave_ids(client: TestClient, key: str) -> list[str]:
    return [
        w["wave_id"] for w in client.get("/v1/banwaves", headers=sup.bearer(key)).json()["items"]
    ]


def test_dry_run_then_commit(client_keys: tuple[TestClient, dict]) -> None:
    client, keys = client_keys
    writer = sup.bearer(keys["writer"])
    before = wave_ids(client, keys["reader"])
    assert before == ["wave-0002", "wave-0001"]

    r = client.post("/v1/banwaves", json={"min_risk": 0.9}, headers=writer)
    assert r.status_code == 200, r.text
    dry = r.json()
    assert dry["committed"] is False and dry["wave_id"] is None and dry["run_id"] == "run-2"
    # c-000001 (0.93) only; v01 belongs to a verified org and 0.93 < 0.98: protected
    assert sorted(e["account_id"] for e in dry["entries"]) == pg.RING
    assert dry["protected_skipped"] == 1
    assert dry["changes"] == {"previous_wave_id": "wave-0002", "new": 0, "dropped": 1, "kept": 8}
    assert wave_ids(client, keys["reader"]) == before  # nothing written

    r = client.post(
        "/v1/banwaves",
        json={"min_risk": 0.9, "commit": True, "entries_limit": 3, "allowlist": ["r08"]},
        headers=writer,
    )
    assert r.status_code == 200, r.text
    done = r.json()
    assert done["committed"] is True and done["wave_id"] == "wave-0003"
    assert done["n_accounts"] == 7 and len(done["entries"]) == 3 and done["entries_truncated"]
    assert wave_ids(client, keys["reader"])[0] == "wave-0003"
    wave = client.get("/v1/banwaves/wave-0003", headers=sup.bearer(keys["reader"])).json()
    assert wave["previous_wave_id"] == "wave-0002" and wave["params"]["min_risk"] == 0.9
    assert sorted(e["account_id"] for e in wave["entries"]) == pg.RING[:7]
    r08 = client.get("/v1/accounts/r08", headers=sup.bearer(keys["reader"])).json()
    assert r08["ban_wave"]["wave_id"] == "wave-0002"  # not in the new wave (allowlisted)
    r01 = client.get("/v1/accounts/r01", headers=sup.bearer(keys["reader"])).json()
    assert r01["ban_wave"]["wave_id"] == "wave-0003"


def test_commit_of_an_empty_wave_commits_nothing(client_keys: tuple[TestClient, dict]) -> None:
    client, keys = client_keys
    r = client.post(
        "/v1/banwaves", json={"min_risk": 1.0, "commit": True}, headers=sup.bearer(keys["writer"])
    )
    assert r.status_code == 200 and r.json()["committed"] is False and r.json()["note"]
    assert wave_ids(client, keys["reader"]) == ["wave-0002", "wave-0001"]


def test_banwave_request_validation_and_unknown_run(client_keys: tuple[TestClient, dict]) -> None:
    client, keys = client_keys
    writer = sup.bearer(keys["writer"])
    r = client.post("/v1/banwaves", json={"min_risk": 1.5}, headers=writer)
    assert r.status_code == 422 and r.json()["error"]["fields"][0]["field"] == "min_risk"
    r = client.post("/v1/banwaves", json={"commit": "yes please"}, headers=writer)
    assert r.status_code == 422 and r.json()["error"]["fields"][0]["field"] == "commit"
    r = client.post("/v1/banwaves", json={"run_id": "run-404"}, headers=writer)
    assert r.status_code == 404
    r = client.post("/v1/banwaves", json={"run_id": "run-3"}, headers=writer)  # still running
    assert r.status_code == 422 and "not complete" in r.json()["error"]["message"]
    r = client.post("/v1/banwaves", json={}, headers=sup.bearer(keys["reader"]))
    assert r.status_code == 403 and "banwave:write" in r.json()["error"]["message"]
