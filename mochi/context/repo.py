"""The repository's own conventions, as text for the prompt.

`read_instructions(read_file)` gathers the files where projects write down how they want code
written (CONTRIBUTING.md, AGENTS.md, Copilot instructions, the architecture notes, .editorconfig),
each capped so one long file cannot crowd out the diff.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

# Read in this order; the first ones are the most specific to code review.
INSTRUCTION_FILES: tuple[str, ...] = (
    "CONTRIBUTING.md",
    "AGENTS.md",
    ".github/copilot-instructions.md",
    "docs/ARCHITECTURE.md",
    ".editorconfig",
)
DEFAULT_CAP = 4_000


def read_instructions(
    read_file: Callable[[str], str | None],
    files: Sequence[str] = INSTRUCTION_FILES,
    *,
    cap: int = DEFAULT_CAP,
) -> str:
    """The convention files that exist, each under a `### <path>` heading, each at most `cap` chars.

    `read_file(path)` returns a repo-relative file's text at the reviewed revision, or None when
    it does not exist. Returns "" when none of the files exists (or all are blank).
    """
    sections: list[str] = []
    for path in files:
        text = read_file(path)
        if text is None or not text.strip():
            continue
        body = _cap(text.strip(), cap)
        if not path.endswith(".md"):
            body = f"```\n{body}\n```"
        sections.append(f"### {path}\n\n{body}")
    return "\n\n".join(sections)


def _cap(text: str, cap: int) -> str:
    if len(text) <= cap:
        return text
    # Cut at a line end so the model never sees half a rule.
    cut = text.rfind("\n", 0, cap)
    kept = text[: cut if cut > cap // 2 else cap].rstrip()
    return f"{kept}\n[... truncated: first {len(kept)} of {len(text)} characters]"
