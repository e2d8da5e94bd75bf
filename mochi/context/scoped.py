"""The parts of the Context that concern only some files, narrowed to one prompt's files.

A chunk's prompt carries the shared context (instructions, tickets) whole, and of the scoped parts
only what matches its files: the `[[path_instructions]]` whose glob matches one of them, the
earlier findings on them (plus those not tied to a file), and the related files they import.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mochi.diff.select import glob_match
from mochi.models import Context


def scoped_context(context: Context, paths: Sequence[str]) -> dict[str, Any]:
    """Template variables `path_instructions`, `previous_findings` and `related` for these paths."""
    wanted = set(paths)
    return {
        "path_instructions": [
            {"path": p.path, "instructions": p.instructions}
            for p in context.path_instructions
            if any(glob_match(p.path, path) for path in paths)
        ],
        "previous_findings": [
            f.model_dump(mode="json") for f in context.previous_findings if not f.path or f.path in wanted
        ],
        "related": [
            {
                "path": r.path,
                "imported_by": [p for p in r.imported_by if p in wanted],
                "signatures": r.signatures,
            }
            for r in context.related
            if wanted.intersection(r.imported_by) and r.path not in wanted
        ],
    }
