"""examples/demo/make-demo.sh replaces an earlier demo, and refuses to delete anything else."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.test_cli import DEMO


def _make(dest: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", str(DEMO), str(dest)], capture_output=True, text=True, check=False)


def test_it_refuses_a_directory_that_is_not_an_earlier_demo(tmp_path: Path) -> None:
    precious = tmp_path / "work"
    precious.mkdir()
    (precious / "thesis.tex").write_text("years of work\n")
    proc = _make(precious)
    assert proc.returncode == 2
    assert "is not an earlier demo" in proc.stderr
    assert (precious / "thesis.tex").read_text() == "years of work\n"


def test_it_replaces_an_earlier_demo_and_fills_an_empty_directory(tmp_path: Path) -> None:
    empty = tmp_path / "demo"
    empty.mkdir()
    assert _make(empty).returncode == 0
    (empty / "stray.txt").write_text("left from the last run\n")
    assert _make(empty).returncode == 0
    assert not (empty / "stray.txt").exists()
    assert (empty / ".git" / "mochi-demo").exists()
