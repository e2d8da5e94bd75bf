"""`mochi eval`: scores on a labelled set, its JSON contract, the demo's eval set."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import jsonschema
import pytest

from mochi import evaluate
from mochi.models import Finding, FindingType, Severity
from tests.fakes.llm_servers import FakeOllama
from tests.test_cli import DEMO, ROOT, mochi

DEMO_SET = ROOT / "examples" / "demo" / "eval"
SCHEMA = json.loads((ROOT / "mochi" / "schemas" / "eval-v1.schema.json").read_text())


def _finding(path: str, line: int | None, rule: str | None, message: str = "m") -> Finding:
    return Finding(
        path=path, line=line, type=FindingType.BUG, severity=Severity.HIGH, category="security",
        message=message, source=f"builtin:{rule}" if rule else "llm:x/y", rule_id=rule,
    )  # fmt: skip


def _label(
    line: int | None, rule: str | None, verdict: str, keywords: tuple[str, ...] = ()
) -> evaluate.Label:
    return evaluate.Label("c", "a.java", line, None, rule, keywords, verdict, "")


def test_judging_by_rule_is_exact_and_by_keyword_is_near() -> None:
    labels = [
        _label(10, "java.sql-concatenation", "tp", ("sql injection",)),
        _label(20, "java.system-out", "fp"),
        _label(30, None, "debatable"),
    ]
    findings = [
        _finding("a.java", 10, "java.sql-concatenation"),  # tp by rule
        _finding("a.java", 12, None, "Possible SQL injection here"),  # tp by keyword, 2 lines off
        _finding("a.java", 11, "java.sql-concatenation"),  # another line of the rule: no label
        _finding("a.java", 20, "java.system-out"),  # a known false positive
        _finding("a.java", 31, None, "anything"),  # debatable (no rule, no keyword: any finding near)
        _finding("b.java", 10, "java.sql-concatenation"),  # another file
    ]
    judged, missed = evaluate.judge("c", findings, labels)
    assert [j.verdict for j in judged] == ["tp", "tp", "unlabelled", "fp", "debatable", "unlabelled"]
    assert missed == []
    judged, missed = evaluate.judge("c", findings[3:], labels)
    assert missed == [labels[0]]


def test_scores_count_unlabelled_findings_as_false_unless_told() -> None:
    evalset = evaluate.EvalSet("s", [evaluate.Case("c", "", {}, {})], [
        _label(10, "r.a", "tp"), _label(20, "r.a", "tp"), _label(30, "r.b", "fp"),
    ])  # fmt: skip
    result = evaluate.run(
        evalset, lambda _case: [_finding("a.java", 10, "r.a"), _finding("a.java", 30, "r.b"),
                                _finding("a.java", 40, "r.b")]
    )  # fmt: skip
    strict = evaluate.report(result, evalset, reviewer="builtin")
    overall = strict["overall"]
    assert [overall[k] for k in ("tp", "fp", "unlabelled", "expected", "found")] == [1, 1, 1, 2, 1]
    assert strict["overall"]["precision"] == pytest.approx(1 / 3, abs=1e-4)
    assert strict["overall"]["recall"] == 0.5
    assert strict["overall"]["f1"] == pytest.approx(0.4, abs=1e-4)
    assert strict["rules"]["r.a"]["precision"] == 1.0 and strict["rules"]["r.b"]["precision"] == 0.0
    lenient = evaluate.report(result, evalset, reviewer="builtin", unlabelled_is_fp=False)
    assert lenient["overall"]["precision"] == 0.5
    jsonschema.validate(strict, SCHEMA)


def test_a_case_that_fails_is_reported_and_its_expected_findings_missed() -> None:
    evalset = evaluate.EvalSet("s", [evaluate.Case("c", "", {}, {})], [_label(10, "r.a", "tp")])

    def boom(_case: evaluate.Case) -> list[Finding]:
        raise RuntimeError("the model timed out")

    doc = evaluate.report(evaluate.run(evalset, boom), evalset, reviewer="x")
    assert doc["errors"] == [{"case": "c", "error": "the model timed out"}]
    assert doc["overall"]["recall"] == 0.0 and doc["overall"]["precision"] is None


@pytest.mark.parametrize(
    ("cases", "labels", "says"),
    [
        ("{not json\n", "", "cases.jsonl:1: not JSON"),
        ('{"diff": ""}\n', "", 'needs an "id"'),
        ('{"id": "a"}\n', "", 'needs "diff"'),
        (
            '{"id": "a", "diff": ""}\n',
            '{"case": "b", "path": "x", "verdict": "tp"}\n',
            "'b' is not in the set",
        ),
        ('{"id": "a", "diff": ""}\n', '{"case": "a", "path": "x", "verdict": "right"}\n', "verdict"),
    ],
)
def test_a_malformed_set_says_where(tmp_path: Path, cases: str, labels: str, says: str) -> None:
    (tmp_path / "cases.jsonl").write_text(cases)
    (tmp_path / "labels.jsonl").write_text(labels)
    proc = mochi("eval", str(tmp_path))
    assert proc.returncode == 2
    assert says in proc.stderr


def test_the_demo_set_is_what_make_demo_builds(tmp_path: Path) -> None:
    """examples/demo/eval/cases.jsonl is the demo branch's diff and files; rebuilt here to compare."""
    repo = tmp_path / "demo"
    subprocess.run(["bash", str(DEMO), str(repo)], check=True, capture_output=True)
    branch = "feature/ORD-42-bulk-orders"

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True).stdout

    case = json.loads((DEMO_SET / "cases.jsonl").read_text())
    assert case["diff"] == git("diff", "--no-color", "-M", f"main...{branch}")
    names = git("diff", "--name-only", "--diff-filter=d", f"main...{branch}").split()
    assert case["files"] == {name: git("show", f"{branch}:{name}") for name in names}
    others = [n for n in git("ls-tree", "-r", "--name-only", branch).split() if n not in names]
    assert case["repository"] == {name: git("show", f"{branch}:{name}") for name in others}


@pytest.mark.slow
def test_mochi_eval_on_the_demo_set_finds_every_planted_problem() -> None:
    text = mochi("eval", str(DEMO_SET))
    assert text.returncode == 0, text.stderr
    assert "overall" in text.stdout and "precision" in text.stdout
    proc = mochi("eval", str(DEMO_SET), "--format", "json", "--min-precision", "0.9", "--min-recall", "1")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    jsonschema.validate(doc, SCHEMA)
    assert doc["overall"]["expected"] == 21 and doc["overall"]["found"] == 21
    assert doc["overall"]["precision"] == 1.0 and doc["missed"] == []


@pytest.mark.slow
def test_mochi_eval_scores_a_model_alone_by_keywords() -> None:
    answer = {
        "comments": [{
            "file": "orders-service/src/main/java/com/example/orders/OrderService.java", "line": 27,
            "type": "bug", "severity": "critical", "category": "security",
            "message": "The search term is concatenated into the query: SQL injection.",
        }],
        "summary": {"overall_assessment": "Unsafe SQL.", "key_concerns": [], "recommendations": []},
    }  # fmt: skip
    with FakeOllama.start(models={"qwen2.5-coder:7b": 32768}) as ollama:
        ollama.enqueue_chat(json.dumps(answer))  # the Java prompt goes first; the others answer empty
        proc = mochi(
            "eval", str(DEMO_SET), "--provider", "ollama", "--no-builtin", "--format", "json",
            "--min-recall", "0.5", env={"OLLAMA_HOST": ollama.url},
        )  # fmt: skip
    assert proc.returncode == 1  # 1 of 21 found: below --min-recall
    assert "below the bar: recall" in proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["reviewer"] == "ollama/qwen2.5-coder:7b (no built-in checks)"
    assert (doc["overall"]["tp"], doc["overall"]["found"], doc["overall"]["expected"]) == (1, 1, 21)
    assert doc["overall"]["precision"] == 1.0


def test_a_case_can_be_a_commit_range_of_a_local_repository(tmp_path: Path) -> None:
    from tests.gitrepo import GitRepo

    repo = GitRepo(tmp_path / "set" / "repo")
    repo.write("web/src/f.js", "export function f() {\n  return 1;\n}\n")
    base = repo.commit("base")
    repo.write("web/src/f.js", "export function f() {\n  debugger;\n  return 1;\n}\n")
    head = repo.commit("debugger")
    (tmp_path / "set" / "cases.jsonl").write_text(json.dumps({"id": "dbg", "repo": "repo", "base": base,
                                                               "head": head}) + "\n")  # fmt: skip
    label = {"case": "dbg", "path": "web/src/f.js", "line": 2, "rule": "js.debugger", "verdict": "tp"}
    (tmp_path / "set" / "labels.jsonl").write_text(json.dumps(label) + "\n")
    proc = mochi("eval", str(tmp_path / "set"), "--format", "json")
    assert proc.returncode == 0, proc.stderr
    overall = json.loads(proc.stdout)["overall"]
    assert (overall["tp"], overall["found"], overall["fp"], overall["unlabelled"]) == (1, 1, 0, 0)
    (tmp_path / "set" / "cases.jsonl").write_text(json.dumps({"id": "dbg", "repo": "repo", "base": "nope",
                                                               "head": head}) + "\n")  # fmt: skip
    bad = mochi("eval", str(tmp_path / "set"))
    assert bad.returncode == 2 and "git diff nope" in bad.stderr
