"""The request body cap: a body over `max_bytes` is answered 413.

With a Content-Length over the cap, at once (the body is not read). Without one (chunked), the body
is read up to the cap first (at most `max_bytes` held in memory), then handed on.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mochi.server.envelope import Clock, error_body


class BodyLimit:
    """ASGI middleware: 413 for a body over the cap."""

    def __init__(self, app: ASGIApp, *, max_bytes: int, clock: Clock) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.clock = clock

    def _message(self) -> str:
        return f"the request body is over the server's limit of {self.max_bytes} bytes"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Reject or pass on the request."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope.get("headers") or []).get(b"content-length", b"")
        if length.isdigit() and int(length) > self.max_bytes:
            await self._reject(send)
            return
        if length.isdigit():
            await self.app(scope, receive, send)  # the server stops reading at Content-Length
            return
        # no Content-Length (chunked): read up to the cap first, then hand the body on
        body, more = bytearray(), True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            body += message.get("body", b"")
            more = bool(message.get("more_body", False))
            if len(body) > self.max_bytes:
                await self._reject(send)
                return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": bytes(body), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _reject(self, send: Send) -> None:
        body: Any = error_body("PAYLOAD_TOO_LARGE", self._message(), None, self.clock())
        raw = json.dumps(body).encode("utf-8")
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(raw)).encode())]
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": raw})
