"""Earlier mochi findings on this change, so the model neither repeats itself nor reopens resolved points.

The findings come from whoever knows them: the PR's review comments (their hidden fingerprint
markers, read by mochi.platforms.github.state) or the store. `prior_findings` makes one tidy list of them
for the Context: only on files of this change (or on no file), one per fingerprint (resolved wins:
a point the author resolved stays resolved), open ones first, at most `limit`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from mochi.models import Diff, PriorFinding

DEFAULT_LIMIT = 40


def prior_findings(
    found: Iterable[PriorFinding], diff: Diff | None = None, *, limit: int = DEFAULT_LIMIT
) -> tuple[PriorFinding, ...]:
    """The earlier findings worth telling the model about (see the module docstring)."""
    paths = {f.path for f in diff.files} | {f.old_path for f in diff.files if f.old_path} if diff else None
    best: dict[str, PriorFinding] = {}
    for f in found:
        if paths is not None and f.path and f.path not in paths:
            continue
        key = f.fingerprint or f"{f.path}:{f.line}:{' '.join(f.message.lower().split())}"
        seen = best.get(key)
        if seen is None or (f.status == "resolved" and seen.status != "resolved"):
            best[key] = f
    ordered = sorted(best.values(), key=lambda f: (f.status != "open", f.path, f.line or 0))
    return tuple(ordered[:limit])


def from_review_json(document: Mapping[str, Any], *, resolved: Iterable[str] = ()) -> list[PriorFinding]:
    """PriorFindings from an earlier `--format json` review (version 1); `resolved` lists fingerprints."""
    done = set(resolved)
    out: list[PriorFinding] = []
    for f in document.get("findings") or ():
        if not isinstance(f, Mapping) or not f.get("message"):
            continue
        fp = str(f.get("fingerprint") or "")
        out.append(
            PriorFinding(
                path=str(f.get("path") or ""),
                line=f.get("line") if isinstance(f.get("line"), int) else None,
                message=str(f["message"]),
                status="resolved" if fp and fp in done else "open",
                fingerprint=fp,
            )
        )
    return out
