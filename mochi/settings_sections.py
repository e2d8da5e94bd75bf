"""The sections of Settings (mochi.settings): the model, what is reviewed, Jira, GitHub, GitLab and
the record, and the per-rule overrides. Each field keeps a flat name for the environment and
`.mochi.toml` (see mochi.settings.FLAT)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from mochi.models import Severity

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

    enabled: bool | None = None  # None: the rule's own default (opt-in rules are off)
    severity: Severity | None = None
    exclude: tuple[str, ...] = ()


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ProviderSettings(_Section):
    """[providers]: the model, its server and how it is asked."""

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
    # the longest wait for the model's next token (the first one counted from when the request is
    # sent; answers are streamed, so a slow model that is working never hits it)
    timeout_s: float = Field(default=180.0, gt=0)
    heartbeat_s: float = Field(default=15.0, gt=0)  # a progress line this often while a model answers
    max_retries: int = Field(default=3, ge=0, le=10)
    temperature: float = Field(default=0.1, ge=0, le=2)
    num_ctx: int | None = Field(default=None, ge=2048)
    max_output_tokens: int = Field(default=2048, ge=256)
    pull: bool = False
    context_window: int | None = Field(default=None, ge=2048)  # tokens; default: the model's
    max_concurrency: int | None = Field(default=None, ge=1)  # chunks at once; 1 local servers, 4 hosted
    # per-run caps: prompts past them are not sent, and the review says which files the model missed
    max_llm_calls: int = Field(default=100, ge=1)
    max_prompt_tokens: int = Field(default=1_000_000, ge=1000)

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


class ScopeSettings(_Section):
    """What is reviewed."""

    base: str | None = None
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    max_file_lines: int = Field(default=3000, ge=1)  # changed lines above which a file is skipped


class JiraSettings(_Section):
    """Jira tickets for the review's context (JIRA_URL, JIRA_EMAIL + JIRA_API_TOKEN or JIRA_PAT)."""

    url: str | None = None
    email: str | None = None  # Cloud, with api_token
    api_token: SecretStr | None = None  # Cloud
    pat: SecretStr | None = None  # Server/Data Center personal access token
    api_version: Literal["auto", "2", "3"] = "auto"  # auto: 3 with email+token, else 2
    projects: tuple[str, ...] = ()  # only these project keys (then matched in any case)
    key_pattern: str | None = None  # a regex instead; group 1 (or the match) is the key
    acceptance_field: str | None = None  # e.g. customfield_10035
    timeout_s: float = Field(default=10.0, gt=0)
    max_tickets: int = Field(default=5, ge=0)
    max_chars: int = Field(default=6000, ge=500)  # per ticket, description and criteria


class GitHubSettings(_Section):
    """Reviewer mode on GitHub (mochi ci, mochi review --pr)."""

    post_review: bool = True  # False: check run, job summary and outputs only
    review_drafts: bool = False  # review draft pull requests too
    review_event: Literal["COMMENT", "REQUEST_CHANGES"] = "COMMENT"  # REQUEST_CHANGES at/above fail_on
    max_wait_s: float = Field(default=120.0, ge=0)  # total wait on rate limits and retries
    # who mochi posts as when the token cannot read /user: the Actions token's bot, or an App's
    bot_login: str = "github-actions[bot]"
    # the check run's conclusion when the model pass failed and no finding reached fail_on
    check_on_model_failure: Literal["neutral", "failure"] = "neutral"


class GitLabSettings(_Section):
    """GitLab merge requests (mochi ci under GITLAB_CI, or Jenkins building a GitLab change)."""

    draft_notes: bool = False  # post as draft notes + one bulk publish: one notification
    codequality_report: str = "gl-code-quality-report.json"  # relative to the checkout root


class RecordSettings(_Section):
    """The review record (mochi/store/session.py)."""

    database_url: SecretStr | None = None
    secret_key: SecretStr | None = None
    enabled: bool | None = None  # None: on locally, off in CI without database_url
    data_dir: str | None = None  # where the local SQLite record lives (default: the user's data dir)
