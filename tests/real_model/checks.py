"""What a review against a real (small, sloppy) model must never show, whatever the model answered.

Shared by tests/real_model/test_demo.py and bench/real_model.sh: a review's JSON document and the
reviewed checkout go in, the list of problems comes out (empty when the review held up).
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any


def degenerate(text: str) -> str | None:
    """Why `text` is not language a reviewer would write (None when it reads as prose)."""
    words = re.findall(r"[^\W\d_]{2,}", text)
    if text.strip() and len(words) < 3:
        return "fewer than 3 words"
    letters = sum(ch.isalpha() for ch in text)
    if text and letters / len(text) < 0.5:
        return f"only {letters / len(text):.0%} letters"
    grams = Counter(tuple(words[i : i + 3]) for i in range(max(len(words) - 2, 0)))
    if grams and grams.most_common(1)[0][1] >= 4:
        return f"repeats {' '.join(grams.most_common(1)[0][0])!r} {grams.most_common(1)[0][1]} times"
    return None


def problems(doc: dict[str, Any], checkout: Path) -> list[str]:
    """Findings past the end of their file, degenerate summary text, unreported failures."""
    found: list[str] = []
    for f in doc["findings"]:
        path = checkout / f["path"]
        if f["line"] is not None and path.is_file():
            length = len(path.read_text(encoding="utf-8", errors="replace").split("\n"))
            if f["line"] > length:
                found.append(f"{f['path']}:{f['line']} is past the end of the file ({length} lines)")
        if f["type"] == "praise" and f["severity"] not in ("low",):
            found.append(f"praise at {f['severity']}: {f['path']}:{f['line']}")
    summary = doc["summary"]
    texts = [summary["overall_assessment"], *summary["key_concerns"], *summary["recommendations"]]
    for text in texts:
        why = degenerate(text) if text else None
        if why:
            found.append(f"degenerate summary text ({why}): {text[:80]!r}")
    if doc["truncated"] and not doc["notices"]:
        found.append("files were reviewed in part but no notice says so")
    return found
