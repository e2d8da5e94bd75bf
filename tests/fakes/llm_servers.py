"""Loopback fakes of the model services, answering in each service's documented format.

Each fake is a threaded `http.server` on 127.0.0.1 (a free port). It records every request it
receives and can be scripted with a queue of replies per endpoint; when a queue is empty it gives
the service's normal answer (a valid, empty review).

    from tests.fakes.llm_servers import FakeOllama, FakeOpenAI, FakeAnthropic

    with FakeOllama.start(models={"qwen2.5-coder:7b": 32768}) as ollama:
        ollama.enqueue_chat('{"comments": [], "summary": {...}}')   # what the model answers
        ollama.enqueue_error("chat", 503, "server busy")              # or a failure
        ... point OLLAMA_HOST (or ollama.Client(host=...)) at ollama.url ...
        ollama.requests                    # every Request: method, path, query, headers, body
        ollama.requests_to("/api/chat")    # only those to one path

    FakeOllama      /api/chat /api/show /api/pull /api/tags          url: http://127.0.0.1:PORT
    FakeOpenAI      /v1/chat/completions, and Azure's
                    /openai/deployments/{deployment}/chat/completions?api-version=...
                                                                     openai_base_url: url + "/v1"
    FakeAnthropic   /v1/messages                                     base url: url

Endpoints for `enqueue(...)`: "chat", "show", "pull", "tags" (Ollama), "chat" (OpenAI and Azure),
"messages" (Anthropic). A Reply with `delay` makes the server wait before answering (a timeout).
The formats follow ollama/ollama docs/api.md, and the OpenAI and Anthropic SDKs' own types
(tests/providers/test_fakes.py checks them).
"""

from __future__ import annotations

from tests.fakes.hosted_servers import FakeAnthropic, FakeOpenAI
from tests.fakes.http_fake import EMPTY_REVIEW, FakeService, Reply, Request
from tests.fakes.ollama_server import FakeOllama

__all__ = ["EMPTY_REVIEW", "FakeAnthropic", "FakeOllama", "FakeOpenAI", "FakeService", "Reply", "Request"]
