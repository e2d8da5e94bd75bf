"""BuiltinReviewer: runs the enabled rules over a Diff, offline, with no model server."""

from __future__ import annotations

import difflib
import logging
from collections.abc import Callable, Mapping
from fnmatch import fnmatchcase
from pathlib import PurePosixPath

from mochi.errors import ConfigError
from mochi.models import ChangeKind, Diff, Finding, LineKind, Severity
from mochi.providers.builtin.imported import imported_directories, is_imported
from mochi.providers.builtin.registry import RULES
from mochi.providers.builtin.rule import Hit, Options, Rule
from mochi.providers.builtin.source import ContextBlindFile, SourceFile
from mochi.providers.builtin.syntax import Syntax, language_of
from mochi.settings import RuleConfig

logger = logging.getLogger(__name__)

MAX_PER_FILE = 10  # findings of one rule in one file; the last one names the other lines


class BuiltinReviewer:
    """Fast, offline checks over what a change adds.

    `rules` holds the `[rules.<id>]` overrides from .mochi.toml: a disabled rule never runs, a
    severity replaces the rule's own, and paths matching an `exclude` glob skip that rule.
    """

    def __init__(
        self,
        rules: Mapping[str, RuleConfig] | None = None,
        *,
        options: Options | None = None,
        registry: Mapping[str, Rule] | None = None,
        only_introduced: bool = True,
    ) -> None:
        registry = RULES if registry is None else registry
        config = dict(rules or {})
        unknown = sorted(set(config) - set(registry))
        if unknown:
            close = difflib.get_close_matches(unknown[0], sorted(registry), n=1)
            hint = f" Did you mean '{close[0]}'?" if close else ""
            raise ConfigError(
                f"[rules.{unknown[0]}] in .mochi.toml names no built-in rule.{hint} "
                "See `mochi rules list` for the rule ids."
            )
        self._registry = registry
        self._rules = [rule for rid, rule in registry.items() if rule_enabled(rule, config.get(rid))]
        self._config = config
        self._options = options or Options()
        # False: the redaction scanner, which must see every secret: code a change merely moves or
        # reformats too, and in any context (tests, comments, catalogues: ContextBlindFile)
        self._only_introduced = only_introduced
        self._syntax = Syntax()
        self._patterns: dict[str, tuple[str, ...]] = {}

    @property
    def rules(self) -> list[Rule]:
        """The rules that run (enabled ones), in registry order."""
        return list(self._rules)

    def review(
        self,
        diff: Diff,
        read_file: Callable[[str], str | None],
        read_repo: Callable[[str], str | None] | None = None,
    ) -> list[Finding]:
        """Findings on the lines `diff` adds, sorted by path and line.

        `read_file(path)` returns the full new content of a changed file, or None when it is not
        available; then the file is rebuilt from the diff's added and context lines. `read_repo`
        reads any file of the repository at the reviewed revision (a rule that needs another file,
        such as the class a request body binds to, abstains without it).
        """
        findings: list[Finding] = []
        removed: list[str] = []

        def removed_anywhere() -> str:
            if not removed:  # built on first use: most reviews never need it
                removed.append(
                    "".join(
                        "".join(ln.text.split())
                        for f in diff.files
                        for h in f.hunks
                        for ln in h.lines
                        if ln.kind is LineKind.REMOVED
                    )
                )
            return removed[0]

        imported = imported_directories(diff, read_file) if self._only_introduced else frozenset()
        for file_diff in diff.files:
            if file_diff.change is ChangeKind.DELETED:
                continue
            language = language_of(file_diff.path)
            active = [
                rule
                for rule in self._rules
                if rule.applies_to(language)
                and (rule.on_binary or not file_diff.binary)
                and not self._excluded(rule.id, file_diff.path)
            ]
            if not active:
                continue
            content = None if file_diff.binary else read_file(file_diff.path)
            kind = SourceFile if self._only_introduced else ContextBlindFile
            source = kind(
                file_diff,
                content,
                self._syntax,
                self._queries(language),
                read_repo,
                removed_anywhere,
                imported=is_imported(file_diff, imported),
            )
            if content is not None and not source.complete:
                logger.debug("%s: the file does not match the diff; checking the hunks only", file_diff.path)
            for rule in active:
                if source.added or rule.on_binary:
                    findings.extend(self._run(rule, source))
        return sorted(
            _drop_superseded(findings, self._registry), key=lambda f: (f.path, f.line or 0, f.rule_id or "")
        )

    def _run(self, rule: Rule, source: SourceFile) -> list[Finding]:
        severity = self._config.get(rule.id, RuleConfig()).severity or rule.severity
        seen: set[tuple[int | None, str | None]] = set()
        found: list[Finding] = []
        for hit in rule.check(source, self._options):
            if hit.line is not None:
                if source.imported:
                    continue  # a package imported whole: moved code, reviewed where it came from
                added = [no for no in hit.touched_lines() if no in source.added]
                # only what the change introduces: not code it merely moves or reformats
                if not added or (
                    self._only_introduced
                    and (source.moved_code(added) or (hit.evidence and source.was_there(hit.evidence, added)))
                ):
                    continue
            key = (hit.line, hit.message)
            if key in seen:
                continue
            seen.add(key)
            found.append(_finding(rule, source.path, hit, severity))
        if not self._only_introduced or len(found) <= MAX_PER_FILE:
            return found  # the redaction scanner must see every line
        # one rule on many lines of one file: a few comments and one that names the rest, not a flood
        rest = found[MAX_PER_FILE - 1 :]
        others = [str(f.line) for f in rest[1:] if f.line is not None]
        lines = ", ".join(others[:20]) + (", ..." if len(others) > 20 else "")
        last = rest[0].model_copy(
            update={"message": f"{rest[0].message}\n\nThe same in {len(rest) - 1} more place(s) of this file "
                    f"(lines {lines}): one comment for all of them."}
        )  # fmt: skip
        return [*found[: MAX_PER_FILE - 1], last]

    def _queries(self, language: str | None) -> tuple[str, ...]:
        # the same patterns for every file of a language, so the combined query is compiled once
        if language is None:
            return ()
        found = self._patterns.get(language)
        if found is None:
            rules = [rule for rule in self._rules if rule.applies_to(language)]
            found = self._patterns[language] = tuple(dict.fromkeys(q for rule in rules for q in rule.queries))
        return found

    def _excluded(self, rule_id: str, path: str) -> bool:
        config = self._config.get(rule_id)
        if config is None or not config.exclude:
            return False
        name = PurePosixPath(path).name
        return any(
            fnmatchcase(path, glob) or ("/" not in glob and fnmatchcase(name, glob))
            for glob in config.exclude
        )


def rule_enabled(rule: Rule, config: RuleConfig | None) -> bool:
    """On when configured so, else by the rule's default (an opt-in rule is off until enabled)."""
    if config is not None and config.enabled is not None:
        return config.enabled
    return rule.enabled_by_default


def _finding(rule: Rule, path: str, hit: Hit, severity: Severity) -> Finding:
    end_line = (
        hit.end_line
        if hit.end_line is not None and hit.line is not None and hit.end_line > hit.line
        else None
    )
    return Finding(
        path=path,
        line=hit.line,
        end_line=end_line,
        type=rule.type,
        severity=severity,
        category=rule.category,
        message=hit.message or rule.message,
        suggestion=hit.suggestion,
        source=f"builtin:{rule.id}",
        rule_id=rule.id,
    )


def _drop_superseded(findings: list[Finding], registry: Mapping[str, Rule]) -> list[Finding]:
    fired: dict[tuple[str, int | None], set[str]] = {}
    for f in findings:
        fired.setdefault((f.path, f.line), set()).add(f.rule_id or "")
    superseded: dict[tuple[str, int | None], set[str]] = {}
    for key, ids in fired.items():
        for rid in ids:
            rule = registry.get(rid)
            if rule is not None:
                superseded.setdefault(key, set()).update(rule.supersedes)
    return [f for f in findings if (f.rule_id or "") not in superseded.get((f.path, f.line), set())]
