"""What a hosted review writes whatever happens to posting: report files and the log's copy.

Each is a `hosted.Output`: it renders the review in one format and writes it, recording the file
in the PublishReport, or records the failure there (the exit status is then 6, and the other
outputs and the posting still happen).
"""

from __future__ import annotations

from pathlib import Path
from typing import IO

from mochi.errors import ConfigError
from mochi.models import Diff, Review
from mochi.platforms.hosted import Output, PublishReport
from mochi.publish.files import render, write_output
from mochi.settings import Settings


def report_file(fmt: str, path: Path, *, key: str | None = None) -> Output:
    """Write the review as `fmt` (json, codequality, junit, sarif, markdown...) to `path`."""

    def write(review: Review, diff: Diff, report: PublishReport) -> None:
        def action() -> None:
            write_output(path, render(fmt, review, diff=diff))
            report.files[key or fmt] = path

        if report.attempt(f"{fmt} file", action) and fmt == "codequality":
            report.notes.append(f"Code Quality report: {path} ({len(review.findings)} issue(s))")

    return write


def log_copy(stream: IO[str], fmt: str) -> Output:
    """The review on stdout (the job's log), in `fmt`."""

    def write(review: Review, diff: Diff, report: PublishReport) -> None:
        stream.write(render(fmt, review, diff=diff))
        stream.flush()

    return write


def in_workspace(root: Path, name: str, key: str) -> Path:
    """`root / name`, refused when it leaves the workspace (an absolute path, `..`, a symlink out)."""
    path = (root / name).resolve()
    if not path.is_relative_to(root.resolve()):
        raise ConfigError(f"{key} = {name!r} is outside the workspace {root}: give a path inside it")
    return path


def gitlab_outputs(settings: Settings, root: Path, stdout: IO[str], extra: list[Output]) -> list[Output]:
    """GitLab's: the Code Quality report (always, before anything is posted), `extra` files, and the
    review in the job's log."""
    codequality = in_workspace(root, settings.gitlab.codequality_report, "codequality_report")
    return [
        report_file("codequality", codequality),
        *extra,
        log_copy(stdout, settings.format),
    ]
