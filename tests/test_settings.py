from __future__ import annotations

from pathlib import Path

import pytest

from mochi.errors import ConfigError
from mochi.models import Severity
from mochi.settings import load, masked


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / ".mochi.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_without_file_env_or_flags(tmp_path: Path) -> None:
    settings, origin = load({}, {}, tmp_path / ".mochi.toml")
    assert settings.effective_provider == "ollama"
    assert not settings.provider_explicit
    assert settings.ollama_host == "http://localhost:11434"
    assert settings.builtin is True
    assert origin == {}


def test_precedence_defaults_file_env_flags(tmp_path: Path) -> None:
    cfg = write(tmp_path, 'model = "from-file"\nfail_on = "high"\nexclude = ["docs/**"]\ntimeout_s = 30\n')
    s, origin = load({}, {}, cfg)
    assert (s.model, s.fail_on, s.exclude, s.timeout_s) == ("from-file", Severity.HIGH, ("docs/**",), 30)
    s, origin = load({"MOCHI_MODEL": "from-env", "MOCHI_EXCLUDE": "a/**, b/**"}, {}, cfg)
    assert s.model == "from-env" and s.exclude == ("a/**", "b/**")
    assert origin["model"] == "$MOCHI_MODEL" and origin["fail_on"] == ".mochi.toml"
    s, origin = load({"MOCHI_MODEL": "from-env"}, {"model": "from-flag", "fail_on": None}, cfg)
    assert s.model == "from-flag" and s.fail_on == Severity.HIGH and origin["model"] == "flag"


def test_ecosystem_names_and_action_inputs(tmp_path: Path) -> None:
    env = {"OLLAMA_HOST": "0.0.0.0", "INPUT_PROVIDER": "openai", "OPENAI_API_KEY": "sk-secret-value"}
    s, _ = load(env, {}, None)
    assert s.ollama_host == "http://0.0.0.0:11434"
    assert s.provider == "openai" and s.provider_explicit
    assert s.openai_api_key is not None and s.openai_api_key.get_secret_value() == "sk-secret-value"
    # MOCHI_* beats the action's INPUT_*
    s, _ = load({**env, "MOCHI_PROVIDER": "anthropic"}, {}, None)
    assert s.provider == "anthropic"


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
