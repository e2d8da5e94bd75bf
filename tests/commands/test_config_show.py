"""`mochi config show` shows what a review would use, and still runs with a bad .mochi.toml (issue 16)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.gitrepo import GitRepo
from tests.test_cli import mochi


def test_a_bad_key_is_reported_and_the_settings_still_shown(tmp_path: Path) -> None:
    repo = GitRepo(tmp_path / "repo")
    (repo.path / ".mochi.toml").write_text('modle = "qwen2.5-coder:14b"\n')
    proc = mochi("config", "show", cwd=repo.path, env={"MOCHI_DATA_DIR": str(tmp_path / "data")})
    assert proc.returncode == 2
    assert "unknown key 'modle'. Did you mean 'model'?" in proc.stderr
    assert "the file was not applied" in proc.stderr
    assert proc.stdout.splitlines()[1].split()[:2] == ["model", "qwen2.5-coder:7b"]  # shown anyway
    as_json = mochi("config", "show", "--json", cwd=repo.path, env={"MOCHI_DATA_DIR": str(tmp_path / "data")})
    assert "modle" in json.loads(as_json.stdout)["error"]


def test_the_stored_default_model_is_what_config_show_says(tmp_path: Path) -> None:
    repo = GitRepo(tmp_path / "repo")
    env = {"MOCHI_DATA_DIR": str(tmp_path / "data")}
    added = mochi("models", "add", "hosted", "--provider", "openai", "--model", "gpt-4o-mini", "--default",
                  cwd=repo.path, env=env)  # fmt: skip
    assert added.returncode == 0, added.stderr
    doc = json.loads(mochi("config", "show", "--json", cwd=repo.path, env=env).stdout)
    assert (doc["settings"]["provider"], doc["settings"]["model"]) == ("openai", "gpt-4o-mini")
    assert "hosted" in doc["origin"]["model"] or "store" in doc["origin"]["model"]
