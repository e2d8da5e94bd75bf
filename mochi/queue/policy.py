"""Which failures of a queued review are worth another attempt, and how many attempts there are."""

from __future__ import annotations

from mochi.errors import MochiError
from mochi.queue.review import NoCredentials

MAX_ATTEMPTS = 4


def transient(exc: BaseException) -> bool:
    """Whether trying again later may succeed."""
    import httpx

    if isinstance(exc, NoCredentials):
        return False
    if isinstance(exc, httpx.TransportError | TimeoutError | ConnectionError):
        return True
    status = getattr(exc, "status", None)
    if isinstance(status, int):
        return status >= 500 or status in (408, 429)
    from mochi.errors import ModelNotFoundError, ProviderAuthError, ProviderError

    if isinstance(exc, ProviderError):
        return not isinstance(exc, ProviderAuthError | ModelNotFoundError)
    return not isinstance(exc, MochiError)  # an unexpected crash: once more; our own errors say why
