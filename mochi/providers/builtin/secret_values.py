"""Judging and hiding secret values: redaction, Shannon entropy, placeholders."""

from __future__ import annotations

import math
from collections import Counter


def redact(value: str) -> str:
    """`AKIA************WXYZ`: at most the first and last 4 characters, fewer for short values."""
    keep = 4 if len(value) >= 16 else 2 if len(value) >= 10 else 0
    hidden = min(len(value) - 2 * keep, 12) if keep else 4  # a short value: not even its length
    return value[:keep] + "*" * hidden + (value[-keep:] if keep else "")


def entropy(value: str) -> float:
    """Shannon entropy in bits per character."""
    counts = Counter(value)
    n = len(value)
    return -sum(c / n * math.log2(c / n) for c in counts.values()) if n else 0.0


_PLACEHOLDER_WORDS = frozenset(
    [
        "changeme",
        "change_me",
        "change-me",
        "password",
        "passwd",
        "secret",
        "token",
        "xxx",
        "todo",
        "tbd",
        "example",
        "dummy",
        "test",
        "none",
        "null",
        "nil",
        "true",
        "false",
        "empty",
        "redacted",
        "required",
        "optional",
        "default",
    ]
)
_PLACEHOLDER_PARTS = (
    "example",
    "placeholder",
    "your_",
    "your-",
    "your.",
    "dummy",
    "fake",
    "sample",
    "replace",
)
_PLACEHOLDER_START = ("${", "{{", "$(", "%(", "#{", "%env(", "ENC(", "vault:", "!vault", "@", "$")


def is_placeholder(value: str) -> bool:
    """Values that stand for a secret rather than being one: ${DB_PASSWORD}, <your-token>, changeme..."""
    v = value.strip().strip("\"'`")
    lowered = v.lower()
    return (
        not v
        or lowered in _PLACEHOLDER_WORDS
        or v.startswith(_PLACEHOLDER_START)
        or (v.startswith("<") and v.endswith(">"))
        or len(set(v)) <= 2  # "xxxxxxxx", "********", "00000000"
        or any(part in lowered for part in _PLACEHOLDER_PARTS)
    )
