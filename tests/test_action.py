"""The action's files: action.yml and the example workflows are valid for GitHub, every input does
something, and entrypoint.py turns the inputs into `mochi ci` (see tests/test_container.py for the
image itself)."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
import yaml

from mochi.settings import FLAT, load

ROOT = Path(__file__).resolve().parents[1]
ACTION_YML = ROOT / "action.yml"
EXAMPLES = sorted((ROOT / "examples" / "github").glob("*.yml"))
# inputs entrypoint.py translates, or `mochi ci` reads under its own name
ACTION_ONLY_INPUTS = {"pull_model", "json_output", "github_token"}


def _entrypoint() -> ModuleType:
    spec = importlib.util.spec_from_file_location("mochi_action_entrypoint", ROOT / "entrypoint.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _check_jsonschema(schema: str, *files: Path) -> subprocess.CompletedProcess[str]:
    pytest.importorskip(
        "check_jsonschema", reason="check-jsonschema is not installed (pip install -e '.[dev]')"
    )
    return subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", schema, *map(str, files)],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_action_yml_is_valid_for_github() -> None:
    proc = _check_jsonschema("vendor.github-actions", ACTION_YML)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_example_workflows_are_valid_for_github() -> None:
    assert {p.name for p in EXAMPLES} >= {"mochi-ollama.yml", "mochi-fork-safe.yml", "mochi-openai.yml"}
    proc = _check_jsonschema("vendor.github-workflows", *EXAMPLES)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_action_is_a_container_action_with_the_documented_inputs() -> None:
    action = yaml.safe_load(ACTION_YML.read_text())
    assert action["runs"] == {"using": "docker", "image": "Dockerfile"}
    inputs = action["inputs"]
    for name in ("provider", "model", "ollama_host", "pull_model", "fail_on", "include", "exclude",
                 "post_review", "review_event", "jira_url", "jira_email", "jira_api_token",
                 "database_url", "github_token"):  # fmt: skip
        assert name in inputs, name
    assert inputs["github_token"]["default"] == "${{ github.token }}"
    assert {"findings", "critical", "high", "medium", "low", "review_url", "check_run_url"} <= set(
        action["outputs"]
    )


def test_every_input_reaches_mochi() -> None:
    """An input that nothing reads would be silently ignored: each is a setting or translated."""
    inputs = yaml.safe_load(ACTION_YML.read_text())["inputs"]
    ignored = set(inputs) - set(FLAT) - ACTION_ONLY_INPUTS
    assert not ignored, f"inputs that neither mochi's settings nor entrypoint.py read: {sorted(ignored)}"


def test_the_inputs_defaults_are_valid_settings() -> None:
    """What the runner passes when a workflow sets no input at all must load as Settings."""
    inputs = yaml.safe_load(ACTION_YML.read_text())["inputs"]
    environ = {f"INPUT_{name.upper()}": str(spec.get("default", "")) for name, spec in inputs.items()}
    environ["INPUT_GITHUB_TOKEN"] = "ghs_x"
    env, _ = _entrypoint().translate(environ)
    settings, _ = load(env, {}, None)
    assert settings.github.post_review is True and settings.github.review_event == "COMMENT"
    assert (
        settings.providers.pull is False and settings.fail_on is None and settings.providers.provider is None
    )


def test_entrypoint_translates_the_action_only_inputs() -> None:
    translate = _entrypoint().translate
    env, args = translate(
        {"INPUT_PULL_MODEL": "True", "INPUT_JSON_OUTPUT": "out/mochi.json", "INPUT_MODEL": "m"}, ["-v"]
    )
    assert env["INPUT_PULL"] == "true" and env["INPUT_MODEL"] == "m"
    assert args == ["ci", "--json-output", "out/mochi.json", "-v"]
    env, args = translate({"INPUT_PULL_MODEL": "false", "INPUT_JSON_OUTPUT": "", "RUNNER_DEBUG": "1"})
    assert env["INPUT_PULL"] == "false" and args == ["ci", "-vv"]
    settings, _ = load(env, {}, None)
    assert settings.providers.pull is False


def test_entrypoint_rejects_a_bad_boolean_naming_the_input() -> None:
    ep = _entrypoint()
    with pytest.raises(ep.InputError, match="pull_model must be true or false, not 'maybe'"):
        ep.translate({"INPUT_PULL_MODEL": "maybe"})


@pytest.mark.slow
def test_entrypoint_runs_mochi_ci(tmp_path: Path) -> None:
    """End to end outside the container: an event mochi does not handle is a notice and exit 0."""
    event = tmp_path / "event.json"
    event.write_text('{"action": "completed"}')
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INPUT_", "MOCHI_", "GITHUB_"))}
    env.update(
        GITHUB_ACTIONS="true",  # the runner sets it for container actions too
        GITHUB_EVENT_NAME="workflow_run",
        GITHUB_EVENT_PATH=str(event),
        GITHUB_WORKSPACE=str(tmp_path),
        GITHUB_REPOSITORY="octo/app",
        INPUT_PULL_MODEL="false",
        INPUT_GITHUB_TOKEN="ghs_x",
    )
    proc = subprocess.run(
        [sys.executable, str(ROOT / "entrypoint.py")],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert "::notice" in proc.stdout and "workflow_run" in proc.stdout
