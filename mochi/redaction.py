"""No secret reaches the model or is posted back: one detector, the built-in secrets rules, for the
diff, the context (tickets, the repository's instructions), the change's own title and description,
and the model's answer."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from mochi.models import Context, ReviewTarget

if TYPE_CHECKING:
    from mochi.pipeline import Redactor


@lru_cache(maxsize=1)
def secret_scanner() -> Any:
    """The built-in secrets rules alone, every one of them on whatever `builtin` and `[rules]` say: the
    opt-in ones too (a literal config password, a high-entropy value), as hiding a value that was not
    a secret from the model costs little and sending one that was costs a credential."""
    from mochi.providers.builtin import RULES, BuiltinReviewer
    from mochi.settings import RuleConfig

    secrets = {k: r for k, r in RULES.items() if k.startswith("secrets.")}
    every_one = {k: RuleConfig(enabled=True) for k in secrets}
    return BuiltinReviewer(every_one, registry=secrets, only_introduced=False)


def make_scrubber() -> Callable[[str], str]:
    """Redact the secret-holding lines of a text (a ticket, a description, the model's answer)."""
    from mochi.diff.redact import redact_text

    scanner = secret_scanner()
    return lambda text: redact_text(text, scanner)[0]


def make_redactor() -> Redactor:
    """Hide the secret-holding lines of a diff from the model."""
    from mochi.diff.redact import redact_secrets

    scanner = secret_scanner()
    return lambda diff: redact_secrets(diff, scanner)


def redact_context(context: Context) -> Context:
    """Secrets pasted into a ticket or the repository's instructions do not reach the model either."""
    scrub = make_scrubber()
    tickets = tuple(
        t.model_copy(
            update={
                "description": scrub(t.description),
                "acceptance_criteria": tuple(scrub(c) for c in t.acceptance_criteria),
            }
        )
        for t in context.tickets
    )
    return context.model_copy(update={"instructions": scrub(context.instructions), "tickets": tickets})


def redact_target(target: ReviewTarget) -> ReviewTarget:
    """The target with its title and description (written by others) redacted like the diff."""
    if not (target.title or target.description):
        return target
    scrub = make_scrubber()
    return target.model_copy(
        update={
            "title": scrub(target.title) if target.title else target.title,
            "description": scrub(target.description) if target.description else target.description,
        }
    )
