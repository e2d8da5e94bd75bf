"""Rate limits per API key, per address and per endpoint: 429 RATE_LIMITED with Retry-After exactly
past the configured limit, against a real `mochi serve`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.server.conftest import SECRET_KEY, Served, create_key, start, stop

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    path = tmp_path_factory.mktemp("limited")
    env = {"MOCHI_DATABASE_URL": f"sqlite:///{path / 'record.db'}", "MOCHI_SECRET_KEY": SECRET_KEY}
    keys = {name: create_key(env, name, "reader") for name in ("first", "second")}
    proc, url = start(env, "--rate-limit", "5/minute", "--ip-rate-limit", "12/minute", log=path / "log")
    try:
        yield Served(url=url, env=env, keys=keys, log=path / "log")
    finally:
        stop(proc)


def test_a_key_gets_exactly_its_limit_per_endpoint(limited: Served) -> None:
    with (
        limited.client(key=limited.keys["first"]) as first,
        limited.client(key=limited.keys["second"]) as second,
    ):
        statuses = [first.get("/api/reviews").status_code for _ in range(5)]
        refused = first.get("/api/reviews")
        other_endpoint = first.get("/api/models")
        other_key = second.get("/api/reviews")
    assert statuses == [200] * 5
    assert refused.status_code == 429
    body = refused.json()
    assert body["success"] is False and body["error"]["code"] == "RATE_LIMITED"
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert limited.keys["first"] not in refused.text
    assert other_endpoint.status_code == 200 and other_key.status_code == 200
    # monitoring is never limited
    with limited.client() as anonymous:
        assert all(anonymous.get("/healthz").status_code == 200 for _ in range(20))


def test_an_address_is_limited_whatever_key_it_sends(limited: Served, tmp_path: Path) -> None:
    # /api/templates: 12 requests from this address, spread over fresh keys so no key limit is hit
    keys = [create_key(limited.env, f"k{i}", "reader") for i in range(4)]
    statuses = []
    for i in range(13):
        with limited.client(key=keys[i % 4]) as client:
            statuses.append(client.get("/api/templates").status_code)
    assert statuses[:12] == [200] * 12 and statuses[12] == 429
