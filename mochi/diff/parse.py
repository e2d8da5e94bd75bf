"""Unified diff text -> [FileDiff], with correct old/new line numbers on every line.

`unidiff` does the hunk work (line numbering, "\\ No newline" markers, binary markers). We handle
the file names around it, because unidiff reads them from the `diff --git` line with greedy
regexes: a `--no-prefix` header whose name has a space is split in the wrong place (and the later
`+++` line then fails to match), quoted names keep their quotes and octal escapes, and the
rename/copy lines are not read at all. So before parsing, each git header block is recorded as it
is and the names unidiff would see are replaced by a numbered placeholder; after parsing, the real
names, kinds and modes are read from the recorded block.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field

from unidiff.errors import UnidiffParseError
from unidiff.patch import Hunk as UnidiffHunk
from unidiff.patch import PatchedFile, PatchSet

from mochi.errors import DiffParseError
from mochi.models import ChangeKind, FileDiff, Hunk, Line, LineKind

DEV_NULL = "/dev/null"
SYMLINK_MODE = "120000"

# `git diff` prefixes: a/ b/ by default, the mnemonic ones (diff.mnemonicPrefix) and --no-index's 1/ 2/.
_SRC_PREFIXES = ("a/", "c/", "i/", "o/", "1/")
_DST_PREFIXES = ("b/", "c/", "i/", "w/", "2/")

_PLACEHOLDER = re.compile(r"^diff --git a/(\d+) b/\1$")
_MODE_LINES = {
    "old mode ": "old",
    "new mode ": "new",
    "new file mode ": "new",
    "deleted file mode ": "old",
}
_INDEX_MODE = re.compile(r"^index [0-9a-fA-F]+\.\.[0-9a-fA-F]+ (\d+)$")
_HEADER_STARTS = (
    "old mode ",
    "new mode ",
    "new file mode ",
    "deleted file mode ",
    "copy from ",
    "copy to ",
    "rename from ",
    "rename to ",
    "rename old ",
    "rename new ",
    "similarity index ",
    "dissimilarity index ",
    "index ",
    "--- ",
    "+++ ",
)
_C_ESCAPES = {"a": 7, "b": 8, "t": 9, "n": 10, "v": 11, "f": 12, "r": 13, '"': 34, "\\": 92}


@dataclass
class _GitHeader:
    """The extended header lines of one `diff --git` entry, as they were written."""

    rest: str  # what follows "diff --git "
    lines: list[str] = field(default_factory=list)

    def value(self, key: str) -> str | None:
        for line in self.lines:
            if line.startswith(key):
                return line[len(key) :]
        return None

    def has(self, key: str) -> bool:
        return any(line.startswith(key) for line in self.lines)


def parse_diff(text: str) -> list[FileDiff]:
    """Parse unified diff text (git or plain `diff -u`) into FileDiffs.

    Empty text gives []. Text with no file headers raises DiffParseError.
    """
    if not text.strip():
        return []
    rewritten, headers = _extract_git_headers(_normalise_crlf(text))
    files: list[FileDiff] = []
    for chunk in _chunks(rewritten):
        try:
            patch = PatchSet(io.StringIO(chunk, newline="\n"))
        except UnidiffParseError as exc:
            raise DiffParseError(
                f"the diff cannot be parsed ({exc}): pass the output of `git diff` or `diff -u` unchanged"
            ) from exc
        # unidiff's objects for one chunk at a time: for a 50 MB change they were as big as ours
        files += [_to_file_diff(pf, headers) for pf in patch]
    if not files:
        raise DiffParseError(
            "this is not a diff: expected a unified diff with `diff --git a/... b/...` or "
            "`--- old` / `+++ new` file headers followed by `@@` hunks (for example `git diff` output)"
        )
    return files


_CHUNK_CHARS = 2_000_000


def _chunks(text: str) -> list[str]:
    """`text` cut before `diff --git` lines into pieces of about _CHUNK_CHARS (one piece when it has
    no such lines: a plain `diff -u`). A hunk line never starts with `diff`, so no file is cut."""
    if len(text) <= _CHUNK_CHARS:
        return [text]
    pieces: list[str] = []
    start = 0
    while start < len(text):
        cut = text.find("\ndiff --git ", start + _CHUNK_CHARS)
        if cut == -1:
            pieces.append(text[start:])
            break
        pieces.append(text[start : cut + 1])
        start = cut + 1
    return pieces


# --------------------------------------------------------------------------- before unidiff


def _lines(text: str) -> list[str]:
    # Split at "\n" only: str.splitlines() also splits at a lone "\r" (and \x0c, \x1c...), which
    # would cut a content line in two and break the hunk's line count (see git_cr.diff).
    return list(io.StringIO(text, newline="\n"))


def _normalise_crlf(text: str) -> str:
    """Undo a diff whose every line got CRLF endings (saved on Windows, pasted from a browser).

    unidiff's header regexes stop at "\\n", so "new file mode 100644\\r" would not be recognised.
    We only convert when the structural lines themselves end in CR; a CR inside a content line of
    an LF diff is the file's own content and stays (Line.text drops a trailing one later).
    """
    for line in _lines(text):
        if line.startswith(("diff ", "--- ", "+++ ", "@@ ")):
            if line.endswith("\r\n"):
                return text.replace("\r\n", "\n")
            return text
    return text


def _extract_git_headers(text: str) -> tuple[str, dict[int, _GitHeader]]:
    """Record each git header block and hide its names from unidiff behind a numbered placeholder."""
    headers: dict[int, _GitHeader] = {}
    out: list[str] = []
    current: _GitHeader | None = None
    for line in _lines(text):
        bare = line.rstrip("\n")
        if bare.startswith("diff --git "):
            current = _GitHeader(rest=bare[len("diff --git ") :])
            index = len(headers)
            headers[index] = current
            out.append(f"diff --git a/{index} b/{index}\n")
            continue
        if current is not None:
            if bare.startswith(_HEADER_STARTS):
                current.lines.append(bare)
                # unidiff checks `+++` against the header's name, which is now the placeholder;
                # the real names are read from the record instead.
                if bare.startswith(("--- ", "+++ ")):
                    continue
            else:
                if bare.startswith(("Binary files ", "GIT binary patch")):
                    current.lines.append(bare)
                current = None
        out.append(line)
    return "".join(out), headers


# --------------------------------------------------------------------------- after unidiff


def _to_file_diff(pf: PatchedFile, headers: dict[int, _GitHeader]) -> FileDiff:
    hunks = tuple(_to_hunk(h) for h in pf)
    info = pf.patch_info[0].rstrip("\n") if pf.patch_info else ""
    match = _PLACEHOLDER.match(info)
    if match is None:
        return _plain_file(pf, hunks)
    return _git_file(headers[int(match.group(1))], pf, hunks)


def _git_file(header: _GitHeader, pf: PatchedFile, hunks: tuple[Hunk, ...]) -> FileDiff:
    old_name, new_name = _git_names(header)
    old_mode = new_mode = None
    for line in header.lines:
        for key, side in _MODE_LINES.items():
            if line.startswith(key):
                if side == "old":
                    old_mode = line[len(key) :].strip()
                else:
                    new_mode = line[len(key) :].strip()
        index = _INDEX_MODE.match(line)
        if index:
            old_mode = old_mode or index.group(1)
            new_mode = new_mode or index.group(1)

    if header.has("new file mode ") or header.value("--- ") == DEV_NULL:
        change = ChangeKind.ADDED
    elif header.has("deleted file mode ") or header.value("+++ ") == DEV_NULL:
        change = ChangeKind.DELETED
    elif header.has("copy from "):
        change = ChangeKind.COPIED
    elif header.has("rename from ") or old_name != new_name:
        change = ChangeKind.RENAMED
    else:
        change = ChangeKind.MODIFIED

    binary = pf.is_binary_file or header.has("GIT binary patch") or header.has("Binary files ")
    return FileDiff(
        path=old_name if change is ChangeKind.DELETED else new_name,
        old_path=None if change is ChangeKind.ADDED else old_name,
        change=change,
        binary=binary,
        old_mode=old_mode,
        new_mode=new_mode,
        symlink=SYMLINK_MODE in (old_mode, new_mode),
        hunks=() if binary else hunks,
    )


def _git_names(header: _GitHeader) -> tuple[str, str]:
    """The (old, new) names of a git entry, without a/ b/ prefixes, unquoted.

    In order of trust: the `---`/`+++` lines (one name per line, nothing to split), the
    `diff --git` line when it splits one way only, then the rename/copy lines.
    """
    split = _split_git_line(header.rest)
    prefixed = split is None or _has_prefixes(*split)
    old = _header_name(header.value("--- "), prefixed)
    new = _header_name(header.value("+++ "), prefixed)
    if split is not None:
        src, dst = (s[2:] if prefixed else s for s in split)
        old = old or src
        new = new or dst
    old = old or _named(header, ("rename from ", "copy from ", "rename old "))
    new = new or _named(header, ("rename to ", "copy to ", "rename new "))
    if old is None and new is None:
        raise DiffParseError(f"cannot tell the file names in `diff --git {header.rest}`: regenerate the diff")
    return old or new or "", new or old or ""


def _named(header: _GitHeader, keys: tuple[str, ...]) -> str | None:
    for key in keys:
        value = header.value(key)
        if value is not None:
            return unquote(value)
    return None


def _header_name(value: str | None, prefixed: bool) -> str | None:
    if value is None:
        return None
    name = _strip_tab_suffix(value)
    if name == DEV_NULL:
        return None
    name = unquote(name)
    if prefixed and name.startswith(_SRC_PREFIXES + _DST_PREFIXES):
        name = name[2:]
    return name


def _has_prefixes(src: str, dst: str) -> bool:
    return src.startswith(_SRC_PREFIXES) and dst.startswith(_DST_PREFIXES) and src[:2] != dst[:2]


def _split_git_line(rest: str) -> tuple[str, str] | None:
    """Split the two names of a `diff --git` line, or None when it is ambiguous.

    Quoted names end at their closing quote. Unquoted names may contain spaces, so every space is a
    candidate; like git, we accept a split where both sides name the same file (a/X b/X or X X),
    or, for renames, a split where only one place gives an a/... b/... pair.
    """
    if rest.startswith('"'):
        end = _closing_quote(rest)
        if end is not None and rest[end + 1 : end + 2] == " ":
            return unquote(rest[: end + 1]), unquote(rest[end + 2 :])
        return None
    if rest.endswith('"'):
        for pos in range(len(rest)):
            if (
                rest[pos] == " "
                and rest[pos + 1 : pos + 2] == '"'
                and _closing_quote(rest[pos + 1 :]) == (len(rest) - pos - 2)
            ):
                return rest[:pos], unquote(rest[pos + 1 :])
        return None
    spaces = [i for i, ch in enumerate(rest) if ch == " "]
    for i in spaces:
        src, dst = rest[:i], rest[i + 1 :]
        if (_has_prefixes(src, dst) and src[2:] == dst[2:]) or src == dst:
            return src, dst
    pairs = [(rest[:i], rest[i + 1 :]) for i in spaces if _has_prefixes(rest[:i], rest[i + 1 :])]
    return pairs[0] if len(pairs) == 1 else None


def _closing_quote(text: str) -> int | None:
    """Index of the quote that closes the C-quoted string starting at text[0]."""
    i = 1
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text[i] == '"':
            return i
        i += 1
    return None


def _strip_tab_suffix(name: str) -> str:
    # git appends a TAB to `---`/`+++` names that contain a space; plain diffs put a timestamp there.
    if name.startswith('"'):
        end = _closing_quote(name)
        return name[: end + 1] if end is not None else name
    return name.split("\t", 1)[0]


def unquote(name: str) -> str:
    """Decode a C-style quoted name (git core.quotepath, GNU diff): `"caf\\303\\251"` -> `café`.

    Names that are not quoted are returned as they are. Octal escapes are bytes of UTF-8; bytes that
    are not valid UTF-8 become U+FFFD.
    """
    if len(name) < 2 or not (name.startswith('"') and name.endswith('"')):
        return name
    body = name[1:-1]
    out = bytearray()
    i = 0
    while i < len(body):
        ch = body[i]
        if ch != "\\" or i + 1 == len(body):
            out += ch.encode("utf-8")
            i += 1
            continue
        nxt = body[i + 1]
        if nxt in "01234567":
            digits = re.match(r"[0-7]{1,3}", body[i + 1 :])
            assert digits is not None
            out.append(int(digits.group(0), 8) & 0xFF)
            i += 1 + len(digits.group(0))
        else:
            out.append(_C_ESCAPES.get(nxt, ord(nxt) if nxt.isascii() else 0x3F))
            i += 2
    return out.decode("utf-8", errors="replace")


def _plain_file(pf: PatchedFile, hunks: tuple[Hunk, ...]) -> FileDiff:
    """A file from a plain `diff -u` (no git header): names from `---`/`+++`, kind from them."""
    src = _strip_tab_suffix(pf.source_file or "")
    dst = _strip_tab_suffix(pf.target_file or "")
    src, dst = unquote(src), unquote(dst)
    src_prefixed = src == DEV_NULL or src.startswith("a/")
    dst_prefixed = dst == DEV_NULL or dst.startswith("b/")
    if src_prefixed and dst_prefixed:
        src = src if src == DEV_NULL else src[2:]
        dst = dst if dst == DEV_NULL else dst[2:]
    # `diff -N` writes a missing side as an empty file with an epoch timestamp, not /dev/null
    only_hunk = hunks[0] if len(hunks) == 1 else None
    if src == DEV_NULL or (only_hunk is not None and only_hunk.old_start == 0 and only_hunk.old_len == 0):
        return FileDiff(path=dst, old_path=None, change=ChangeKind.ADDED, hunks=hunks)
    if dst == DEV_NULL or (only_hunk is not None and only_hunk.new_start == 0 and only_hunk.new_len == 0):
        return FileDiff(path=src, old_path=src, change=ChangeKind.DELETED, hunks=hunks)
    # Two different names in a plain diff usually mean "old copy vs new copy of one file", not a
    # rename: keep both names but call it a modification.
    return FileDiff(path=dst, old_path=src, change=ChangeKind.MODIFIED, hunks=hunks)


def _to_hunk(h: UnidiffHunk) -> Hunk:
    lines: list[Line] = []
    for raw in h:
        if raw.line_type == "\\":
            # "\ No newline at end of file" belongs to the line just before it
            if lines:
                lines[-1] = lines[-1].model_copy(update={"no_newline_at_eof": True})
            continue
        kind = _LINE_KINDS.get(raw.line_type)
        if kind is None:  # unidiff's blank separator after a hunk
            continue
        # A CR is never something to review: at the end it is a CRLF line ending, inside a line
        # (git_cr.diff) it is a stray byte git does not count as a line break. Dropping it keeps
        # prompts and terminal output readable; the line numbers stay git's.
        text = raw.value.removesuffix("\n").replace("\r", "")
        lines.append(
            Line(
                kind=kind,
                old_no=raw.source_line_no if kind is not LineKind.ADDED else None,
                new_no=raw.target_line_no if kind is not LineKind.REMOVED else None,
                text=text,
            )
        )
    return Hunk(
        old_start=h.source_start,
        old_len=h.source_length,
        new_start=h.target_start,
        new_len=h.target_length,
        section=h.section_header or "",
        lines=tuple(lines),
    )


_LINE_KINDS = {"+": LineKind.ADDED, "-": LineKind.REMOVED, " ": LineKind.CONTEXT}
