"""FakeOllama: Ollama's REST API as ollama/ollama docs/api.md documents it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from tests.fakes.http_fake import EMPTY_REVIEW, FakeService, Reply, Request, count_tokens, now_iso
from tests.fakes.streams import Pace, ollama_stream


def _tagged(model: str) -> str:
    return model if ":" in model else f"{model}:latest"


class FakeOllama(FakeService):
    """Ollama's REST API (docs/api.md): chat, show, pull, tags.

    `models` maps each installed model to its context length (what /api/show reports). A model
    that is not installed answers 404 `{"error": "model 'x' not found"}` on chat and show; pulling
    it installs it with `pull_context_length` unless `pullable` is False.
    """

    endpoints = ("chat", "show", "pull", "tags")

    def __init__(
        self,
        models: Mapping[str, int] | None = None,
        *,
        pullable: bool = True,
        pull_context_length: int = 32768,
    ) -> None:
        super().__init__()
        installed = models if models is not None else {"qwen2.5-coder:7b": 32768}
        self.models: dict[str, int] = {_tagged(m): n for m, n in installed.items()}
        self.pullable = pullable
        self.pull_context_length = pull_context_length

    def enqueue_chat(
        self,
        content: str,
        *,
        prompt_eval_count: int | None = None,
        eval_count: int | None = None,
        done_reason: str = "stop",
        delay: float = 0.0,
        pace: Pace | None = None,
    ) -> None:
        """Queue what the model answers to the next /api/chat (the message content, verbatim);
        `pace` streams it slowly or breaks it off (see tests.fakes.streams)."""
        self.enqueue(
            "chat",
            Reply(
                body={
                    "content": content,
                    "prompt_eval_count": prompt_eval_count,
                    "eval_count": eval_count,
                    "done_reason": done_reason,
                    "pace": pace,
                },
                template=True,
                delay=delay,
            ),
        )

    def enqueue_error(self, endpoint: str, status: int, message: str, **fields: Any) -> None:
        """Queue an error the way Ollama sends one: `{"error": message}` with the status."""
        self.enqueue(endpoint, Reply(status, {"error": message}, **fields))

    def _route(self, request: Request) -> Callable[[Request], Reply] | None:
        return {
            ("POST", "/api/chat"): self._chat,
            ("POST", "/api/show"): self._show,
            ("POST", "/api/pull"): self._pull,
            ("GET", "/api/tags"): self._tags,
        }.get((request.method, request.path))

    def _not_found(self, model: str) -> Reply:
        return Reply(404, {"error": f"model '{model}' not found"})

    def _chat(self, request: Request) -> Reply:
        body = request.body or {}
        model = str(body.get("model", ""))
        if _tagged(model) not in self.models:
            return self._not_found(model)
        scripted = self._next("chat")
        if scripted is not None and not scripted.template:
            return scripted  # an error or a raw reply, sent as scripted
        spec = scripted.body if scripted is not None else {}
        content = spec.get("content", EMPTY_REVIEW)
        prompt_text = "".join(str(m.get("content", "")) for m in body.get("messages", []))
        final = self.chat_response(
            model,
            content,
            prompt_eval_count=spec.get("prompt_eval_count") or count_tokens(prompt_text),
            eval_count=spec.get("eval_count") or count_tokens(content),
            done_reason=spec.get("done_reason", "stop"),
        )
        delay = scripted.delay if scripted is not None else 0.0
        if body.get("stream", True) is False:
            return Reply(200, final, delay=delay)
        if spec.get("pace") is not None:
            return ollama_stream(final, spec["pace"])
        # Streaming (the API's default): the content in one chunk, then the final statistics.
        chunk = {"model": model, "created_at": now_iso(), "message": final["message"], "done": False}
        last = {**final, "message": {"role": "assistant", "content": ""}}
        return Reply(200, lines=[chunk, last], delay=delay)

    @staticmethod
    def chat_response(
        model: str, content: str, *, prompt_eval_count: int, eval_count: int, done_reason: str = "stop"
    ) -> dict[str, Any]:
        """A non-streaming /api/chat answer with every field docs/api.md documents."""
        return {
            "model": model,
            "created_at": now_iso(),
            "message": {"role": "assistant", "content": content},
            "done_reason": done_reason,
            "done": True,
            "total_duration": 2_254_970_291,
            "load_duration": 574_751_416,
            "prompt_eval_count": prompt_eval_count,
            "prompt_eval_duration": 1_502_000_000,
            "eval_count": eval_count,
            "eval_duration": 175_000_000,
        }

    def _show(self, request: Request) -> Reply:
        model = str((request.body or {}).get("model", ""))
        if _tagged(model) not in self.models:
            return self._not_found(model)
        scripted = self._next("show")
        if scripted is not None:
            return scripted
        arch = "qwen2"
        return Reply(
            200,
            {
                "modelfile": f'# Modelfile generated by "ollama show"\nFROM {model}\n',
                "parameters": 'stop                           "<|im_end|>"',
                "template": "{{ if .System }}<|im_start|>system\n{{ .System }}<|im_end|>\n{{ end }}",
                "details": {
                    "parent_model": "",
                    "format": "gguf",
                    "family": arch,
                    "families": [arch],
                    "parameter_size": "7.6B",
                    "quantization_level": "Q4_K_M",
                },
                "model_info": {
                    "general.architecture": arch,
                    "general.file_type": 15,
                    "general.parameter_count": 7_615_616_512,
                    "general.quantization_version": 2,
                    f"{arch}.attention.head_count": 28,
                    f"{arch}.block_count": 28,
                    f"{arch}.context_length": self.models[_tagged(model)],
                    f"{arch}.embedding_length": 3584,
                    "tokenizer.ggml.model": "gpt2",
                },
                "capabilities": ["completion", "tools"],
                "modified_at": "2024-12-06T00:46:58.265747Z",
            },
        )

    def _pull(self, request: Request) -> Reply:
        body = request.body or {}
        model = str(body.get("model", ""))
        scripted = self._next("pull")
        if scripted is not None:
            return scripted
        if not self.pullable:
            lines: list[Any] = [
                {"status": "pulling manifest"},
                {"error": "pull model manifest: file does not exist"},
            ]
            return (
                Reply(200, lines=lines)
                if body.get("stream", True)
                else Reply(500, {"error": lines[1]["error"]})
            )
        with self._lock:
            self.models[_tagged(model)] = self.pull_context_length
        if body.get("stream", True) is False:
            return Reply(200, {"status": "success"})
        digest = "sha256:" + "ab" * 32
        total = 4_683_073_184
        return Reply(
            200,
            lines=[
                {"status": "pulling manifest"},
                {"status": f"pulling {digest[7:19]}", "digest": digest, "total": total},
                {"status": f"pulling {digest[7:19]}", "digest": digest, "total": total, "completed": total},
                {"status": "verifying sha256 digest"},
                {"status": "writing manifest"},
                {"status": "success"},
            ],
        )

    def _tags(self, request: Request) -> Reply:
        scripted = self._next("tags")
        if scripted is not None:
            return scripted
        with self._lock:
            names = list(self.models)
        return Reply(
            200,
            {
                "models": [
                    {
                        "name": name,
                        "model": name,
                        "modified_at": "2024-12-06T00:46:58.265747Z",
                        "size": 4_683_073_184,
                        "digest": "ab" * 32,
                        "details": {
                            "format": "gguf",
                            "family": "qwen2",
                            "families": None,
                            "parameter_size": "7.6B",
                            "quantization_level": "Q4_K_M",
                        },
                    }
                    for name in names
                ]
            },
        )
