"""GitHub App installation tokens against the loopback GitHub, which checks the App's JWT with its
public key: one request per installation until 5 minutes before expiry, safe across threads, and
errors that say what to fix without showing the key, the JWT or a token."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from mochi.errors import ConfigError, HostAPIError
from mochi.platforms.github.app_auth import InstallationTokens
from tests.fakes.github_server import FakeGitHub, app_key_pair

APP_ID = "424242"
TTL = 3600.0  # GitHub's installation tokens live an hour


PRIVATE_KEY, PUBLIC_KEY = app_key_pair()


@dataclass
class Clock:
    now: float

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(time.time())


@pytest.fixture
def github(tmp_path: Path, clock: Clock) -> Iterator[FakeGitHub]:
    with FakeGitHub.start(tmp_path, "octo/app") as gh:
        gh.set_app(APP_ID, PUBLIC_KEY, installations=(1, 2), token_ttl_s=TTL, clock=clock)
        yield gh
        assert gh.violations == []


def _tokens(
    gh: FakeGitHub, clock: Clock, *, private_key: str = PRIVATE_KEY, **client: object
) -> InstallationTokens:
    http = httpx.Client(base_url=gh.url, timeout=10, **client)  # type: ignore[arg-type]
    return InstallationTokens(http, app_id=APP_ID, private_key=private_key, clock=clock)


def _key_body(pem: str) -> list[str]:
    return [line for line in pem.splitlines() if line and not line.startswith("-----")]


def test_a_token_is_made_once_and_reused(github: FakeGitHub, clock: Clock) -> None:
    tokens = _tokens(github, clock)
    first = tokens.token(1)
    assert [tokens.token(1), tokens.token(1)] == [first, first]
    assert github.token_requests == [1]
    assert first.startswith("ghs_") and github.installation_tokens == {first: 1}
    sent = github.requests_to("/app/installations/1/access_tokens")[0]
    assert sent.method == "POST" and sent.headers["authorization"].startswith("Bearer ey")
    assert sent.headers["accept"] == "application/vnd.github+json"
    assert sent.headers["x-github-api-version"] == "2022-11-28"


def test_a_token_is_renewed_five_minutes_before_it_expires(github: FakeGitHub, clock: Clock) -> None:
    tokens = _tokens(github, clock)
    first = tokens.token(1)
    clock.now += TTL - 301  # 5 minutes and a second left: still good
    assert tokens.token(1) == first and len(github.token_requests) == 1
    clock.now += 2  # under 5 minutes left: a new one
    second = tokens.token(1)
    assert second != first and github.token_requests == [1, 1]
    assert tokens.token(1) == second and len(github.token_requests) == 2


def test_each_installation_has_its_own_token(github: FakeGitHub, clock: Clock) -> None:
    tokens = _tokens(github, clock)
    one, two = tokens.token(1), tokens.token(2)
    assert one != two
    assert [tokens.token(1), tokens.token(2)] == [one, two]
    assert sorted(github.token_requests) == [1, 2]
    assert github.installation_tokens == {one: 1, two: 2}


def test_forget_drops_a_refused_token(github: FakeGitHub, clock: Clock) -> None:
    tokens = _tokens(github, clock)
    first = tokens.token(1)
    tokens.forget(1)
    assert tokens.token(1) != first and github.token_requests == [1, 1]


def test_eight_threads_at_once_make_one_request(github: FakeGitHub, clock: Clock) -> None:
    # every request takes 0.2 s, so the other seven threads arrive while the first one waits
    tokens = _tokens(github, clock, event_hooks={"request": [lambda request: time.sleep(0.2)]})
    start = threading.Barrier(8)
    got: list[str] = []

    def ask() -> None:
        start.wait()
        got.append(tokens.token(1))

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    assert len(got) == 8 and len(set(got)) == 1
    assert github.token_requests == [1]


def test_a_wrong_private_key_is_refused_and_no_secret_is_shown(
    github: FakeGitHub, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    other_key, _ = app_key_pair()
    tokens = _tokens(github, clock, private_key=other_key)
    with pytest.raises(HostAPIError) as caught:
        tokens.token(1)
    error = caught.value
    assert error.status == 401 and error.auth and error.exit_code == 2
    assert APP_ID in str(error) and "private key" in str(error)
    jwt_sent = github.requests_to("/app/installations/1/access_tokens")[0].headers["authorization"][7:]
    shown = [str(error), repr(error), error.detail, repr(tokens), caplog.text]
    for secret in [jwt_sent, *_key_body(other_key), *_key_body(PRIVATE_KEY)]:
        assert not any(secret in text for text in shown)
    assert github.installation_tokens == {}


def test_an_app_that_is_not_installed_says_to_install_it(github: FakeGitHub, clock: Clock) -> None:
    with pytest.raises(HostAPIError) as caught:
        _tokens(github, clock).token(99)
    assert caught.value.status == 404 and "install the app" in str(caught.value)
    assert "99" in str(caught.value)


def test_a_wrong_app_id_is_refused(github: FakeGitHub, clock: Clock) -> None:
    http = httpx.Client(base_url=github.url, timeout=10)
    tokens = InstallationTokens(http, app_id="7", private_key=PRIVATE_KEY, clock=clock)
    with pytest.raises(HostAPIError) as caught:
        tokens.token(1)
    assert caught.value.status == 401 and "check the app id" in str(caught.value)


def test_a_key_that_is_not_a_key_is_a_configuration_error(github: FakeGitHub, clock: Clock) -> None:
    broken = "-----BEGIN RSA PRIVATE KEY-----\nbm90IGEga2V5\n-----END RSA PRIVATE KEY-----\n"
    with pytest.raises(ConfigError) as caught:
        _tokens(github, clock, private_key=broken).token(1)
    assert "bm90IGEga2V5" not in str(caught.value) and APP_ID in str(caught.value)
    assert github.token_requests == []


def test_tokens_and_keys_stay_out_of_reprs_and_logs(
    github: FakeGitHub, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    tokens = _tokens(github, clock)
    token = tokens.token(1)
    jwt_sent = github.requests_to("/app/installations/1/access_tokens")[0].headers["authorization"][7:]
    assert repr(tokens) == f"InstallationTokens(app_id='{APP_ID}', installations=[1])"
    for secret in [token, jwt_sent, *_key_body(PRIVATE_KEY)]:
        assert (
            secret not in caplog.text and secret not in repr(tokens) and secret not in repr(tokens.__dict__)
        )
    assert "new token for installation 1" in caplog.text


def test_no_answer_is_a_host_api_error(clock: Clock) -> None:
    with FakeGitHub.start(Path("."), "octo/app") as gh:
        url = gh.url  # the port is free again once the fake stops
    tokens = InstallationTokens(httpx.Client(base_url=url, timeout=2), app_id=APP_ID, private_key=PRIVATE_KEY)
    with pytest.raises(HostAPIError) as caught:
        tokens.token(1)
    assert caught.value.status == 0 and "did not answer" in str(caught.value)
