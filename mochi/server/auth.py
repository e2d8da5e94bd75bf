"""Who is asking: `Authorization: Bearer <key>` checked against api_keys, and the role a route needs.

reader < reviewer < admin; each role may do what the ones before it may. /healthz, /readyz and
/metrics need no key. A key never reaches a log line or a response.

A valid key is remembered by its hash for `KeyCache.ttl_s` (5 s): the database is asked once per
key and interval, not on every request, so a key revoked by `mochi apikeys revoke` (another
process) stops working within 5 s on a running server; one revoked over `DELETE /api/keys/{name}`
stops at once on the server that revoked it (the cache is cleared). Unknown keys are never cached.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from mochi.server.envelope import ApiError
from mochi.store.apikeys import PREFIX, authenticate, hash_key, role_rank

_BEARER = HTTPBearer(auto_error=False, description="An API key from `mochi apikeys create`.")
_CHALLENGE = {"WWW-Authenticate": "Bearer"}


class KeyCache:
    """Valid keys by hash, each for `ttl_s` seconds of `clock` (monotonic); at most `size` of them."""

    def __init__(self, ttl_s: float = 5.0, size: int = 10_000, clock: Callable[[], float] = time.monotonic):
        self.ttl_s = ttl_s
        self.size = size
        self._clock = clock
        self._keys: dict[str, tuple[float, dict[str, Any]]] = {}
        self._lock = threading.Lock()

    def get(self, digest: str) -> dict[str, Any] | None:
        found = self._keys.get(digest)
        if found is None or found[0] <= self._clock():
            return None
        return found[1]

    def put(self, digest: str, key: dict[str, Any]) -> None:
        if self.ttl_s <= 0:
            return
        with self._lock:
            if len(self._keys) >= self.size:
                self._keys.clear()
            self._keys[digest] = (self._clock() + self.ttl_s, key)

    def clear(self) -> None:
        with self._lock:
            self._keys.clear()


def require(role: str) -> Callable[..., Any]:
    """A dependency: the caller's key (its `key_dict`), which must have at least `role`."""
    needed = role_rank(role)

    async def dependency(
        request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_BEARER)]
    ) -> dict[str, Any]:
        if credentials is None or credentials.scheme.lower() != "bearer" or not credentials.credentials:
            raise ApiError(401, "an API key is required: `Authorization: Bearer <key>`", headers=_CHALLENGE)
        state = request.app.state
        secret = credentials.credentials.strip()
        cache: KeyCache | None = getattr(state, "key_cache", None)
        digest = hash_key(secret) if secret.startswith(PREFIX) and len(secret) <= 256 else ""
        key = cache.get(digest) if cache is not None and digest else None
        if key is None:
            key = await run_in_threadpool(authenticate, state.engine, secret, now=state.clock())
            if key is None:
                raise ApiError(401, "the API key is not valid, or was revoked", headers=_CHALLENGE)
            if cache is not None:
                cache.put(digest, key)
        if role_rank(key["role"]) < needed:
            raise ApiError(403, f"this needs the role '{role}'; the key '{key['name']}' is a {key['role']}")
        request.state.api_key = key
        return key

    return dependency


reader = Depends(require("reader"))
reviewer = Depends(require("reviewer"))
admin = Depends(require("admin"))
