"""Text from a model that may be degenerate: small or cut-off models repeat themselves until the
token limit, emit number soup, or copy the prompt's placeholders (issue 13). Nothing of that may
reach a summary or a comment, so every text of an answer passes through here.

    readable(text, limit, min_words)  the text when it reads as language (cut before a repetition run and
                               at `limit`), else ""
    readable_items(items, ...) the readable, distinct items, at most `max_items`
    is_placeholder(text)       "<line number>", "...", "…": the prompt's placeholders, not content
    unterminated(text)         the JSON in `text` stops inside an object, array or string (cut off)
"""

from __future__ import annotations

import re
from collections.abc import Iterable

MAX_MESSAGE_CHARS = 2_000
MAX_SUGGESTION_CHARS = 4_000
MAX_ASSESSMENT_CHARS = 800
MAX_ITEM_CHARS = 300
MAX_ITEMS = 8

# "<line number>", and the same with a bracket lost to JSON repair ("line number>"), or filler
_PLACEHOLDER = re.compile(
    r"^\s*(?:<[^<>\n]{1,60}>?|[^<>\n]{1,60}>|\.{2,}|…|\?+|-+|n/?a|null|none|todo)\s*$", re.IGNORECASE
)
# a unit of 2 to 40 characters repeated at least 3 more times in a row: "000.000.000.", "la la la la"
_RUN = re.compile(r"(.{2,40}?)\1{3,}", re.DOTALL)
_WORD = re.compile(r"[^\W\d_]{2,}")
_SENTENCE_END = re.compile(r"[.!?](?=\s|$)")


def is_placeholder(text: str) -> bool:
    """True for a template placeholder or filler ("<line number>", "...", "N/A") instead of content."""
    return bool(_PLACEHOLDER.match(text))


def readable(text: str, limit: int, *, min_words: int = 1) -> str:
    """`text` when it reads as language, else "".

    A run of repetition ("10.000.000.000...", the same sentence four times) is cut off with what
    follows; what is left must still be mostly words (not "1.1.2.2.0.0" or "#[test]"), at least
    `min_words` of them (an explanation is not one word: "error"). A text over `limit` characters is
    cut at the last sentence or word end before it, marked with "…".
    """
    text = text.strip()
    if not text or is_placeholder(text):
        return ""
    text = text[: limit * 2]
    for run in _RUN.finditer(text):
        # a model stuck in a loop repeats until the token limit: the run ends the text, or fills
        # much of it; `a[0][0][0][0]` inside a sentence is code, not a loop
        if (_repeats_words(run) or len(run.group(0)) >= 12) and (
            run.end() >= len(text.rstrip(" ,.;:-")) - 2 or len(run.group(0)) * 3 >= len(text)
        ):
            text = _last_sentence(text[: run.start() + len(run.group(1))]) or ""
            break
    if len(text) > limit:
        text = _cut(text, limit)
    return text if _is_language(text) and len(_WORD.findall(text)) >= min_words else ""


def readable_items(
    items: Iterable[str], *, limit: int = MAX_ITEM_CHARS, max_items: int = MAX_ITEMS
) -> list[str]:
    """The readable items, each once (compared without case and punctuation), at most `max_items`."""
    out: list[str] = []
    seen: set[str] = set()
    for item in items:
        text = readable(item, limit)
        key = " ".join(_WORD.findall(text.lower()))
        if not text or key in seen:
            continue
        seen.add(key)
        out.append(text)
        if len(out) == max_items:
            break
    return out


def repetitive(text: str) -> bool:
    """True when a unit repeats at least 8 times in a row over half the text (generated filler)."""
    for run in re.finditer(r"(.{3,80}?)\1{7,}", text[: MAX_SUGGESTION_CHARS * 2], re.DOTALL):
        if len(run.group(0)) * 2 >= len(text):
            return True
    return False


def unterminated(text: str) -> bool:
    """Whether the first JSON value in `text` ends inside a string, object or array (cut off)."""
    start = re.search(r"[\[{]", text)
    if start is None:
        return False
    depth = 0
    in_string = escaped = False
    for ch in text[start.start() :]:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
            if depth == 0:
                return False
    return True


def _repeats_words(run: re.Match[str]) -> bool:
    return bool(_WORD.search(run.group(1)))


def _is_language(text: str) -> bool:
    """Mostly words: two or more, or one word that is (nearly) the whole text ("Security")."""
    words = _WORD.findall(text)
    if not words:
        return False
    letters = sum(len(w) for w in words)
    visible = sum(1 for ch in text.rstrip(".!?…") if not ch.isspace())
    if len(words) == 1:
        return letters >= 0.75 * visible
    return letters >= 0.5 * visible


def _last_sentence(text: str) -> str | None:
    """`text` up to the end of its last complete sentence, or None when it has none."""
    ends = list(_SENTENCE_END.finditer(text))
    return text[: ends[-1].end()].strip() if ends else None


def _cut(text: str, limit: int) -> str:
    head = text[:limit]
    sentence = _last_sentence(head)
    if sentence and len(sentence) >= limit // 2:
        return sentence
    space = head.rfind(" ")
    return (head[:space] if space > limit // 2 else head).rstrip(" ,;:") + "…"
