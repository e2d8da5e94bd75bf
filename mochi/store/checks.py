"""Real, minimal calls that prove a stored configuration works (`models test`, `integrations test`).

Each takes its client (a Provider, an httpx.Client) as an argument; nothing here reads the
environment. Failures raise CheckError (or the provider's ProviderError) with what to fix.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import httpx

from mochi.errors import MochiError
from mochi.models import Prompt
from mochi.providers.base import Provider
from mochi.store.integrations import Integration

GITHUB_API_VERSION = "2022-11-28"


class CheckError(MochiError):
    """A service refused or failed the test call (exit status 3, like a failing provider)."""

    exit_code = 3


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    who: str  # the identity the service reported, or the model that answered
    duration_s: float
    details: dict[str, Any]


def check_model(provider: Provider) -> CheckResult:
    """One tiny review request with the review answer schema; raises ProviderError on failure."""
    from mochi.answer import answer_json_schema

    prompt = Prompt(
        system="You are a code reviewer. Answer only with the JSON the schema describes.",
        user="There is no change to review. Answer with no comments and the summary 'ok'.",
    )
    started = time.monotonic()
    completion = provider.complete(prompt, schema=answer_json_schema())
    return CheckResult(
        ok=True,
        who=f"{completion.provider}/{completion.model}",
        duration_s=round(time.monotonic() - started, 3),
        details={
            "prompt_tokens": completion.prompt_tokens,
            "completion_tokens": completion.completion_tokens,
        },
    )


def github_app_jwt(app_id: str, private_key: str, *, now: float | None = None) -> str:
    """The JWT a GitHub App authenticates as itself with (RS256, 9 minutes, iat 60 s in the past)."""
    from mochi.extras import require

    require("jwt", "secrets", "signing in as a GitHub App")
    import jwt

    issued = int(now if now is not None else time.time()) - 60
    token: str = jwt.encode(
        {"iat": issued, "exp": issued + 600, "iss": str(app_id)}, private_key, algorithm="RS256"
    )
    return token


def check_github(client: httpx.Client, integration: Integration) -> CheckResult:
    """GET /user with the token, or GET /app with a GitHub App's JWT."""
    creds = integration.credentials
    headers = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": GITHUB_API_VERSION}
    if creds.get("token"):
        path = "/user"
        headers["Authorization"] = f"Bearer {creds['token']}"
    elif creds.get("private_key") and integration.config.get("app_id"):
        path = "/app"
        try:
            token = github_app_jwt(str(integration.config["app_id"]), creds["private_key"])
        except Exception as exc:  # PyJWT/cryptography raise several types for a bad PEM
            raise CheckError(
                f"the stored GitHub App private key cannot sign a token ({type(exc).__name__}): "
                "store the app's .pem again: `mochi integrations set github --app-id ID --private-key-file F`"
            ) from None
        headers["Authorization"] = f"Bearer {token}"
    else:
        raise CheckError("no GitHub credentials are stored: `mochi integrations set github --token -`")
    data = _get(client, integration.api_endpoint + path, headers, "GitHub")
    who = str(data.get("login") or data.get("slug") or data.get("name") or "?")
    return CheckResult(ok=True, who=who, duration_s=data.pop("_duration_s"), details={"endpoint": path})


def check_jira(client: httpx.Client, integration: Integration) -> CheckResult:
    """GET /rest/api/2/myself with email + API token (Cloud) or a personal access token (Server/DC)."""
    creds = integration.credentials
    headers = {"Accept": "application/json"}
    auth: tuple[str, str] | None = None
    if creds.get("pat"):
        headers["Authorization"] = f"Bearer {creds['pat']}"
    elif creds.get("token") and integration.config.get("email"):
        auth = (str(integration.config["email"]), creds["token"])
    else:
        raise CheckError(
            "no Jira credentials are stored: `mochi integrations set jira --url URL --email EMAIL --token -` "
            "(Cloud) or `--pat -` (Server/Data Center)"
        )
    data = _get(client, integration.api_endpoint + "/rest/api/2/myself", headers, "Jira", auth=auth)
    who = str(data.get("displayName") or data.get("emailAddress") or data.get("name") or "?")
    return CheckResult(
        ok=True, who=who, duration_s=data.pop("_duration_s"), details={"endpoint": "/rest/api/2/myself"}
    )


def _get(
    client: httpx.Client,
    url: str,
    headers: dict[str, str],
    service: str,
    *,
    auth: tuple[str, str] | None = None,
) -> dict[str, Any]:
    started = time.monotonic()
    try:
        response = client.get(url, headers=headers, auth=auth) if auth else client.get(url, headers=headers)
    except httpx.HTTPError as exc:
        raise CheckError(
            f"{service} is not reachable at {url} ({type(exc).__name__}): check the URL"
        ) from None
    if response.status_code in (401, 403):
        raise CheckError(
            f"{service} refused the stored credentials (HTTP {response.status_code} from {url}): "
            f"store valid ones with `mochi integrations set {service.lower()}`"
        )
    if response.status_code >= 400:
        raise CheckError(f"{service} answered HTTP {response.status_code} for {url}: check the URL")
    try:
        data = response.json()
    except ValueError:
        raise CheckError(f"{url} did not answer JSON: is it the {service} API URL?") from None
    if not isinstance(data, dict):
        raise CheckError(f"{url} did not answer a JSON object: is it the {service} API URL?")
    data["_duration_s"] = round(time.monotonic() - started, 3)
    return data
