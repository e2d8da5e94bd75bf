"""Model answer parsing, anchoring, fingerprints and merging (mochi.findings)."""

from __future__ import annotations

import json

import pytest

from mochi.errors import ProviderResponseError
from mochi.findings import (
    anchor,
    at_or_above,
    finalize,
    fingerprint,
    from_answer,
    normalize_path,
    parse_answer,
    repair_request,
    summary_from_answer,
)
from mochi.models import (
    Anchor,
    ChangeKind,
    Diff,
    FileDiff,
    Finding,
    FindingType,
    Hunk,
    Line,
    LineKind,
    Severity,
)

GOOD = {
    "comments": [
        {
            "file": "src/App.java",
            "line": 12,
            "end_line": 13,
            "type": "bug",
            "severity": "high",
            "category": "security",
            "message": "SQL is built by string concatenation.",
            "suggestion": "Use a PreparedStatement.",
        }
    ],
    "summary": {"overall_assessment": "Mostly fine.", "key_concerns": ["SQL"], "recommendations": ["Bind"]},
}


def _ctx(old: int, new: int, text: str) -> Line:
    return Line(kind=LineKind.CONTEXT, old_no=old, new_no=new, text=text)


def _add(new: int, text: str) -> Line:
    return Line(kind=LineKind.ADDED, old_no=None, new_no=new, text=text)


def _del(old: int, text: str) -> Line:
    return Line(kind=LineKind.REMOVED, old_no=old, new_no=None, text=text)


def make_diff() -> Diff:
    """src/App.java with two hunks (new lines 10-14 and 40-42), plus a renamed and a second file."""
    app = FileDiff(
        path="src/App.java",
        old_path="src/App.java",
        language="java",
        hunks=(
            Hunk(
                old_start=10,
                old_len=4,
                new_start=10,
                new_len=5,
                lines=(
                    _ctx(10, 10, "class App {"),
                    _del(11, '  String q = "SELECT";'),
                    _add(11, "  void run(String id) {"),
                    _add(12, '    String q = "SELECT * FROM t WHERE id=" + id;'),
                    _add(13, "    db.execute(q);"),
                    _ctx(12, 14, "  }"),
                ),
            ),
            Hunk(
                old_start=39,
                old_len=2,
                new_start=40,
                new_len=3,
                lines=(
                    _ctx(39, 40, "  int size() {"),
                    _add(41, "    return items.size();"),
                    _ctx(40, 42, "  }"),
                ),
            ),
        ),
    )
    util = FileDiff(
        path="lib/util/Strings.java",
        old_path="lib/Strings.java",
        change=ChangeKind.RENAMED,
        hunks=(Hunk(old_start=1, old_len=0, new_start=1, new_len=1, lines=(_add(1, "package lib.util;"),)),),
    )
    other = FileDiff(
        path="test/App.java",
        hunks=(Hunk(old_start=1, old_len=0, new_start=1, new_len=1, lines=(_add(1, "class AppTest {}"),)),),
    )
    return Diff(files=(app, util, other))


# --------------------------------------------------------------------------- parse_answer


def test_plain_valid_answer() -> None:
    answer = parse_answer(json.dumps(GOOD))
    assert answer.dropped == 0
    (c,) = answer.comments
    assert (c.file, c.line, c.end_line, c.type, c.severity) == ("src/App.java", 12, 13, "bug", "high")
    assert answer.summary.key_concerns == ["SQL"]


def test_fenced_json_with_prose_around_it() -> None:
    text = (
        "Here is my review of the change:\n\n```json\n"
        + json.dumps(GOOD, indent=2)
        + "\n```\n\nHope it helps!"
    )
    answer = parse_answer(text)
    assert [c.message for c in answer.comments] == ["SQL is built by string concatenation."]
    assert answer.summary.overall_assessment == "Mostly fine."


def test_prose_without_fence() -> None:
    answer = parse_answer("Sure! " + json.dumps(GOOD) + " Let me know if you need more.")
    assert len(answer.comments) == 1


def test_trailing_commas_and_single_quotes() -> None:
    text = "{'comments': [{'file': 'a.py', 'line': 3, 'message': 'Unused import',},], 'summary': {},}"
    answer = parse_answer(text)
    assert [(c.file, c.line, c.message) for c in answer.comments] == [("a.py", 3, "Unused import")]


def test_truncated_output_keeps_the_complete_comments() -> None:
    full = json.dumps(
        {
            "comments": [
                {"file": "a.py", "line": 1, "message": "first complete comment", "severity": "low"},
                {"file": "b.py", "line": 2, "message": "second complete comment", "severity": "medium"},
                {"file": "c.py", "line": 3, "message": "this one is cut off in the mid"},
            ]
        }
    )
    cut = full[: full.index("cut off") + 3]
    answer = parse_answer(cut)
    assert [c.file for c in answer.comments][:2] == ["a.py", "b.py"]
    assert answer.comments[1].severity is Severity.MEDIUM


def test_bare_list_of_comments() -> None:
    answer = parse_answer('[{"file": "a.py", "line": 4, "message": "Possible None"}]')
    assert [c.line for c in answer.comments] == [4]
    assert answer.summary.overall_assessment == ""


@pytest.mark.parametrize("key", ["issues", "findings", "review_comments"])
def test_comments_under_a_near_name(key: str) -> None:
    answer = parse_answer(json.dumps({key: [{"path": "a.py", "line": 2, "comment": "Off by one"}]}))
    assert [(c.file, c.message) for c in answer.comments] == [("a.py", "Off by one")]


def test_answer_wrapped_in_an_outer_object() -> None:
    answer = parse_answer(json.dumps({"review": GOOD}))
    assert len(answer.comments) == 1


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("42", (42, None)),
        ("42-44", (42, 44)),
        ("L42", (42, None)),
        ("lines 42 to 44", (42, 44)),
        ([42, 44], (42, 44)),
        (42.0, (42, None)),
        ("n/a", (None, None)),
        (0, (None, None)),
    ],
)
def test_line_numbers_in_other_shapes(line: object, expected: tuple[int | None, int | None]) -> None:
    answer = parse_answer(json.dumps({"comments": [{"file": "a.py", "line": line, "message": "Check it."}]}))
    (c,) = answer.comments
    assert (c.line, c.end_line) == expected


def test_explicit_end_line_wins_over_a_range() -> None:
    answer = parse_answer(
        json.dumps({"comments": [{"file": "a", "line": "4-5", "end_line": "9", "message": "Check it."}]})
    )
    assert (answer.comments[0].line, answer.comments[0].end_line) == (4, 9)


@pytest.mark.parametrize(
    ("severity", "expected"),
    [
        ("warning", Severity.MEDIUM),
        ("ERROR", Severity.HIGH),
        ("info", Severity.LOW),
        ("nit", Severity.LOW),
        ("Critical", Severity.CRITICAL),
        ("blocker", Severity.CRITICAL),
        ("whatever", Severity.LOW),
    ],
)
def test_severity_synonyms(severity: str, expected: Severity) -> None:
    answer = parse_answer(json.dumps({"comments": [{"file": "a", "message": "Fix.", "severity": severity}]}))
    assert answer.comments[0].severity is expected


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("BUG", FindingType.BUG),
        ("Issue", FindingType.BUG),
        ("questions", FindingType.QUESTION),
        ("praise", FindingType.PRAISE),
        ("nit", FindingType.SUGGESTION),
        ("refactoring", FindingType.SUGGESTION),
    ],
)
def test_type_synonyms_and_unknown_types(kind: str, expected: FindingType) -> None:
    answer = parse_answer(json.dumps({"comments": [{"file": "a", "message": "Check it.", "type": kind}]}))
    assert answer.comments[0].type is expected


def test_invalid_comments_are_dropped_one_by_one() -> None:
    text = json.dumps(
        {
            "comments": [
                {"file": "a.py", "line": 1, "message": "kept"},
                {"file": "a.py", "line": 2},  # no message
                {"line": 3, "message": "no file"},
                "just a string",
                {"file": "b.py", "message": "  "},  # blank message
                {"file": "b.py", "line": "7", "message": "also kept", "suggestion": ""},
            ],
            "summary": {"overall_assessment": "ok"},
        }
    )
    answer = parse_answer(text)
    assert [c.message for c in answer.comments] == ["kept", "also kept"]
    assert answer.comments[1].suggestion is None
    assert answer.dropped == 4


def test_summary_as_a_string() -> None:
    answer = parse_answer('{"comments": [], "summary": "Looks good to me."}')
    assert answer.comments == []
    assert answer.summary.overall_assessment == "Looks good to me."


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "I could not review this change, sorry.",
        '{"answer": 42}',
        "[1, 2, 3]",
        '{"comments": [{"line": 1}, {"severity": "high"}]}',
    ],
)
def test_unusable_answers_raise(text: str) -> None:
    with pytest.raises(ProviderResponseError, match="not valid review JSON"):
        parse_answer(text)


def test_repair_request_asks_for_the_contract() -> None:
    msg = repair_request("Sure! Here is the review: {broken")
    assert "Sure! Here is the review" in msg
    assert '"comments"' in msg and '"summary"' in msg and "ONLY one JSON object" in msg
    assert len(repair_request("x" * 10_000)) < 2_000


def test_from_answer_and_summary() -> None:
    answer = parse_answer(json.dumps(GOOD))
    (f,) = from_answer(answer, "llm:ollama/qwen")
    assert (f.path, f.line, f.end_line, f.type, f.severity, f.category, f.source) == (
        "src/App.java",
        12,
        13,
        FindingType.BUG,
        Severity.HIGH,
        "security",
        "llm:ollama/qwen",
    )
    assert f.suggestion == "Use a PreparedStatement."
    summary = summary_from_answer(answer)
    assert summary.key_concerns == ("SQL",)
    assert summary.overall_assessment == "Mostly fine."


# --------------------------------------------------------------------------- anchoring


def F(path: str = "src/App.java", line: int | None = 12, **kw: object) -> Finding:
    return Finding.model_validate({"path": path, "line": line, "message": "SQL injection", **kw})


def test_added_line_is_inline() -> None:
    a = anchor(F(line=12), make_diff())
    assert (a.anchored, a.line, a.end_line) == (Anchor.INLINE, 12, None)


def test_context_line_is_inline() -> None:
    assert anchor(F(line=40), make_diff()).anchored is Anchor.INLINE


def test_line_outside_the_hunks_is_file_level() -> None:
    a = anchor(F(line=25, end_line=27), make_diff())
    assert (a.anchored, a.line, a.end_line) == (Anchor.FILE, 25, 27)


def test_a_line_past_the_end_the_diff_shows_has_no_line() -> None:
    """App.java's last hunk ends with one context line: git shows 3 unless the file ends, so line
    42 is its last line and 43 does not exist."""
    assert anchor(F(line=42), make_diff()).line == 42
    a = anchor(F(line=43, end_line=44), make_diff())
    assert (a.anchored, a.line, a.end_line) == (Anchor.FILE, None, None)


def test_a_line_past_the_known_length_of_a_modified_file_has_no_line() -> None:
    lengths = {"src/App.java": 30}
    kept = anchor(F(line=25), make_diff(), file_length=lengths.get)
    gone = anchor(F(line=31), make_diff(), file_length=lengths.get)
    assert (kept.anchored, kept.line) == (Anchor.FILE, 25)
    assert (gone.anchored, gone.line) == (Anchor.FILE, None)
    found, _ = finalize([F(path="./src/App.java", line=31)], make_diff(), file_length=lengths.get)
    assert [(f.path, f.line) for f in found] == [("src/App.java", None)]


def test_a_copied_example_line_past_the_end_of_a_new_file_has_no_line() -> None:
    """SmolLM2 copied `"line": 42, "end_line": 44` from the prompt into a 3-line file (issue 13)."""
    new = FileDiff(path="web/New.tsx", change=ChangeKind.ADDED, hunks=(
        Hunk(old_start=0, old_len=0, new_start=1, new_len=3,
             lines=(_add(1, "a"), _add(2, "b"), _add(3, "c"))),))  # fmt: skip
    diff = Diff(files=(new,))
    for source, rule_id in (("llm:openai/smollm2", None), ("builtin", "ts.x")):
        raw = F(path="web/New.tsx", line=42, end_line=44, source=source, rule_id=rule_id)
        found, dropped = finalize([raw], diff)
        assert dropped == 0
        assert [(f.anchored, f.line, f.end_line) for f in found] == [(Anchor.FILE, None, None)]


def test_no_line_is_file_level() -> None:
    assert anchor(F(line=None), make_diff()).anchored is Anchor.FILE


def test_unknown_path_is_left_to_the_caller() -> None:
    assert anchor(F(path="src/Other.java"), make_diff()).anchored is Anchor.SUMMARY


def test_end_line_is_clamped_to_the_hunk() -> None:
    a = anchor(F(line=12, end_line=30), make_diff())
    assert (a.anchored, a.line, a.end_line) == (Anchor.INLINE, 12, 14)


def test_end_line_before_line_is_dropped() -> None:
    assert anchor(F(line=12, end_line=3), make_diff()).end_line is None
    assert anchor(F(line=12, end_line=12), make_diff()).end_line is None


@pytest.mark.parametrize(
    "given",
    [
        "b/src/App.java",
        "a/src/App.java",
        "./src/App.java",
        "/src/App.java",
        "src\\App.java",
        "/home/runner/work/repo/src/App.java",
        "`src/App.java`",
    ],
)
def test_model_paths_are_normalised(given: str) -> None:
    a = anchor(F(path=given), make_diff())
    assert (a.path, a.anchored) == ("src/App.java", Anchor.INLINE)


def test_unique_suffix_and_old_name_resolve_but_ambiguous_suffix_does_not() -> None:
    diff = make_diff()
    assert normalize_path("Strings.java", diff) == "lib/util/Strings.java"
    assert normalize_path("lib/Strings.java", diff) == "lib/util/Strings.java"
    assert normalize_path("App.java", diff) is None  # src/App.java or test/App.java
    assert normalize_path("Missing.java", diff) is None


# --------------------------------------------------------------------------- fingerprints


def test_fingerprint_ignores_line_numbers_case_whitespace_and_numbers() -> None:
    code = '    String q = "SELECT * FROM t WHERE id=" + id;'
    a = fingerprint("src/App.java", "SQL injection on line 12: use a PreparedStatement.", code)
    b = fingerprint(
        "src/App.java", "sql  injection on line 15 - use a 'PreparedStatement'", code.strip() + "  "
    )
    assert a == b
    assert len(a) == 16 and int(a, 16) >= 0


def test_fingerprint_differs_for_other_code_path_or_message() -> None:
    base = fingerprint("src/App.java", "SQL injection", "db.execute(q);")
    assert base != fingerprint("src/App.java", "SQL injection", "db.execute(p);")
    assert base != fingerprint("src/Other.java", "SQL injection", "db.execute(q);")
    assert base != fingerprint("src/App.java", "Resource leak", "db.execute(q);")


def test_finalize_fingerprint_survives_a_line_shift() -> None:
    diff = make_diff()
    shifted = Diff(
        files=(
            diff.files[0].model_copy(
                update={
                    "hunks": tuple(
                        h.model_copy(
                            update={
                                "lines": tuple(
                                    ln.model_copy(update={"new_no": ln.new_no + 5}) if ln.new_no else ln
                                    for ln in h.lines
                                )
                            }
                        )
                        for h in diff.files[0].hunks
                    )
                }
            ),
        )
    )
    (before,), _ = finalize([F(line=12)], diff)
    (after,), _ = finalize([F(line=17)], shifted)
    assert before.fingerprint == after.fingerprint
    (elsewhere,), _ = finalize([F(line=13)], diff)
    assert elsewhere.fingerprint != before.fingerprint


# --------------------------------------------------------------------------- finalize


def test_finalize_drops_paths_outside_the_change_and_sorts() -> None:
    raw = [
        F(path="test/App.java", line=1, severity="low"),
        F(line=41, severity="low", message="size() is fine"),
        F(line=12, severity="medium", message="Concatenated SQL"),
        F(line=12, severity="critical", message="Another problem on the same line"),
        F(path="nowhere.py", line=1),
        F(path="README.md", line=None),
    ]
    findings, dropped = finalize(raw, make_diff())
    assert dropped == 2
    assert [(f.path, f.line, f.severity) for f in findings] == [
        ("src/App.java", 12, Severity.CRITICAL),
        ("src/App.java", 12, Severity.MEDIUM),
        ("src/App.java", 41, Severity.LOW),
        ("test/App.java", 1, Severity.LOW),
    ]
    assert all(f.fingerprint for f in findings)


def test_duplicates_merge_under_the_more_specific_message_keeping_the_others() -> None:
    """Issue 12: merged findings keep every message (the model's view joins the rule's), once each."""
    raw = [
        F(line=12, category="security", severity="medium", message="SQL injection", source="llm:ollama/qwen"),
        F(
            line=12,
            category="Security",
            severity="high",
            message="User input reaches SQL unescaped",
            suggestion="Use a PreparedStatement",
            source="builtin:sql-concat",
            rule_id="sql-concat",
        ),
        F(line=12, category="security", severity="low", message="SQL injection", source="llm:ollama/qwen"),
    ]
    (merged,), dropped = finalize(raw, make_diff())
    assert dropped == 0
    assert merged.message == "User input reaches SQL unescaped\n\nAlso (the AI review): SQL injection"
    assert merged.suggestion == "Use a PreparedStatement"
    assert merged.severity is Severity.HIGH
    assert merged.source == "builtin:sql-concat+llm:ollama/qwen"
    assert merged.rule_id == "sql-concat"


def test_same_fingerprint_merges_across_categories_and_longer_message_wins() -> None:
    raw = [
        F(line=12, category="security", message="SQL injection risk here", source="llm:a"),
        F(line=12, category=None, message="SQL injection risk here!", source="llm:b", severity="high"),
        F(line=12, category=None, message="Name the variable better", source="llm:b"),
    ]
    findings, _ = finalize(raw, make_diff())
    assert len(findings) == 2
    sql = next(f for f in findings if "SQL" in f.message)
    assert (sql.source, sql.severity, sql.message) == (
        "llm:a+llm:b",
        Severity.HIGH,
        "SQL injection risk here!",
    )


def test_at_or_above() -> None:
    findings = [F(severity="medium"), F(severity="critical", type="praise")]
    assert at_or_above(findings, Severity.MEDIUM)
    assert at_or_above(findings, Severity.LOW)
    assert not at_or_above(findings, Severity.HIGH)  # praise never fails a build
    assert not at_or_above([], Severity.LOW)


class _CountingFiles(tuple):  # type: ignore[type-arg]
    """A diff's files that count how often they are walked."""

    walks = 0

    def __iter__(self):  # type: ignore[no-untyped-def]
        type(self).walks += 1
        return super().__iter__()


def test_placing_findings_does_not_walk_every_file_for_each_finding() -> None:
    """Anchoring used a linear scan and a fresh path table per finding: 8,000 files took 110 s."""
    from mochi.diff.parse import parse_diff
    from mochi.models import Diff as DiffModel

    text = "".join(
        f"diff --git a/src/f{i}.py b/src/f{i}.py\n--- a/src/f{i}.py\n+++ b/src/f{i}.py\n"
        f"@@ -1 +1,2 @@\n a\n+b{i}\n"
        for i in range(400)
    )
    files = _CountingFiles(parse_diff(text))
    diff = DiffModel.model_construct(files=files, skipped=())
    raw = [Finding(path=f"src/f{i}.py", line=2, message=f"m{i}", source="builtin") for i in range(400)]
    _CountingFiles.walks = 0
    found, dropped = finalize(raw, diff)
    assert len(found) == 400 and dropped == 0
    assert _CountingFiles.walks <= 3  # the indexes are built once, not once per finding


def test_the_models_finding_next_to_the_builtin_one_on_one_statement_is_one_finding() -> None:
    """Issue 12, bug 6: the model's SQL injection on line 12 and the built-in one on line 13 (the
    same statement over two lines) were two CRITICAL findings."""
    raw = [
        F(line=12, category="security", severity="critical", message="SQL injection via string concat",
          source="llm:ollama/qwen"),
        F(line=13, category="security", severity="critical", message="User input reaches SQL unescaped",
          source="builtin", rule_id="java.sql-concatenation"),
        F(line=41, category="security", severity="high", message="Another problem far away", source="llm:x"),
    ]  # fmt: skip
    findings, _ = finalize(raw, make_diff())
    near = [f for f in findings if f.line in (12, 13)]
    assert len(near) == 1 and near[0].line == 13 and near[0].rule_id == "java.sql-concatenation"
    assert near[0].source == "builtin+llm:ollama/qwen"
    assert any(f.line == 41 for f in findings)


def test_a_copy_of_a_reported_line_in_a_later_commit_keeps_a_fingerprint_of_its_own() -> None:
    """An incremental review sees only the newest commit: the same empty catch added again lower in
    the file got the fingerprint of the one the first review posted, and was never posted
    (found with the webhook queue's end-to-end test)."""
    from mochi.diff.parse import parse_diff

    catch = "        } catch (Exception e) {"
    first = ["class A {", "  void a() {", "    try {", "      x();", catch, "        }", "  }", "}"]
    second = [*first[:-1], "  void b() {", "    try {", "      y();", catch, "        }", "  }", "}"]

    def review(text: str, line: int) -> Finding:
        diff = Diff(files=tuple(parse_diff(text)))
        (found,), _ = finalize(
            [Finding(path="A.java", line=line, message="Empty catch block.", source="builtin", rule_id="r")],
            diff,
            read_file=lambda _path: "\n".join(second) + "\n",
        )
        return found

    whole = "".join(f"+{ln}\n" for ln in first)
    created = (
        "diff --git a/A.java b/A.java\nnew file mode 100644\n--- /dev/null\n+++ b/A.java\n"
        f"@@ -0,0 +1,{len(first)} @@\n{whole}"
    )
    added = "".join(f"+{ln}\n" for ln in second[7:14])
    later = f"diff --git a/A.java b/A.java\n--- a/A.java\n+++ b/A.java\n@@ -7,2 +7,9 @@\n   }}\n{added} }}\n"
    earlier = review(created, 5)
    newer = review(later, 12)
    assert earlier.fingerprint != newer.fingerprint
    # the first copy keeps the line-independent fingerprint earlier runs posted under
    assert earlier.fingerprint == fingerprint("A.java", "Empty catch block.", catch)
