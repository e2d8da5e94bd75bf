"""`-q`: no progress lines on stderr, for `mochi -q CMD` and `mochi CMD -q`; warnings still show."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.gitrepo import GitRepo
from tests.test_cli import closed_port, mochi


@pytest.mark.slow
def test_quiet_drops_progress_lines_and_keeps_warnings(tmp_path: Path) -> None:
    repo = GitRepo(tmp_path / "repo")
    repo.write("src/app.js", "export const a = 1;\n")
    repo.commit("base")
    repo.write("src/app.js", "export const a = 2;\n")
    down = {"MOCHI_DATABASE_URL": f"postgresql+psycopg://u@127.0.0.1:{closed_port()}/x"}
    loud = mochi("review", "--provider", "builtin", cwd=repo.path, env=down)
    quiet = mochi("review", "-q", "--provider", "builtin", cwd=repo.path, env=down)
    global_quiet = mochi("-q", "review", "--provider", "builtin", cwd=repo.path, env=down)
    assert loud.returncode == quiet.returncode == global_quiet.returncode == 0, loud.stderr
    assert "mochi: reviewing 1 file(s)" in loud.stderr
    for run in (quiet, global_quiet):
        assert "reviewing" not in run.stderr
        assert "WARNING" in run.stderr and "without the record" in run.stderr  # warnings still show
        assert run.stdout == loud.stdout
