"""Streamed answers for the model fakes, and how fast (or how badly) they come: a `Pace`.

    Pace(first_token_s=30)                 the prompt takes 30 s to read, then the answer flows
    Pace(token_s=0.2, pieces=20)           a steady, slow model: 20 pieces, 0.2 s apart
    Pace(first_token_s=3600)               a server that takes the request and never answers
    Pace(fail_after=3, error="CUDA error") a 5xx in the middle of the stream (an error event)

Ollama streams NDJSON (docs/api.md), OpenAI-compatible servers SSE `data:` events ending with
`data: [DONE]` (with `stream_options.include_usage`, a last chunk with the usage and no choices).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from tests.fakes.http_fake import Reply, now_iso


@dataclass(frozen=True)
class Pace:
    first_token_s: float = 0.0
    token_s: float = 0.0
    pieces: int = 4
    fail_after: int | None = None
    error: str = "llama runner process has terminated: signal: killed"


def split(text: str, pieces: int) -> list[str]:
    """`text` in `pieces` consecutive parts (fewer for a short text)."""
    n = max(1, min(pieces, len(text)))
    size = -(-len(text) // n) if text else 1
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]


def _timed(events: list[bytes], pace: Pace, tail: list[bytes]) -> list[tuple[float, bytes]]:
    out: list[tuple[float, bytes]] = []
    for i, event in enumerate(events):
        if pace.fail_after is not None and i == pace.fail_after:
            return out
        out.append((pace.first_token_s if i == 0 else pace.token_s, event))
    return out + [(0.0, t) for t in tail]


def ollama_stream(final: dict[str, Any], pace: Pace) -> Reply:
    """Ollama's /api/chat stream: one line per piece, then the statistics (`final` is the whole answer)."""
    model, content = final["model"], final["message"]["content"]
    lines = [
        json.dumps({"model": model, "created_at": now_iso(), "message": {"role": "assistant", "content": p},
                    "done": False}).encode() + b"\n"
        for p in split(content, pace.pieces)
    ]  # fmt: skip
    last = json.dumps({**final, "message": {"role": "assistant", "content": ""}}).encode() + b"\n"
    stream = _timed(lines, pace, [last])
    if pace.fail_after is not None:
        stream.append((pace.token_s, json.dumps({"error": pace.error}).encode() + b"\n"))
    return Reply(200, stream=stream, headers={"content-type": "application/x-ndjson"})


def openai_stream(body: dict[str, Any], pace: Pace, *, include_usage: bool) -> Reply:
    """An OpenAI chat.completion.chunk SSE stream of the whole answer `body` (a chat.completion)."""
    choice = body["choices"][0]
    content = choice["message"]["content"] or ""
    base = {"id": body["id"], "object": "chat.completion.chunk", "created": int(time.time()),
            "model": body["model"], "system_fingerprint": "fp_fake"}  # fmt: skip

    def event(obj: dict[str, Any]) -> bytes:
        return b"data: " + json.dumps(obj).encode() + b"\n\n"

    def chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
        return event(
            {**base, "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]}
        )

    pieces = [chunk({"role": "assistant", "content": p}) for p in split(content, pace.pieces)]
    if choice["message"].get("refusal"):
        pieces = [chunk({"role": "assistant", "content": None, "refusal": choice["message"]["refusal"]})]
    tail = [chunk({}, choice["finish_reason"])]
    if include_usage:
        tail.append(event({**base, "choices": [], "usage": body["usage"]}))
    tail.append(b"data: [DONE]\n\n")
    stream = _timed(pieces, pace, tail)
    if pace.fail_after is not None:
        error = {"error": {"message": pace.error, "type": "server_error", "param": None, "code": None}}
        stream.append((pace.token_s, event(error)))
    return Reply(200, stream=stream)
