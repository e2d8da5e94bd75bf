"""Is a webhook delivery from who it says? GitHub signs the body, GitLab sends a shared token.

GitHub: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body, keyed with the webhook
secret>` (https://docs.github.com/webhooks/using-webhooks/validating-webhook-deliveries).
GitLab: `X-Gitlab-Token: <the secret token set on the webhook>`. Both compare in constant time,
and an empty secret never matches, so an unconfigured server accepts nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import string

_PREFIX = "sha256="
_HEX = frozenset(string.hexdigits)


def github_signature_ok(secret: str, body: bytes, header: str | None) -> bool:
    """True when `header` (X-Hub-Signature-256) is the HMAC-SHA256 of `body` keyed with `secret`.

    A missing or malformed header, or an empty secret, is False; the body must be the raw bytes
    received (the signature is over them, not over re-serialized JSON).
    """
    if not secret or not header or not header.startswith(_PREFIX):
        return False
    given = header[len(_PREFIX) :].strip().lower()
    if len(given) != hashlib.sha256().digest_size * 2 or not _HEX.issuperset(given):
        return False
    expected = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, given)


def gitlab_token_ok(expected: str, header: str | None) -> bool:
    """True when `header` (X-Gitlab-Token) equals the configured secret token; an empty one never does."""
    if not expected or header is None:
        return False
    return hmac.compare_digest(expected.encode("utf-8"), header.encode("utf-8"))
