"""A TCP proxy on loopback that can stop forwarding: a database that hangs mid-review.

While `frozen` is False it forwards bytes both ways; once set, it keeps every connection open and
silently drops what arrives, as a dead host behind a load balancer or a wedged proxy does (no RST,
no FIN: a client without its own timeouts waits forever).
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator


class FreezableProxy:
    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.frozen = False
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port = self._server.getsockname()[1]
        self._sockets: list[socket.socket] = []
        self._closing = threading.Event()

    @classmethod
    @contextlib.contextmanager
    def start(cls, upstream: tuple[str, int]) -> Iterator[FreezableProxy]:
        proxy = cls(upstream)
        thread = threading.Thread(target=proxy._accept, daemon=True)
        thread.start()
        try:
            yield proxy
        finally:
            proxy._closing.set()
            for sock in [proxy._server, *proxy._sockets]:
                with contextlib.suppress(OSError):
                    sock.close()

    def _accept(self) -> None:
        while not self._closing.is_set():
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.upstream)
            self._sockets += [client, upstream]
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(src, dst), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        while not self._closing.is_set():
            try:
                data = src.recv(65536)
            except OSError:
                return
            if not data:
                return
            if self.frozen:
                continue  # swallowed: the other side hears nothing, and nothing closes
            try:
                dst.sendall(data)
            except OSError:
                return
