"""The server remembers a valid API key briefly (mochi.server.auth.KeyCache) and forgets it on time."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from mochi.server.auth import KeyCache
from tests.server.conftest import SECRET_KEY, start, stop
from tests.test_cli import mochi


def test_a_key_is_remembered_for_its_ttl_and_no_longer() -> None:
    now = [100.0]
    cache = KeyCache(ttl_s=5, clock=lambda: now[0])
    cache.put("h1", {"name": "ops"})
    assert cache.get("h1") == {"name": "ops"} and cache.get("other") is None
    now[0] = 104.9
    assert cache.get("h1") is not None
    now[0] = 105.0
    assert cache.get("h1") is None
    cache.put("h1", {"name": "ops"})
    cache.clear()
    assert cache.get("h1") is None


def test_a_zero_ttl_remembers_nothing_and_the_size_is_bounded() -> None:
    off = KeyCache(ttl_s=0)
    off.put("h1", {"name": "ops"})
    assert off.get("h1") is None
    small = KeyCache(ttl_s=60, size=2)
    for digest in ("a", "b", "c"):
        small.put(digest, {"name": digest})
    assert small.get("c") is not None and len(small._keys) <= 2


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {"MOCHI_DATABASE_URL": f"sqlite:///{tmp_path / 'record.db'}", "MOCHI_SECRET_KEY": SECRET_KEY}


def test_revoked_over_the_api_stops_at_once_and_with_no_cache_a_cli_revoke_too(
    env: dict[str, str], tmp_path: Path
) -> None:
    admin = mochi("apikeys", "create", "root", "--role", "admin", env=env).stdout.strip()
    bot = mochi("apikeys", "create", "bot", "--role", "reader", env=env).stdout.strip()
    ci = mochi("apikeys", "create", "ci", "--role", "reader", env=env).stdout.strip()
    proc, url = start(env, "--key-cache", "60", log=tmp_path / "a.log")
    try:
        as_bot = {"Authorization": f"Bearer {bot}"}
        assert httpx.get(f"{url}/api/reviews", headers=as_bot).status_code == 200  # now remembered
        revoked = httpx.delete(f"{url}/api/keys/bot", headers={"Authorization": f"Bearer {admin}"})
        assert revoked.status_code == 200, revoked.text
        assert httpx.get(f"{url}/api/reviews", headers=as_bot).status_code == 401
    finally:
        stop(proc)
    proc, url = start(env, "--key-cache", "0", log=tmp_path / "b.log")
    try:
        as_ci = {"Authorization": f"Bearer {ci}"}
        assert httpx.get(f"{url}/api/reviews", headers=as_ci).status_code == 200
        assert mochi("apikeys", "revoke", "ci", env=env).returncode == 0
        assert httpx.get(f"{url}/api/reviews", headers=as_ci).status_code == 401
    finally:
        stop(proc)
    keys = json.loads(mochi("apikeys", "list", "--json", env=env).stdout)["keys"]
    assert {k["name"]: k["revoked"] for k in keys} == {"root": False, "bot": True, "ci": True}
