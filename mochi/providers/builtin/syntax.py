"""Tree-sitter plumbing: which grammar a path uses, cached parsers and compiled queries.

The grammars ship inside the tree_sitter_* wheels, so nothing is downloaded at run time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import PurePosixPath

import tree_sitter_java
import tree_sitter_javascript
import tree_sitter_rust
import tree_sitter_typescript
from tree_sitter import Language, Node, Parser, Query, QueryError, Tree

_EXTENSIONS = {
    ".java": "java",
    ".js": "javascript",
    ".jsx": "javascript",
    ".mjs": "javascript",
    ".cjs": "javascript",
    ".ts": "typescript",
    ".mts": "typescript",
    ".cts": "typescript",
    ".tsx": "tsx",
    ".rs": "rust",
}

_GRAMMARS: dict[str, Callable[[], object]] = {
    "java": tree_sitter_java.language,
    "javascript": tree_sitter_javascript.language,  # the JavaScript grammar includes JSX
    "typescript": tree_sitter_typescript.language_typescript,
    "tsx": tree_sitter_typescript.language_tsx,
    "rust": tree_sitter_rust.language,
}

JS_LANGUAGES = ("javascript", "typescript", "tsx")
TS_LANGUAGES = ("typescript", "tsx")


def language_of(path: str) -> str | None:
    """The grammar name for a path (`.d.ts` files are TypeScript too), or None."""
    return _EXTENSIONS.get(PurePosixPath(path).suffix.lower())


class Syntax:
    """Parsers and compiled queries, built on first use and kept for the reviewer's lifetime."""

    def __init__(self) -> None:
        self._languages: dict[str, Language] = {}
        self._parsers: dict[str, Parser] = {}
        self._queries: dict[tuple[str, str], Query] = {}
        self._combined: dict[tuple[str, tuple[str, ...]], tuple[Query, list[str]]] = {}

    def language(self, name: str) -> Language:
        """The tree-sitter Language for one of the grammar names of `language_of`."""
        lang = self._languages.get(name)
        if lang is None:
            lang = self._languages[name] = Language(_GRAMMARS[name]())
        return lang

    def parse(self, name: str, source: bytes) -> Tree:
        """Parse `source` with the grammar `name`; tree-sitter recovers from syntax errors."""
        parser = self._parsers.get(name)
        if parser is None:
            parser = self._parsers[name] = Parser(self.language(name))
        return parser.parse(source)

    def query(self, name: str, pattern: str) -> Query:
        """The compiled query `pattern` for the grammar `name` (compiled once)."""
        key = (name, pattern)
        query = self._queries.get(key)
        if query is None:
            query = self._queries[key] = Query(self.language(name), pattern)
        return query

    def combined(self, name: str, patterns: tuple[str, ...]) -> tuple[Query, list[str]]:
        """One query made of `patterns`, and for each of its pattern indexes the pattern it came from.

        Patterns the grammar does not know (JSX node types in plain TypeScript) are left out.
        """
        key = (name, patterns)
        found = self._combined.get(key)
        if found is None:
            try:
                found = _combine(self.language(name), patterns)
            except QueryError:
                # compiling each pattern alone is slow: only done to find the ones this grammar lacks
                kept = []
                for pattern in patterns:
                    try:
                        self.query(name, pattern)
                    except QueryError:
                        continue
                    kept.append(pattern)
                found = _combine(self.language(name), tuple(kept))
            self._combined[key] = found
        return found


def _combine(language: Language, patterns: tuple[str, ...]) -> tuple[Query, list[str]]:
    starts: list[tuple[int, str]] = []
    source = ""
    for pattern in patterns:
        starts.append((len(source.encode("utf-8")), pattern))
        source += pattern + "\n"
    query = Query(language, source)
    owners = []
    for index in range(query.pattern_count):
        at = query.start_byte_for_pattern(index)
        owners.append(next(p for start, p in reversed(starts) if start <= at))
    return query, owners


def text(node: Node | None) -> str:
    """The source text of a node ('' for None)."""
    if node is None or node.text is None:
        return ""
    return node.text.decode("utf-8", "replace")


def first_line(node: Node) -> int:
    """The 1-based line a node starts on."""
    return node.start_point.row + 1


def last_line(node: Node) -> int:
    """The 1-based line a node ends on (a node ending at column 0 ends on the line before)."""
    row, col = node.end_point
    return row if col == 0 and row > node.start_point.row else row + 1


def ancestors(node: Node) -> Iterator[Node]:
    """The parents of a node, nearest first."""
    parent = node.parent
    while parent is not None:
        yield parent
        parent = parent.parent


def descendants(node: Node, types: frozenset[str], stop: frozenset[str] = frozenset()) -> Iterator[Node]:
    """Named descendants of `node` whose type is in `types`, not entering nodes whose type is in `stop`."""
    stack = list(reversed(node.named_children))
    while stack:
        current = stack.pop()
        if current.type in types:
            yield current
        if current.type not in stop:
            stack.extend(reversed(current.named_children))
