"""The model's part of a completed review, kept where the review is published, to be replayed.

A re-run on a head whose review completed (a re-run button, a label, `/mochi review`) must not
ask the model again: the answers were paid for. The CI runner that asked is gone, so the answers
travel with the review itself: `encode` packs the LLM pass's result (its findings before merging
with the checks, its summaries, the tickets it judged) into a compact string that the summary
comment keeps in a hidden marker (mochi.platforms.markers); `decode` reads it back. Only a pass
whose every chunk was answered completely is kept; anything else is asked again next time.
"""

from __future__ import annotations

import base64
import json
import logging
import zlib

from pydantic import BaseModel, ConfigDict, ValidationError

from mochi.llm_pass import LLMResult
from mochi.models import Finding, SkippedFile, Summary, Ticket

logger = logging.getLogger(__name__)

VERSION = 1
MAX_CHARS = 30_000  # of the encoded text: the summary comment must stay under GitHub's 65,536


class _Stored(BaseModel):
    model_config = ConfigDict(extra="ignore")

    v: int = VERSION
    findings: list[Finding] = []
    summaries: list[Summary] = []
    tickets: list[Ticket] = []
    chunks: int = 0
    truncated: list[SkippedFile] = []


def complete(llm: LLMResult) -> bool:
    """True when every chunk was answered and no answer was cut off (then it may be replayed)."""
    cut = any("cut off" in t.reason for t in llm.truncated)
    return llm.error is None and llm.chunks > 0 and llm.answered == llm.chunks and not cut


def encode(llm: LLMResult) -> str | None:
    """The pass as a marker-safe string (base64 of compressed JSON), or None when it is not
    complete or too large to keep."""
    if not complete(llm):
        return None
    stored = _Stored(
        findings=llm.findings,
        summaries=llm.summaries,
        tickets=list(llm.tickets),
        chunks=llm.chunks,
        truncated=llm.truncated,
    )
    packed = base64.b64encode(zlib.compress(stored.model_dump_json().encode("utf-8"), 9)).decode("ascii")
    if len(packed) > MAX_CHARS:
        logger.info("the model's answers are too large to keep on the pull request (%d chars)", len(packed))
        return None
    return packed


def decode(text: str | None) -> LLMResult | None:
    """The pass `encode` packed, with no calls counted (a replay costs none); None when unreadable."""
    if not text:
        return None
    try:
        raw = zlib.decompress(base64.b64decode(text.encode("ascii"), validate=True))
        stored = _Stored.model_validate(json.loads(raw))
    except (ValueError, zlib.error, ValidationError) as exc:
        logger.info("ignoring the stored model answers: %s", exc)
        return None
    if stored.v != VERSION:
        return None
    return LLMResult(
        findings=list(stored.findings),
        summaries=list(stored.summaries),
        chunks=stored.chunks,
        answered=stored.chunks,
        truncated=list(stored.truncated),
        tickets=tuple(stored.tickets),
    )
