"""Hide obvious secrets in a diff before any of it is sent to a model or printed as an excerpt.

Detection reuses the built-in secrets rules (one definition of what a secret looks like), run over
EVERY line of the diff, not only the added ones: a key on a context or removed line must not reach
a hosted model either. Each file's lines are laid end to end as a synthetic all-added file, the
scanner runs on that, and each flagged line maps back to its place in the real diff.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Protocol

from mochi.models import ChangeKind, Diff, FileDiff, Finding, Hunk, Line, LineKind

REDACTED = "[secret redacted by mochi]"

# keep `key =`, `"key":`, `password:`; replace what follows. The name must be short and carry no
# long unbroken run, so that base64 such as `MIIE...AB==` never counts as a name and stays hidden.
_ASSIGNMENT = re.compile(r"""^(\s*[^=:\s][^=:]{0,47}?(?:=>|:=|=|:)\s*)""")
_RANDOM_RUN = re.compile(r"[A-Za-z0-9+/]{20,}")


class SecretScanner(Protocol):
    def review(self, diff: Diff, read_file: Callable[[str], str | None]) -> list[Finding]:
        """Findings for the secrets in the added lines of `diff`."""
        ...


def redact_line(text: str) -> str:
    """`password = "hunter2"` -> `password = [secret redacted by mochi]`; a bare value goes whole."""
    match = _ASSIGNMENT.match(text)
    if match and not _RANDOM_RUN.search(match.group(1)):
        return match.group(1) + REDACTED
    indent = text[: len(text) - len(text.lstrip())]
    return indent + REDACTED


def _synthetic(f: FileDiff) -> tuple[FileDiff, list[tuple[int, int]]]:
    places: list[tuple[int, int]] = []
    lines: list[Line] = []
    for hi, hunk in enumerate(f.hunks):
        for li, line in enumerate(hunk.lines):
            places.append((hi, li))
            lines.append(Line(kind=LineKind.ADDED, old_no=None, new_no=len(lines) + 1, text=line.text))
    hunk = Hunk(old_start=0, old_len=0, new_start=1, new_len=len(lines), lines=tuple(lines))
    synth = FileDiff(path=f.path, change=ChangeKind.ADDED, hunks=(hunk,), language=f.language)
    return synth, places


def redact_secrets(diff: Diff, scanner: SecretScanner) -> tuple[Diff, int]:
    """The diff with every line that holds a secret redacted, and how many lines were."""
    flagged: dict[str, set[tuple[int, int]]] = {}
    # A few files at a time: the synthetic copy of a 50 MB change would double its memory.
    batch: list[tuple[FileDiff, list[tuple[int, int]]]] = []
    batch_lines = 0
    for f in [*diff.files, None]:
        if f is not None and not f.binary and f.hunks:
            synth, where = _synthetic(f)
            batch.append((synth, where))
            batch_lines += len(where)
        if batch and (f is None or batch_lines >= _BATCH_LINES):
            _flag(batch, scanner, flagged)
            batch, batch_lines = [], 0
    if not flagged:
        return diff, 0
    files = []
    for f in diff.files:
        marks = flagged.get(f.path)
        if not marks:
            files.append(f)
            continue
        hunks = tuple(
            h.model_copy(
                update={
                    "lines": tuple(
                        ln.model_copy(update={"text": redact_line(ln.text)}) if (hi, li) in marks else ln
                        for li, ln in enumerate(h.lines)
                    )
                }
            )
            for hi, h in enumerate(f.hunks)
        )
        files.append(f.model_copy(update={"hunks": hunks}))
    count = sum(len(m) for m in flagged.values())
    return diff.model_copy(update={"files": tuple(files)}), count


_KEY_BODY = re.compile(r"^\s*[A-Za-z0-9+/]{64}\s*$")
_KEY_TAIL = re.compile(r"^\s*[A-Za-z0-9+/]{1,64}={0,2}\s*$")


def _key_body_lines(synth: FileDiff) -> list[int]:
    """Line numbers of runs of 3 or more 64-character base64 lines (a PEM body) and the short line
    that ends one: hidden even when the BEGIN line that names them is not in the diff. A public
    certificate's body is hidden too, which costs the model nothing."""
    out: list[int] = []
    run: list[int] = []
    for hunk in synth.hunks:
        for line in hunk.lines:
            assert line.new_no is not None
            if _KEY_BODY.match(line.text):
                run.append(line.new_no)
                continue
            if len(run) >= 3:
                out += run
                if _KEY_TAIL.match(line.text):
                    out.append(line.new_no)
            run = []
    if len(run) >= 3:
        out += run
    return out


_BATCH_LINES = 20_000


def _flag(
    batch: list[tuple[FileDiff, list[tuple[int, int]]]],
    scanner: SecretScanner,
    flagged: dict[str, set[tuple[int, int]]],
) -> None:
    """Mark the (hunk, line) places of the secret-holding lines of these synthetic files."""
    places = {synth.path: where for synth, where in batch}
    for synth, where in batch:
        # the body of a private key whose BEGIN line is outside the hunk (an edited key file)
        for n in _key_body_lines(synth):
            flagged.setdefault(synth.path, set()).add(where[n - 1])
    for finding in scanner.review(Diff(files=tuple(s for s, _ in batch)), lambda _path: None):
        if finding.line is None or finding.path not in places:
            continue
        where = places[finding.path]
        last = finding.end_line or finding.line
        for n in range(finding.line, last + 1):
            if 0 < n <= len(where):
                flagged.setdefault(finding.path, set()).add(where[n - 1])


def redact_text(text: str, scanner: SecretScanner, *, path: str = "context.md") -> tuple[str, int]:
    """`text` (a ticket, the repository's instructions) with its secret-holding lines redacted."""
    if not text:
        return text, 0
    lines = text.split("\n")
    hunk = Hunk(
        old_start=0,
        old_len=0,
        new_start=1,
        new_len=len(lines),
        lines=tuple(
            Line(kind=LineKind.ADDED, old_no=None, new_no=i + 1, text=t) for i, t in enumerate(lines)
        ),
    )
    synth = Diff(files=(FileDiff(path=path, change=ChangeKind.ADDED, hunks=(hunk,)),))
    redacted, count = redact_secrets(synth, scanner)
    if not count:
        return text, 0
    return "\n".join(ln.text for ln in redacted.files[0].hunks[0].lines), count
