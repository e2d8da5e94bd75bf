"""The hidden HTML-comment markers mochi leaves in what it posts on GitHub, and reading them back.

    <!-- mochi:fp=1a2b3c4d5e6f7a8b -->            one per finding posted (inline or in a review body)
    <!-- mochi:summary head=<sha> -->              the sticky summary comment, with the head reviewed

GitHub renders neither, and they survive edits of the visible text, so a later run finds what it
already posted and the commit it last reviewed.
"""

from __future__ import annotations

import re

# Not after a backslash: model text is Markdown-escaped (`\<`), and in code it is defused (see
# mochi.publish.markdown.defuse), so only mochi itself writes a marker that reads back.
_FP = re.compile(r"(?<!\\)<!-- mochi:fp=([0-9a-f]{6,64}) -->")
_SUMMARY = re.compile(r"(?<!\\)<!-- mochi:summary(?: head=([0-9a-f]{7,64}))? -->")


def fingerprint_marker(fingerprint: str) -> str:
    """The marker that says a finding with this fingerprint was posted."""
    return f"<!-- mochi:fp={fingerprint} -->"


def fingerprints_in(text: str) -> set[str]:
    """Every finding fingerprint marked in `text`."""
    return set(_FP.findall(text or ""))


def summary_marker(head_sha: str | None) -> str:
    """The marker of the sticky summary comment, recording the head commit it describes."""
    return f"<!-- mochi:summary head={head_sha} -->" if head_sha else "<!-- mochi:summary -->"


_ANSWERS = re.compile(r"(?<!\\)<!-- mochi:answers=([A-Za-z0-9+/=]{1,100000}) -->")


def answers_marker(packed: str) -> str:
    """The marker keeping the model's answers of a completed review (mochi.llm_replay.encode)."""
    return f"<!-- mochi:answers={packed} -->"


def answers_in(text: str) -> str | None:
    """The packed answers kept in `text`, or None."""
    match = _ANSWERS.search(text or "")
    return match.group(1) if match else None


def is_summary(text: str) -> bool:
    """True when `text` is (or contains) mochi's summary marker."""
    return _SUMMARY.search(text or "") is not None


def summary_head(text: str) -> str | None:
    """The head commit recorded in a summary comment, or None."""
    match = _SUMMARY.search(text or "")
    return match.group(1) if match and match.group(1) else None
