"""One frozen Settings object: defaults < .mochi.toml < environment < flags.

`load()` is called once, by cli.py. Everything below the CLI receives the Settings (or the
pieces it needs) as arguments and never reads the environment itself.
"""

from __future__ import annotations

import difflib
import logging
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from mochi.errors import ConfigError
from mochi.models import PathInstruction, Severity
from mochi.settings_sections import (
    DEFAULT_MODELS,
    GitHubSettings,
    GitLabSettings,
    JiraSettings,
    ProviderSettings,
    RecordSettings,
    RuleConfig,
    ScopeSettings,
    _Section,
)

__all__ = ["CONFIG_FILE", "DEFAULT_MODELS", "FLAT", "RuleConfig", "Settings", "load", "masked"]
from mochi.urls import mask_credentials

logger = logging.getLogger(__name__)

CONFIG_FILE = ".mochi.toml"


class Settings(BaseModel):
    """Every setting, in sections. The environment, .mochi.toml, flags and `mochi config show` use
    the flat names of FLAT (`jira_url`, `github_max_wait_s`...); code reads the sections
    (`settings.jira.url`). `Settings(**flat)` and `model_validate(flat)` accept the flat names too.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    providers: ProviderSettings = Field(default_factory=ProviderSettings)
    scope: ScopeSettings = Field(default_factory=ScopeSettings)
    jira: JiraSettings = Field(default_factory=JiraSettings)
    github: GitHubSettings = Field(default_factory=GitHubSettings)
    gitlab: GitLabSettings = Field(default_factory=GitLabSettings)
    record: RecordSettings = Field(default_factory=RecordSettings)
    # -- what the reviewer knows
    instructions: str = ""
    path_instructions: tuple[PathInstruction, ...] = ()  # [[path_instructions]] path/instructions
    related_files: bool = True  # signatures of the repository files the changed files import
    # the design patterns the repository's code uses, for the model to check the change against
    include_design_patterns: bool = False
    design_patterns_max_files: int = Field(default=300, ge=1, le=10_000)  # files read, at most
    # -- built-in checks
    builtin: bool = True
    rules: dict[str, RuleConfig] = Field(default_factory=dict)
    suppress: bool = True  # honour mochi-ignore comments (false or --no-suppress: show every finding)
    # -- the model's answers
    cache: bool = True  # reuse the answer to a prompt asked before (mochi.cache); false/--no-cache: ask
    # -- output
    fail_on: Severity | None = None
    min_severity: Severity | None = None  # findings below it are not reported (stats count them)
    format: Literal["text", "markdown", "json", "sarif", "junit", "codequality"] = "text"
    junit_report: str | None = None  # Jenkins: also write findings as JUnit XML here

    @model_validator(mode="before")
    @classmethod
    def _nest(cls, data: Any) -> Any:
        """Flat names (`jira_url`) into their sections (`jira.url`)."""
        return nest(data) if isinstance(data, Mapping) else data

    def with_values(self, values: Mapping[str, Any]) -> Settings:
        """A copy with these flat-named values replaced (validated)."""
        return Settings.model_validate({**flatten(self), **values})

    @property
    def effective_provider(self) -> str:
        return self.providers.effective_provider

    @property
    def provider_explicit(self) -> bool:
        """True when the user chose a provider; then an unreachable one is an error."""
        return self.providers.provider_explicit

    @property
    def effective_model(self) -> str:
        return self.providers.effective_model


_SECTIONS: dict[str, type[_Section]] = {
    "providers": ProviderSettings,
    "scope": ScopeSettings,
    "jira": JiraSettings,
    "github": GitHubSettings,
    "gitlab": GitLabSettings,
    "record": RecordSettings,
}
# flat name -> (section, field); a section's fields keep their names unless renamed here
_RENAMED = {
    ("jira", "url"): "jira_url",
    ("jira", "email"): "jira_email",
    ("jira", "api_token"): "jira_api_token",
    ("jira", "pat"): "jira_pat",
    ("jira", "api_version"): "jira_api_version",
    ("jira", "projects"): "jira_projects",
    ("jira", "key_pattern"): "jira_key_pattern",
    ("jira", "acceptance_field"): "jira_acceptance_field",
    ("jira", "timeout_s"): "jira_timeout_s",
    ("jira", "max_tickets"): "jira_max_tickets",
    ("jira", "max_chars"): "jira_max_chars",
    ("github", "max_wait_s"): "github_max_wait_s",
    ("github", "bot_login"): "github_bot_login",
    ("gitlab", "draft_notes"): "gitlab_draft_notes",
    ("record", "enabled"): "record",
}
FLAT: dict[str, tuple[str | None, str]] = {
    _RENAMED.get((section, name), name): (section, name)
    for section, model in _SECTIONS.items()
    for name in model.model_fields
}
FLAT.update({name: (None, name) for name in Settings.model_fields if name not in _SECTIONS})
# the order `mochi config show` prints them in: the model, then what is reviewed, and so on
_ORDER = ("providers", "scope", None, "jira", "github", "gitlab", "record")
FLAT = dict(sorted(FLAT.items(), key=lambda kv: _ORDER.index(kv[1][0]) if kv[1][0] in _ORDER else 2))


def _annotation(flat: str) -> str:
    section, name = FLAT[flat]
    model: type[BaseModel] = Settings if section is None else _SECTIONS[section]
    return str(model.model_fields[name].annotation)


def nest(values: Mapping[str, Any]) -> dict[str, Any]:
    """Flat names into sections; section names and unknown keys pass through (and fail validation)."""
    out: dict[str, Any] = {}
    for key, value in values.items():
        # "record" is a section and a flat name (MOCHI_RECORD): a table or model is the section
        is_section = key in _SECTIONS and isinstance(value, Mapping | BaseModel)
        where = None if is_section else FLAT.get(key)
        if where is None or where[0] is None:
            if is_section and isinstance(value, BaseModel):
                value = value.model_dump()
            if is_section and isinstance(out.get(key), dict):
                out[key] = {**out[key], **value}
            else:
                out[key] = value
            continue
        section, name = where
        assert section is not None
        bucket = out.setdefault(section, {})
        if isinstance(bucket, dict):
            bucket[name] = value
    return out


def flatten(settings: Settings) -> dict[str, Any]:
    """The settings by flat name (the values as they are, secrets included)."""
    out: dict[str, Any] = {}
    for flat, (section, name) in FLAT.items():
        holder: BaseModel = settings if section is None else getattr(settings, section)
        out[flat] = getattr(holder, name)
    return out


SECRET_FIELDS = frozenset(flat for flat in FLAT if "SecretStr" in _annotation(flat))

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

_TUPLE_FIELDS = frozenset(flat for flat in FLAT if _annotation(flat).startswith("tuple"))
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
    known = set(FLAT)
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


# Settings that say where credentials, code and outputs go. In CI the checked-out `.mochi.toml` is
# the change's own: it may tune the review's content, never these (the environment, the action's
# inputs, the stored configuration or, under pull_request_target, the base branch's file may).
LOCATION_KEYS = frozenset(
    {
        "provider",
        "model",
        "fallback",
        "ollama_host",
        "openai_base_url",
        "anthropic_base_url",
        "azure_openai_endpoint",
        "azure_openai_api_version",
        "jira_url",
        "jira_email",
        "github_bot_login",
        "codequality_report",
        "junit_report",
        "record",
        "data_dir",
    }
)


def load(
    environ: Mapping[str, str],
    flags: Mapping[str, Any] | None = None,
    config_path: Path | None = None,
    *,
    trust_file: bool = True,
) -> tuple[Settings, dict[str, str]]:
    """Build the Settings and, for each value that is not a default, where it came from.

    `trust_file` False (a change's own checkout in CI): the file's LOCATION_KEYS are ignored, with
    a warning that says where to set them instead.
    """
    values: dict[str, Any] = {}
    origin: dict[str, str] = {}
    if config_path is not None and config_path.is_file():
        content = read_config_file(config_path)
        ignored = sorted(k for k in content if k in LOCATION_KEYS) if not trust_file else []
        if ignored:
            logger.warning(
                "%s: ignoring %s: in CI the change's own %s may tune the review but not say where "
                "credentials, code or reports go; set %s in the environment or the action's inputs",
                config_path.name,
                ", ".join(ignored),
                CONFIG_FILE,
                "it" if len(ignored) == 1 else "them",
            )
        for key, value in content.items():
            if key in ignored:
                continue
            values[key] = tuple(value) if key in _TUPLE_FIELDS and isinstance(value, list) else value
            origin[key] = str(config_path.name)
    for field in FLAT:
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


_FLAT_OF = {where: flat for flat, where in FLAT.items()}


def _flat_loc(loc: tuple[int | str, ...]) -> tuple[str, tuple[int | str, ...]]:
    """A validation error's location by flat name: ("jira", "url") -> ("jira_url", ())."""
    if len(loc) >= 2 and str(loc[0]) in _SECTIONS:
        flat = _FLAT_OF.get((str(loc[0]), str(loc[1])))
        if flat is not None:
            return flat, tuple(loc[2:])
    return (str(loc[0]), tuple(loc[1:])) if loc else ("", ())


def _explain(exc: ValidationError, origin: Mapping[str, str]) -> str:
    lines = []
    for err in exc.errors():
        key, rest = _flat_loc(tuple(err["loc"]))
        loc = ".".join([key, *(str(p) for p in rest)])
        where = origin.get(key, "default") if key else ""
        if err["type"] == "extra_forbidden":
            lines.append(f"unknown key '{loc}' (from {where})")
        else:
            lines.append(f"{loc} (from {where}): {err['msg']}")
    return "invalid settings: " + "; ".join(lines)


def masked(settings: Settings) -> dict[str, Any]:
    """The settings as plain data by flat name, every secret replaced by a mask that shows only
    that it is set."""
    dump = settings.model_dump(mode="json")
    data: dict[str, Any] = {}
    for flat, (section, name) in FLAT.items():
        value = dump[name] if section is None else dump[section][name]
        if flat in SECRET_FIELDS:
            value = "********" if value is not None else None
        elif isinstance(value, str):
            value = mask_credentials(value)  # https://user:password@jira... shows the host only
        data[flat] = value
    data["provider"] = settings.effective_provider
    data["model"] = settings.effective_model
    return data
