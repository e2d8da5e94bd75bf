"""`mochi review` and `mochi prompt`: a developer's change on their own machine (and `--pr`).

The change is the branch's work not in its base yet (with uncommitted and untracked files), the
index (`--staged`), a commit range (`--head`) or a unified diff (`--diff-file`). Everything is
composed once by mochi.commands.compose; mochi.review runs it.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from mochi.commands.compose import Composed, build_provider, compose
from mochi.commands.runtime import errors as _errors
from mochi.commands.runtime import progress, set_quiet
from mochi.commands.runtime import setup_logging as _setup_logging
from mochi.errors import EmptyChangeError, UsageError

if TYPE_CHECKING:
    from mochi.diff.git import Git
    from mochi.models import ReviewTarget

FORMATS = ("text", "markdown", "json", "sarif", "junit", "codequality")
SEVERITIES = ("low", "medium", "high", "critical")
_COMMON_FLAGS = ("base", "include", "exclude", "provider", "model", "fallback")


def target_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    opts = [
        click.option(
            "--repo",
            type=click.Path(file_okay=False, path_type=Path),
            help="Repository to review (default: the current directory).",
        ),
        click.option(
            "--base",
            help="Compare against this ref (default: the remote's default branch, else main/master).",
        ),
        click.option("--head", help="Review the commits base...HEAD_REF only (no working tree)."),
        click.option(
            "--staged", is_flag=True, help="Review the index against HEAD (what `git commit` would record)."
        ),
        click.option(
            "--diff-file", metavar="FILE|-", help="Review a unified diff from a file, or from stdin with '-'."
        ),
        click.option(
            "--include", multiple=True, metavar="GLOB", help="Only review paths matching GLOB (repeatable)."
        ),
        click.option(
            "--exclude", multiple=True, metavar="GLOB", help="Skip paths matching GLOB (repeatable)."
        ),
        click.option(
            "--provider",
            help="LLM provider: ollama, openai, azure, anthropic, builtin (default: the stored default "
            "model, else ollama; see `mochi config show`).",
        ),
        click.option("--model", help="Model name (Azure: the deployment name)."),
        click.option(
            "--fallback",
            multiple=True,
            metavar="PROVIDER[:MODEL]",
            help="Try these in order when the provider fails (repeatable).",
        ),
        click.option(
            "--config",
            "config_path",
            type=click.Path(dir_okay=False, path_type=Path),
            help="Settings file (default: .mochi.toml at the repository root).",
        ),
        click.option("-v", "--verbose", count=True, help="More logging on stderr (-vv for debug)."),
        click.option(
            "-q",
            "--quiet",
            is_flag=True,
            help="No progress lines on stderr (warnings and errors show).",
        ),
    ]
    for opt in reversed(opts):
        fn = opt(fn)
    return fn


design_patterns_option = click.option(
    "--design-patterns/--no-design-patterns",
    "design_patterns",
    default=None,
    help="Tell the model the design patterns this repository's code uses (Spring layers and injection, "
    "React hooks and context, Actix extractors and middleware, builders, strategies...) and ask it to "
    "check the change against them, as findings of category `design` (setting include_design_patterns; "
    "default: off).",
)
min_severity_option = click.option(
    "--min-severity",
    type=click.Choice(SEVERITIES),
    help="Report only findings at or above this severity, in every output (stats.findings_below_min_severity "
    "counts the others; --fail-on judges what is reported).",
)


def _flags(params: Mapping[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    flags = {name: params.get(name) for name in names}
    # None when not given: the file and the environment decide
    flags["include_design_patterns"] = params.get("design_patterns")
    return flags


def _checkout(params: Mapping[str, Any]) -> tuple[Git | None, Path]:
    """The repository to review; a diff from a file needs none."""
    from mochi.diff.git import Git
    from mochi.errors import NotARepositoryError

    start = params.get("repo") or Path.cwd()
    try:
        git = Git(start)
    except NotARepositoryError:
        if not params.get("diff_file"):
            raise
        return None, Path(start)
    return git, Path(git.toplevel())


def _target(composed: Composed, params: Mapping[str, Any]) -> ReviewTarget:
    from mochi.events.local import local_target

    return local_target(
        composed.git,
        base=composed.settings.scope.base,
        head=params.get("head"),
        staged=bool(params.get("staged")),
        diff_file=params.get("diff_file"),
        environ=composed.environ,
    )


@click.command()
@target_options
@click.option("--format", "fmt", type=click.Choice(FORMATS), help="What to print on stdout (default: text).")
@click.option(
    "--output",
    "outputs",
    multiple=True,
    metavar="FORMAT=PATH",
    help="Also write FORMAT to PATH (repeatable), e.g. sarif=mochi.sarif.",
)
@click.option(
    "--fail-on", type=click.Choice(SEVERITIES), help="Exit 1 when a finding is at or above this severity."
)
@min_severity_option
@design_patterns_option
@click.option("--pull", is_flag=True, default=None, help="Pull the Ollama model when it is missing.")
@click.option("--no-builtin", is_flag=True, help="Skip the built-in checks.")
@click.option(
    "--no-suppress",
    is_flag=True,
    help="Show the findings that mochi-ignore comments hide (to audit them).",
)
@click.option(
    "--no-cache",
    is_flag=True,
    help="Ask the model again even for prompts it answered before (the cache of answers is not read).",
)
@click.option(
    "--pre-push",
    is_flag=True,
    help="Review what `git push` is about to send (the pre-commit framework's pre-push stage): "
    "nothing to review passes with a note; findings fail the push at --fail-on (default: high).",
)
@click.option(
    "--pre-commit",
    "pre_commit",
    is_flag=True,
    help="Review the staged changes as a pre-commit hook: nothing staged (an amend that only rewords) "
    "passes with a note; findings fail the commit at --fail-on (default: high).",
)
@click.option(
    "--color/--no-color",
    default=None,
    help="Colour the text output (default: when stdout is a terminal and NO_COLOR is unset).",
)
@click.option(
    "--no-record",
    is_flag=True,
    help="Do not record this review in the database (see `mochi reviews`).",
)
@click.option("--pr", metavar="OWNER/REPO#N", help="Review a GitHub pull request and post the review.")
@click.option("--dry-run", is_flag=True, help="With --pr: print what would be posted; post nothing.")
def review(**params: Any) -> None:
    """Review a change: by default everything on this branch that is not in its base yet,
    including uncommitted and untracked files.

    \b
    Exit status: 0 ok; 1 a finding at or above --fail-on; 2 usage or configuration error;
    3 the LLM provider failed after every fallback; 4 not a repository, bad ref or bad diff;
    5 nothing to review; 6 an output could not be written.
    """
    _setup_logging(params["verbose"])
    set_quiet(params["quiet"])
    with _errors():
        flags = _flags(params, _COMMON_FLAGS)
        flags.update(fail_on=params["fail_on"], format=params["fmt"], pull=params["pull"])
        flags["min_severity"] = params["min_severity"]
        if params["no_builtin"]:
            flags["builtin"] = False
        if params["no_suppress"]:
            flags["suppress"] = False
        if params["no_cache"]:
            flags["cache"] = False
        hook = params["pre_push"] or params["pre_commit"]
        if params["pre_push"] and params["pre_commit"]:
            raise UsageError("--pre-push and --pre-commit are two hooks: give one")
        if params["pre_push"] and not (params["head"] or params["staged"] or params["diff_file"]):
            params = {**params, "head": "HEAD"}
        if params["pre_commit"]:
            if params["head"] or params["diff_file"]:
                raise UsageError("--pre-commit reviews the staged changes: drop --head and --diff-file")
            params = {**params, "staged": True}
        if params["pr"] or params["dry_run"]:  # issue 4: a GitHub pull request (mochi/commands/ci.py)
            if not params["pr"]:
                raise UsageError("--dry-run goes with --pr owner/repo#N")
            from mochi.commands.ci import review_pr

            sys.exit(review_pr(params, os.environ, flags))
        git, root = _checkout(params)
        composed = compose(
            os.environ,
            flags,
            git=git,
            root=root,
            config_path=params.get("config_path"),
            record=not params.get("no_record"),
            resume_id=click.get_current_context().meta.get("mochi.retry_of"),  # `mochi reviews retry`
        )
        from mochi.review import execute

        settings = composed.settings
        if hook and settings.fail_on is None:  # a hook whose findings never fail is a hook nobody sees
            from mochi.models import Severity

            settings = settings.with_values({"fail_on": Severity.HIGH})
        color = params["color"]
        if color is None:
            color = (
                sys.stdout.isatty() and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"
            )
        try:
            code = execute(
                settings,
                _target(composed, params),
                git=git,
                root=root,
                outputs=params["outputs"],
                stdout=sys.stdout,
                color=bool(color),
                in_ci=composed.in_ci,
                progress=progress,
                build_provider=build_provider,
                recorder=composed.store.recorder,
                templates=composed.store.templates,
            )
        except EmptyChangeError as exc:
            if not hook:
                raise
            # an amend that only rewords, a push of commits that change nothing: git work goes on
            reason = str(exc).split(". ")[0].rstrip(".")
            click.echo(f"mochi: {reason}; the hook passes", err=True)
            code = 0
    sys.exit(code)


@click.command()
@target_options
@design_patterns_option
def prompt(**params: Any) -> None:
    """Print the exact prompt(s) a review would send, without calling a model."""
    _setup_logging(params["verbose"])
    with _errors():
        from mochi.review import render_prompts

        git, root = _checkout(params)
        # the same default model and stored templates as `mochi review`, recording nothing
        composed = compose(
            os.environ,
            _flags(params, _COMMON_FLAGS),
            git=git,
            root=root,
            config_path=params.get("config_path"),
            record=False,
        )
        prompts = render_prompts(
            composed.settings,
            _target(composed, params),
            git=git,
            root=root,
            build_provider=build_provider,
            templates=composed.store.templates,
        )
        if not prompts:
            click.echo(
                "mochi: no prompt: no changed file would go to the model (each was skipped: too large, "
                "binary, deleted, generated or excluded; `mochi review` lists them and why)",
                err=True,
            )
        for i, (system, user) in enumerate(prompts):
            if i:
                click.echo("\n" + "=" * 100 + "\n")
            click.echo("----- system -----")
            click.echo(system)
            click.echo("----- user -----")
            click.echo(user)
