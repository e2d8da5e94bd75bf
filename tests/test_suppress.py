"""Inline suppressions: `mochi-ignore[rule]` comments hide findings; `--no-suppress` shows them."""

from __future__ import annotations

import json
from pathlib import Path

from mochi import suppress
from mochi.models import Diff, Finding, FindingType, Severity
from tests.gitrepo import GitRepo
from tests.providers.builtin.builtin_diffs import make_added_file
from tests.test_cli import mochi


def _finding(path: str, line: int | None, rule: str | None) -> Finding:
    return Finding(
        path=path, line=line, type=FindingType.SUGGESTION, severity=Severity.LOW, category="maintainability",
        message="m", source=f"builtin:{rule}" if rule else "llm", rule_id=rule,
    )  # fmt: skip


def _apply(text: str, *found: Finding) -> suppress.Suppressed:
    diff = Diff(files=(make_added_file("src/a.ts", text),))
    return suppress.apply(found, diff, lambda _p: text, known_rules=lambda rid: rid.startswith("js."))


def test_a_marker_on_the_line_or_on_its_own_line_above_hides_that_rule_only() -> None:
    text = (
        "console.log(1); // mochi-ignore[js.console-log]: the CLI prints\n"  # 1
        "// mochi-ignore[js.console-log, js.debugger]: demo page\n"  # 2
        "console.log(2); debugger;\n"  # 3
        "console.log(3);\n"  # 4
        "if (a == b) {} // mochi-ignore[js.console-log]\n"  # 5
    )
    found = [
        _finding("src/a.ts", 1, "js.console-log"),
        _finding("src/a.ts", 3, "js.console-log"),
        _finding("src/a.ts", 3, "js.debugger"),
        _finding("src/a.ts", 4, "js.console-log"),  # nothing above or on it
        _finding("src/a.ts", 5, "js.loose-equality"),  # the marker names another rule
    ]
    result = _apply(text, *found)
    assert [(f.line, f.rule_id) for f in result.kept] == [(4, "js.console-log"), (5, "js.loose-equality")]
    assert len(result.hidden) == 3


def test_a_marker_after_code_does_not_reach_the_next_line() -> None:
    text = "foo(); // mochi-ignore[js.console-log]\nconsole.log(1);\n"
    result = _apply(text, _finding("src/a.ts", 2, "js.console-log"))
    assert len(result.kept) == 1


def test_a_marker_inside_a_string_suppresses_nothing() -> None:
    text = 'const help = "write mochi-ignore[js.console-log] to hide it"; console.log(help);\n'
    result = _apply(text, _finding("src/a.ts", 1, "js.console-log"))
    assert len(result.kept) == 1


def test_file_markers_globs_llm_and_unknown_ids() -> None:
    head = "// mochi-ignore-file[js.*]: generated\n" + "\n" * 40
    text = head + "x // mochi-ignore[llm]\ny // mochi-ignore[jss.typo]\n"
    found = [
        _finding("src/a.ts", 10, "js.console-log"),
        _finding("src/a.ts", None, "js.console-log"),
        _finding("src/a.ts", 42, None),  # a model finding
        _finding("src/a.ts", 43, "generic.todo-without-ticket"),
    ]
    result = _apply(text, *found)
    assert [(f.line, f.rule_id) for f in result.kept] == [(43, "generic.todo-without-ticket")]
    assert result.unknown == ["src/a.ts:43 names no rule: jss.typo"]


def test_a_file_marker_below_the_head_is_ignored() -> None:
    text = "\n" * 40 + "// mochi-ignore-file[js.console-log]\nconsole.log(1);\n"
    result = _apply(text, _finding("src/a.ts", 42, "js.console-log"))
    assert len(result.kept) == 1


def test_other_comment_syntaxes() -> None:
    text = (
        "# mochi-ignore[secrets.config-password]: local dev only\n"
        "db.password=changeit\n"
        "<!-- mochi-ignore[generic.todo-without-ticket] -->\n"
        "<p>TODO</p>\n"
    )
    diff = Diff(files=(make_added_file("conf/app.properties", text),))
    found = [_finding("conf/app.properties", 2, "secrets.config-password"),
             _finding("conf/app.properties", 4, "generic.todo-without-ticket")]  # fmt: skip
    assert suppress.apply(found, diff, lambda _p: None).kept == []  # read from the diff's lines


def test_review_counts_suppressed_findings_and_no_suppress_shows_them(tmp_path: Path) -> None:
    repo = GitRepo(tmp_path / "repo")
    repo.write("README.md", "x\n")
    repo.write(".mochi.toml", '[rules."js.console-log"]\nenabled = true\n')  # opt-in
    repo.commit("base")
    repo.write(
        "web/src/log.js",
        "export function handle(x) {\n"
        "  // mochi-ignore[js.console-log]: the CLI prints its result\n"
        "  console.log(x);\n"
        "  console.log('second');\n"
        "}\n",
    )
    repo.commit("logger")
    args = ("review", "--base", "HEAD~1", "--head", "HEAD", "--provider", "builtin", "--no-record",
            "--format", "json")  # fmt: skip
    quiet = mochi(*args, cwd=repo.path)
    assert quiet.returncode == 0, quiet.stderr
    data = json.loads(quiet.stdout)
    assert [f["line"] for f in data["findings"] if f["rule_id"] == "js.console-log"] == [4]
    assert data["stats"]["findings_suppressed"] == 1
    assert any("hidden by mochi-ignore" in n for n in data["notices"])
    audit = mochi(*args, "--no-suppress", cwd=repo.path)
    lines = [f["line"] for f in json.loads(audit.stdout)["findings"] if f["rule_id"] == "js.console-log"]
    assert lines == [3, 4]
