"""Who is asking: `Authorization: Bearer <key>` checked against api_keys, and the role a route needs.

reader < reviewer < admin; each role may do what the ones before it may. /healthz, /readyz and
/metrics need no key. A key never reaches a log line or a response.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from mochi.server.envelope import ApiError
from mochi.store.apikeys import authenticate, role_rank

_BEARER = HTTPBearer(auto_error=False, description="An API key from `mochi apikeys create`.")
_CHALLENGE = {"WWW-Authenticate": "Bearer"}


def require(role: str) -> Callable[..., dict[str, Any]]:
    """A dependency: the caller's key (its `key_dict`), which must have at least `role`."""
    needed = role_rank(role)

    def dependency(
        request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_BEARER)]
    ) -> dict[str, Any]:
        if credentials is None or credentials.scheme.lower() != "bearer" or not credentials.credentials:
            raise ApiError(401, "an API key is required: `Authorization: Bearer <key>`", headers=_CHALLENGE)
        state = request.app.state
        key = authenticate(state.engine, credentials.credentials.strip(), now=state.clock())
        if key is None:
            raise ApiError(401, "the API key is not valid, or was revoked", headers=_CHALLENGE)
        if role_rank(key["role"]) < needed:
            raise ApiError(403, f"this needs the role '{role}'; the key '{key['name']}' is a {key['role']}")
        request.state.api_key = key
        return key

    return dependency


reader = Depends(require("reader"))
reviewer = Depends(require("reviewer"))
admin = Depends(require("admin"))
