"""One review from many chunks: one summary and one compliance table, not one per chunk.

A change split into chunks gets one answer per chunk, each with its own summary. Concatenated,
a 4-chunk review said "Needs changes" four times. `merge_summaries` synthesizes one: the
assessments' sentences once each (near-duplicates too), the key concerns and recommendations
de-duplicated and capped. `merge_compliance` keeps one verdict per acceptance criterion.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence

from mochi.models import ComplianceStatus, CriterionVerdict, Summary

MAX_SENTENCES = 6
MAX_ITEMS = 8
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9`\"'(])")
_RANK = {ComplianceStatus.MET: 2, ComplianceStatus.NOT_MET: 1, ComplianceStatus.UNCLEAR: 0}


def merge_compliance(verdicts: Sequence[CriterionVerdict]) -> tuple[CriterionVerdict, ...]:
    """One verdict per (ticket, criterion): met when any chunk saw it met, else not met, else unclear.

    A chunk sees only part of the change, so `unclear` or `not_met` from a chunk that did not hold
    the relevant code must not outvote the chunk that did.
    """
    best: dict[tuple[str, str], CriterionVerdict] = {}
    for v in verdicts:
        key = (v.ticket.strip().upper(), " ".join(v.criterion.lower().split()))
        seen = best.get(key)
        if seen is None or _RANK[v.status] > _RANK[seen.status]:
            best[key] = v
    return tuple(best.values())


def _norm(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())


def distinct(items: Iterable[str], *, limit: int, similar: float = 0.85) -> tuple[str, ...]:
    """`items` without repeats: equal once normalized, or nearly equal (difflib ratio >= `similar`)."""
    kept: list[str] = []
    seen: list[str] = []
    for item in items:
        item = item.strip()
        key = _norm(item)
        if not key or key in seen:
            continue
        if any(difflib.SequenceMatcher(None, key, other).ratio() >= similar for other in seen):
            continue
        kept.append(item)
        seen.append(key)
        if len(kept) >= limit:
            break
    return tuple(kept)


def merge_summaries(summaries: Sequence[Summary]) -> Summary | None:
    """One summary for all chunks (see the module docstring); None when none says anything."""
    parts = [s for s in summaries if s.overall_assessment or s.key_concerns or s.recommendations]
    if not parts:
        return None
    if len(parts) == 1:
        return parts[0].model_copy(update={"ticket_compliance": ()})
    sentences = (
        sentence for s in parts for sentence in _SENTENCE.split(s.overall_assessment.strip()) if sentence
    )
    text = " ".join(distinct(sentences, limit=MAX_SENTENCES))
    return Summary(
        overall_assessment=text,
        key_concerns=distinct((c for s in parts for c in s.key_concerns), limit=MAX_ITEMS),
        recommendations=distinct((r for s in parts for r in s.recommendations), limit=MAX_ITEMS),
    )
