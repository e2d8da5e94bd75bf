"""The demo's SARIF under Microsoft's SARIF Multitool with GitHub's rules: 0 errors (code-scanning grade).

The JSON Schema alone passes documents GitHub code scanning then degrades (no `help` on a rule is
GH2012, ...); the Multitool's `--rule-kind "Sarif;Gh"` checks what GitHub needs. `.ci/run`
installs it from npm (scripts/sarif-multitool); outside CI the test skips when it is absent,
under CI=true it fails.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.container.podman import in_ci
from tests.test_cli import DEMO, ROOT, mochi

BINARY = ROOT / ".ci" / "tools" / "node_modules" / "@microsoft" / "sarif-multitool-linux" / "Sarif.Multitool"


@pytest.fixture(scope="module")
def multitool() -> Path:
    path = Path(os.environ.get("MOCHI_SARIF_MULTITOOL", BINARY))
    if not os.access(path, os.X_OK):
        if in_ci():
            pytest.fail("the SARIF Multitool is not installed: .ci/run runs scripts/sarif-multitool first")
        pytest.skip("the SARIF Multitool is not installed: run scripts/sarif-multitool")
    return path


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "repo"
    subprocess.run(["bash", str(DEMO), str(path)], check=True, capture_output=True)
    return path


def _validate(multitool: Path, sarif: Path, tmp: Path) -> list[dict[str, object]]:
    out = tmp / "validation.sarif"
    env = {**os.environ, "DOTNET_SYSTEM_GLOBALIZATION_INVARIANT": "1", "DOTNET_CLI_TELEMETRY_OPTOUT": "1"}
    proc = subprocess.run(
        [str(multitool), "validate", "--rule-kind", "Sarif;Gh", "--output", str(out), str(sarif)],
        capture_output=True, text=True, env=env, timeout=300,
    )  # fmt: skip
    assert out.is_file(), proc.stdout + proc.stderr
    results = json.loads(out.read_text(encoding="utf-8-sig"))["runs"][0].get("results", [])
    return [r for r in results if r.get("level") == "error"]


@pytest.mark.slow
def test_the_demo_sarif_has_no_multitool_errors_under_githubs_rules(
    multitool: Path, demo: Path, tmp_path: Path
) -> None:
    sarif = tmp_path / "demo.sarif"
    proc = mochi("review", "--provider", "builtin", "--no-record", "--output", f"sarif={sarif}", cwd=demo)
    assert proc.returncode == 0, proc.stderr
    errors = _validate(multitool, sarif, tmp_path)
    assert errors == [], "\n".join(f"{e.get('ruleId')}: {e.get('message')}" for e in errors)


@pytest.mark.slow
def test_the_multitool_does_catch_a_rule_without_help(multitool: Path, demo: Path, tmp_path: Path) -> None:
    """The check can fail: the same log with its rules' help removed is GH2012."""
    sarif = tmp_path / "demo.sarif"
    mochi("review", "--provider", "builtin", "--no-record", "--output", f"sarif={sarif}", cwd=demo)
    log = json.loads(sarif.read_text())
    for rule in log["runs"][0]["tool"]["driver"]["rules"]:
        del rule["help"]
    sarif.write_text(json.dumps(log))
    errors = _validate(multitool, sarif, tmp_path)
    assert {e.get("ruleId") for e in errors} == {"GH2012"}
