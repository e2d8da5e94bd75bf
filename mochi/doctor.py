"""`mochi doctor`'s checks: one function per part of the set-up, each giving one line (a Check).

Each check takes what it looks at (the Settings, a token and its API URL, the record's URL) as
arguments and reads no environment: mochi/commands/doctor.py composes them, and checks the checkout
and the settings themselves. A check does not raise: whatever goes wrong is its line, with what to
do about it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any, Literal

from mochi.errors import MochiError
from mochi.store.bounded import _bounded

if TYPE_CHECKING:
    from mochi.settings import Settings

Status = Literal["ok", "warn", "fail", "skip"]

# How long a service may take to answer one check (the model's test prompt has its own timeout_s).
HTTP_TIMEOUT_S = 10.0
CONNECT_TIMEOUT_S = 5.0
WINDOW_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class Check:
    """One line of `mochi doctor`: what was checked, how it went, and the fix when it went wrong."""

    name: str
    status: Status
    detail: str
    fix: str | None = None


# Where the "what to do" part of a mochi message starts: "Ollama is not reachable at URL: start ..."
_FIX = re.compile(
    r"[:.] (?=(?:start|run|set|unset|store|check|create|give|use|pass|install|pip|make|raise|upgrade|fix|"
    r"Pass|Check|Set|Fix|Run|Store|Use)\b)"
)


def split_fix(message: str) -> tuple[str, str | None]:
    """A mochi error message as (what is wrong, what to do), when it says what to do."""
    match = _FIX.search(message)
    if match is None:
        return message.rstrip(". "), None
    return message[: match.start()].rstrip(". "), message[match.end() :].rstrip(". ")


def failed(name: str, exc: BaseException, prefix: str = "", status: Status = "fail") -> Check:
    """The line for an error: mochi's own message split into detail and fix; anything else named."""
    text = str(exc) if isinstance(exc, MochiError) else f"{type(exc).__name__}: {exc}"
    detail, fix = split_fix(text)
    return Check(name, status, f"{prefix}{detail}", fix)


# --------------------------------------------------------------------------- the model


def _where(provider: object, settings: Settings, name: str) -> str:
    base = getattr(provider, "base_url", None)
    if isinstance(base, str):
        return base
    if name == "anthropic":
        return settings.providers.anthropic_base_url or "https://api.anthropic.com"
    return settings.providers.azure_openai_endpoint or ""


def _window(settings: Settings, model: str, reported: int | None) -> str:
    from mochi.budget import DEFAULT_WINDOW, hosted_window

    if settings.providers.context_window:
        return f"window {settings.providers.context_window:,} tokens (context_window)"
    if reported:
        return f"window {reported:,} tokens"
    table = hosted_window(model)
    if table:
        return f"window {table:,} tokens (mochi's table of hosted models)"
    return (
        f"window unknown: a conservative default ({DEFAULT_WINDOW:,} tokens) is assumed; set context_window"
    )


def check_provider(settings: Settings, name: str, model: str, *, check: str, prompt: bool) -> Check:
    """The model is reachable and installed, its window, and (with `prompt`) a tiny test prompt."""
    if name == "builtin":
        return Check(check, "ok", "builtin: the built-in checks only, no model")
    from mochi.errors import ModelNotFoundError
    from mochi.providers.registry import build_provider

    who = f"{name}/{model}"
    try:
        provider = build_provider(settings, name, model)
    except MochiError as exc:  # a missing API key or extra: the message names the variable
        return failed(check, exc, f"{who}: ")
    where = _where(provider, settings, name)
    head = f"{who} at {where}" if where else who

    def fail(exc: BaseException, extra: str = "") -> Check:  # the server's URL once in the line
        return failed(check, exc, f"{who if where and where in str(exc) else head}: {extra}")

    probe = getattr(provider, "context_length", None)
    reported: int | None = None
    try:
        if callable(probe):
            value = _bounded(probe, WINDOW_TIMEOUT_S, f"tell {who}'s context window")
            reported = value if isinstance(value, int) and value > 0 else None
    except ModelNotFoundError as exc:
        if name == "ollama" and settings.providers.pull:
            return Check(check, "warn", f"{head}: not installed yet; pull = true: the first review pulls it")
        return fail(exc)
    except Exception as exc:
        return fail(exc)
    parts = [_window(settings, model, reported)]
    if prompt:
        from mochi.store.checks import check_model

        try:
            result = check_model(provider)
        except Exception as exc:
            return fail(exc, f"{parts[0]}; the test prompt failed: ")
        parts.append(f"test prompt answered in {result.duration_s:.1f} s")
    elif name != "ollama":
        status, note, fix = probe_hosted(settings, name, model)
        parts.append(note)
        if status != "ok":
            return Check(check, status, f"{head}: " + ", ".join(parts), fix)
    return Check(check, "ok", f"{head}: " + ", ".join(parts))


def probe_hosted(settings: Settings, name: str, model: str) -> tuple[Status, str, str | None]:
    """Without a test prompt: a free call that proves an OpenAI-compatible or Anthropic server is
    there and takes the key (its model list; Anthropic's model by name)."""
    import httpx

    from mochi.providers.server_info import is_openai

    p, headers = settings.providers, {"anthropic-version": "2023-06-01"}
    if name == "openai":
        base, key, env = p.openai_base_url or "https://api.openai.com/v1", p.openai_api_key, "OPENAI"
        url, headers["Authorization"] = f"{base.rstrip('/')}/models", f"Bearer {_secret(key) or 'unused'}"
    elif name == "anthropic":
        base, key, env = p.anthropic_base_url or "https://api.anthropic.com", p.anthropic_api_key, "ANTHROPIC"
        url, headers["x-api-key"] = f"{base.rstrip('/')}/v1/models/{model}", _secret(key) or ""
    else:
        return "ok", "not contacted without the test prompt", None
    try:
        with httpx.Client(timeout=httpx.Timeout(HTTP_TIMEOUT_S, connect=CONNECT_TIMEOUT_S)) as client:
            response = client.get(url, headers=headers)
    except httpx.HTTPError as exc:
        return "fail", f"not reachable ({type(exc).__name__})", f"check the network or {env}_BASE_URL"
    status, unknown = response.status_code, f"model '{model}' is not known there"
    if status in (401, 403):
        return "fail", f"the server refused the API key (HTTP {status})", f"check {env}_API_KEY"
    error = _field(response, "error")
    if (
        status == 404
        and name == "anthropic"
        and isinstance(error, dict)
        and error.get("type") == "not_found_error"
    ):
        return "fail", unknown, "check the model name (MOCHI_MODEL)"
    if status != 200:
        return "ok", f"reachable (HTTP {status} for its model list)", None
    ids = [str(m.get("id")) for m in _field(response, "data") or [] if isinstance(m, dict)]
    if name == "openai" and ids and model not in ids:
        if is_openai(base):
            return "fail", unknown, "check the model name (MOCHI_MODEL)"
        listed = ", ".join(ids[:5]) + (", ..." if len(ids) > 5 else "")
        return "warn", f"the server lists {listed}, not '{model}'", "set MOCHI_MODEL to the name it serves"
    return "ok", "reachable, the key is accepted", None


def _secret(value: Any) -> str | None:
    return value.get_secret_value() if value is not None else None


# --------------------------------------------------------------------------- Jira, GitHub, GitLab


def check_jira_access(settings: Settings, origin: Mapping[str, str]) -> Check:
    """One authenticated call (GET /rest/api/2/myself) with the credentials a review would use."""
    jira, line = settings.jira, partial(Check, "jira")
    if not jira.url:
        return line("skip", "not configured (JIRA_URL, or `mochi integrations set jira`)")
    import httpx

    from mochi.store.checks import check_jira
    from mochi.store.integrations import Integration

    url, stored = jira.url.rstrip("/"), origin.get("jira_url", "").startswith("stored")
    token, pat = _secret(jira.api_token), _secret(jira.pat)
    fix = "set JIRA_EMAIL and JIRA_API_TOKEN (Cloud) or JIRA_PAT (Server/Data Center)"
    if pat:
        creds, extra, how, fix = {"pat": pat}, {}, "a personal access token", "check JIRA_PAT"
    elif token and jira.email:
        creds, extra, how = {"token": token}, {"email": jira.email}, f"{jira.email} and an API token"
        fix = "check JIRA_EMAIL and JIRA_API_TOKEN"
    else:
        return line("warn", f"Jira at {url}: no credentials, only public tickets can be read", fix)
    try:
        with httpx.Client(timeout=httpx.Timeout(jira.timeout_s, connect=CONNECT_TIMEOUT_S)) as client:
            result = check_jira(client, Integration(kind="jira", url=url, credentials=creds, settings=extra))
    except Exception as exc:
        failure = failed("jira", exc)
        return failure if stored else line("fail", failure.detail.replace("the stored ", "the "), fix)
    where = f"Jira at {url}" + (" (stored integration)" if stored else "")
    return line("ok", f"{where}: signed in as {result.who} with {how}")


def _get(name: str, where: str, path: str, headers: dict[str, str], url_env: str) -> Any:
    """The response to GET `where` + `path`, or the line saying the service is not reachable."""
    import httpx

    try:
        with httpx.Client(timeout=httpx.Timeout(HTTP_TIMEOUT_S, connect=CONNECT_TIMEOUT_S)) as client:
            return client.get(where + path, headers=headers)
    except httpx.HTTPError as exc:
        reason = f"{name} is not reachable at {where} ({type(exc).__name__})"
        return Check(name.lower(), "fail", reason, f"check the network or {url_env}")


def check_github_token(token: str, variable: str, api_url: str) -> Check:
    """GET /user: whose token it is and, for a classic token, whether its scopes can post reviews."""
    api, line = api_url.rstrip("/"), partial(Check, "github")
    auth = {"Authorization": f"Bearer {token}", "Accept": "application/vnd.github+json"}
    response = _get("GitHub", api, "/user", auth, "GITHUB_API_URL")
    if isinstance(response, Check):
        return response
    status = response.status_code
    if status == 401:
        fix = "the token is invalid or expired: create a new one"
        return line("fail", f"GitHub refused {variable} (HTTP 401 from {api}/user)", fix)
    if status == 403 and response.headers.get("x-ratelimit-remaining") == "0":
        return line("warn", f"GitHub's rate limit for {variable} is used up", "try again later")
    if status == 403:  # the Actions GITHUB_TOKEN and App installation tokens cannot read /user
        return line("ok", f"{variable} at {api}: an Actions or App token (it cannot read /user)")
    login = _field(response, "login")
    if status != 200 or login is None:
        return line("fail", f"GitHub answered HTTP {status} for {api}/user", "check GITHUB_API_URL")
    head = f"{variable} at {api}: {login}"
    if "x-oauth-scopes" not in response.headers:
        needs = "pull requests: write, checks: write, contents: read"
        return line("ok", f"{head}, a fine-grained token (its permissions are not shown; it needs {needs})")
    scopes = [s.strip() for s in response.headers["x-oauth-scopes"].split(",") if s.strip()]
    head += f", a classic token (scopes: {', '.join(scopes) or 'none'})"
    if "repo" not in scopes and "public_repo" not in scopes:
        fix = "give it the repo scope (public_repo for public repositories only) to post reviews"
        return line("warn", head + " without the repo scope", fix)
    return line("ok", head)


def check_gitlab_token(token: str, variable: str, server_url: str, *, job_token: bool) -> Check:
    """GET /api/v4/personal_access_tokens/self: the token's name and scopes; `api` is needed."""
    server, line = server_url.rstrip("/").removesuffix("/api/v4"), partial(Check, "gitlab")
    fix = f"create a project access token with the api scope (Settings > Access tokens) and set {variable}"
    if job_token:
        return line("fail", f"{variable} holds the CI job token, which GitLab refuses for notes", fix)
    path = "/api/v4/personal_access_tokens/self"
    response = _get("GitLab", server, path, {"PRIVATE-TOKEN": token}, "MOCHI_GITLAB_URL")
    if isinstance(response, Check):
        return response
    if response.status_code == 401:
        refused = f"GitLab refused {variable} (HTTP 401 from {server})"
        return line("fail", refused, "the token is invalid, expired or revoked: " + fix)
    scopes = _field(response, "scopes")
    if response.status_code != 200 or not isinstance(scopes, list):
        reason = f"GitLab at {server} answered HTTP {response.status_code} for the token's scopes"
        return line("warn", reason, "check MOCHI_GITLAB_URL (GitLab 15.5 and later say)")
    head = (
        f"{variable} at {server}: token '{_field(response, 'name')}' (scopes: {', '.join(scopes) or 'none'})"
    )
    if "api" not in scopes:
        return line("fail", head + " without the api scope", fix)
    expires = _field(response, "expires_at")
    return line("ok", head + (f", expires {expires}" if expires else ""))


def _field(response: Any, key: str) -> Any:
    try:
        data = response.json()
    except ValueError:
        return None
    return data.get(key) if isinstance(data, dict) else None
