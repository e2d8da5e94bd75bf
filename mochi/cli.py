"""Click commands: parse, build Settings and objects, map errors to exit codes.

This is the composition root: the only module that reads the environment, configures logging
and builds clients. Heavy modules are imported inside the commands so that `mochi --version`
and `mochi --help` stay fast.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import click

from mochi import __version__
from mochi.commands.runtime import errors as _errors
from mochi.commands.runtime import in_ci as _in_ci
from mochi.commands.runtime import setup_logging as _setup_logging
from mochi.errors import UsageError

if TYPE_CHECKING:
    from mochi.settings import Settings

logger = logging.getLogger("mochi")

EXIT_FINDINGS = 1
FORMATS = ("text", "markdown", "json", "sarif", "junit")
SEVERITIES = ("low", "medium", "high", "critical")


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "-V", "--version", prog_name="mochi")
def main() -> None:
    """Sonar-Mochi: review code changes with an LLM and built-in checks."""


# --------------------------------------------------------------------------- shared options


def _target_options(fn: Callable[..., Any]) -> Callable[..., Any]:
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
        click.option("--provider", help="LLM provider: ollama (default), openai, azure, anthropic, builtin."),
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
    ]
    for opt in reversed(opts):
        fn = opt(fn)
    return fn


class _Run:
    """Everything a review or prompt command needs, composed from flags, files and environment."""

    def __init__(
        self, params: Mapping[str, Any], flags: Mapping[str, Any], environ: Mapping[str, str]
    ) -> None:
        from mochi import settings as settings_mod
        from mochi.diff.git import Git
        from mochi.errors import NotARepositoryError

        self.environ = environ
        repo = params.get("repo")
        diff_file = params.get("diff_file")
        self.git: Git | None
        try:
            self.git = Git(repo or Path.cwd())
        except NotARepositoryError:
            if not diff_file:
                raise
            self.git = None  # a diff from a file needs no repository
        self.root = Path(self.git.toplevel()) if self.git else Path(repo or Path.cwd())
        config_path = params.get("config_path")
        if config_path is not None and not config_path.is_file():
            raise UsageError(f"--config {config_path}: no such file")
        self.settings: Settings
        self.settings, self.origin = settings_mod.load(
            environ, flags, config_path or self.root / settings_mod.CONFIG_FILE
        )
        self.params = params

    def target(self) -> Any:
        from mochi.events.local import local_target

        return local_target(
            self.git,
            base=self.settings.base,
            head=self.params.get("head"),
            staged=bool(self.params.get("staged")),
            diff_file=self.params.get("diff_file"),
            environ=self.environ,
        )


def _flags(params: Mapping[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    return {name: params.get(name) for name in names}


_COMMON_FLAGS = ("base", "include", "exclude", "provider", "model", "fallback")


# --------------------------------------------------------------------------- review


@main.command()
@_target_options
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
@click.option("--pull", is_flag=True, default=None, help="Pull the Ollama model when it is missing.")
@click.option("--no-builtin", is_flag=True, help="Skip the built-in checks.")
@click.option(
    "--pre-push",
    is_flag=True,
    help="Review what `git push` is about to send (for the pre-commit framework's pre-push stage).",
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
    with _errors():
        flags = _flags(params, _COMMON_FLAGS)
        flags.update(fail_on=params["fail_on"], format=params["fmt"], pull=params["pull"])
        if params["no_builtin"]:
            flags["builtin"] = False
        if params["pre_push"] and not (params["head"] or params["staged"] or params["diff_file"]):
            params = {**params, "head": "HEAD"}
        if params["pr"] or params["dry_run"]:  # issue 4: a GitHub pull request (mochi/commands/ci.py)
            if not params["pr"]:
                raise UsageError("--dry-run goes with --pr owner/repo#N")
            from mochi.commands.ci import review_pr

            sys.exit(review_pr(params, os.environ, flags))
        run = _Run(params, flags, os.environ)
        from mochi.review import execute

        color = params["color"]
        if color is None:
            color = (
                sys.stdout.isatty() and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"
            )
        # the record (issue 6): the default model, stored templates, and the review's row
        from mochi.store.session import open_for_review

        store = open_for_review(
            run.settings,
            run.origin,
            in_ci=_in_ci(os.environ),
            record=not params.get("no_record"),
            resume_id=click.get_current_context().meta.get("mochi.retry_of"),  # `mochi reviews retry`
        )
        run.settings, run.origin = store.settings, store.origin
        code = execute(
            run.settings,
            run.target(),
            git=run.git,
            root=run.root,
            outputs=params["outputs"],
            stdout=sys.stdout,
            color=bool(color),
            in_ci=_in_ci(os.environ),
            progress=_progress(sys.stderr),
            build_provider=_provider_builder(),
            recorder=store.recorder,
            templates=store.templates,
        )
    sys.exit(code)


def _progress(stream: IO[str]) -> Callable[[str], None]:
    def emit(message: str) -> None:
        stream.write(f"mochi: {message}\n")
        stream.flush()

    return emit


def _provider_builder() -> Callable[[Settings], Any]:
    def build(settings: Settings) -> Any:
        from mochi.providers.registry import build_provider_chain

        return build_provider_chain(settings)

    return build


# --------------------------------------------------------------------------- prompt


@main.command()
@_target_options
def prompt(**params: Any) -> None:
    """Print the exact prompt(s) a review would send, without calling a model."""
    _setup_logging(params["verbose"])
    with _errors():
        run = _Run(params, _flags(params, _COMMON_FLAGS), os.environ)
        from mochi.review import render_prompts
        from mochi.store.session import open_for_review

        # the same default model and stored templates as `mochi review`, recording nothing
        store = open_for_review(run.settings, run.origin, in_ci=_in_ci(os.environ), record=False)
        prompts = render_prompts(
            store.settings,
            run.target(),
            git=run.git,
            root=run.root,
            build_provider=_provider_builder(),
            templates=store.templates,
        )
        for i, (system, user) in enumerate(prompts):
            if i:
                click.echo("\n" + "=" * 100 + "\n")
            click.echo("----- system -----")
            click.echo(system)
            click.echo("----- user -----")
            click.echo(user)


# --------------------------------------------------------------------------- config


@main.group()
def config() -> None:
    """Inspect the effective settings."""


@config.command("show")
@click.option(
    "--repo", type=click.Path(file_okay=False, path_type=Path), help="Repository whose .mochi.toml applies."
)
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def config_show(repo: Path | None, config_path: Path | None, as_json: bool) -> None:
    """Print the effective settings (defaults < .mochi.toml < environment < flags), secrets masked."""
    import json

    from mochi.diff.git import Git
    from mochi.errors import NotARepositoryError
    from mochi.settings import CONFIG_FILE, load, masked

    with _errors():
        root = repo or Path.cwd()
        with contextlib.suppress(NotARepositoryError):
            root = Path(Git(root).toplevel())
        settings, origin = load(os.environ, {}, config_path or root / CONFIG_FILE)
        data = masked(settings)
        if as_json:
            click.echo(json.dumps({"version": 1, "settings": data, "origin": origin}, indent=2))
            return
        width = max(len(k) for k in data)
        for key, value in data.items():
            if value is None or value == "" or value == [] or value == {}:
                shown = "-"
            else:
                shown = value if isinstance(value, str) else json.dumps(value)
            click.echo(f"{key:<{width}}  {shown:<30}  {origin.get(key, 'default')}")


# --------------------------------------------------------------------------- the other commands
# Their modules import only click at load time; each command imports what it needs when it runs.

from mochi.commands import ci as _ci_commands  # noqa: E402 (mochi ci)
from mochi.commands import rules as _rules_commands  # noqa: E402
from mochi.commands import store as _store_commands  # noqa: E402 (the review record)
from mochi.commands import store_admin as _store_admin  # noqa: E402
from mochi.commands import store_integrations as _store_integrations  # noqa: E402

main.add_command(_rules_commands.rules)
main.add_command(_ci_commands.ci)
for _group in (
    _store_commands.db,
    _store_commands.reviews,
    _store_admin.models,
    _store_admin.templates,
    _store_integrations.integrations,
):
    main.add_command(_group)

if __name__ == "__main__":  # pragma: no cover
    main()
