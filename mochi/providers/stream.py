"""What a streaming model call shares: its timing (time to first token, tokens/s) and a heartbeat.

A slow model on a CPU can think for minutes before its first token. The providers stream, so a
model that is working is told apart from one that is dead (the inactivity timeout, `timeout_s`,
counts from the last token, not from the start), and the user sees it working: every
`heartbeat_s` seconds a progress line such as "chunk 1/3: 45 s, 312 tokens so far".

`labelled("chunk 1/3")` names the calls made inside it (per thread): the LLM pass knows which
chunk it is asking about, the provider does not.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

Progress = Callable[[str], None]

_local = threading.local()


@contextlib.contextmanager
def labelled(label: str) -> Iterator[None]:
    """Name the model calls this thread makes inside the block (the heartbeat's prefix)."""
    previous = getattr(_local, "label", None)
    _local.label = label
    try:
        yield
    finally:
        _local.label = previous


def current_label() -> str | None:
    """The label `labelled` set for this thread, if any."""
    label = getattr(_local, "label", None)
    return label if isinstance(label, str) else None


@dataclass(frozen=True)
class Timing:
    """How a streamed answer came: seconds to the first token, and tokens per second after it."""

    duration_s: float
    first_token_s: float | None
    tokens_per_s: float | None


class StreamWatch:
    """Times one streamed answer and, while it runs, reports a heartbeat on `progress`.

    Use as a context manager around the stream; call `token(n)` for each piece received.
    """

    def __init__(
        self, what: str, progress: Progress | None, *, interval_s: float, streamed: bool = True
    ) -> None:
        self._what = current_label() or what
        self._waiting = "waiting for the first token" if streamed else "waiting for the answer (not streamed)"
        self._progress = progress
        self._interval = interval_s
        self._started = time.monotonic()
        self._first: float | None = None
        self._tokens = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> StreamWatch:
        self._started = time.monotonic()
        if self._progress is not None and self._interval > 0:
            self._thread = threading.Thread(target=self._beat, name="mochi-heartbeat", daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=1)

    def token(self, pieces: int = 1) -> None:
        """`pieces` more tokens arrived (a streamed chunk is about one token)."""
        if pieces <= 0:
            return
        if self._first is None:
            self._first = time.monotonic()
        self._tokens += pieces

    def timing(self, completion_tokens: int | None = None) -> Timing:
        """The timing so far; `completion_tokens` (the server's count) beats the pieces counted."""
        now = time.monotonic()
        first = None if self._first is None else self._first - self._started
        tokens = completion_tokens or self._tokens
        rate = None
        if self._first is not None and tokens > 1 and now - self._first > 0:
            rate = (tokens - 1) / (now - self._first)
        return Timing(duration_s=now - self._started, first_token_s=first, tokens_per_s=rate)

    def _beat(self) -> None:
        while not self._stop.wait(self._interval):
            elapsed = time.monotonic() - self._started
            if self._tokens:
                line = f"{self._what}: {elapsed:.0f} s, {self._tokens:,} tokens so far"
            else:
                line = f"{self._what}: {elapsed:.0f} s, {self._waiting}"
            assert self._progress is not None
            self._progress(line)
