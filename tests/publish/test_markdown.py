"""The Markdown report."""

from __future__ import annotations

from mochi.models import Finding, Review, ReviewTarget, SkippedFile, Stats, TargetKind
from mochi.publish.markdown import escape, render_markdown


def test_sections_in_reading_order(review: Review) -> None:
    md = render_markdown(review)
    order = [
        "# Sonar-Mochi review: working tree vs main",
        "5 findings: 1 critical, 1 high, 1 medium, 2 low",
        "## Assessment",
        "### Key concerns",
        "- SQL injection in UserRepository.find",
        "### Recommendations",
        "## Findings",
        "### 🔴 Critical (1)",
        "### 🟠 High (1)",
        "### 🟡 Medium (1)",
        "### 🔵 Low (2)",
        "## Coverage",
        "---",
    ]
    positions = [md.index(part) for part in order]
    assert positions == sorted(positions)


def test_findings_show_location_type_and_suggestion(review: Review) -> None:
    md = render_markdown(review)
    assert "- **`src/main/java/com/acme/UserRepository.java:21-23`** · bug · security" in md
    assert "- **`web/src/components/User Card.tsx`** · praise" in md  # file-level: no line
    # a multi-line suggestion is a code block inside the list item
    assert (
        '  ```\n  PreparedStatement st = connection.prepareStatement("SELECT * FROM users WHERE id = ?");\n'
        in md
    )
    assert "*Suggestion:* Render it as text, or sanitise it with DOMPurify." in md
    assert "concatenating `id`, which" in md  # the model's code span survives


def test_model_text_cannot_inject_markup(review: Review) -> None:
    md = render_markdown(review)
    assert "<b>" not in md and "[click](" not in md
    assert r"\<b\>thread-safe\</b\>? \[click\](http://evil.example)" in md
    assert r"never closed \| use try-with-resources" in md
    assert escape("# Title\n- item") == r"\# Title - item"
    assert escape("1. first") == r"1\. first"
    assert escape("a `x|y` b") == r"a `x\|y` b"
    assert escape("AT&T *bold*") == r"AT&amp;T \*bold\*"


def test_coverage_and_footer(review: Review) -> None:
    md = render_markdown(review)
    assert "- Files reviewed: 2 (6 lines changed)" in md
    assert "| `package-lock.json` | lockfile |" in md
    assert "`ollama/qwen2.5-coder:7b`" in md
    assert "1,834 prompt + 412 completion tokens" in md and "7.3 s" in md


def test_pipes_in_skipped_reasons_and_paths_keep_the_table_intact() -> None:
    review = Review(
        target=ReviewTarget(kind=TargetKind.PULL_REQUEST, number=7, title="Add | things"),
        skipped=(SkippedFile(path="a|b.bin", reason="binary | large"),),
        stats=Stats(files_skipped=1),
        notices=("ollama was unreachable; used openai",),
        findings=(Finding(path="x.py", line=1, message="m"),),
    )
    md = render_markdown(review)
    row = next(line for line in md.splitlines() if line.startswith("| `a"))
    assert row == r"| `a\|b.bin` | binary \| large |"
    assert "**Add \\| things**" in md
    assert "> ollama was unreachable; used openai" in md
    assert "built-in checks only" in md
    assert "1 finding: 1 low" in md


def test_no_findings() -> None:
    md = render_markdown(Review(target=ReviewTarget(kind=TargetKind.STAGED)))
    assert "## Findings\n\nNo findings." in md
