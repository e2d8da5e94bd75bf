"""`--design-patterns` and `--min-severity` as a user runs them, on the demo repository (issue 14)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import jsonschema
import pytest

from tests.fakes.llm_servers import FakeOllama
from tests.test_cli import DEMO, SARIF_SCHEMA, mochi

CONTROLLER = "orders-service/src/main/java/com/example/orders/OrderController.java"
SERVICE = "orders-service/src/main/java/com/example/orders/OrderService.java"
MODEL = {"qwen2.5-coder:7b": 32768}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "repo"
    subprocess.run(["bash", str(DEMO), str(path)], check=True, capture_output=True)
    return path


def answer(*comments: tuple[str, int, str, str, str]) -> str:
    return json.dumps(
        {
            "comments": [
                {"file": path, "line": line, "end_line": None, "type": "suggestion", "severity": severity,
                 "category": category, "message": message, "suggestion": None}
                for path, line, severity, category, message in comments
            ],
            "summary": {"overall_assessment": "ok", "key_concerns": [], "recommendations": []},
        }
    )  # fmt: skip


@pytest.mark.slow
def test_design_patterns_puts_the_detected_patterns_in_the_prompt(demo: Path) -> None:
    on = mochi("prompt", "--design-patterns", cwd=demo)
    assert on.returncode == 0, on.stderr
    # each prompt has the patterns of its files' languages (at the assumed 8,192-token window of a
    # model that cannot be asked, the demo is two prompts)
    parts = on.stdout.split("## Design patterns used in this repository")[1:]
    section = "".join(part.split("\n## ", 1)[0] for part in parts)
    # the demo's Spring service, Actix app and React component, as they were before the change
    assert "- Controller layer: HTTP endpoints are @RestController classes (OrderController)." in section
    assert "- Service layer: Business logic sits in @Service classes: OrderService." in section
    assert "JdbcTemplate in OrderService (@Service)" in section
    assert "constructor injection: OrderController and OrderService; no other style was seen" in section
    assert "Bean Validation constraints declare the rules on Order" in section
    assert "App::app_data" in section and "web::Data and web::Path" in section
    assert "fetch() inside useEffect (OrderList)" in section
    assert f"`{CONTROLLER}`" in section
    assert '`design`: the change breaks one of the "Design patterns' in on.stdout
    off = mochi("prompt", cwd=demo)
    assert off.returncode == 0, off.stderr
    assert "Design patterns" not in off.stdout and "`design`" not in off.stdout
    # the setting does what the flag does, and the flag turns it off again
    env = mochi("prompt", cwd=demo, env={"MOCHI_INCLUDE_DESIGN_PATTERNS": "true"})
    assert env.stdout == on.stdout
    assert (
        mochi("prompt", "--no-design-patterns", cwd=demo, env={"MOCHI_INCLUDE_DESIGN_PATTERNS": "1"}).stdout
        == off.stdout
    )


@pytest.mark.slow
def test_a_design_finding_comes_out_with_category_design(demo: Path, tmp_path: Path) -> None:
    message = "Field injection where the repository injects through constructors."
    with FakeOllama.start(models=MODEL) as ollama:
        ollama.enqueue_chat(answer((CONTROLLER, 18, "medium", "design", message)))
        proc = mochi(
            "review", "--design-patterns", "--no-builtin", "--format", "json",
            "--output", f"sarif={tmp_path / 'r.sarif'}", "--output", f"markdown={tmp_path / 'r.md'}",
            cwd=demo, env={"OLLAMA_HOST": ollama.url},
        )  # fmt: skip
        (chat,) = ollama.requests_to("/api/chat")
    assert proc.returncode == 0, proc.stderr
    user = chat.body["messages"][-1]["content"]
    assert "## Design patterns used in this repository" in user and "constructor injection" in user
    (finding,) = json.loads(proc.stdout)["findings"]
    assert (finding["category"], finding["line"], finding["message"]) == ("design", 18, message)
    sarif = json.loads((tmp_path / "r.sarif").read_text())
    jsonschema.validate(sarif, json.loads(SARIF_SCHEMA.read_text()))
    (result,) = sarif["runs"][0]["results"]
    assert result["ruleId"] == "mochi/llm/suggestion/design"
    assert "design" in (tmp_path / "r.md").read_text()


@pytest.mark.slow
def test_min_severity_drops_lower_findings_from_every_output(demo: Path, tmp_path: Path) -> None:
    comments = [
        (SERVICE, 27, "high", "security", "SQL built by concatenation: injection."),
        (SERVICE, 37, "medium", "error-handling", "An empty catch drops failed imports."),
        (CONTROLLER, 18, "low", "design", "Field injection."),
    ]
    sarif = tmp_path / "r.sarif"
    with FakeOllama.start(models=MODEL) as ollama:
        for _ in range(2):
            ollama.enqueue_chat(answer(*comments))
        js = mochi(
            "review", "--no-builtin", "--no-cache", "--min-severity", "high", "--format", "json",
            "--output", f"sarif={sarif}", cwd=demo, env={"OLLAMA_HOST": ollama.url},
        )  # fmt: skip
        text = mochi(
            "review", "--no-builtin", "--no-cache", "--no-color", cwd=demo,
            env={"OLLAMA_HOST": ollama.url, "MOCHI_MIN_SEVERITY": "high"},
        )  # fmt: skip
    assert js.returncode == 0, js.stderr
    doc = json.loads(js.stdout)
    assert [(f["severity"], f["line"]) for f in doc["findings"]] == [("high", 27)]
    assert doc["stats"]["findings_below_min_severity"] == 2
    assert "2 finding(s) below high severity not reported (min_severity)" in doc["notices"]
    assert [r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in
            json.loads(sarif.read_text())["runs"][0]["results"]] == [27]  # fmt: skip
    assert text.returncode == 0, text.stderr
    assert "SQL built by concatenation" in text.stdout
    assert "empty catch" not in text.stdout and "Field injection" not in text.stdout


@pytest.mark.slow
def test_fail_on_judges_only_what_min_severity_reports(demo: Path) -> None:
    with FakeOllama.start(models=MODEL) as ollama:
        ollama.enqueue_chat(answer((SERVICE, 37, "medium", "error-handling", "An empty catch.")))
        proc = mochi(
            "review", "--no-builtin", "--min-severity", "high", "--fail-on", "medium", "--format", "json",
            cwd=demo, env={"OLLAMA_HOST": ollama.url},
        )  # fmt: skip
    assert proc.returncode == 0, proc.stderr  # the medium finding is not reported, so it fails nothing
    assert json.loads(proc.stdout)["stats"]["findings_below_min_severity"] == 1


@pytest.mark.slow
def test_ci_and_the_action_take_the_new_settings() -> None:
    help_text = mochi("ci", "--help").stdout
    assert "--min-severity [low|medium|high|critical]" in help_text and "--design-patterns" in help_text
    bad = mochi("review", "--min-severity", "urgent")
    assert bad.returncode == 2 and "urgent" in bad.stderr
