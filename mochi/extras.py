"""Optional parts of the install, and the message that names the extra a missing one comes from.

The base install reviews with the built-in checks and Ollama and keeps the SQLite record. The rest
is an extra (pyproject.toml): `openai` (OpenAI, Azure OpenAI, OpenAI-compatible servers),
`anthropic`, `postgres` (the record on PostgreSQL), `secrets` (credentials stored encrypted, GitHub
App tokens) and `all`.
"""

from __future__ import annotations

import importlib.util

from mochi.errors import ConfigError


class MissingExtraError(ConfigError):
    """A feature needs a package of an extra that is not installed (exit status 2)."""


def require(module: str, extra: str, what: str) -> None:
    """Raise MissingExtraError naming `extra` when `module` cannot be imported."""
    try:
        found = importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        found = False
    if not found:
        raise MissingExtraError(
            f"{what} needs the `{extra}` extra, which is not installed: "
            f"pip install 'sonar-mochi[{extra}]' (or 'sonar-mochi[all]')"
        )
