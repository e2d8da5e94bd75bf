"""Every test gets its own data directory (XDG_DATA_HOME), so no test reads the answers another
test's model gave (mochi.cache) or the record another test wrote; subprocesses inherit it."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _own_data_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    data = tmp_path_factory.mktemp("xdg-data")
    monkeypatch.setenv("XDG_DATA_HOME", str(data))
    return data
