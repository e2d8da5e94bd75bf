from __future__ import annotations

from pathlib import Path

import pytest

from tests.fixtures_path import FIXTURES  # noqa: F401 (test_parse and test_sources import it from here)
from tests.gitrepo import GitRepo


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    """An empty repository on branch main."""
    return GitRepo(tmp_path / "repo")
