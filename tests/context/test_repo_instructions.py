"""The repository's convention files as the reviewer sees them."""

from __future__ import annotations

from mochi.context.repo import read_instructions


def test_existing_convention_files_are_concatenated_under_headings() -> None:
    files = {
        "CONTRIBUTING.md": "# Contributing\n\nUse constructor injection.\n",
        ".github/copilot-instructions.md": "Prefer records for DTOs.",
        ".editorconfig": "root = true\n[*]\nindent_size = 4\n",
        "README.md": "not a convention file",
    }
    text = read_instructions(files.get)
    assert "### CONTRIBUTING.md\n\n# Contributing\n\nUse constructor injection." in text
    assert "### .github/copilot-instructions.md\n\nPrefer records for DTOs." in text
    assert "### .editorconfig\n\n```\nroot = true\n[*]\nindent_size = 4\n```" in text
    assert "AGENTS.md" not in text
    assert "not a convention file" not in text
    assert text.index("CONTRIBUTING.md") < text.index("copilot-instructions") < text.index(".editorconfig")


def test_each_file_is_capped_at_a_line_boundary() -> None:
    long = "".join(f"rule {i}: keep it simple\n" for i in range(1000))
    text = read_instructions({"AGENTS.md": long}.get, cap=4000)
    assert len(text) < 4200
    assert "[... truncated: first" in text
    kept = text.split("\n\n", 1)[1].split("\n[... truncated")[0]
    assert kept.endswith("keep it simple")


def test_no_convention_files_gives_empty_text() -> None:
    assert read_instructions({"CONTRIBUTING.md": "   \n"}.get) == ""
