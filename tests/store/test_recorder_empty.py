"""An empty change leaves no row behind: there was nothing to review."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.gitrepo import GitRepo


@pytest.mark.slow
def test_an_empty_change_is_not_recorded(tmp_path: Path) -> None:
    repo = GitRepo(tmp_path / "r")
    repo.write("a.txt", "hello\n")
    repo.commit("base")
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "MOCHI_DATABASE_URL")}
    env["MOCHI_DATABASE_URL"] = f"sqlite:///{tmp_path / 'mochi.db'}"
    env["OLLAMA_HOST"] = "http://127.0.0.1:9"

    def mochi(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "mochi", *args], cwd=repo.path, env=env, capture_output=True, text=True
        )

    assert mochi("review").returncode == 5
    listing = mochi("reviews", "list", "--all", "--json")
    assert listing.returncode == 0, listing.stderr
    assert json.loads(listing.stdout)["reviews"] == []
