"""Split a diff into chunks that each fit a token budget, covering every diff line exactly once.

Files are packed in order; a file larger than the budget is split by hunks, and a hunk larger
than the budget by lines (each part becomes a smaller hunk with its own correct `@@` header, so
the model still sees the real line numbers). Parts are a partition of the file's diff lines: no
line is dropped or repeated. Only a single line longer than the whole budget is cut, and the
file is then reported as truncated.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from mochi.models import FileDiff, Hunk, Line

Cost = Callable[[FileDiff], int]

LINE_CUT_NOTE = " [… line cut by mochi: longer than the model's context allows]"


@dataclass
class ChunkPlan:
    """The chunks, and which files had a line cut (path -> how many lines)."""

    chunks: list[list[FileDiff]] = field(default_factory=list)
    cut_lines: dict[str, int] = field(default_factory=dict)


def plan_chunks(files: Sequence[FileDiff], *, cost: Cost, limit: int) -> ChunkPlan:
    """Pack `files` into chunks whose summed `cost` is at most `limit` each (see the module doc)."""
    plan = ChunkPlan()
    pieces: list[tuple[FileDiff, int]] = []
    for f in files:
        c = cost(f)
        if c <= limit:
            pieces.append((f, c))
        else:
            pieces += [(p, cost(p)) for p in split_file(f, cost=cost, limit=limit, cut=plan.cut_lines)]
    current: list[FileDiff] = []
    used = 0
    for piece, c in pieces:
        if current and used + c > limit:
            plan.chunks.append(current)
            current, used = [], 0
        current.append(piece)
        used += c
    if current:
        plan.chunks.append(current)
    return plan


def split_file(f: FileDiff, *, cost: Cost, limit: int, cut: dict[str, int] | None = None) -> list[FileDiff]:
    """`f` as parts of at most `limit` each: whole hunks where they fit, else hunks cut by lines."""
    header = cost(f.model_copy(update={"hunks": ()}))
    room = max(1, limit - header)
    hunks: list[Hunk] = []
    for h in f.hunks:
        if _hunk_cost(f, h, cost, header) <= room:
            hunks.append(h)
        else:
            hunks += _split_hunk(f, h, cost=cost, header=header, room=room, cut=cut)
    parts: list[FileDiff] = []
    current: list[Hunk] = []
    used = 0
    for h in hunks:
        c = _hunk_cost(f, h, cost, header)
        if current and used + c > room:
            parts.append(f.model_copy(update={"hunks": tuple(current)}))
            current, used = [], 0
        current.append(h)
        used += c
    if current:
        parts.append(f.model_copy(update={"hunks": tuple(current)}))
    return parts


def _hunk_cost(f: FileDiff, h: Hunk, cost: Cost, header: int) -> int:
    return max(1, cost(f.model_copy(update={"hunks": (h,)})) - header)


def _split_hunk(
    f: FileDiff, h: Hunk, *, cost: Cost, header: int, room: int, cut: dict[str, int] | None
) -> list[Hunk]:
    """`h` as consecutive sub-hunks whose lines fit `room`, with headers that keep the numbering."""
    out: list[Hunk] = []
    lines: list[Line] = []
    used = 0
    next_old, next_new = h.old_start, h.new_start
    start_old, start_new = next_old, next_new
    # The cost of one line: measured alone in a one-line hunk, minus the hunk's own header.
    empty = cost(f.model_copy(update={"hunks": (h.model_copy(update={"lines": ()}),)}))
    for ln in h.lines:
        c = max(1, cost(f.model_copy(update={"hunks": (h.model_copy(update={"lines": (ln,)}),)})) - empty)
        hunk_header = empty - header
        if c + hunk_header > room:
            ln, c = _cut_line(ln, room - hunk_header, f, h, cost, empty)
            if cut is not None:
                cut[f.path] = cut.get(f.path, 0) + 1
        if lines and used + c > room - hunk_header:
            out.append(_sub_hunk(h, lines, start_old, start_new))
            lines, used = [], 0
            start_old, start_new = next_old, next_new
        lines.append(ln)
        used += c
        if ln.old_no is not None:
            next_old = ln.old_no + 1
        if ln.new_no is not None:
            next_new = ln.new_no + 1
    if lines:
        out.append(_sub_hunk(h, lines, start_old, start_new))
    return out


def _cut_line(ln: Line, room: int, f: FileDiff, h: Hunk, cost: Cost, empty: int) -> tuple[Line, int]:
    text = ln.text
    while text:
        text = text[: len(text) // 2]
        short = ln.model_copy(update={"text": text + LINE_CUT_NOTE})
        c = max(1, cost(f.model_copy(update={"hunks": (h.model_copy(update={"lines": (short,)}),)})) - empty)
        if c <= room:
            return short, c
    short = ln.model_copy(update={"text": LINE_CUT_NOTE.strip()})
    return short, 1


def _sub_hunk(h: Hunk, lines: list[Line], old_start: int, new_start: int) -> Hunk:
    old_len = sum(1 for ln in lines if ln.old_no is not None)
    new_len = sum(1 for ln in lines if ln.new_no is not None)
    return Hunk(
        old_start=old_start if old_len else max(0, old_start - 1),
        old_len=old_len,
        new_start=new_start if new_len else max(0, new_start - 1),
        new_len=new_len,
        section=h.section,
        lines=tuple(lines),
    )


def line_keys(files: Iterable[FileDiff]) -> Counter[tuple[str, str, int | None, int | None]]:
    """(path, kind, old_no, new_no) of every diff line, counted: for checking a plan's coverage."""
    return Counter(
        (f.path, ln.kind.value, ln.old_no, ln.new_no) for f in files for h in f.hunks for ln in h.lines
    )
