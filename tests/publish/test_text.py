"""The terminal report."""

from __future__ import annotations

import re

from mochi.models import Diff, Finding, Review, ReviewTarget, TargetKind
from mochi.publish.text import render_text

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def test_no_ansi_without_color_and_colors_with_it(review: Review, diff: Diff) -> None:
    plain = render_text(review, diff, color=False)
    assert "\x1b" not in plain
    colored = render_text(review, diff, color=True)
    assert ANSI.search(colored)
    assert ANSI.sub("", colored).replace(" CRITICAL ", "[CRITICAL]").splitlines()[0] == plain.splitlines()[0]


def test_grouped_by_file_with_header_and_footer(review: Review, diff: Diff) -> None:
    out = render_text(review, diff, color=False)
    lines = out.splitlines()
    assert lines[0] == "Sonar-Mochi review · working tree vs main"
    java = lines.index("src/main/java/com/acme/UserRepository.java")
    tsx = lines.index("web/src/components/User Card.tsx")
    assert java < tsx
    # every finding of a file sits under its file heading
    java_block = "\n".join(lines[java:tsx])
    assert java_block.count("src/main/java/com/acme/UserRepository.java:") == 3
    assert "User Card.tsx:" not in java_block
    assert "5 findings (1 critical, 1 high, 1 medium, 2 low)" in out
    assert "package-lock.json (lockfile)" in out
    assert "1,834 prompt + 412 completion tokens" in out and "7.3 s" in out


def test_finding_shows_badge_message_suggestion_and_code(review: Review, diff: Diff) -> None:
    out = render_text(review, diff, color=False)
    assert "[CRITICAL] bug · security  src/main/java/com/acme/UserRepository.java:21-23" in out
    assert "this is an SQL" in out and "suggestion:" in out
    assert "        st.setString(1, id);" in out
    excerpt = [ln.strip() for ln in out.splitlines() if "│" in ln]
    assert '21 +│         String sql = "SELECT * FROM users WHERE id = \'" + id + "\'";' in excerpt
    assert "23 +│         ResultSet rs = st.executeQuery(sql);" in excerpt
    assert "suggestion: Render it as text, or sanitise it with DOMPurify." in out


def test_lines_outside_the_diff_come_from_read_line(review: Review, diff: Diff) -> None:
    asked: list[tuple[str, int]] = []

    def read_line(path: str, number: int) -> str | None:
        asked.append((path, number))
        return "public class UserRepository {"

    without = render_text(review, diff, color=False)
    with_reader = render_text(review, diff, color=False, read_line=read_line)
    assert ("src/main/java/com/acme/UserRepository.java", 5) in asked
    assert "5  │ public class UserRepository {" in with_reader
    assert "public class UserRepository {" not in without


def test_control_characters_from_the_model_are_removed(diff: Diff) -> None:
    review = Review(
        target=ReviewTarget(kind=TargetKind.STAGED),
        findings=(
            Finding(path="a.py", line=1, message="evil \x1b[2J\x1b]0;pwned\x07 text", suggestion="x\ry"),
        ),
    )
    out = render_text(review, diff, color=False)
    assert "\x1b" not in out and "\x07" not in out and "\r" not in out
    assert "No findings." not in out


def test_empty_review(diff: Diff) -> None:
    out = render_text(Review(target=ReviewTarget(kind=TargetKind.STAGED)), diff, color=False)
    assert "No findings." in out and "0 findings" in out
