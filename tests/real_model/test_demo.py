"""The real-model tier: `pytest -m real_model` with MOCHI_REAL_MODEL_URL (an OpenAI-compatible server,
e.g. ../shared/scripts/real-llm/serve.sh) and MOCHI_REAL_MODEL (its model id). Skipped otherwise.
bench/real_model.sh starts the server and runs this review with figures."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.real_model.checks import degenerate, problems
from tests.test_cli import DEMO

URL = os.environ.get("MOCHI_REAL_MODEL_URL")
MODEL = os.environ.get("MOCHI_REAL_MODEL", "SmolLM2-135M-Instruct.Q4_1")


def test_the_degenerate_text_check_knows_prose_from_noise() -> None:
    assert degenerate("The change adds SQL built from user input; bind the parameters instead.") is None
    assert degenerate("1.0.0.0\n\nthis.total-items.length is 10.000.000") is not None
    assert degenerate("#[test]") is not None
    assert degenerate("the order the order the order the order the order") is not None


@pytest.mark.real_model
@pytest.mark.skipif(not URL, reason="set MOCHI_REAL_MODEL_URL (bench/real_model.sh) for the real-model tier")
def test_the_demo_review_holds_up_against_a_real_model(tmp_path: Path) -> None:
    repo = tmp_path / "demo"
    subprocess.run(["bash", str(DEMO), str(repo)], check=True, capture_output=True)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("MOCHI_", "GITHUB_", "CI"))},
        "MOCHI_PROVIDER": "openai",
        "OPENAI_BASE_URL": str(URL),
        "OPENAI_API_KEY": "none",
        "MOCHI_MODEL": MODEL,
        "MOCHI_DATA_DIR": str(tmp_path / "data"),
    }
    proc = subprocess.run(
        [sys.executable, "-m", "mochi", "review", "--repo", str(repo), "--format", "json", "--no-record"],
        capture_output=True, text=True, env=env, timeout=3600,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    doc = json.loads(proc.stdout)
    assert doc["stats"]["llm_calls"] >= 1, "no chunk was attempted"
    assert problems(doc, repo) == []
