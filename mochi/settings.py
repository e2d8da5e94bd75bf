"""One frozen Settings object: defaults < .mochi.toml < environment < flags.

`load()` is called once, by cli.py. Everything below the CLI receives the Settings (or the
pieces it needs) as arguments and never reads the environment itself.
"""

from __future__ import annotations

import difflib
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from mochi.errors import ConfigError
from mochi.models import PathInstruction, Severity

CONFIG_FILE = ".mochi.toml"

DEFAULT_MODELS = {
    "ollama": "qwen2.5-coder:7b",
    "openai": "gpt-4o-mini",
    "azure": "gpt-4o-mini",
    "anthropic": "claude-3-5-haiku-latest",
    "builtin": "rules",
}


class RuleConfig(BaseModel):
    """Per-rule overrides for the built-in checks (`[rules.<id>]` in .mochi.toml)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    enabled: bool = True
    severity: Severity | None = None
    exclude: tuple[str, ...] = ()


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    # -- the model
    provider: str | None = None  # None: Ollama, optional (the review goes on without it)
    model: str | None = None
    fallback: tuple[str, ...] = ()  # "openai:gpt-4o-mini", "anthropic", ...
    ollama_host: str = "http://localhost:11434"
    openai_api_key: SecretStr | None = None
    openai_base_url: str | None = None
    anthropic_api_key: SecretStr | None = None
    anthropic_base_url: str | None = None
    azure_openai_endpoint: str | None = None
    azure_openai_api_key: SecretStr | None = None
    azure_openai_api_version: str = "2024-10-21"
    timeout_s: float = Field(default=180.0, gt=0)
    max_retries: int = Field(default=3, ge=0, le=10)
    temperature: float = Field(default=0.1, ge=0, le=2)
    num_ctx: int | None = Field(default=None, ge=2048)
    max_output_tokens: int = Field(default=2048, ge=256)
    pull: bool = False
    # -- what is reviewed
    base: str | None = None
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    max_file_lines: int = Field(default=3000, ge=1)  # changed lines above which a file is skipped
    # -- what the reviewer knows
    instructions: str = ""
    # -- issue 5: repository context, Jira, token budget and chunking
    path_instructions: tuple[PathInstruction, ...] = ()  # [[path_instructions]] path/instructions
    related_files: bool = True  # signatures of the repository files the changed files import
    jira_url: str | None = None  # JIRA_URL
    jira_email: str | None = None  # JIRA_EMAIL (Cloud, with JIRA_API_TOKEN)
    jira_api_token: SecretStr | None = None  # JIRA_API_TOKEN (Cloud)
    jira_pat: SecretStr | None = None  # JIRA_PAT (Server/Data Center personal access token)
    jira_api_version: Literal["auto", "2", "3"] = "auto"  # auto: 3 with email+token, else 2
    jira_projects: tuple[str, ...] = ()  # only these project keys (then matched in any case)
    jira_key_pattern: str | None = None  # a regex instead; group 1 (or the match) is the key
    jira_acceptance_field: str | None = None  # e.g. customfield_10035
    jira_timeout_s: float = Field(default=10.0, gt=0)
    jira_max_tickets: int = Field(default=5, ge=0)
    jira_max_chars: int = Field(default=6000, ge=500)  # per ticket, description and criteria
    context_window: int | None = Field(default=None, ge=2048)  # tokens; default: the model's
    max_concurrency: int | None = Field(default=None, ge=1)  # chunks at once; 1 Ollama, 4 hosted
    # -- built-in checks
    builtin: bool = True
    rules: dict[str, RuleConfig] = Field(default_factory=dict)
    # -- output
    fail_on: Severity | None = None
    format: Literal["text", "markdown", "json", "sarif", "junit"] = "text"
    # -- issue 4: reviewer mode on GitHub (mochi ci, mochi review --pr)
    post_review: bool = True  # False: check run, job summary and outputs only
    review_drafts: bool = False  # review draft pull requests too
    review_event: Literal["COMMENT", "REQUEST_CHANGES"] = "COMMENT"  # REQUEST_CHANGES at/above fail_on
    github_max_wait_s: float = Field(default=120.0, ge=0)  # total wait on GitHub rate limits and retries
    # -- issue 7: GitLab merge requests and Jenkins (mochi ci under GITLAB_CI / JENKINS_URL)
    gitlab_draft_notes: bool = False  # post as draft notes + one bulk publish: one notification
    codequality_report: str = "gl-code-quality-report.json"  # relative to the checkout root
    junit_report: str | None = None  # Jenkins: also write findings as JUnit XML here
    # -- the record
    database_url: SecretStr | None = None
    secret_key: SecretStr | None = None
    # -- the record (issue 6, mochi/store/session.py): None = on locally, off in CI without database_url
    record: bool | None = None
    data_dir: str | None = None  # where the local SQLite record lives (default: the user's data dir)

    @property
    def effective_provider(self) -> str:
        return self.provider or "ollama"

    @property
    def provider_explicit(self) -> bool:
        """True when the user chose a provider; then an unreachable one is an error."""
        return self.provider is not None

    @property
    def effective_model(self) -> str:
        return self.model or DEFAULT_MODELS.get(self.effective_provider, "")


SECRET_FIELDS = frozenset(
    name for name, f in Settings.model_fields.items() if "SecretStr" in str(f.annotation)
)

# Keys that .mochi.toml may not hold: a config file is committed, secrets are not.
_FILE_FORBIDDEN = SECRET_FIELDS

# The ecosystem's own names first; our own MOCHI_* and the action's INPUT_* are derived.
_ECOSYSTEM_ENV = {
    "OLLAMA_HOST": "ollama_host",
    "OPENAI_API_KEY": "openai_api_key",
    "OPENAI_BASE_URL": "openai_base_url",
    "ANTHROPIC_API_KEY": "anthropic_api_key",
    "ANTHROPIC_BASE_URL": "anthropic_base_url",
    "AZURE_OPENAI_ENDPOINT": "azure_openai_endpoint",
    "AZURE_OPENAI_API_KEY": "azure_openai_api_key",
    "OPENAI_API_VERSION": "azure_openai_api_version",
    "JIRA_URL": "jira_url",
    "JIRA_EMAIL": "jira_email",
    "JIRA_API_TOKEN": "jira_api_token",
    "JIRA_PAT": "jira_pat",
}

_TUPLE_FIELDS = frozenset(
    name for name, f in Settings.model_fields.items() if str(f.annotation).startswith("tuple")
)
_ENV_SKIP = frozenset({"rules", "path_instructions"})  # tables only make sense in the file


def _env_names(field: str) -> list[str]:
    """Lowest precedence first."""
    names = [f"INPUT_{field.upper()}"]
    names += [env for env, fld in _ECOSYSTEM_ENV.items() if fld == field]
    names.append(f"MOCHI_{field.upper()}")
    return names


def _split(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.replace("\n", ",").split(",") if part.strip())


def _ollama_host(value: str) -> str:
    # OLLAMA_HOST is often given as "0.0.0.0:11434" or "host": the ollama CLI accepts both.
    if "://" not in value:
        value = "http://" + value
    if value.count(":") == 1:
        value += ":11434"
    return value.rstrip("/")


def read_config_file(path: Path) -> dict[str, Any]:
    """Parse .mochi.toml; unknown or forbidden keys are errors that name the key."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}. Fix the file or remove it.") from exc
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from exc
    known = set(Settings.model_fields)
    for key in data:
        if key in _FILE_FORBIDDEN:
            raise ConfigError(
                f"{path}: '{key}' is a secret and must not be committed in {CONFIG_FILE}; "
                f"set it in the environment instead ({_env_names(key)[-1]})."
            )
        if key not in known:
            close = difflib.get_close_matches(key, sorted(known), n=1)
            hint = f" Did you mean '{close[0]}'?" if close else ""
            raise ConfigError(f"{path}: unknown key '{key}'.{hint} See `mochi config show` for the keys.")
    return data


def load(
    environ: Mapping[str, str],
    flags: Mapping[str, Any] | None = None,
    config_path: Path | None = None,
) -> tuple[Settings, dict[str, str]]:
    """Build the Settings and, for each value that is not a default, where it came from."""
    values: dict[str, Any] = {}
    origin: dict[str, str] = {}
    if config_path is not None and config_path.is_file():
        for key, value in read_config_file(config_path).items():
            values[key] = tuple(value) if key in _TUPLE_FIELDS and isinstance(value, list) else value
            origin[key] = str(config_path.name)
    for field in Settings.model_fields:
        if field in _ENV_SKIP:
            continue
        for name in _env_names(field):
            raw = environ.get(name)
            if raw is None or raw == "":
                continue
            values[field] = _split(raw) if field in _TUPLE_FIELDS else raw
            origin[field] = f"${name}"
    for key, value in (flags or {}).items():
        if value is None or (isinstance(value, tuple | list) and not value):
            continue
        values[key] = tuple(value) if isinstance(value, list) else value
        origin[key] = "flag"
    if "ollama_host" in values:
        values["ollama_host"] = _ollama_host(str(values["ollama_host"]))
    try:
        settings = Settings.model_validate(values)
    except ValidationError as exc:
        raise ConfigError(_explain(exc, origin)) from None
    return settings, origin


def _explain(exc: ValidationError, origin: Mapping[str, str]) -> str:
    lines = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"])
        where = origin.get(str(err["loc"][0]), "default") if err["loc"] else ""
        if err["type"] == "extra_forbidden":
            lines.append(f"unknown key '{loc}' (from {where})")
        else:
            lines.append(f"{loc} (from {where}): {err['msg']}")
    return "invalid settings: " + "; ".join(lines)


def masked(settings: Settings) -> dict[str, Any]:
    """The settings as plain data, every secret replaced by a mask that shows only that it is set."""
    data = settings.model_dump(mode="json")
    for name in SECRET_FIELDS:
        data[name] = "********" if getattr(settings, name) is not None else None
    data["provider"] = settings.effective_provider
    data["model"] = settings.effective_model
    return data
