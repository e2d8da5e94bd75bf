"""Compose a local review from Settings: the diff source, readers, context, provider, publishers.

cli.py parses flags and environment into Settings and calls `execute()`; everything here gets
its inputs as arguments.
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import IO, Any

from mochi import findings as findings_mod
from mochi import pipeline
from mochi.context.frameworks import FrameworkDetection, scan_frameworks
from mochi.context.repo import read_instructions
from mochi.diff.git import Git
from mochi.diff.parse import parse_diff
from mochi.diff.select import attributes_for, select_files
from mochi.diff.sources import local_diff_text, read_diff_file
from mochi.errors import EmptyChangeError, MochiError, ModelNotFoundError, PublishError
from mochi.models import Context, Diff, ReviewTarget, TargetKind
from mochi.prompts.render import PromptRenderer
from mochi.publish.files import RENDERERS, parse_output_spec, render, write_output
from mochi.settings import Settings

logger = logging.getLogger(__name__)

ReadFile = Callable[[str], "str | None"]


def make_diff_source(settings: Settings, git: Git | None) -> pipeline.DiffSource:
    def source(target: ReviewTarget) -> Diff:
        if target.kind is TargetKind.DIFF_FILE:
            text = read_diff_file(target.diff_file or "-", sys.stdin.buffer)
            if not text.strip():
                raise EmptyChangeError("nothing to review: the diff is empty")
        else:
            assert git is not None
            text = local_diff_text(git, target)
        files = parse_diff(text)
        if not files:
            raise EmptyChangeError(f"nothing to review: {target.label()} has no file changes")
        attrs = attributes_for(git, [f.path for f in files]) if git is not None else None
        return select_files(
            files,
            include=settings.include,
            exclude=settings.exclude,
            attributes=attrs,
            max_file_lines=settings.max_file_lines,
        )

    return source


def make_readers(git: Git | None, target: ReviewTarget) -> tuple[ReadFile, ReadFile]:
    """(read_changed, read_repo): the exact new content of a changed file, and any repo file.

    A diff read from a file may not match the working tree, so changed files are then
    reconstructed from the hunks (read_changed returns None) while manifests and convention
    files still come from the working tree.
    """
    if git is None:
        return (lambda _p: None), (lambda _p: None)
    rev: str | None
    if target.kind is TargetKind.RANGE:
        rev = target.head_sha
    elif target.kind is TargetKind.STAGED:
        rev = ":"  # the index
    else:
        rev = None

    @lru_cache(maxsize=512)
    def read_repo(path: str) -> str | None:
        return git.show_file(rev, path)

    if target.kind is TargetKind.DIFF_FILE:
        return (lambda _p: None), read_repo
    return read_repo, read_repo


class ContextBuilder:
    """Builds the Context for a diff, and remembers which frameworks apply to which file."""

    def __init__(self, settings: Settings, read_repo: ReadFile) -> None:
        self._settings = settings
        self._read_repo = read_repo
        self.detection: FrameworkDetection | None = None

    def __call__(self, diff: Diff) -> Context:
        self.detection = scan_frameworks(self._read_repo, [f.path for f in diff.files])
        parts = [read_instructions(self._read_repo)]
        if self._settings.instructions:
            parts.append("### .mochi.toml\n\n" + self._settings.instructions)
        return Context(frameworks=self.detection.frameworks, instructions="\n\n".join(p for p in parts if p))

    def frameworks_for(self, path: str) -> tuple[str, ...]:
        return self.detection.for_file(path) if self.detection is not None else ()


def _renderer(root: Path) -> PromptRenderer:
    return PromptRenderer.for_repository(root)


def _checker(settings: Settings) -> Any:
    if not settings.builtin:
        return None
    from mochi.providers.builtin import BuiltinReviewer

    return BuiltinReviewer(settings.rules)


def make_redactor() -> pipeline.Redactor:
    """Hide secrets from the model with the built-in secrets rules, whatever `builtin` says."""
    from mochi.diff.redact import redact_secrets
    from mochi.providers.builtin import RULES, BuiltinReviewer

    scanner = BuiltinReviewer(registry={k: r for k, r in RULES.items() if k.startswith("secrets.")})
    return lambda diff: redact_secrets(diff, scanner)


def _fallback_path() -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    return Path(tempfile.gettempdir()) / f"mochi-review-{stamp}-{os.getpid()}.json"


def execute(
    settings: Settings,
    target: ReviewTarget,
    *,
    git: Git | None,
    root: Path,
    outputs: Sequence[str],
    stdout: IO[str],
    color: bool,
    in_ci: bool,
    progress: Callable[[str], None],
    build_provider: Callable[[Settings], Any],
) -> int:
    """Run the review and write its outputs; return the exit status (errors raise MochiError)."""
    specs = [parse_output_spec(spec) for spec in outputs]  # bad specs fail before any work
    read_changed, read_repo = make_readers(git, target)
    provider = None if settings.effective_provider == "builtin" else build_provider(settings)
    if provider is None and not settings.builtin:
        raise MochiError("nothing would review this change: --provider builtin with builtin = false")

    read_line = _line_reader(read_changed)

    context = ContextBuilder(settings, read_repo)
    outcome = pipeline.run(
        target,
        diff_source=make_diff_source(settings, git),
        context=context,
        renderer=_renderer(root),
        provider=provider,
        checker=_checker(settings),
        read_file=read_changed,
        frameworks_for=context.frameworks_for,
        redactor=make_redactor(),
        progress=progress,
    )
    review = outcome.review
    failed_outputs: list[str] = []
    for fmt, path in specs:
        try:
            write_output(path, render(fmt, review, diff=outcome.diff, read_line=read_line))
        except MochiError as exc:
            failed_outputs.append(str(exc).rstrip("."))
        except OSError as exc:
            failed_outputs.append(f"cannot write {path}: {exc.strerror}")
    # stdout last, so a broken --output is reported next to the review it lost
    stdout.write(render(settings.format, review, diff=outcome.diff, color=color, read_line=read_line))
    stdout.flush()
    if failed_outputs:
        fallback = _fallback_path()
        write_output(fallback, RENDERERS["json"](review))
        raise PublishError("; ".join(failed_outputs) + f". The review was saved to {fallback} instead.")
    error = outcome.provider_error
    if error is not None:
        strict = settings.provider_explicit or in_ci
        if strict:
            raise error
        hint = (
            str(error)
            if isinstance(error, ModelNotFoundError)
            else f"no LLM pass: Ollama is not reachable at {settings.ollama_host}. "
            "Start `ollama serve`, set OLLAMA_HOST, or choose another provider with --provider."
        )
        progress(hint + " (built-in checks only)")
    if settings.fail_on is not None and findings_mod.at_or_above(review.findings, settings.fail_on):
        return 1
    return 0


def _line_reader(read_changed: ReadFile) -> Callable[[str, int], str | None]:
    def read_line(path: str, line: int) -> str | None:
        text = read_changed(path)
        if text is None:
            return None
        lines = text.splitlines()
        return lines[line - 1] if 0 < line <= len(lines) else None

    return read_line


def render_prompts(
    settings: Settings, target: ReviewTarget, *, git: Git | None, root: Path
) -> list[tuple[str, str]]:
    """The prompts a review would send, for `mochi prompt`."""
    _, read_repo = make_readers(git, target)
    diff, _ = make_redactor()(make_diff_source(settings, git)(target))
    builder = ContextBuilder(settings, read_repo)
    context = builder(diff)
    renderer = _renderer(root)
    chunks = pipeline.chunk_files(diff.files, pipeline.PROMPT_BUDGET_CHARS)
    prompts = (renderer.render(c, context, target, frameworks_for=builder.frameworks_for) for c in chunks)
    return [(p.system, p.user) for p in prompts]
