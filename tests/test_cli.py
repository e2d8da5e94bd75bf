"""`mochi` as a user runs it: a real process, a real git repository, a model server on loopback."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import jsonschema
import pytest

from tests.fakes.llm_servers import FakeOllama
from tests.fixtures_path import FIXTURES
from tests.gitrepo import GitRepo

ROOT = Path(__file__).resolve().parents[1]
SARIF_SCHEMA = FIXTURES / "sarif" / "sarif-schema-2.1.0.json"
DEMO = ROOT / "examples" / "demo" / "make-demo.sh"

_CI_VARS = ("CI", "GITHUB_ACTIONS", "GITLAB_CI", "JENKINS_URL", "BUILD_ID")
_DATA_DIR = tempfile.mkdtemp(prefix="mochi-test-data-")


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def mochi(
    *args: str, cwd: Path = ROOT, env: dict[str, str] | None = None, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    base = {
        k: v for k, v in os.environ.items() if k not in _CI_VARS and not k.startswith(("MOCHI_", "INPUT_"))
    }
    base.pop("OPENAI_API_KEY", None)
    base.pop("ANTHROPIC_API_KEY", None)
    base["OLLAMA_HOST"] = f"http://127.0.0.1:{closed_port()}"  # nothing listens there
    base["MOCHI_DATA_DIR"] = _DATA_DIR  # the review record goes to a temporary SQLite file, not the user's
    base.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "mochi", *args],
        cwd=cwd,
        env=base,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "repo"
    subprocess.run(["bash", str(DEMO), str(path)], check=True, capture_output=True)
    return path


@pytest.fixture
def spring_change(tmp_path: Path) -> GitRepo:
    repo = GitRepo(tmp_path / "svc")
    repo.write(
        "pom.xml",
        "<project><parent><groupId>org.springframework.boot</groupId>"
        "<artifactId>spring-boot-starter-parent</artifactId></parent></project>\n",
    )
    head = "package app;\n\npublic class App {\n    public int total(int a, int b) {\n"
    head += "        return a + b;\n    }\n"
    repo.write("src/main/java/App.java", head + "}\n")
    repo.commit("base")
    repo.write(
        "src/main/java/App.java",
        head + "\n    public int ratio(int a, int b) {\n        return a / b;\n    }\n}\n",
    )
    return repo


def review_answer(path: str, line: int, message: str, severity: str = "high") -> str:
    return json.dumps(
        {
            "comments": [
                {
                    "file": path,
                    "line": line,
                    "end_line": None,
                    "type": "bug",
                    "severity": severity,
                    "category": "correctness",
                    "message": message,
                    "suggestion": None,
                }
            ],
            "summary": {
                "overall_assessment": "One division can fail.",
                "key_concerns": ["division by zero"],
                "recommendations": ["guard b == 0"],
            },
        }
    )


# ----------------------------------------------------------------------------- the LLM pass


@pytest.mark.slow
def test_review_with_ollama_on_loopback_anchors_findings_and_prints_json(spring_change: GitRepo) -> None:
    with FakeOllama.start(models={"qwen2.5-coder:7b": 32768}) as ollama:
        ollama.enqueue_chat(
            review_answer("src/main/java/App.java", 9, "`b` may be zero: ArithmeticException.")
        )
        proc = mochi("review", "--format", "json", cwd=spring_change.path, env={"OLLAMA_HOST": ollama.url})
        chats = ollama.requests_to("/api/chat")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["version"] == 1
    assert set(out) >= {"version", "target", "findings", "summary", "stats"}
    assert set(out["stats"]) >= {
        "files_reviewed", "files_skipped", "lines_changed", "llm_calls",
        "prompt_tokens", "completion_tokens", "duration_s",
    }  # fmt: skip
    llm = [f for f in out["findings"] if f["source"].startswith("llm:")]
    assert len(llm) == 1
    f = llm[0]
    assert (f["path"], f["line"], f["anchored"], f["severity"]) == (
        "src/main/java/App.java",
        9,
        "inline",
        "high",
    )
    assert f["source"] == "llm:ollama/qwen2.5-coder:7b" and len(f["fingerprint"]) >= 12
    assert out["stats"]["llm_calls"] == 1 and out["stats"]["prompt_tokens"] > 0
    assert out["summary"]["key_concerns"] == ["division by zero"]
    # what reached the model: structured output, a context window above Ollama's 2048 default,
    # the Spring Boot guidance and the diff with new-file line numbers
    body = chats[0].body
    assert body["format"]["required"] == ["comments", "summary"]
    assert body["options"]["num_ctx"] > 2048
    user = body["messages"][-1]["content"]
    assert "Spring Boot" in user and "React" not in user
    assert "   9 +         return a / b;" in user


@pytest.mark.slow
def test_text_output_shows_the_finding_with_its_code(spring_change: GitRepo) -> None:
    with FakeOllama.start(models={"qwen2.5-coder:7b": 32768}) as ollama:
        ollama.enqueue_chat(review_answer("src/main/java/App.java", 9, "`b` may be zero."))
        proc = mochi("review", cwd=spring_change.path, env={"OLLAMA_HOST": ollama.url, "NO_COLOR": "1"})
    assert proc.returncode == 0, proc.stderr
    assert "src/main/java/App.java" in proc.stdout
    assert "return a / b;" in proc.stdout
    assert "`b` may be zero." in proc.stdout
    assert "\x1b[" not in proc.stdout


@pytest.mark.slow
def test_fail_on_gives_exit_status_1(spring_change: GitRepo) -> None:
    with FakeOllama.start(models={"qwen2.5-coder:7b": 32768}) as ollama:
        ollama.enqueue_chat(review_answer("src/main/java/App.java", 9, "zero", severity="high"))
        proc = mochi("review", "--fail-on", "high", cwd=spring_change.path, env={"OLLAMA_HOST": ollama.url})
        assert proc.returncode == 1, proc.stderr
        ollama.enqueue_chat(review_answer("src/main/java/App.java", 9, "zero", severity="medium"))
        # the same change again: --no-cache, or the first answer would come from the answer cache
        env = {"OLLAMA_HOST": ollama.url}
        proc = mochi("review", "--fail-on", "high", "--no-cache", cwd=spring_change.path, env=env)
        assert proc.returncode == 0, proc.stderr


@pytest.mark.slow
def test_missing_model_says_ollama_pull(spring_change: GitRepo) -> None:
    with FakeOllama.start(models={}) as ollama:
        proc = mochi(
            "review", "--provider", "ollama", "--model", "llama3.1:8b", cwd=spring_change.path,
            env={"OLLAMA_HOST": ollama.url},
        )  # fmt: skip
    assert proc.returncode == 3
    assert "ollama pull llama3.1:8b" in proc.stderr


# ----------------------------------------------------------------------------- no model server


@pytest.mark.slow
def test_default_ollama_down_still_reviews_with_builtin_checks(spring_change: GitRepo) -> None:
    proc = mochi("review", "--format", "json", cwd=spring_change.path)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["stats"]["llm_calls"] == 0
    notice = [ln for ln in proc.stderr.splitlines() if "ollama serve" in ln]
    assert len(notice) == 1 and "OLLAMA_HOST" in notice[0]
    # the JSON says so too: a consumer can tell that no model looked at the change
    assert any("ollama serve" in n for n in out["notices"])


@pytest.mark.slow
def test_chosen_provider_down_is_exit_3_after_the_results_are_written(
    spring_change: GitRepo, tmp_path: Path
) -> None:
    out = tmp_path / "out" / "review.json"
    proc = mochi("review", "--provider", "ollama", "--output", f"json={out}", cwd=spring_change.path)
    assert proc.returncode == 3
    assert "not reachable" in proc.stderr and "ollama serve" in proc.stderr
    assert json.loads(out.read_text())["version"] == 1


@pytest.mark.slow
def test_in_ci_an_unreachable_default_provider_is_exit_3(spring_change: GitRepo) -> None:
    proc = mochi("review", cwd=spring_change.path, env={"CI": "true"})
    assert proc.returncode == 3


@pytest.mark.slow
def test_demo_builtin_review_finds_the_planted_problems(demo: Path) -> None:
    proc = mochi("review", "--repo", str(demo), "--format", "json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    where = {(f["path"], f["line"], f["rule_id"] if "rule_id" in f else f["source"]) for f in out["findings"]}
    paths = {p for p, _, _ in where}
    assert "orders-service/src/main/java/com/example/orders/OrderService.java" in paths
    assert "web/src/components/OrderList.tsx" in paths
    assert "inventory/src/handlers.rs" in paths
    text = json.dumps(out)
    assert "Q3R7XN2PLM5KD8ZW" not in text  # the planted key is never repeated


# ----------------------------------------------------------------------------- targets and errors


@pytest.mark.slow
def test_not_a_repository_is_exit_4(tmp_path: Path) -> None:
    proc = mochi("review", cwd=tmp_path)
    assert proc.returncode == 4
    assert "not a git repository" in proc.stderr and "--repo" in proc.stderr


@pytest.mark.slow
def test_bad_ref_is_exit_4(spring_change: GitRepo) -> None:
    proc = mochi("review", "--base", "no-such-branch", cwd=spring_change.path)
    assert proc.returncode == 4
    assert "no-such-branch" in proc.stderr


@pytest.mark.slow
def test_empty_change_is_exit_5(tmp_path: Path) -> None:
    repo = GitRepo(tmp_path / "r")
    repo.write("a.txt", "hello\n")
    repo.commit("base")
    proc = mochi("review", cwd=repo.path)
    assert proc.returncode == 5
    assert "nothing to review" in proc.stderr


@pytest.mark.slow
def test_diff_from_stdin_needs_no_repository(tmp_path: Path) -> None:
    diff = (
        "diff --git a/src/app.js b/src/app.js\n--- a/src/app.js\n+++ b/src/app.js\n"
        "@@ -1,2 +1,3 @@\n const a = 1;\n+debugger;\n const b = 2;\n"
    )
    proc = mochi("review", "--diff-file", "-", "--format", "json", cwd=tmp_path, stdin=diff)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["target"]["kind"] == "diff_file"
    assert out["stats"]["files_reviewed"] == 1


@pytest.mark.slow
def test_unknown_config_key_is_exit_2(spring_change: GitRepo) -> None:
    (spring_change.path / ".mochi.toml").write_text('fail_onn = "high"\n')
    proc = mochi("review", cwd=spring_change.path)
    assert proc.returncode == 2
    assert "unknown key 'fail_onn'" in proc.stderr and "fail_on" in proc.stderr


@pytest.mark.slow
def test_sarif_output_is_valid_and_bad_output_spec_is_exit_2(spring_change: GitRepo, tmp_path: Path) -> None:
    sarif = tmp_path / "mochi.sarif"
    proc = mochi("review", "--output", f"sarif={sarif}", cwd=spring_change.path)
    assert proc.returncode == 0, proc.stderr
    jsonschema.validate(json.loads(sarif.read_text()), json.loads(SARIF_SCHEMA.read_text()))
    proc = mochi("review", "--output", "pdf=x.pdf", cwd=spring_change.path)
    assert proc.returncode == 2 and "unknown output format" in proc.stderr


@pytest.mark.slow
def test_unwritable_output_is_exit_6_and_the_review_is_kept(spring_change: GitRepo, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    proc = mochi("review", "--output", f"json={blocker}/review.json", cwd=spring_change.path)
    assert proc.returncode == 6
    assert "File exists" in proc.stderr or "Not a directory" in proc.stderr
    saved = [w for w in proc.stderr.split() if "mochi-review-" in w]
    assert saved, proc.stderr
    assert json.loads(Path(saved[0]).read_text())["version"] == 1


@pytest.mark.slow
def test_config_show_masks_secrets(spring_change: GitRepo) -> None:
    proc = mochi(
        "config", "show", "--json", cwd=spring_change.path,
        env={"OPENAI_API_KEY": "sk-live-1234567890", "MOCHI_MODEL": "m"},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "sk-live-1234567890" not in proc.stdout
    data = json.loads(proc.stdout)
    assert data["settings"]["openai_api_key"] == "********"
    assert data["origin"]["model"] == "$MOCHI_MODEL"


@pytest.mark.slow
def test_prompt_renders_without_calling_a_model(spring_change: GitRepo) -> None:
    proc = mochi("prompt", cwd=spring_change.path)
    assert proc.returncode == 0, proc.stderr
    assert "Spring Boot" in proc.stdout and "return a / b;" in proc.stdout


@pytest.mark.slow
def test_version_answers() -> None:
    proc = mochi("--version", cwd=ROOT)
    assert proc.returncode == 0 and "mochi" in proc.stdout


@pytest.mark.slow
def test_secrets_never_reach_the_model(tmp_path: Path) -> None:
    repo = GitRepo(tmp_path / "r")
    repo.write("app/settings.py", "DEBUG = False\n")
    repo.commit("base")
    token = "ghp_" + "x7Kq2Lm9Pw4Rt6Yv8Zb1Nc3Hd5Jf0Gs2Ae4Qw"  # assembled: no literal token in this file
    repo.write("app/settings.py", f'DEBUG = False\nGITHUB_TOKEN = "{token}"\n')
    with FakeOllama.start(models={"qwen2.5-coder:7b": 32768}) as ollama:
        proc = mochi("review", "--format", "json", cwd=repo.path, env={"OLLAMA_HOST": ollama.url})
        sent = json.dumps([r.body for r in ollama.requests])
    assert proc.returncode == 0, proc.stderr
    assert ollama.requests_to("/api/chat")
    assert token not in sent and "GITHUB_TOKEN = [secret redacted by mochi]" in sent
    assert token not in proc.stdout
    assert any((f["rule_id"] or "").startswith("secrets.") for f in json.loads(proc.stdout)["findings"])


@pytest.mark.slow
def test_rules_list_shows_the_repository_settings(spring_change: GitRepo) -> None:
    (spring_change.path / ".mochi.toml").write_text(
        '[rules."js.console-log"]\nenabled = false\n[rules."java.system-out"]\nseverity = "high"\n'
    )
    proc = mochi("rules", "list", "--json", cwd=spring_change.path)
    assert proc.returncode == 0, proc.stderr
    rules = {r["id"]: r for r in json.loads(proc.stdout)["rules"]}
    assert len(rules) >= 30
    assert rules["js.console-log"]["enabled"] is False
    assert rules["java.system-out"]["severity"] == "high"
    assert all(r["doc"] and r["message"] for r in rules.values())
    text = mochi("rules", "list", "--language", "rust", cwd=spring_change.path).stdout
    assert "rust.unwrap-in-handler" in text and "java.field-injection" not in text


@pytest.mark.slow
def test_a_finding_from_both_the_builtin_checks_and_the_llm_appears_once(tmp_path: Path) -> None:
    repo = GitRepo(tmp_path / "r")
    repo.write("src/Report.java", "class Report {\n    void failed(Exception e) {\n    }\n}\n")
    repo.commit("base")
    repo.write(
        "src/Report.java",
        "class Report {\n    void failed(Exception e) {\n        e.printStackTrace();\n    }\n}\n",
    )
    answer = json.dumps(
        {
            "comments": [
                {
                    "file": "src/Report.java", "line": 3, "end_line": None, "type": "suggestion",
                    "severity": "medium", "category": "maintainability",
                    "message": "Log the exception with the class logger instead of printStackTrace() so it "
                    "has a level and reaches the log pipeline; stderr is lost in most deployments.",
                    "suggestion": '        log.error("report failed", e);',
                }
            ],
            "summary": {"overall_assessment": "Fine.", "key_concerns": [], "recommendations": []},
        }
    )  # fmt: skip
    sarif = tmp_path / "r.sarif"
    md = tmp_path / "r.md"
    with FakeOllama.start(models={"qwen2.5-coder:7b": 32768}) as ollama:
        ollama.enqueue_chat(answer)
        proc = mochi(
            "review", "--format", "json", "--output", f"sarif={sarif}", "--output", f"markdown={md}",
            cwd=repo.path, env={"OLLAMA_HOST": ollama.url},
        )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    findings = [f for f in json.loads(proc.stdout)["findings"] if f["line"] == 3]
    assert len(findings) == 1
    assert findings[0]["source"] == "builtin:java.print-stack-trace+llm:ollama/qwen2.5-coder:7b"
    assert len(json.loads(sarif.read_text())["runs"][0]["results"]) == 1
    assert md.read_text().count("src/Report.java:3") == 1


def test_a_diff_with_absolute_paths_is_reviewed_inside_a_repository(tmp_path: Path) -> None:
    """Issue 12, bug 2: python-unidiff's sample0.diff (/path/to/new) exited 4 inside any repository:
    git check-attr refuses absolute and ../ paths."""
    from tests.fixtures_path import FIXTURES

    repo = GitRepo(tmp_path / "repo")
    repo.write("README.md", "x\n")
    repo.commit("base")
    diff = FIXTURES / "diffs" / "sample0.diff"
    result = mochi("review", "--diff-file", str(diff), "--provider", "builtin", "--no-record", cwd=repo.path)
    assert result.returncode == 0, result.stderr
    assert "Invalid path" not in result.stderr


def test_a_committed_binary_keystore_is_a_finding(tmp_path: Path) -> None:
    """Issue 12, bug 3: binary files were skipped before the rule that names them could run."""
    repo = GitRepo(tmp_path / "repo")
    repo.write("README.md", "x\n")
    repo.commit("base")
    repo.write("deploy/keystore.jks", bytes(range(256)) * 4)
    repo.write("src/app.py", "print('hi')\n")
    repo.commit("add a keystore")
    result = mochi(
        "review", "--base", "HEAD~1", "--head", "HEAD", "--provider", "builtin", "--no-record",
        "--format", "json", cwd=repo.path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    hits = [f for f in data["findings"] if f["path"] == "deploy/keystore.jks"]
    assert hits and hits[0]["severity"] == "high"
    assert {"path": "deploy/keystore.jks", "reason": "binary"} in data["skipped"]  # no model read it


def test_a_diff_file_next_to_its_checkout_is_checked_against_the_real_files(tmp_path: Path) -> None:
    """With --diff-file next to a checkout whose files match the diff, the checks read the real files
    (a hook added in a component whose header is outside the hunk is no finding)."""
    repo = GitRepo(tmp_path / "web")
    filler = "".join(f"  const v{i} = {i};\n" for i in range(12))
    before = f"export function Cart() {{\n{filler}  return null;\n}}\n"
    repo.write("src/Cart.tsx", before)
    repo.commit("base")
    after = before.replace("  return null;\n", "  const [n, setN] = useState(0);\n  return null;\n")
    repo.write("src/Cart.tsx", after)
    patch = repo.run("diff", "-U1")  # one line of context: the component's header is not in the hunk
    (tmp_path / "change.diff").write_text(patch)
    result = mochi(
        "review", "--diff-file", str(tmp_path / "change.diff"), "--provider", "builtin", "--no-record",
        "--format", "json", cwd=repo.path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert [f for f in json.loads(result.stdout)["findings"] if f.get("category")] == []


def test_a_delete_only_change_is_reviewed_and_exits_0(tmp_path: Path) -> None:
    """Issue 12: a change that only deletes files is a review (exit 0) whose files are skipped as
    deleted: deleting code cannot add a finding, and a pre-push hook must let it through."""
    repo = GitRepo(tmp_path / "repo")
    repo.write("src/A.java", "class A {}\n")
    repo.write("README.md", "x\n")
    repo.commit("base")
    (repo.path / "src" / "A.java").unlink()
    repo.commit("delete A")
    result = mochi(
        "review", "--base", "HEAD~1", "--head", "HEAD", "--provider", "builtin", "--no-record",
        "--format", "json", cwd=repo.path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["findings"] == [] and data["skipped"] == [{"path": "src/A.java", "reason": "deleted"}]


def test_a_closed_pipe_is_quiet_and_exits_0(tmp_path: Path) -> None:
    """`mochi prompt | head -1` (issue 16, item 7): the reader went away; nothing on stderr, exit 0."""
    repo = GitRepo(tmp_path / "r")
    repo.write("src/App.java", "class App {}\n")
    repo.commit("base")
    body = "".join(f"class App{i} {{ int f() {{ return {i}; }} }}\n" for i in range(2500))  # > a pipe's 64 KB
    repo.write("src/App.java", body)
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOCHI_")}
    env["MOCHI_DATA_DIR"] = str(tmp_path / "data")
    proc = subprocess.run(
        f"{sys.executable} -m mochi prompt --provider ollama | head -1",
        shell=True, cwd=repo.path, env=env, capture_output=True, text=True, timeout=120,
        executable="/bin/bash",
    )  # fmt: skip
    assert proc.stdout == "----- system -----\n"
    assert proc.stderr.strip() == "" or "Traceback" not in proc.stderr
    status = subprocess.run(
        f"set -o pipefail; {sys.executable} -m mochi prompt --provider ollama | head -1 >/dev/null",
        shell=True, cwd=repo.path, env=env, capture_output=True, text=True, timeout=120,
        executable="/bin/bash",
    )  # fmt: skip
    assert status.returncode == 0, status.stderr


def test_prompt_says_so_when_no_file_would_go_to_the_model(tmp_path: Path) -> None:
    repo = GitRepo(tmp_path / "r")
    repo.write("src/App.java", "class App {}\n")
    repo.commit("base")
    repo.write("src/App.java", "".join(f"class App{i} {{}}\n" for i in range(3500)))  # > max_file_lines
    proc = mochi("prompt", cwd=repo.path)
    assert proc.returncode == 0 and proc.stdout == ""
    assert "no prompt: no changed file would go to the model" in proc.stderr
