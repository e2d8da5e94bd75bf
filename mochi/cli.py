"""`mochi`: the command group. Each subcommand lives in mochi/commands/ and is imported only when
it runs (a lazy group), so `mochi --version` and `mochi --help` stay fast; mochi.commands.compose
is the composition root every command builds its settings, record and provider with.
"""

from __future__ import annotations

import importlib

import click

from mochi import __version__

# name -> "module:attribute" of the Click command
COMMANDS = {
    "review": "mochi.commands.review:review",
    "prompt": "mochi.commands.review:prompt",
    "ci": "mochi.commands.ci:ci",
    "eval": "mochi.commands.eval:eval_command",
    "config": "mochi.commands.config:config",
    "rules": "mochi.commands.rules:rules",
    "db": "mochi.commands.db:db",
    "reviews": "mochi.commands.store:reviews",
    "models": "mochi.commands.store_admin:models",
    "templates": "mochi.commands.store_admin:templates",
    "integrations": "mochi.commands.store_integrations:integrations",
    "doctor": "mochi.commands.doctor:doctor",
    "serve": "mochi.commands.serve:serve",
    "apikeys": "mochi.commands.serve:apikeys",
    "worker": "mochi.commands.worker:worker",
    "jobs": "mochi.commands.worker:jobs",
}

# one line each for `mochi --help`, without importing the commands
SUMMARIES = {
    "review": (
        "Review a change: by default everything on this branch that is not in its base yet, "
        "including uncommitted and untracked files."
    ),
    "prompt": "Print the exact prompt(s) a review would send, without calling a model.",
    "ci": (
        "Review this CI run's pull request, merge request or push and post the results (GitHub "
        "Actions, GitLab CI, or a Jenkins multibranch build of a GitHub or GitLab change)."
    ),
    "config": "Inspect the effective settings.",
    "eval": "Score a reviewer on a labelled eval set: precision, recall and F1 per rule and overall.",
    "rules": "The built-in checks.",
    "db": "The record's database schema (Alembic migrations shipped with mochi).",
    "reviews": "Recorded reviews: list, show, comments, delete, retry.",
    "models": "Model configurations (ai_model_configs); the default one is used when nothing else chooses.",
    "templates": "Prompt templates per language and framework; an active one replaces the file template.",
    "integrations": "GitHub and Jira URLs and credentials (stored encrypted).",
    "serve": "Serve the review record as a REST API (OpenAPI at /openapi.json, docs at /docs).",
    "apikeys": "API keys of `mochi serve`: reader (GET), reviewer (also reviews), admin (everything).",
    "worker": "Run queued reviews (from `mochi serve`'s webhooks) until SIGTERM (the record on PostgreSQL).",
    "jobs": "Queued review jobs: list, retry, cancel.",
    "doctor": "Check the set-up before a first review: git, settings, model, Jira, tokens, record, key.",
}


class LazyGroup(click.Group):
    """A group whose commands are imported the first time they are asked for."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Every command name, sorted."""
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """Import the command's module and return the command."""
        spec = COMMANDS.get(cmd_name)
        if spec is None:
            return None
        module, _, attr = spec.partition(":")
        command = getattr(importlib.import_module(module), attr)
        assert isinstance(command, click.Command)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The command list from SUMMARIES (importing every command would slow `--help` down)."""
        rows = [(name, SUMMARIES.get(name, "")) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(
    cls=LazyGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, "-V", "--version", prog_name="mochi")
@click.option(
    "-q",
    "--quiet",
    is_flag=True,
    help="No progress lines on stderr, any command (warnings and errors show).",
)
def main(quiet: bool) -> None:
    """Sonar-Mochi: review code changes with an LLM and built-in checks."""
    import os

    from mochi.commands.runtime import guard_workflow_commands, handle_sigterm, set_quiet

    set_quiet(quiet)
    guard_workflow_commands(os.environ)
    handle_sigterm()


if __name__ == "__main__":  # pragma: no cover
    main()
