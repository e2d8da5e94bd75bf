"""A world for the queue's end-to-end tests: the loopback fake GitHub as a GitHub App with pull
requests on a real git repository, a real `mochi serve` with the webhook secret, real `mochi worker`
processes, the record on a real PostgreSQL (or SQLite: jobs in the server's process)."""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tests.fakes.github_server import FakeGitHub, app_key_pair  # noqa: F401 (re-exported)
from tests.fixtures_path import FIXTURES
from tests.gitrepo import GitRepo
from tests.server.conftest import server_env

OWNER, NAME = "octo", "app"
WEBHOOK_SECRET = "whsec-test-never-logged-3f9c2a"
APP_ID = "424242"
INSTALLATION = 77
EVENTS = FIXTURES / "github" / "events"


TRANSACTIONAL = "import org.springframework.transaction.annotation.Transactional;\n"


def java(n: int, push: int) -> str:
    """Pull request n's file after push `push`: each push adds a private @Transactional method
    (java.transactional-private-final, high: a finding of its own, naming the method) on new lines."""
    body = "".join(
        f'    @Transactional\n    private void step{k}() {{\n        Integer.parseInt("{k}");\n    }}\n'
        for k in range(push + 1)
    )
    return f"package app;\n\n{TRANSACTIONAL}\npublic class Feature{n} {{\n{body}}}\n"


@dataclass
class Repo:
    """The GitHub side: main, and one branch per pull request with its pushes."""

    git: GitRepo
    base: str
    heads: dict[int, list[str]] = field(default_factory=dict)

    @classmethod
    def create(cls, path: Path) -> Repo:
        git = GitRepo(path)
        git.write("README.md", "app\n")
        return cls(git, git.commit("base"))

    def push(self, n: int) -> str:
        """One more commit on pull request n's branch; its sha."""
        pushes = self.heads.setdefault(n, [])
        self.git.run("checkout", "-q", "-B", f"pr{n}", pushes[-1] if pushes else self.base)
        self.git.write(f"src/main/java/app/Feature{n}.java", java(n, len(pushes)))
        sha = self.git.commit(f"pr {n} push {len(pushes) + 1}")
        pushes.append(sha)
        return sha


def pull_request_payload(action: str, n: int, head: str, base: str) -> dict[str, Any]:
    """GitHub's own pull_request example (octokit/webhooks), pointed at octo/app#n and `head`."""
    name = "synchronize" if action == "synchronize" else "opened"
    payload: dict[str, Any] = json.loads((EVENTS / f"pull_request.{name}.json").read_text())
    payload = copy.deepcopy(payload)
    payload["action"] = action
    payload["number"] = n
    pr = payload["pull_request"]
    pr.update(number=n, state="open", draft=False)
    pr["head"]["sha"] = head
    pr["base"]["sha"] = base
    payload["repository"].update(full_name=f"{OWNER}/{NAME}", name=NAME)
    payload["repository"]["owner"]["login"] = OWNER
    payload["installation"] = {"id": INSTALLATION, "node_id": "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uNzc="}
    return payload


def signed(body: bytes, secret: str = WEBHOOK_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def deliver(
    url: str,
    event: str,
    payload: dict[str, Any],
    *,
    delivery: str | None = None,
    signature: str | None = None,
) -> httpx.Response:
    """POST a delivery as GitHub does (raw JSON body, its headers); `signature` overrides the HMAC."""
    body = json.dumps(payload).encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "GitHub-Hookshot/abc123",
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": delivery or str(uuid.uuid4()),
        "X-GitHub-Hook-ID": "1",
        "X-Hub-Signature-256": signature if signature is not None else signed(body),
    }
    return httpx.post(f"{url}/api/webhooks/github", content=body, headers=headers, timeout=10)


def start_worker(env: dict[str, str], log: Path, *args: str) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "mochi", "worker", *args],
            env=server_env(env),
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def wait_for(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.25)
    raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")


def world_env(gh: FakeGitHub, database_url: str, private_pem_file: Path, secret_key: str) -> dict[str, str]:
    return {
        "MOCHI_DATABASE_URL": database_url,
        "MOCHI_SECRET_KEY": secret_key,
        "MOCHI_GITHUB_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "MOCHI_GITHUB_APP_ID": APP_ID,
        "MOCHI_GITHUB_APP_PRIVATE_KEY_FILE": str(private_pem_file),
        "GITHUB_API_URL": gh.url,
        "MOCHI_PROVIDER": "builtin",
    }
