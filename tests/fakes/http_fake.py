"""The recording, scriptable loopback HTTP server the service fakes are built on (see llm_servers.py)."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar, Self
from urllib.parse import parse_qsl, urlsplit

EMPTY_REVIEW = json.dumps(
    {
        "comments": [],
        "summary": {"overall_assessment": "No issues found.", "key_concerns": [], "recommendations": []},
    }
)


@dataclass(frozen=True)
class Request:
    """One request as the fake received it."""

    method: str
    path: str  # without the query string
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names
    body: Any  # the parsed JSON body, the raw text when it is not JSON, None when empty


@dataclass
class Reply:
    """One scripted answer: a JSON body (or raw text), or NDJSON `lines` for a stream."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    lines: list[Any] | None = None
    # True for the enqueue_chat() helpers: `body` holds what the model says, which the fake wraps
    # in the service's full answer; False: the reply is sent exactly as scripted.
    template: bool = False
    # True: the request is applied as usual and then answered with this reply instead (a 502 from a
    # proxy after the service wrote the review: a blind retry would post it twice)
    after_applying: bool = False
    # A body written piece by piece (chunked): each (seconds to wait first, bytes). A slow or
    # stalling model: the client sees the status and headers at once, then the pieces as they come.
    stream: list[tuple[float, bytes]] | None = None


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in separate writes: without this, Nagle's algorithm and the
        # client's delayed ACK add ~40 ms to every answer.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep test output clean

    def _handle(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body: Any = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode("utf-8", "replace")
        url = urlsplit(self.path)
        request = Request(
            method=self.command,
            path=url.path,
            query=dict(parse_qsl(url.query)),
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
        )
        service = self.server.service
        reply = service._dispatch(request)
        if reply.delay and service._closing.wait(reply.delay):
            return
        if reply.stream is not None:
            self._write_stream(reply)
            return
        if reply.lines is not None:
            payload = "".join(json.dumps(line) + "\n" for line in reply.lines).encode()
            content_type = "application/x-ndjson"
        elif reply.body is None:
            payload, content_type = b"", "application/json"
        elif isinstance(reply.body, str | bytes):
            payload = reply.body.encode() if isinstance(reply.body, str) else reply.body
            content_type = "text/plain; charset=utf-8"
        else:
            payload, content_type = json.dumps(reply.body).encode(), "application/json; charset=utf-8"
        try:
            self.send_response(reply.status)
            headers = {"content-type": content_type, **{k.lower(): v for k, v in reply.headers.items()}}
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout test): nothing to answer

    def _write_stream(self, reply: Reply) -> None:
        closing = self.server.service._closing
        try:
            self.send_response(reply.status)
            headers = {
                "content-type": "text/event-stream",
                **{k.lower(): v for k, v in reply.headers.items()},
            }
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("transfer-encoding", "chunked")
            self.end_headers()
            self.wfile.flush()
            for delay, piece in reply.stream or ():
                if delay and closing.wait(delay):
                    return
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                self.wfile.flush()
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass

    do_GET = do_POST = do_DELETE = do_HEAD = do_PATCH = do_PUT = _handle


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, service: FakeService) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.service = service


class FakeService:
    """The recording, scriptable HTTP server shared by the fakes."""

    endpoints: ClassVar[tuple[str, ...]] = ()

    def __init__(self) -> None:
        self.requests: list[Request] = []
        self._queues: dict[str, deque[Reply]] = {name: deque() for name in self.endpoints}
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._server: _Server | None = None

    # ------------------------------------------------------------------ lifecycle

    @classmethod
    @contextlib.contextmanager
    def start(cls, *args: Any, **kwargs: Any) -> Iterator[Self]:
        """Run the fake on a free loopback port for the duration of the `with` block."""
        fake = cls(*args, **kwargs)
        fake._server = _Server(fake)
        thread = threading.Thread(target=fake._server.serve_forever, kwargs={"poll_interval": 0.01})
        thread.daemon = True
        thread.start()
        try:
            yield fake
        finally:
            fake._closing.set()
            fake._server.shutdown()
            fake._server.server_close()
            thread.join(timeout=5)

    @property
    def url(self) -> str:
        assert self._server is not None, "use the fake inside `with Fake.start() as fake:`"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    # ------------------------------------------------------------------ scripting and recording

    def enqueue(self, endpoint: str, reply: Reply | None = None, **fields: Any) -> None:
        """Queue a reply for `endpoint` (see the module docstring); fields build a Reply."""
        if endpoint not in self._queues:
            raise ValueError(f"{type(self).__name__} has no endpoint {endpoint!r}: {self.endpoints}")
        with self._lock:
            self._queues[endpoint].append(reply or Reply(**fields))

    def requests_to(self, path: str) -> list[Request]:
        """The recorded requests whose path is `path` (or ends with it)."""
        with self._lock:
            return [r for r in self.requests if r.path == path or r.path.endswith(path)]

    def _next(self, endpoint: str) -> Reply | None:
        with self._lock:
            queue = self._queues[endpoint]
            return queue.popleft() if queue else None

    def _dispatch(self, request: Request) -> Reply:
        with self._lock:
            self.requests.append(request)
        handler = self._route(request)
        if handler is None:
            return Reply(404, {"error": f"no route for {request.method} {request.path}"})
        return handler(request)

    def _route(self, request: Request) -> Callable[[Request], Reply] | None:
        raise NotImplementedError


def now_iso() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000000Z", time.gmtime())


def count_tokens(text: str) -> int:
    return max(1, len(text) // 4)
