"""A realistic review (and its diff) shared by the renderer tests."""

from __future__ import annotations

import pytest

from mochi.findings import finalize
from mochi.models import (
    Diff,
    FileDiff,
    Finding,
    Hunk,
    Line,
    LineKind,
    Review,
    ReviewTarget,
    SkippedFile,
    Stats,
    Summary,
    TargetKind,
)


def _add(no: int, text: str) -> Line:
    return Line(kind=LineKind.ADDED, old_no=None, new_no=no, text=text)


def _ctx(old: int, no: int, text: str) -> Line:
    return Line(kind=LineKind.CONTEXT, old_no=old, new_no=no, text=text)


@pytest.fixture
def diff() -> Diff:
    repo = FileDiff(
        path="src/main/java/com/acme/UserRepository.java",
        language="java",
        hunks=(
            Hunk(
                old_start=20,
                old_len=3,
                new_start=20,
                new_len=6,
                section="public class UserRepository {",
                lines=(
                    _ctx(20, 20, "    public User find(String id) {"),
                    _add(21, '        String sql = "SELECT * FROM users WHERE id = \'" + id + "\'";'),
                    _add(22, "        Statement st = connection.createStatement();"),
                    _add(23, "        ResultSet rs = st.executeQuery(sql);"),
                    _ctx(21, 24, "        return map(rs);"),
                    _ctx(22, 25, "    }"),
                ),
            ),
        ),
    )
    web = FileDiff(
        path="web/src/components/User Card.tsx",
        language="typescript",
        hunks=(
            Hunk(
                old_start=1,
                old_len=0,
                new_start=1,
                new_len=3,
                lines=(
                    _add(1, "export function UserCard({ user }: Props) {"),
                    _add(2, "  return <div dangerouslySetInnerHTML={{ __html: user.bio }} />;"),
                    _add(3, "}"),
                ),
            ),
        ),
    )
    return Diff(files=(repo, web), skipped=(SkippedFile(path="package-lock.json", reason="lockfile"),))


@pytest.fixture
def review(diff: Diff) -> Review:
    llm = "llm:ollama/qwen2.5-coder:7b"
    raw = [
        Finding(
            path="src/main/java/com/acme/UserRepository.java",
            line=21,
            end_line=23,
            type="bug",
            severity="critical",
            category="security",
            message="The SQL query is built by concatenating `id`, which comes from the request: "
            "this is an SQL injection.",
            suggestion="\n".join(
                [
                    'PreparedStatement st = connection.prepareStatement("SELECT * FROM users WHERE id = ?");',
                    "st.setString(1, id);",
                ]
            ),
            source=llm,
        ),
        Finding(
            path="src/main/java/com/acme/UserRepository.java",
            line=22,
            type="suggestion",
            severity="medium",
            category="resources",
            message="The Statement and ResultSet are never closed | use try-with-resources.",
            source="builtin:jdbc-close",
            rule_id="jdbc-close",
        ),
        Finding(
            path="src/main/java/com/acme/UserRepository.java",
            line=5,
            type="question",
            severity="low",
            message="Is this class <b>thread-safe</b>? [click](http://evil.example)",
            source=llm,
        ),
        Finding(
            path="web/src/components/User Card.tsx",
            line=2,
            type="bug",
            severity="high",
            category="security",
            message="Rendering user.bio as HTML allows stored XSS.",
            suggestion="Render it as text, or sanitise it with DOMPurify.",
            source=llm,
        ),
        Finding(
            path="web/src/components/User Card.tsx",
            line=None,
            type="praise",
            severity="low",
            message="Nice small component.",
            source=llm,
        ),
    ]
    findings, dropped = finalize(raw, diff)
    return Review(
        target=ReviewTarget(kind=TargetKind.WORKTREE, base="main"),
        findings=tuple(findings),
        summary=Summary(
            overall_assessment="The change adds user lookup and a user card. Two security problems must be "
            "fixed before merging.",
            key_concerns=("SQL injection in UserRepository.find", "Stored XSS in UserCard"),
            recommendations=("Use prepared statements", "Never render user input as HTML"),
        ),
        stats=Stats(
            files_reviewed=2,
            files_skipped=1,
            lines_changed=6,
            llm_calls=1,
            prompt_tokens=1834,
            completion_tokens=412,
            duration_s=7.31,
            findings_dropped=dropped,
        ),
        reviewed=tuple(f.path for f in diff.files),
        skipped=diff.skipped,
        providers_used=("ollama/qwen2.5-coder:7b",),
    )
