"""`mochi rules list`: the built-in checks, with the state this repository's settings give them."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

import click


@click.group()
def rules() -> None:
    """The built-in checks."""


@rules.command("list")
@click.option(
    "--repo", type=click.Path(file_okay=False, path_type=Path), help="Apply this repository's .mochi.toml."
)
@click.option(
    "--language",
    type=click.Choice(("java", "javascript", "typescript", "tsx", "rust")),
    help="Only rules for this language (and the ones for any file).",
)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--verbose", "-v", is_flag=True, help="Show each rule's documentation.")
def rules_list(repo: Path | None, language: str | None, as_json: bool, verbose: bool) -> None:
    """List the built-in rules, with the severity and state this repository's settings give them."""
    import json

    from mochi.commands.runtime import errors as _errors
    from mochi.diff.git import Git
    from mochi.errors import NotARepositoryError
    from mochi.providers.builtin import ANY_LANGUAGE, RULES
    from mochi.providers.builtin.engine import rule_enabled
    from mochi.settings import CONFIG_FILE, load

    with _errors():
        root = repo or Path.cwd()
        with contextlib.suppress(NotARepositoryError):
            root = Path(Git(root).toplevel())
        settings, _ = load(os.environ, {}, root / CONFIG_FILE)
        rows: list[dict[str, Any]] = []
        for rule in RULES.values():
            if language and language not in rule.languages and ANY_LANGUAGE not in rule.languages:
                continue
            cfg = settings.rules.get(rule.id)
            rows.append(
                {
                    "id": rule.id,
                    "languages": list(rule.languages),
                    "severity": (cfg.severity if cfg and cfg.severity else rule.severity).value,
                    "type": rule.type.value,
                    "category": rule.category,
                    "enabled": settings.builtin and rule_enabled(rule, cfg),
                    "default": rule_enabled(rule, None),
                    "exclude": list(cfg.exclude) if cfg else [],
                    "message": rule.message,
                    "suggestion": rule.suggestion,
                    "doc": rule.doc,
                }
            )
        if as_json:
            click.echo(json.dumps({"version": 1, "rules": rows}, indent=2))
            return
        width = max((len(r["id"]) for r in rows), default=10)
        for r in rows:
            state = "" if r["enabled"] else "  (opt-in, off)" if not r["default"] else "  (disabled)"
            click.echo(f"{r['id']:<{width}}  {r['severity']:<8}  {r['category']:<15}  {r['message']}{state}")
            if verbose:
                click.echo(f"{'':<{width}}  {r['doc']}")
                if r["suggestion"]:
                    click.echo(f"{'':<{width}}  fix: {r['suggestion']}")
        click.echo(
            f'\n{len(rows)} rules. Configure them in .mochi.toml: [rules."<id>"] enabled/severity/exclude.'
        )


@rules.command("show")
@click.argument("rule_id", metavar="ID")
@click.option("--markdown", is_flag=True, help="Markdown, as in docs/rules/<ID>.md (default: plain text).")
def rules_show(rule_id: str, markdown: bool) -> None:
    """Show a rule's documentation: why it matters, a wrong and a right example, how to suppress it."""
    import difflib

    from mochi import rule_help
    from mochi.commands.runtime import errors as _errors
    from mochi.errors import UsageError
    from mochi.providers.builtin import RULES

    with _errors():
        if rule_id not in RULES:
            close = difflib.get_close_matches(rule_id, sorted(RULES), n=1, cutoff=0.5)
            hint = f" Did you mean {close[0]}?" if close else ""
            raise UsageError(f"no built-in rule is called {rule_id!r}.{hint} See `mochi rules list`.")
        click.echo(rule_help.markdown(rule_id) if markdown else rule_help.text(rule_id), nl=False)
