"""Judging and hiding secret values: redaction, Shannon entropy, placeholders, expired tokens."""

from __future__ import annotations

import base64
import json
import math
import re
import time
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
# a template marker: a name wrapped in the same punctuation on both sides (mirrored for brackets), the
# syntax of some templating tool: ^_^password^_^, %DB_PASSWORD%, __DB_PASSWORD__, [[password]], <pwd>
_MARKER = re.compile(
    r"^([^A-Za-z0-9\s]+)([a-z]+(?:[_.\-][a-z0-9]+)*|[A-Z]+(?:_[A-Z0-9]+)*|[a-z]+(?:[A-Z][a-z0-9]+)+)"
    r"([^A-Za-z0-9\s]+)$"
)
_MIRROR = str.maketrans("{[(<", "}])>")
# the word for the secret, run together with the words around it: yourpassword, YourApiKey, mytoken,
# password_here, enter-your-secret
_SECRET_WORD = r"(?:password|passwd|passwort|pass|pwd|secret|token|(?:api|access|auth|secret)?[_.\-]?key)"
_PLACEHOLDER_PHRASE = re.compile(
    rf"^(?:(?:enter|insert|put|set)[_.\-]?)?(?:your[_.\-]?\w+|(?:my|some)[_.\-]?{_SECRET_WORD})$"
    rf"|^{_SECRET_WORD}[_.\-]?(?:goes[_.\-]?)?here$",
    re.IGNORECASE,
)


def is_template_marker(value: str) -> bool:
    """A name between matching punctuation, as templating tools write their slots (`^_^password^_^`,
    `%DB_PASSWORD%`, `__DB_PASSWORD__`, `[[password]]`): filled in later, not a value."""
    match = _MARKER.match(value)
    return match is not None and match.group(3) == match.group(1)[::-1].translate(_MIRROR)


def is_placeholder(value: str) -> bool:
    """Values that stand for a secret rather than being one: ${DB_PASSWORD}, <your-token>, changeme,
    yourpassword, ^_^password^_^..."""
    v = value.strip().strip("\"'`")
    lowered = v.lower()
    return (
        not v
        or lowered in _PLACEHOLDER_WORDS
        or v.startswith(_PLACEHOLDER_START)
        or (v.startswith("<") and v.endswith(">"))
        or len(set(v)) <= 2  # "xxxxxxxx", "********", "00000000"
        or any(part in lowered for part in _PLACEHOLDER_PARTS)
        or is_template_marker(v)
        or bool(_PLACEHOLDER_PHRASE.match(v))
    )


_WORD_AND_DIGITS = re.compile(r"^[A-Za-z][a-z]+[0-9]{0,4}[!?.*#]?$")  # password1, Passwort, Kennwort12
_SHORT = 12  # characters: below this a literal must mix character classes to look random


def _classes(value: str) -> int:
    """How many of lower case, upper case, digits and other characters `value` uses."""
    return (
        any(c.islower() for c in value)
        + any(c.isupper() for c in value)
        + any(c.isdigit() for c in value)
        + any(not c.isalnum() for c in value)
    )


def looks_random(value: str, bits: float) -> bool:
    """A literal random enough to be a generated credential.

    The Shannon entropy must reach `bits` per character (less for short values, whose entropy cannot
    be high), a value shorter than 12 characters must also mix three character classes, and a word
    with a digit or two (`password1`, `Passwort`) never counts, whatever its entropy.
    """
    if _WORD_AND_DIGITS.match(value) or (len(value) < _SHORT and _classes(value) < 3):
        return False
    return entropy(value) >= min(bits, 0.9 * math.log2(len(value)))


def jwt_expired(token: str, now: float | None = None) -> bool:
    """True when a JSON Web Token's payload has an `exp` (seconds since the epoch) in the past.

    An expired token grants nothing. A payload that does not decode, or has no numeric exp, is not
    known to be expired (False).
    """
    parts = token.split(".")
    if len(parts) < 2:
        return False
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload))
    except (ValueError, UnicodeDecodeError):
        return False
    expiry = claims.get("exp") if isinstance(claims, dict) else None
    if isinstance(expiry, bool) or not isinstance(expiry, int | float):
        return False
    return expiry < (time.time() if now is None else now)


# passwords every local database, broker or keystore ships with: next to a localhost URL they are the
# documented development setup, not a secret
_LOCAL_DEFAULTS = frozenset(
    {
        "root",
        "toor",
        "password",
        "pass",
        "passwd",
        "postgres",
        "mysql",
        "admin",
        "administrator",
        "changeit",
        "secret",
        "guest",
        "sa",
        "123",
        "1234",
        "12345",
        "123456",
        "1234567",
        "12345678",
        "123456789",
        "test",
        "dev",
        "local",
        "demo",
        "user",
        "admin123",
        "root123",
        "password123",
        "minioadmin",
        "rabbitmq",
        "redis",
        "mongo",
        "neo4j",
        "oracle",
    }
)
_LOCAL_HOST = re.compile(
    r"(?i)(?<![\w.\-])(?:localhost|127\.0\.0\.1|\[::1\]|host\.docker\.internal)(?![\w\-]|\.\w)"
)
# a dependency's version in a package manifest ("password-validator": "^5.3.0", password-hash = "0.5")
_VERSION_SPEC = re.compile(
    r"^(?:[\^~<>=]{0,2}v?\d+(?:\.(?:\d+|x|\*))*(?:[\-+][\w.\-]+)?|\*|latest|next"
    r"|(?:workspace|npm|file|link|github|git\+\w+|https?):\S+)$"
)


def is_local_default(value: str) -> bool:
    """root, postgres, changeit, 123456...: the password a local database or keystore ships with."""
    return value.lower() in _LOCAL_DEFAULTS


def points_at_localhost(text: str) -> bool:
    """The text names this machine (localhost, 127.0.0.1, [::1], host.docker.internal)."""
    return _LOCAL_HOST.search(text) is not None


def is_version_spec(value: str) -> bool:
    """A dependency's version or source: ^5.3.0, ~2.0.1, 0.5, *, latest, workspace:*, git+https://..."""
    return _VERSION_SPEC.match(value) is not None


# what every secret finding says to do
ROTATE = (
    "Remove it from the change, revoke and rotate it (it is in the history now), and load it at run time "
    "from the environment or a secret manager."
)
