"""One changed file as the checks see it: its new text, which lines were added, its syntax tree."""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator
from functools import cached_property
from pathlib import PurePosixPath

from tree_sitter import Node, QueryCursor

from mochi.models import FileDiff, Line, LineKind
from mochi.providers.builtin.context import (
    EslintSuppressions,
    comment_column,
    is_catalogue_path,
    is_documentation_path,
    is_generated_path,
    is_test_path,
    looks_generated,
)
from mochi.providers.builtin.syntax import Syntax, ancestors, first_line, language_of, last_line, text

_COMMENTS = frozenset({"comment", "line_comment", "block_comment", "html_comment"})
_STRINGS = frozenset(
    {
        "string",
        "template_string",
        "string_fragment",
        "string_literal",
        "raw_string_literal",
        "char_literal",
        "character_literal",
        "text_block",
        "jsx_text",
        "regex",
    }
)
# #[test], #[tokio::test], #[actix_web::test], #[bench], #[cfg(test)], #[cfg(all(test, ...))]
_RUST_TEST_ATTRIBUTE = re.compile(r"^#\[(?:\w+::)*(?:test|bench)\b|^#\[cfg\((?:all\()?test\b")
_RUST_TEST_MODULE = re.compile(r"^[ \t]*#!\[cfg\((?:all\()?test\b", re.MULTILINE)
Q_RUST_ATTRIBUTES = "(attribute_item) @a"


_DISTINCT_CHARS = 16  # a squeezed line this long found among the removed lines of another file was moved
_LONE_DISTINCT_CHARS = 40  # ... when it comes without added neighbours
_MOVE_CONTEXT = 2  # added lines on each side that must have moved with it


class SourceFile:
    """The new side of one changed file.

    `lines[i]` is new-file line i+1. When the full file is not available (a diff read from stdin)
    the text is rebuilt from the hunks' added and context lines, each at its own line number, with
    blank lines in the gaps, so every reported line number is still right.
    """

    def __init__(
        self,
        diff: FileDiff,
        content: str | None,
        syntax: Syntax,
        queries: tuple[str, ...] = (),
        read_repo: Callable[[str], str | None] | None = None,
        removed_anywhere: Callable[[], str] | None = None,
        *,
        imported: bool = False,
    ) -> None:
        self.diff = diff
        # added whole with a package the change imports from another repository (builtin.imported):
        # existing code, vendored from then on, not what the change writes
        self.imported = imported
        # another file of the repository at the reviewed revision (None: not available)
        self.read_repo: Callable[[str], str | None] = read_repo or (lambda _path: None)
        self._moved: dict[int, bool] = {}
        # every line the whole change removes, whitespace squeezed out (read only when a hit needs it)
        self._removed_anywhere = removed_anywhere or (lambda: "")
        self._queries = queries  # run together, in one pass, on first use
        self.path = diff.path
        self.language = language_of(diff.path)
        self._syntax = syntax
        right = diff.right_lines()
        self.added = frozenset(no for no, ln in right.items() if ln.kind is LineKind.ADDED)
        self.shown = frozenset(right)  # the lines the diff shows (added and context)
        lines = _split(content) if content is not None else None
        if lines is None or not _agrees(lines, right):
            # a file that does not match the diff (stale checkout, other revision) is worse than none
            lines = _rebuild(diff, right)
            self.complete = False
        else:
            self.complete = True
        self.lines = lines

    @cached_property
    def text(self) -> str:
        return "\n".join(self.lines)

    @cached_property
    def _removed_blob(self) -> str:
        return "".join(
            "".join(ln.text.split()) for h in self.diff.hunks for ln in h.lines if ln.kind is LineKind.REMOVED
        )

    def moved(self, no: int) -> bool:
        """True when added line `no` only moves or reformats code the change removes elsewhere in the
        file (its text, whitespace aside, is in the removed lines): the change does not introduce it.
        A line a formatter joined from two removed lines counts too."""
        found = self._moved.get(no)
        if found is None:
            squeezed = "".join(self.line(no).split())
            found = self._moved[no] = bool(squeezed) and squeezed in self._removed_blob
        return found

    def moved_code(self, lines: Iterable[int]) -> bool:
        """True when these added lines (one finding's) move code the change removes: within this file,
        or, for lines long enough not to match by chance, from another file (a class moved next to
        its user). Short lines (an annotation, a brace) follow the longer ones they come with."""
        lines = list(lines)
        long = [no for no in lines if len("".join(self.line(no).split())) >= _DISTINCT_CHARS]
        if not long:
            return bool(lines) and all(self.moved(no) for no in lines)
        return all(self.moved(no) or self._moved_from_elsewhere(no) for no in long)

    def was_there(self, evidence: str, lines: Iterable[int]) -> bool:
        """True when `evidence` (whitespace aside) is on a line removed by the hunk of every one of
        these added lines: the change edited a line that already held it."""
        needle = "".join(evidence.split())
        if not needle:
            return False
        for no in lines:
            hunk = next((h for h in self.diff.hunks if any(ln.new_no == no for ln in h.lines)), None)
            if hunk is None or not any(
                needle in "".join(ln.text.split()) for ln in hunk.lines if ln.kind is LineKind.REMOVED
            ):
                return False
        return True

    def _moved_from_elsewhere(self, no: int) -> bool:
        """The line came with its neighbours from another file: the run of added lines around it (up
        to two on each side) is found, in order, among the lines the change removes elsewhere. A
        common line alone (`} catch (Exception e) {`) proves nothing; a lone added line must be long
        enough not to match by chance."""

        def squeeze(n: int) -> str:
            return "".join(self.line(n).split())

        block = [no]
        for step in (-1, 1):
            n = no + step
            while abs(n - no) <= _MOVE_CONTEXT and n in self.added:
                if squeeze(n):
                    block.append(n)
                n += step
        block.sort()
        if len(block) == 1 and len(squeeze(no)) < _LONE_DISTINCT_CHARS:
            return False
        return "".join(squeeze(n) for n in block) in self._removed_anywhere()

    @cached_property
    def root(self) -> Node:
        """The syntax tree's root, parsed once (only for files in a language we parse)."""
        if self.language is None:
            raise ValueError(f"{self.path} is not in a language the built-in checks parse")
        return self._syntax.parse(self.language, self.text.encode("utf-8")).root_node

    @cached_property
    def _prefetched(self) -> dict[str, list[dict[str, list[Node]]]]:
        if not self._queries or self.language is None:
            return {}
        query, owners = self._syntax.combined(self.language, self._queries)
        found: dict[str, list[dict[str, list[Node]]]] = {pattern: [] for pattern in owners}
        for index, capture in QueryCursor(query).matches(self.root):
            found[owners[index]].append(capture)
        return found

    def _matches(self, pattern: str) -> list[dict[str, list[Node]]]:
        prefetched = self._prefetched.get(pattern)
        if prefetched is not None:
            return prefetched
        assert self.language is not None
        return [
            capture
            for _, capture in QueryCursor(self._syntax.query(self.language, pattern)).matches(self.root)
        ]

    def query(self, pattern: str) -> dict[str, list[Node]]:
        """Every capture of a tree-sitter query over the file, by capture name, in document order."""
        found: dict[str, dict[tuple[int, int, str], Node]] = {}
        for capture in self._matches(pattern):
            for name, nodes in capture.items():
                bucket = found.setdefault(name, {})
                for node in nodes:
                    bucket[(node.start_byte, node.end_byte, node.type)] = node
        return {name: [bucket[k] for k in sorted(bucket)] for name, bucket in found.items()}

    @cached_property
    def _added_blob(self) -> tuple[str, list[int], list[int]]:
        numbers = sorted(self.added)
        starts: list[int] = []
        offset = 0
        for no in numbers:
            starts.append(offset)
            offset += len(self.line(no)) + 1
        return "\n".join(self.line(no) for no in numbers), starts, numbers

    @cached_property
    def _added_lower(self) -> str:
        return self._added_blob[0].lower()

    def added_matches(
        self, pattern: re.Pattern[str], needles: tuple[str, ...] = ()
    ) -> Iterator[tuple[int, re.Match[str]]]:
        """Matches of `pattern` in the added lines, with the line number of each.

        Without `needles`: one search over all added lines joined by newlines (much faster than one
        per line), so a pattern must not cross a line end: use `[ \\t]` rather than `\\s`, and `^`/`$`
        with re.M. With `needles` (lowercase strings): the pattern runs only on the added lines that
        contain one of them, for patterns too slow to run everywhere. Lines come in order.
        """
        blob, starts, numbers = self._added_blob
        if not needles:
            for match in pattern.finditer(blob):
                yield numbers[bisect_right(starts, match.start()) - 1], match
            return
        lower = self._added_lower
        candidates: set[int] = set()
        for needle in needles:
            at = lower.find(needle)
            while at != -1:
                index = bisect_right(starts, at) - 1
                candidates.add(numbers[index])
                at = lower.find(needle, starts[index + 1]) if index + 1 < len(starts) else -1
        for no in sorted(candidates):
            for match in pattern.finditer(self.line(no)):
                yield no, match

    def matches(self, pattern: str) -> list[dict[str, Node]]:
        """Each match of a tree-sitter query over the file, as capture name -> (first) node."""
        return [{name: nodes[0] for name, nodes in capture.items()} for capture in self._matches(pattern)]

    def line(self, no: int) -> str:
        """The text of 1-based line `no` ('' past the end)."""
        return self.lines[no - 1] if 0 < no <= len(self.lines) else ""

    @cached_property
    def parts(self) -> tuple[str, ...]:
        return PurePosixPath(self.path).parts

    @cached_property
    def name(self) -> str:
        return PurePosixPath(self.path).name

    def known(self, no: int) -> bool:
        """True when line `no` is the file's real text (not a blank or header rebuilt between hunks)."""
        return self.complete or no in self.shown

    @cached_property
    def is_test(self) -> bool:
        """A test file by the usual layouts: tests/, __tests__/, src/test/, *.test.ts, *_test.rs..."""
        return is_test_path(self.path)

    @cached_property
    def is_generated(self) -> bool:
        """Lockfiles, snapshots, vendored (or imported) or minified code, files a generator marks
        `@generated`."""
        return self.imported or is_generated_path(self.path) or looks_generated(self.lines)

    @cached_property
    def is_documentation(self) -> bool:
        """API documentation: docs/, doc/, a Postman collection (its sample tokens are examples)."""
        return is_documentation_path(self.path)

    @cached_property
    def is_catalogue(self) -> bool:
        """A translation catalogue (locales/, i18n/, messages_fr.properties, en.json, *.po...)."""
        return is_catalogue_path(self.path)

    @cached_property
    def _test_regions(self) -> tuple[tuple[int, int], ...]:
        """Line spans of Rust `#[cfg(test)]` modules and `#[test]` functions (other languages: none)."""
        if self.language != "rust" or "test" not in self.text:
            return ()
        if _RUST_TEST_MODULE.search(self.text):
            return ((1, len(self.lines)),)  # #![cfg(test)]: the whole file is a test module
        regions: list[tuple[int, int]] = []
        for attribute in self.query(Q_RUST_ATTRIBUTES).get("a", []):
            if not _RUST_TEST_ATTRIBUTE.match(text(attribute)):
                continue
            item = attribute.next_named_sibling
            while item is not None and item.type in ("attribute_item", "line_comment", "block_comment"):
                item = item.next_named_sibling
            if item is not None:
                regions.append((first_line(attribute), last_line(item)))
        return tuple(regions)

    def in_test_code(self, no: int) -> bool:
        """Line `no` is test code: a test file, or a test module/function inside a Rust file."""
        return self.is_test or any(start <= no <= end for start, end in self._test_regions)

    def in_comment(self, no: int, column: int) -> bool:
        """True when character `column` of line `no` is inside a comment.

        Parsed languages ask the syntax tree (a string is not a comment); when the tree cannot tell
        (code rebuilt from hunks, where a block comment may open above the hunk) and for other files,
        a comment opener before the column, outside quotes, decides.
        """
        line = self.line(no)
        if self.language is not None:
            byte = len(line[:column].encode("utf-8"))
            node = self.root.descendant_for_point_range((no - 1, byte), (no - 1, byte))
            for current in (node, *ancestors(node)) if node is not None else ():
                if current.type in _COMMENTS:
                    return True
                if current.type in _STRINGS:
                    return False
            if self.complete:
                return False
        opener = comment_column(line, self.path)
        return opener is not None and opener <= column

    @cached_property
    def _eslint(self) -> EslintSuppressions | None:
        return EslintSuppressions(self.lines) if "eslint-" in self.text else None

    def lint_disabled(self, no: int, rules: frozenset[str]) -> bool:
        """True when an `eslint-disable` comment turns one of `rules` off on line `no`."""
        return self._eslint is not None and self._eslint.covers(no, rules)


def _rebuild(diff: FileDiff, right: dict[int, Line]) -> list[str]:
    """The new file as far as the hunks show it, every line at its own number.

    Each hunk usually starts inside a class or function whose header is not shown. So that the
    parser still sees the code in a block, the unknown line just above a hunk gets the hunk's
    section header (git's `@@ ... @@ public class Foo {`) and as many `{` as the hunk closes
    without opening: `public class Foo { {` gives a method body fragment an initializer block.
    """
    lines = [""] * max(right, default=0)
    for no, ln in right.items():
        lines[no - 1] = ln.text.rstrip("\r")
    for hunk in diff.hunks:
        slot = hunk.new_start - 1
        if slot < 1 or slot in right:
            continue
        header = hunk.section.strip() if hunk.section.strip().endswith("{") else ""
        missing = _unopened(ln.text for ln in hunk.lines if ln.new_no is not None)
        missing -= header.count("{") - header.count("}")
        lines[slot - 1] = (header + " {" * max(missing, 0)).strip()
    return lines


def _unopened(texts: Iterable[str]) -> int:
    """How many `}` close blocks opened before the text (a rough count: braces in strings count too)."""
    depth = unopened = 0
    for line in texts:
        for char in line:
            if char == "{":
                depth += 1
            elif char == "}":
                if depth:
                    depth -= 1
                else:
                    unopened += 1
    return unopened


def _split(content: str) -> list[str]:
    # split on "\n" only, like git: str.splitlines() would also split on \x0c, \u2028, ...
    lines = content.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [ln[:-1] if ln.endswith("\r") else ln for ln in lines]


def _agrees(lines: list[str], right: dict[int, Line]) -> bool:
    return all(no <= len(lines) and lines[no - 1] == ln.text.rstrip("\r") for no, ln in right.items())


class ContextBlindFile(SourceFile):
    """A SourceFile whose every line counts as production code: for the redaction scanner, which must
    hide a secret from the model wherever it is (a test, a comment, a catalogue, a generated file)."""

    @property
    def is_test(self) -> bool:
        return False

    @property
    def is_generated(self) -> bool:
        return False

    @property
    def is_catalogue(self) -> bool:
        return False

    @property
    def is_documentation(self) -> bool:
        return False

    def in_test_code(self, no: int) -> bool:
        return False

    def in_comment(self, no: int, column: int) -> bool:
        return False

    def lint_disabled(self, no: int, rules: frozenset[str]) -> bool:
        return False
