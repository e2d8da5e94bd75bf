from __future__ import annotations

from pathlib import Path

import pytest

from mochi.errors import ConfigError
from mochi.models import Severity
from mochi.settings import Settings, load, masked


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / ".mochi.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_without_file_env_or_flags(tmp_path: Path) -> None:
    settings, origin = load({}, {}, tmp_path / ".mochi.toml")
    assert settings.effective_provider == "ollama"
    assert not settings.provider_explicit
    assert settings.providers.ollama_host == "http://localhost:11434"
    assert settings.builtin is True
    assert origin == {}


def test_precedence_defaults_file_env_flags(tmp_path: Path) -> None:
    cfg = write(tmp_path, 'model = "from-file"\nfail_on = "high"\nexclude = ["docs/**"]\ntimeout_s = 30\n')
    s, origin = load({}, {}, cfg)
    assert (s.providers.model, s.fail_on, s.scope.exclude, s.providers.timeout_s) == (
        "from-file",
        Severity.HIGH,
        ("docs/**",),
        30,
    )
    s, origin = load({"MOCHI_MODEL": "from-env", "MOCHI_EXCLUDE": "a/**, b/**"}, {}, cfg)
    assert s.providers.model == "from-env" and s.scope.exclude == ("a/**", "b/**")
    assert origin["model"] == "$MOCHI_MODEL" and origin["fail_on"] == ".mochi.toml"
    s, origin = load({"MOCHI_MODEL": "from-env"}, {"model": "from-flag", "fail_on": None}, cfg)
    assert s.providers.model == "from-flag" and s.fail_on == Severity.HIGH and origin["model"] == "flag"


def test_ecosystem_names_and_action_inputs(tmp_path: Path) -> None:
    env = {"OLLAMA_HOST": "0.0.0.0", "INPUT_PROVIDER": "openai", "OPENAI_API_KEY": "sk-secret-value"}
    s, _ = load(env, {}, None)
    assert s.providers.ollama_host == "http://0.0.0.0:11434"
    assert s.providers.provider == "openai" and s.provider_explicit
    key = s.providers.openai_api_key
    assert key is not None and key.get_secret_value() == "sk-secret-value"
    # MOCHI_* beats the action's INPUT_*
    s, _ = load({**env, "MOCHI_PROVIDER": "anthropic"}, {}, None)
    assert s.providers.provider == "anthropic"


def test_unknown_key_is_an_error_that_names_it(tmp_path: Path) -> None:
    cfg = write(tmp_path, 'modle = "x"\n')
    with pytest.raises(ConfigError, match="unknown key 'modle'.*Did you mean 'model'"):
        load({}, {}, cfg)


def test_unknown_rule_field_is_an_error(tmp_path: Path) -> None:
    cfg = write(tmp_path, '[rules."java.field-injection"]\nenabeld = false\n')
    with pytest.raises(ConfigError, match="enabeld"):
        load({}, {}, cfg)


def test_rule_overrides_are_read(tmp_path: Path) -> None:
    cfg = write(tmp_path, '[rules."js.console-log"]\nenabled = false\nexclude = ["scripts/**"]\n')
    s, _ = load({}, {}, cfg)
    assert s.rules["js.console-log"].enabled is False
    assert s.rules["js.console-log"].exclude == ("scripts/**",)


def test_secrets_are_refused_in_the_committed_file(tmp_path: Path) -> None:
    cfg = write(tmp_path, 'openai_api_key = "sk-123"\n')
    with pytest.raises(ConfigError, match="OPENAI_API_KEY|MOCHI_OPENAI_API_KEY"):
        load({}, {}, cfg)


def test_bad_values_say_where_they_came_from(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"fail_on \(from \$MOCHI_FAIL_ON\)"):
        load({"MOCHI_FAIL_ON": "urgent"}, {}, None)
    cfg = write(tmp_path, "this is = not toml\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load({}, {}, cfg)


def test_masked_hides_every_secret() -> None:
    s, _ = load(
        {"OPENAI_API_KEY": "sk-live-abcdef", "MOCHI_DATABASE_URL": "postgresql://u:pw@h/db"}, {}, None
    )
    data = masked(s)
    text = repr(data)
    assert "sk-live-abcdef" not in text and "pw@h" not in text
    assert data["openai_api_key"] == "********" and data["anthropic_api_key"] is None
    assert data["provider"] == "ollama"


def test_settings_are_frozen() -> None:
    s, _ = load({}, {}, None)
    with pytest.raises(Exception, match="frozen"):
        s.model = "x"  # type: ignore[misc]


def test_sections_keep_the_flat_names_of_the_environment_file_and_config_show(tmp_path: Path) -> None:
    cfg = write(tmp_path, 'jira_projects = ["SHOP"]\ngitlab_draft_notes = true\nmax_file_lines = 10\n')
    env = {"JIRA_URL": "https://jira.example.com", "MOCHI_GITHUB_MAX_WAIT_S": "5", "MOCHI_RECORD": "false"}
    s, origin = load(env, {"include": ("src/**",)}, cfg)
    assert s.jira.url == "https://jira.example.com" and s.jira.projects == ("SHOP",)
    assert s.github.max_wait_s == 5 and s.gitlab.draft_notes is True and s.record.enabled is False
    assert s.scope.max_file_lines == 10 and s.scope.include == ("src/**",)
    assert origin["jira_url"] == "$JIRA_URL" and origin["gitlab_draft_notes"] == ".mochi.toml"
    shown = masked(s)
    assert shown["jira_url"] == "https://jira.example.com" and shown["github_max_wait_s"] == 5
    assert shown["record"] is False and "jira" not in shown and "providers" not in shown
    # flat names build and update Settings too; a section name is not a .mochi.toml key
    assert Settings(jira_url="https://j").jira.url == "https://j"
    assert s.with_values({"model": "m", "jira_timeout_s": 2}).jira.timeout_s == 2
    with pytest.raises(ConfigError, match="unknown key 'jira'"):
        load({}, {}, write(tmp_path, '[jira]\nurl = "https://j"\n'))


def test_a_bad_value_in_a_section_is_reported_by_its_flat_name() -> None:
    with pytest.raises(ConfigError, match=r"jira_timeout_s \(from \$MOCHI_JIRA_TIMEOUT_S\)"):
        load({"MOCHI_JIRA_TIMEOUT_S": "-1"}, {}, None)
