"""``graphlink apikey create|list|revoke`` and a real ``graphlink serve`` process."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
import api_support as sup
from graphlink.store import GraphStore

GRAPHLINK = str(Path(sys.executable).parent / "graphlink")


def cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([GRAPHLINK, *args], env=os.environ | env, capture_output=True, text=True,
                          timeout=120, check=False)


def test_apikey_cli_and_serve(session_store: GraphStore, env_for_cli: dict[str, str]) -> None:
    sup.plant(session_store)
    made = cli("apikey", "create", "--scope", "investigate:read", "--scope", "signup:check",
               "--name", "cli-key", env=env_for_cli)
    assert made.returncode == 0, made.stderr
    key = made.stdout.strip().splitlines()[-1]
    assert key.startswith("glk_") and len(key) == 47

    refused = cli("apikey", "create", "--scope", "nope", "--name", "x", env=env_for_cli)
    assert refused.returncode != 0 and "unknown scope" in refused.stdout + refused.stderr
    dup = cli("apikey", "create", "--scope", "signup:check", "--name", "cli-key", env=env_for_cli)
    assert dup.returncode != 0 and "already exists" in dup.stdout + dup.stderr

    listed = cli("apikey", "list", env=env_for_cli)
    assert listed.returncode == 0 and "cli-key" in listed.stdout and key[:12] in listed.stdout
    assert key not in listed.stdout

    with sup.serving(env_for_cli) as base:
        auth = {"Authorization": f"Bearer {key}"}
        r = httpx.get(f"{base}/v1/accounts/r01", headers=auth, timeout=10)
        assert r.status_code == 200, r.text
        assert r.json()["cluster"]["cluster_id"] == "c-000001"
        r = httpx.post(f"{base}/v1/signup-check", json={"payment_instrument": "pi-prepaid-1"},
                       headers=auth, timeout=10)
        assert r.status_code == 200 and r.json()["decision"] == "block"
        assert httpx.get(f"{base}/v1/accounts/r01", timeout=10).status_code == 401

        revoked = cli("apikey", "revoke", key[:10], env=env_for_cli)
        assert revoked.returncode == 0 and "cli-key" in revoked.stdout
        # the documented bound: key set re-read every 2 s, so a revoked key stops within 3 s
        t0 = time.monotonic()
        while (
            r := httpx.get(f"{base}/v1/accounts/r01", headers=auth, timeout=10)
        ).status_code == 200:
            assert time.monotonic() - t0 <= 3.0, "revoked key still accepted after 3 s"
            time.sleep(0.1)
        assert r.status_code == 401 and "revoked" in r.json()["error"]["message"]
