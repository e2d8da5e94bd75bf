"""RULES: every built-in rule by id, in the order `mochi rules list` shows them."""

from __future__ import annotations

from mochi.providers.builtin import generic, java, javascript, react, rust, secrets
from mochi.providers.builtin.rule import Rule

RULES: dict[str, Rule] = {
    rule.id: rule
    for pack in (
        secrets.RULES,
        java.RULES,
        javascript.RULES,
        react.RULES,
        rust.RULES,
        generic.RULES,
    )
    for rule in pack
}
