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

    FakeLocalOpenAI a self-hosted OpenAI-compatible server that says what its model is, as
                    llama.cpp (/props, /tokenize), vLLM (max_model_len, /tokenize), LM Studio
                    (/api/v0/models/{model}) or a plain wrapper (context_length) do

Streamed answers (`stream: true`) come at a `Pace` (tests.fakes.streams): a slow first token,
steady slow tokens, a server that never answers, an error in the middle of the stream.

Endpoints for `enqueue(...)`: "chat", "show", "pull", "tags" (Ollama), "chat" (OpenAI and Azure),
"messages" (Anthropic). A Reply with `delay` makes the server wait before answering (a timeout).
The formats follow ollama/ollama docs/api.md, and the OpenAI and Anthropic SDKs' own types
(tests/providers/test_fakes.py checks them).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from tests.fakes.hosted_servers import FakeAnthropic, FakeOpenAI
from tests.fakes.http_fake import EMPTY_REVIEW, FakeService, Reply, Request
from tests.fakes.ollama_server import FakeOllama
from tests.fakes.streams import Pace

__all__ = [
    "EMPTY_REVIEW",
    "FakeAnthropic",
    "FakeLocalOpenAI",
    "FakeOllama",
    "FakeOpenAI",
    "FakeService",
    "Pace",
    "Reply",
    "Request",
]

Flavor = Literal["llamacpp", "vllm", "lmstudio", "plain", "silent"]


class FakeLocalOpenAI(FakeOpenAI):
    """An OpenAI-compatible server someone runs themselves, in one of the real servers' formats.

    `n_ctx` is the window it reports; `tokens_per_char` scales its /tokenize count (a model whose
    tokenizer needs more tokens than cl100k). "silent" says nothing about the window.
    """

    def __init__(
        self,
        flavor: Flavor = "llamacpp",
        *,
        model: str = "smollm2",
        n_ctx: int = 8192,
        tokens_per_char: float = 0.4,
    ) -> None:
        super().__init__(api_key="none")
        self.flavor = flavor
        self.model = model
        self.n_ctx = n_ctx
        self.tokens_per_char = tokens_per_char

    def _route(self, request: Request) -> Callable[[Request], Reply] | None:
        routes: dict[tuple[str, str], Callable[[Request], Reply]] = {("GET", "/v1/models"): self._models}
        if self.flavor == "llamacpp":
            routes[("GET", "/props")] = self._props
        if self.flavor in ("llamacpp", "vllm"):
            routes[("POST", "/tokenize")] = self._tokenize
        if self.flavor == "lmstudio":
            routes[("GET", f"/api/v0/models/{self.model}")] = self._lmstudio
        return routes.get((request.method, request.path)) or super()._route(request)

    def _models(self, request: Request) -> Reply:
        entry: dict[str, object] = {
            "id": self.model,
            "object": "model",
            "created": 1732600000,
            "owned_by": "local",
        }
        if self.flavor == "llamacpp":  # llama.cpp: the training context, not the server's n_ctx
            entry.update(
                owned_by="llamacpp", meta={"vocab_type": 2, "n_vocab": 49152, "n_ctx_train": 4 * self.n_ctx}
            )
        elif self.flavor == "vllm":
            entry.update(
                owned_by="vllm", root=self.model, parent=None, max_model_len=self.n_ctx, permission=[]
            )
        elif self.flavor == "plain":
            entry["context_length"] = self.n_ctx
        return Reply(200, {"object": "list", "data": [entry]})

    def _props(self, request: Request) -> Reply:
        return Reply(
            200,
            {
                "default_generation_settings": {"n_ctx": self.n_ctx, "params": {"n_predict": -1}},
                "total_slots": 1,
                "model_path": f"/models/{self.model}.gguf",
                "chat_template": "{{ messages }}",
                "build_info": "b4500-fake",
            },
        )

    def _tokenize(self, request: Request) -> Reply:
        body = request.body or {}
        text = str(body.get("content") if self.flavor == "llamacpp" else body.get("prompt", ""))
        n = max(1, round(len(text) * self.tokens_per_char)) if text else 0
        if self.flavor == "llamacpp":
            return Reply(200, {"tokens": list(range(n))})
        return Reply(200, {"count": n, "max_model_len": self.n_ctx, "tokens": list(range(n))})

    def _lmstudio(self, request: Request) -> Reply:
        return Reply(
            200,
            {"id": self.model, "object": "model", "type": "llm", "publisher": "lmstudio-community",
             "arch": "llama", "compatibility_type": "gguf", "quantization": "Q4_K_M", "state": "loaded",
             "max_context_length": 4 * self.n_ctx, "loaded_context_length": self.n_ctx},
        )  # fmt: skip
