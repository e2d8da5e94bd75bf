"""The fakes answer in each service's documented format, so the contract tests mean something.

Ollama's fields come from docs/api.md (ollama/ollama); OpenAI's and Anthropic's answers are
validated with the SDKs' own response types.
"""

from __future__ import annotations

import json
from typing import Any

import anthropic.types
import httpx
import ollama
import openai.types.chat

from tests.fakes.llm_servers import FakeAnthropic, FakeOllama, FakeOpenAI

# docs/api.md, "Chat request (No streaming)" and "(Structured outputs)"
CHAT_FIELDS = {
    "model",
    "created_at",
    "message",
    "done",
    "done_reason",
    "total_duration",
    "load_duration",
    "prompt_eval_count",
    "prompt_eval_duration",
    "eval_count",
    "eval_duration",
}
SHOW_FIELDS = {"modelfile", "parameters", "template", "details", "model_info"}
DETAILS_FIELDS = {"parent_model", "format", "family", "families", "parameter_size", "quantization_level"}
TAG_FIELDS = {"name", "modified_at", "size", "digest", "details"}


def post(url: str, body: dict[str, Any], **headers: str) -> httpx.Response:
    return httpx.post(url, json=body, headers=headers, timeout=5)


def test_ollama_chat_has_the_documented_fields() -> None:
    with FakeOllama.start() as fake:
        fake.enqueue_chat('{"a": 1}')
        body = {"model": "qwen2.5-coder:7b", "messages": [{"role": "user", "content": "hi"}], "stream": False}
        response = post(f"{fake.url}/api/chat", body)
    data = response.json()
    assert response.status_code == 200
    assert set(data) == CHAT_FIELDS
    assert data["message"] == {"role": "assistant", "content": '{"a": 1}'}
    assert data["done"] is True
    assert all(isinstance(data[k], int) for k in CHAT_FIELDS if k.endswith(("_duration", "_count")))
    ollama.ChatResponse.model_validate(data)  # and the client's own type accepts it


def test_ollama_chat_streams_by_default() -> None:
    with FakeOllama.start() as fake:
        body = {"model": "qwen2.5-coder:7b", "messages": [{"role": "user", "content": "hi"}]}
        lines = [json.loads(line) for line in post(f"{fake.url}/api/chat", body).text.splitlines()]
    assert [line["done"] for line in lines] == [False, True]
    assert set(lines[-1]) == CHAT_FIELDS


def test_ollama_missing_model_is_a_documented_404() -> None:
    with FakeOllama.start(models={}) as fake:
        chat = post(f"{fake.url}/api/chat", {"model": "llama3.2", "messages": [], "stream": False})
        show = post(f"{fake.url}/api/show", {"model": "llama3.2"})
    assert chat.status_code == show.status_code == 404
    assert chat.json() == {"error": "model 'llama3.2' not found"}


def test_ollama_show_pull_and_tags() -> None:
    with FakeOllama.start(models={"llama3.2": 8192}) as fake:
        show = post(f"{fake.url}/api/show", {"model": "llama3.2"}).json()
        pull = post(f"{fake.url}/api/pull", {"model": "qwen2.5-coder:1.5b"})
        tags = httpx.get(f"{fake.url}/api/tags").json()
        client = ollama.Client(host=fake.url)
        assert client.show("llama3.2").modelinfo is not None
        assert [p.status for p in client.pull("phi3", stream=True)][-1] == "success"
        assert client.pull("phi4", stream=False).status == "success"
    assert set(show) >= SHOW_FIELDS
    assert set(show["details"]) == DETAILS_FIELDS
    arch = show["model_info"]["general.architecture"]
    assert show["model_info"][f"{arch}.context_length"] == 8192
    statuses = [json.loads(line)["status"] for line in pull.text.splitlines()]
    assert statuses[0] == "pulling manifest" and statuses[-1] == "success"
    assert pull.headers["content-type"] == "application/x-ndjson"
    assert {"llama3.2:latest", "qwen2.5-coder:1.5b"} <= {m["name"] for m in tags["models"]}
    assert all(set(m) >= TAG_FIELDS for m in tags["models"])


def test_openai_answers_validate_as_chat_completions() -> None:
    with FakeOpenAI.start() as fake:
        fake.enqueue_chat("hello")
        auth = {"authorization": f"Bearer {fake.api_key}"}
        body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}
        data = post(f"{fake.url}/v1/chat/completions", body, **auth).json()
        azure = post(
            f"{fake.url}/openai/deployments/d1/chat/completions?api-version=2024-10-21",
            body,
            **{"api-key": fake.api_key},
        ).json()
        denied = post(f"{fake.url}/v1/chat/completions", body, authorization="Bearer sk-nope-123456789")
    completion = openai.types.chat.ChatCompletion.model_validate(data)
    assert completion.choices[0].message.content == "hello"
    assert openai.types.chat.ChatCompletion.model_validate(azure).model == "d1"
    assert denied.status_code == 401
    assert denied.json()["error"]["code"] == "invalid_api_key"
    assert [r.path for r in fake.requests] == [
        "/v1/chat/completions",
        "/openai/deployments/d1/chat/completions",
        "/v1/chat/completions",
    ]


def test_anthropic_answers_validate_as_messages() -> None:
    with FakeAnthropic.start() as fake:
        fake.enqueue_tool_input({"comments": []})
        body = {
            "model": "claude-3-5-haiku-latest",
            "max_tokens": 100,
            "messages": [{"role": "user", "content": "hi"}],
            "tool_choice": {"type": "tool", "name": "submit_review"},
        }
        data = post(f"{fake.url}/v1/messages", body, **{"x-api-key": fake.api_key}).json()
        denied = post(f"{fake.url}/v1/messages", body, **{"x-api-key": "wrong"})
    message = anthropic.types.Message.model_validate(data)
    block = message.content[0]
    assert block.type == "tool_use" and block.name == "submit_review" and block.input == {"comments": []}
    assert denied.status_code == 401
    assert denied.json()["error"]["type"] == "authentication_error"
