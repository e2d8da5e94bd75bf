from __future__ import annotations

from pathlib import Path

import pytest

from tests.gitrepo import GitRepo

FIXTURES = Path(__file__).resolve().parents[2] / ".." / "shared" / "fixtures"


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    """An empty repository on branch main."""
    return GitRepo(tmp_path / "repo")
