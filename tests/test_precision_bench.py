"""The precision benchmark holds: a rule change that adds wrong findings, or findings nobody judged,
fails here (bench/precision/check.py: precision >= 90%, >= 80% per rule, debatable <= 15%)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.test_cli import ROOT


@pytest.mark.slow
def test_the_built_in_checks_meet_the_precision_targets_on_real_history() -> None:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "precision" / "check.py")],
        capture_output=True, text=True, cwd=ROOT, timeout=600,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "MISSED" not in proc.stderr
