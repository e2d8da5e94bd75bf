"""`mochi eval SET`: how precise and complete a reviewer is on a labelled set of changes (mochi.evaluate)."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from mochi.evaluate import Case
    from mochi.models import Finding
    from mochi.settings import Settings


@click.command("eval")
@click.argument("set_dir", metavar="SET", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--provider", help="Reviewer to score: builtin (default here), ollama, openai, azure, anthropic."
)
@click.option("--model", help="Model name (Azure: the deployment name).")
@click.option("--no-builtin", is_flag=True, help="Score the model alone, without the built-in checks.")
@click.option("--format", "fmt", type=click.Choice(("text", "json")), default="text", show_default=True,
              help="text: a table per rule; json: the report (version 1).")  # fmt: skip
@click.option(
    "--unlabelled",
    type=click.Choice(("fp", "ignore")),
    default="fp",
    show_default=True,
    help="How findings no label matches count: as false positives, or not at all.",
)
@click.option(
    "--min-precision", type=click.FloatRange(0, 1), help="Exit 1 when the overall precision is lower."
)
@click.option("--min-recall", type=click.FloatRange(0, 1), help="Exit 1 when the overall recall is lower.")
@click.option(
    "--config", "config_path", type=click.Path(dir_okay=False, path_type=Path), help="Settings file to apply."
)
@click.option("-v", "--verbose", count=True, help="More logging on stderr (-vv for debug).")
@click.option("-q", "--quiet", is_flag=True, help="No progress lines on stderr (warnings and errors show).")
def eval_command(
    set_dir: Path,
    provider: str | None,
    model: str | None,
    no_builtin: bool,
    fmt: str,
    unlabelled: str,
    min_precision: float | None,
    min_recall: float | None,
    config_path: Path | None,
    verbose: int,
    quiet: bool,
) -> None:
    """Score a reviewer on a labelled eval set: precision, recall and F1 per rule and overall.

    SET is a directory with cases.jsonl[.gz] (changes) and labels.jsonl (expected findings and
    known false positives); see examples/demo/eval for one. The built-in checks are scored unless
    --provider names a model.

    \b
    Exit status: 0 scored; 1 below --min-precision or --min-recall; 2 usage error or a malformed set.
    """
    import json

    from mochi import evaluate
    from mochi.commands.compose import build_provider, compose
    from mochi.commands.runtime import errors, progress, set_quiet, setup_logging

    setup_logging(verbose)
    set_quiet(quiet)
    with errors():
        evalset = evaluate.load_set(set_dir)
        flags: dict[str, Any] = {"provider": provider or "builtin", "model": model}
        if no_builtin:
            flags["builtin"] = False
        settings = compose(
            os.environ, flags, git=None, root=Path.cwd(), config_path=config_path, record=False
        ).settings
        reviewer = (
            "builtin"
            if settings.effective_provider == "builtin"
            else f"{settings.effective_provider}/{settings.effective_model}"
            + ("" if settings.builtin else " (no built-in checks)")
        )

        def review_case(case: Case) -> list[Finding]:
            own = _case_settings(case, flags) if config_path is None else None
            return _review(case, own or settings, build_provider)

        result = evaluate.run(evalset, review_case, progress=progress)
        doc = evaluate.report(result, evalset, reviewer=reviewer, unlabelled_is_fp=unlabelled == "fp")
        if fmt == "json":
            click.echo(json.dumps(doc, indent=2, ensure_ascii=False))
        else:
            for line in evaluate.render_text(doc):
                click.echo(line)
    overall = doc["overall"]
    low = [
        f"{name} {overall[name]} < {floor}"
        for name, floor in (("precision", min_precision), ("recall", min_recall))
        if floor is not None and (overall[name] is None or overall[name] < floor)
    ]
    if low:
        click.echo(f"mochi eval: below the bar: {'; '.join(low)}", err=True)
        sys.exit(1)


def _case_settings(case: Case, flags: dict[str, Any]) -> Settings | None:
    """The settings a review of the case's checkout would use: its own .mochi.toml, read as CI reads a
    change's file (it may tune the review, not say where credentials or reports go)."""
    import tempfile

    from mochi.settings import CONFIG_FILE, load

    text = case.read(CONFIG_FILE)
    if text is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / CONFIG_FILE
        path.write_text(text, encoding="utf-8")
        return load(os.environ, flags, path, trust_file=False)[0]


def _review(case: Case, settings: Settings, build_provider: Any) -> list[Finding]:
    """One case through the same path as `mochi review --diff-file` next to its files."""
    from mochi.diff.parse import parse_diff
    from mochi.diff.select import select_files
    from mochi.errors import ProviderError
    from mochi.models import ReviewTarget, TargetKind
    from mochi.review import review_selected

    files = parse_diff(case.diff)
    if not files:
        return []
    diff = select_files(
        files,
        include=settings.scope.include,
        exclude=settings.scope.exclude,
        attributes=None,
        max_file_lines=settings.scope.max_file_lines,
    )

    changed = {f.path for f in files}

    def read_changed(path: str) -> str | None:
        return case.read(path) if path in changed else None

    outcome = review_selected(
        ReviewTarget(kind=TargetKind.DIFF_FILE, diff_file=case.id),
        diff,
        settings,
        git=None,
        read_changed=read_changed,
        read_repo=case.read,
        templates_root=Path.cwd(),
        build_provider=build_provider,
        progress=lambda _msg: None,
    )
    if outcome.provider_error is not None:
        raise ProviderError(f"the model failed: {outcome.provider_error}")
    return list(outcome.review.findings)
