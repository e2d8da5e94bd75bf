"""`mochi apikeys` and `mochi serve`'s refusal to listen beyond loopback without a key."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import pytest

from tests.server.conftest import SECRET_KEY, backend_url, start, stop
from tests.store.pg import BACKENDS
from tests.test_cli import mochi

pytestmark = pytest.mark.slow


@pytest.fixture(params=BACKENDS)
def env(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, str]:
    return {"MOCHI_DATABASE_URL": backend_url(request, tmp_path), "MOCHI_SECRET_KEY": SECRET_KEY}


def test_apikeys_create_prints_the_key_once_list_hides_it_and_revoke_ends_it(
    env: dict[str, str], tmp_path: Path
) -> None:
    created = mochi("apikeys", "create", "ops", "--role", "admin", env=env)
    assert created.returncode == 0, created.stderr
    key = created.stdout.strip()
    assert key.startswith("mochi_") and len(key) > 40 and "not shown again" in created.stderr
    again = mochi("apikeys", "create", "ops", "--role", "reader", env=env)
    assert again.returncode == 2 and "exists already" in again.stderr
    bad_role = mochi("apikeys", "create", "x", "--role", "owner", env=env)
    assert bad_role.returncode == 2

    proc, url = start(env, log=tmp_path / "server.log")
    try:
        auth = {"Authorization": f"Bearer {key}"}
        assert httpx.get(f"{url}/api/keys", headers=auth).status_code == 200
        listed = mochi("apikeys", "list", env=env)
        as_json = mochi("apikeys", "list", "--json", env=env)
        assert listed.returncode == 0 and "ops" in listed.stdout and "admin" in listed.stdout
        assert key not in listed.stdout + as_json.stdout
        rows = json.loads(as_json.stdout)["keys"]
        assert rows[0]["name"] == "ops" and rows[0]["last_used_at"] is not None and not rows[0]["revoked"]
        assert not {"key", "key_hash"} & set(rows[0])

        revoked = mochi("apikeys", "revoke", "ops", env=env)
        assert revoked.returncode == 0, revoked.stderr
        # the server remembers a valid key for --key-cache seconds (default 5): revoked elsewhere,
        # it stops within that time
        deadline = time.monotonic() + 7
        answer = httpx.get(f"{url}/api/keys", headers=auth)
        while answer.status_code == 200 and time.monotonic() < deadline:
            time.sleep(0.25)
            answer = httpx.get(f"{url}/api/keys", headers=auth)
        assert answer.status_code == 401 and answer.json()["error"]["code"] == "UNAUTHORIZED"
        assert json.loads(mochi("apikeys", "list", "--json", env=env).stdout)["keys"][0]["revoked"] is True
        missing = mochi("apikeys", "revoke", "nobody", env=env)
        assert missing.returncode == 2 and "no API key 'nobody'" in missing.stderr
    finally:
        stop(proc)
    assert key not in (tmp_path / "server.log").read_text()


def test_serve_refuses_to_listen_beyond_loopback_without_a_key(env: dict[str, str]) -> None:
    proc = mochi("serve", "--host", "0.0.0.0", "--port", "1", env=env)
    assert proc.returncode == 2
    assert "refusing to listen on 0.0.0.0 without an API key" in proc.stderr
    assert "mochi apikeys create" in proc.stderr


def test_several_server_processes_answer_and_refuse_webhooks_without_a_queue(
    env: dict[str, str], tmp_path: Path
) -> None:
    key = mochi("apikeys", "create", "ops", "--role", "reader", env=env).stdout.strip()
    proc, url = start(env, "--processes", "2", log=tmp_path / "server.log")
    try:
        answers = {
            httpx.get(f"{url}/api/reviews", headers={"Authorization": f"Bearer {key}"}).status_code
            for _ in range(20)
        }
        assert answers == {200}
    finally:
        stop(proc)
    assert "2 server processes" in (tmp_path / "server.log").read_text()
    if env["MOCHI_DATABASE_URL"].startswith("sqlite"):
        refused = mochi("serve", "--processes", "2", env={**env, "MOCHI_GITHUB_WEBHOOK_SECRET": "s3cret"})
        assert refused.returncode == 2 and "needs the record on PostgreSQL" in refused.stderr
