"""Built-in checks: a fast, offline reviewer that needs no model server.

`BuiltinReviewer(rules).review(diff, read_file)` runs the rule packs (secrets, Java/Spring,
JavaScript/TypeScript/React, Rust/actix-web, generic) over what a change adds. `RULES` lists them.
"""

from __future__ import annotations

from mochi.providers.builtin.engine import BuiltinReviewer
from mochi.providers.builtin.registry import RULES
from mochi.providers.builtin.rule import ANY_LANGUAGE, Hit, Options, Rule

__all__ = ["ANY_LANGUAGE", "RULES", "BuiltinReviewer", "Hit", "Options", "Rule"]
