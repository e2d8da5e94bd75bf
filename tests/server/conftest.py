"""A real `mochi serve` process on loopback, on SQLite and on PostgreSQL, with one key per role.

The server is started as a subprocess on a free port (like a user would: `python -m mochi serve`),
the tests talk to it with httpx, and it is stopped (SIGTERM) at the end of the module.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.store.pg import BACKENDS, empty_pg, pg_database  # noqa: F401 (fixtures)
from tests.test_cli import _CI_VARS, mochi

SECRET_KEY = "ZmDfcTF7_60GrrY167zsiPd67pEvs0aGOv2oasOM1Pg="  # a Fernet key for the tests only


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_env(env: dict[str, str]) -> dict[str, str]:
    base = {
        k: v for k, v in os.environ.items() if k not in _CI_VARS and not k.startswith(("MOCHI_", "INPUT_"))
    }
    return {**base, **env}


def start(env: dict[str, str], *args: str, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    """`mochi serve` on a free port; returns the process and its base URL once /healthz answers."""
    port = free_port()
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "mochi", "serve", "--port", str(port), *args],
            env=server_env(env),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"mochi serve exited {proc.returncode}: {log.read_text()}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return proc, url
        except httpx.TransportError:
            time.sleep(0.1)
    stop(proc)
    raise AssertionError(f"mochi serve did not answer within 30s: {log.read_text()}")


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def create_key(env: dict[str, str], name: str, role: str) -> str:
    proc = mochi("apikeys", "create", name, "--role", role, "--json", env=env)
    assert proc.returncode == 0, proc.stderr
    return str(json.loads(proc.stdout)["key"]["key"])


@dataclass
class Served:
    """A running server, its environment (for the CLI against the same record) and its keys."""

    url: str
    env: dict[str, str]
    keys: dict[str, str]
    log: Path

    def client(self, role: str | None = None, *, key: str | None = None) -> httpx.Client:
        """An httpx client; with `role`, authenticated with that role's key."""
        token = key or (self.keys[role] if role else None)
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30)


def backend_url(request: pytest.FixtureRequest, path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{path / 'record.db'}"
    return empty_pg(request.getfixturevalue("pg_database"))


@pytest.fixture(scope="module", params=BACKENDS)
def served(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """One server per module and backend, with an admin, a reviewer and a reader key."""
    path = tmp_path_factory.mktemp("served")
    env = {"MOCHI_DATABASE_URL": backend_url(request, path), "MOCHI_SECRET_KEY": SECRET_KEY}
    keys = {role: create_key(env, f"{role}-key", role) for role in ("admin", "reviewer", "reader")}
    proc, url = start(env, log=path / "server.log")
    try:
        yield Served(url=url, env=env, keys=keys, log=path / "server.log")
    finally:
        stop(proc)
