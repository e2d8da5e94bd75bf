"""`mochi ci` on a GitHub pull request with the action's `include_design_patterns` and `min_severity`
inputs: the prompt gets the repository's patterns, and what is posted is what min_severity keeps."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.context.pattern_repos import SPRING, J, make_repo
from tests.fakes.github_server import FakeGitHub
from tests.fakes.llm_servers import FakeOllama
from tests.test_ci_github import REPO, event, outputs, run_ci

CONTROLLER = J + "order/OrderController.java"


def _answer() -> str:
    def comment(line: int, severity: str, category: str, message: str) -> dict[str, object]:
        return {"file": CONTROLLER, "line": line, "end_line": None, "type": "bug", "severity": severity,
                "category": category, "message": message, "suggestion": None}  # fmt: skip

    return json.dumps(
        {
            "comments": [
                comment(
                    12, "medium", "design", "Field injection where the code injects through constructors."
                ),
                comment(15, "high", "correctness", "The request is no longer validated."),
            ],
            "summary": {"overall_assessment": "Two problems.", "key_concerns": [], "recommendations": []},
        }
    )


@pytest.mark.slow
def test_the_action_inputs_reach_the_prompt_and_the_posted_review(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "workspace", SPRING)
    base = repo.head()
    repo.checkout("-b", "feature")
    source = SPRING[CONTROLLER].replace(
        "    private final OrderService orders;\n\n    public OrderController(OrderService orders) {\n"
        "        this.orders = orders;\n    }\n",
        "    @Autowired\n    private OrderService orders;\n",
    )
    repo.write(CONTROLLER, source.replace("@Valid @RequestBody", "@RequestBody"))
    head = repo.commit("field injection")
    payload = event(
        tmp_path, "pr", "pull_request.opened.json", number=7, pull_request__number=7,
        pull_request__head__sha=head, pull_request__base__sha=base,
        pull_request__base__ref="main", pull_request__head__ref="feature",
    )  # fmt: skip
    with FakeGitHub.start(repo.path, REPO) as gh, FakeOllama.start() as ollama:
        gh.add_pull(7, base_ref="main", base_sha=base, head_sha=head)
        ollama.enqueue_chat(_answer())
        proc = run_ci(
            tmp_path, gh, ollama, "pull_request", payload, repo.path,
            INPUT_INCLUDE_DESIGN_PATTERNS="true", INPUT_MIN_SEVERITY="high", MOCHI_FAIL_ON="medium",
            MOCHI_BUILTIN="false",
        )  # fmt: skip
        prompt = ollama.requests_to("/api/chat")[-1].body["messages"][-1]["content"]
        posted = [(c["path"], c["line"]) for c in gh.review_comments]
        (run,) = gh.check_runs.values()
    assert proc.returncode == 1, proc.stderr  # the high finding; the medium one is not reported
    section = prompt.split("## Design patterns used in this repository", 1)[1].split("\n## ", 1)[0]
    # the base branch's constructor injection, not the field injection the PR brings
    assert "constructor injection: OrderController and OrderService; no other style was seen" in section
    assert "@Valid/@Validated trigger them in OrderController" in section
    assert posted == [(CONTROLLER, 15)]
    assert len(gh.check_run_updates[-1]["output"]["annotations"]) == 1 and run["conclusion"] == "failure"
    out = outputs(tmp_path)
    assert out["findings"] == "1" and out["medium"] == "0"
    report = json.loads(Path(out["json_path"]).read_text())
    assert report["stats"]["findings_below_min_severity"] == 1
    assert [f["line"] for f in report["findings"]] == [15]
