"""FakeOpenAI (with Azure's deployment route) and FakeAnthropic, in the SDKs' documented formats."""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Callable
from typing import Any

from tests.fakes.http_fake import EMPTY_REVIEW, FakeService, Reply, Request, count_tokens
from tests.fakes.streams import Pace, openai_stream

_ids = itertools.count(1)


class FakeOpenAI(FakeService):
    """OpenAI's chat completions, and Azure OpenAI's deployment route.

    `api_key` is what the server accepts (Bearer for OpenAI, `api-key` for Azure); `models` and
    `deployments` are what it knows (None: anything).
    """

    endpoints = ("chat",)

    def __init__(
        self,
        *,
        api_key: str = "sk-test-0123456789abcdef",
        models: set[str] | None = None,
        deployments: set[str] | None = None,
    ) -> None:
        super().__init__()
        self.api_key = api_key
        self.models = models
        self.deployments = deployments

    def enqueue_chat(
        self,
        content: str | None,
        *,
        finish_reason: str = "stop",
        refusal: str | None = None,
        delay: float = 0.0,
        pace: Pace | None = None,
    ) -> None:
        """Queue what the model answers to the next chat completion (content verbatim); `pace`
        streams it slowly or breaks it off when the request asks for a stream (tests.fakes.streams)."""
        self.enqueue(
            "chat",
            Reply(
                body={"content": content, "finish_reason": finish_reason, "refusal": refusal, "pace": pace},
                template=True,
                delay=delay,
            ),
        )

    def enqueue_error(
        self, status: int, message: str, *, type: str = "server_error", code: str | None = None, **fields: Any
    ) -> None:
        """Queue an error in OpenAI's shape: `{"error": {"message", "type", "param", "code"}}`."""
        body = {"error": {"message": message, "type": type, "param": None, "code": code}}
        self.enqueue("chat", Reply(status, body, **fields))

    def _route(self, request: Request) -> Callable[[Request], Reply] | None:
        if request.method != "POST":
            return None
        if request.path in ("/v1/chat/completions", "/chat/completions"):
            return self._openai_chat
        parts = request.path.strip("/").split("/")
        if (
            len(parts) == 5
            and parts[:2] == ["openai", "deployments"]
            and parts[3:] == ["chat", "completions"]
        ):
            return self._azure_chat
        return None

    def _openai_chat(self, request: Request) -> Reply:
        sent = request.headers.get("authorization", "")
        if sent != f"Bearer {self.api_key}":
            shown = sent.removeprefix("Bearer ")
            masked = f"{shown[:3]}*****{shown[-4:]}" if len(shown) > 8 else "*****"
            return Reply(
                401,
                {
                    "error": {
                        "message": f"Incorrect API key provided: {masked}. You can find your API key at "
                        "https://platform.openai.com/account/api-keys.",
                        "type": "invalid_request_error",
                        "param": None,
                        "code": "invalid_api_key",
                    }
                },
            )
        model = str((request.body or {}).get("model", ""))
        if self.models is not None and model not in self.models:
            return Reply(
                404,
                {
                    "error": {
                        "message": f"The model `{model}` does not exist or you do not have access to it.",
                        "type": "invalid_request_error",
                        "param": None,
                        "code": "model_not_found",
                    }
                },
            )
        return self._completion(request, model)

    def _azure_chat(self, request: Request) -> Reply:
        deployment = request.path.strip("/").split("/")[2]
        if request.headers.get("api-key") != self.api_key:
            return Reply(
                401,
                {
                    "error": {
                        "code": "401",
                        "message": "Access denied due to invalid subscription key or wrong API endpoint. "
                        "Make sure to provide a valid key for an active subscription and use a correct "
                        "regional API endpoint for your resource.",
                    }
                },
            )
        if "api-version" not in request.query:
            return Reply(404, {"error": {"code": "404", "message": "Resource not found"}})
        if self.deployments is not None and deployment not in self.deployments:
            return Reply(
                404,
                {
                    "error": {
                        "code": "DeploymentNotFound",
                        "message": "The API deployment for this resource does not exist. If you created "
                        "the deployment within the last 5 minutes, please wait a moment and try again.",
                    }
                },
            )
        return self._completion(request, deployment)

    def _completion(self, request: Request, model: str) -> Reply:
        scripted = self._next("chat")
        if scripted is not None and not scripted.template:
            return scripted
        spec = scripted.body if scripted is not None else {}
        content = spec.get("content", EMPTY_REVIEW)
        prompt_text = "".join(str(m.get("content", "")) for m in (request.body or {}).get("messages", []))
        prompt_tokens = count_tokens(prompt_text)
        completion_tokens = count_tokens(content or "")
        body = {
            "id": f"chatcmpl-fake{next(_ids)}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content, "refusal": spec.get("refusal")},
                    "logprobs": None,
                    "finish_reason": spec.get("finish_reason", "stop"),
                }
            ],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
            "system_fingerprint": "fp_fake",
        }
        request_body = request.body or {}
        if request_body.get("stream"):
            include_usage = bool((request_body.get("stream_options") or {}).get("include_usage"))
            reply = openai_stream(body, spec.get("pace") or Pace(), include_usage=include_usage)
            reply.delay = scripted.delay if scripted is not None else 0.0
            return reply
        return Reply(200, body, delay=scripted.delay if scripted is not None else 0.0)


class FakeAnthropic(FakeService):
    """Anthropic's Messages API (`/v1/messages`), authenticated with `x-api-key` or a Bearer key."""

    endpoints = ("messages",)

    def __init__(
        self, *, api_key: str = "sk-ant-test-0123456789abcdef", models: set[str] | None = None
    ) -> None:
        super().__init__()
        self.api_key = api_key
        self.models = models

    def enqueue_chat(self, content: str, *, delay: float = 0.0) -> None:
        """Queue the model's answer: a JSON object becomes the forced tool's input, else a text block."""
        try:
            parsed = json.loads(content)
        except ValueError:
            parsed = None
        if isinstance(parsed, dict):
            self.enqueue_tool_input(parsed, delay=delay)
        else:
            self.enqueue_text(content, delay=delay)

    def enqueue_tool_input(self, value: dict[str, Any], *, delay: float = 0.0) -> None:
        """Queue an answer that calls the requested tool with `value` as its input."""
        self.enqueue("messages", Reply(body={"tool_input": value}, template=True, delay=delay))

    def enqueue_text(self, text: str, *, delay: float = 0.0) -> None:
        """Queue an answer that is only a text block (a model that ignored the tool)."""
        self.enqueue("messages", Reply(body={"text": text}, template=True, delay=delay))

    def enqueue_error(self, status: int, message: str, *, type: str = "api_error", **fields: Any) -> None:
        """Queue an error in Anthropic's shape: `{"type": "error", "error": {"type", "message"}}`."""
        self.enqueue(
            "messages",
            Reply(status, {"type": "error", "error": {"type": type, "message": message}}, **fields),
        )

    def _route(self, request: Request) -> Callable[[Request], Reply] | None:
        if request.method == "POST" and request.path == "/v1/messages":
            return self._messages
        return None

    def _messages(self, request: Request) -> Reply:
        # The API takes the key as `x-api-key`, or (SDK v2) as `authorization: Bearer <key>`.
        sent = request.headers.get("x-api-key") or request.headers.get("authorization", "").removeprefix(
            "Bearer "
        )
        if sent != self.api_key:
            return Reply(
                401,
                {"type": "error", "error": {"type": "authentication_error", "message": "invalid x-api-key"}},
            )
        body = request.body or {}
        model = str(body.get("model", ""))
        if self.models is not None and model not in self.models:
            return Reply(
                404, {"type": "error", "error": {"type": "not_found_error", "message": f"model: {model}"}}
            )
        scripted = self._next("messages")
        if scripted is not None and not scripted.template:
            return scripted
        spec = scripted.body if scripted is not None else {"tool_input": json.loads(EMPTY_REVIEW)}
        tool_name = (body.get("tool_choice") or {}).get("name") or "submit_review"
        if "tool_input" in spec:
            content: list[dict[str, Any]] = [
                {
                    "type": "tool_use",
                    "id": f"toolu_fake{next(_ids)}",
                    "name": tool_name,
                    "input": spec["tool_input"],
                }
            ]
            stop_reason, out_text = "tool_use", json.dumps(spec["tool_input"])
        else:
            content = [{"type": "text", "text": spec["text"]}]
            stop_reason, out_text = "end_turn", spec["text"]
        prompt_text = str(body.get("system", "")) + "".join(
            str(m.get("content", "")) for m in body.get("messages", [])
        )
        message = {
            "id": f"msg_fake{next(_ids)}",
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": content,
            "stop_reason": stop_reason,
            "stop_sequence": None,
            "usage": {"input_tokens": count_tokens(prompt_text), "output_tokens": count_tokens(out_text)},
        }
        return Reply(200, message, delay=scripted.delay if scripted is not None else 0.0)
