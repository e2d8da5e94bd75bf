"""A synthetic large change (many files, many hunks, a few huge files) for tests and benchmarks.

`synthetic_diff(files=300, changed=20_000)` returns a parsed Diff with exactly `changed` changed
lines spread over `files` Java, TypeScript and Rust files; three of them are large single-hunk
files that no small model's window holds whole, so chunking must split them by lines.
"""

from __future__ import annotations

from mochi.models import ChangeKind, Diff, FileDiff, Hunk, Line, LineKind

_LANGS = (
    (
        "java",
        "src/main/java/com/acme/pay/m{n}/Service{n}.java",
        "        long total{i} = order.amount() * {i} + fee(order, {i}); // refund step {i}",
    ),
    (
        "typescript",
        "web/src/features/f{n}/widget{n}.tsx",
        "  const total{i} = items.reduce((sum, it) => sum + it.price * {i}, 0); // step {i}",
    ),
    (
        "rust",
        "crates/ledger/src/m{n}/entry{n}.rs",
        "    let total_{i}: u64 = entries.iter().map(|e| e.amount * {i}).sum(); // step {i}",
    ),
)


def _file(n: int, changed: int, *, hunk_size: int) -> FileDiff:
    language, path, template = _LANGS[n % len(_LANGS)]
    hunks: list[Hunk] = []
    old_no = new_no = 1
    left = changed
    while left > 0:
        size = min(hunk_size, left)
        lines: list[Line] = []
        old_start, new_start = old_no, new_no
        lines.append(Line(kind=LineKind.CONTEXT, old_no=old_no, new_no=new_no, text="    // context"))
        old_no, new_no = old_no + 1, new_no + 1
        for i in range(size):
            if i % 5 == 4:  # one removed line in five: a realistic mix
                lines.append(
                    Line(kind=LineKind.REMOVED, old_no=old_no, new_no=None, text=template.format(i=-i))
                )
                old_no += 1
            else:
                lines.append(Line(kind=LineKind.ADDED, old_no=None, new_no=new_no, text=template.format(i=i)))
                new_no += 1
        hunks.append(
            Hunk(
                old_start=old_start,
                old_len=old_no - old_start,
                new_start=new_start,
                new_len=new_no - new_start,
                section="fn process()",
                lines=tuple(lines),
            )
        )
        left -= size
        old_no, new_no = old_no + 20, new_no + 20  # unchanged code between hunks
    return FileDiff(path=path.format(n=n), change=ChangeKind.MODIFIED, hunks=tuple(hunks), language=language)


def synthetic_diff(
    files: int = 300, changed: int = 20_000, *, huge: int = 3, huge_lines: int = 1_500
) -> Diff:
    """`files` files with `changed` changed lines in all (see the module docstring)."""
    huge = min(huge, files)
    rest = changed - huge * huge_lines
    normal = files - huge
    out: list[FileDiff] = []
    for n in range(files):
        if n < huge:
            count, hunk_size = huge_lines, huge_lines
        else:
            i = n - huge
            count = rest // normal + (1 if i < rest % normal else 0)
            hunk_size = 25
        out.append(_file(n, count, hunk_size=hunk_size))
    return Diff(files=tuple(out))
