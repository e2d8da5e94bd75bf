"""Asking an OpenAI-compatible server about its model: the context window, its own token count.

OpenAI itself publishes neither (the window comes from mochi.budget's table), but the servers
people run themselves do, each in its own way:

    llama.cpp   GET /props -> default_generation_settings.n_ctx (the window it was started with),
                GET /v1/models -> data[].meta.n_ctx_train, POST /tokenize {"content"} -> {"tokens"}
    vLLM        GET /v1/models -> data[].max_model_len, POST /tokenize {"model", "prompt"} -> {"count"}
    LM Studio   GET /api/v0/models/{model} -> loaded_context_length / max_context_length
    others      GET /v1/models -> data[].context_length (OpenRouter, node-llama-cpp wrappers...)

Every probe is short (a few seconds) and optional: a server that answers none of them gets the
conservative default and a notice saying so.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import httpx

logger = logging.getLogger(__name__)

PROBE_TIMEOUT_S = 5.0
_WINDOW_KEYS = ("max_model_len", "loaded_context_length", "context_length", "max_context_length")


def is_local(url: str) -> bool:
    """True for a server on this machine or a private network (loopback, RFC 1918, link-local,
    `localhost`, a name that resolves only to such addresses: a CI service container)."""
    host = urlsplit(url if "//" in url else f"//{url}").hostname or ""
    if not host:
        return False
    if host == "localhost" or host.endswith((".localhost", ".local", ".internal")):
        return True
    try:
        return _private(ipaddress.ip_address(host))
    except ValueError:
        pass
    if "." in host:
        return False  # a public-looking DNS name: not worth a lookup
    try:
        infos = socket.getaddrinfo(host, None)
    except OSError:
        return False
    return bool(infos) and all(_private(ipaddress.ip_address(info[4][0])) for info in infos)


def _private(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return address.is_loopback or address.is_private or address.is_link_local


def is_openai(url: str) -> bool:
    """OpenAI's own API (whose models mochi's table and tiktoken know)."""
    return (urlsplit(url).hostname or "").endswith("openai.com")


def _root(base_url: str) -> str:
    base = base_url.rstrip("/")
    return base[: -len("/v1")] if base.endswith("/v1") else base


class ServerInfo:
    """What one OpenAI-compatible server says about `model` (each answer asked for once)."""

    def __init__(self, base_url: str, model: str, *, api_key: str | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.model = model
        headers = {"authorization": f"Bearer {api_key}"} if api_key else {}
        self._http = httpx.Client(timeout=PROBE_TIMEOUT_S, headers=headers)
        self._window: tuple[int | None, str] | None = None
        self._tokenize_ok: bool | None = None

    def window(self) -> tuple[int | None, str]:
        """The model's context window and where it came from ("llama.cpp /props", ...)."""
        if self._window is None:
            self._window = self._probe_window()
            if self._window[0]:
                logger.info("%s's context window: %d tokens (%s)", self.model, *self._window)
        return self._window

    def count(self, text: str) -> int | None:
        """The server's own token count of `text` (/tokenize), None when it has no such endpoint."""
        if self._tokenize_ok is False:
            return None
        body = {"content": text, "add_special": False, "model": self.model, "prompt": text}
        answer = self._json("POST", f"{_root(self.base_url)}/tokenize", body)
        value: Any = None
        if isinstance(answer, dict):
            value = answer.get("count")
            if value is None and isinstance(answer.get("tokens"), list):
                value = len(answer["tokens"])
        if not isinstance(value, int):
            self._tokenize_ok = False
            return None
        self._tokenize_ok = True
        return value

    def counter(self) -> Callable[[str], int | None]:
        """`count`, for mochi.budget."""
        return self.count

    # ------------------------------------------------------------------ internals

    def _json(self, method: str, url: str, body: Any = None) -> Any:
        try:
            response = self._http.request(method, url, json=body)
            if response.status_code != 200:
                return None
            return response.json()
        except (httpx.HTTPError, ValueError) as exc:
            logger.debug("%s %s: %s", method, url, exc)
            return None

    def _probe_window(self) -> tuple[int | None, str]:
        root = _root(self.base_url)
        models = self._json("GET", f"{self.base_url}/models")
        entry = _model_entry(models, self.model)
        for key in _WINDOW_KEYS:
            value = entry.get(key)
            if isinstance(value, int) and value > 0:
                return value, f"{key} in {self.base_url}/models"
        props = self._json("GET", f"{root}/props")
        if isinstance(props, dict):
            settings = props.get("default_generation_settings")
            n_ctx = (settings if isinstance(settings, dict) else {}).get("n_ctx", props.get("n_ctx"))
            if isinstance(n_ctx, int) and n_ctx > 0:
                return n_ctx, f"n_ctx in {root}/props (llama.cpp)"
        meta = entry.get("meta")
        if isinstance(meta, dict) and isinstance(meta.get("n_ctx_train"), int):
            return int(meta["n_ctx_train"]), f"n_ctx_train in {self.base_url}/models (llama.cpp)"
        studio = self._json("GET", f"{root}/api/v0/models/{self.model}")
        if isinstance(studio, dict):
            for key in ("loaded_context_length", "max_context_length"):
                if isinstance(studio.get(key), int) and studio[key] > 0:
                    return int(studio[key]), f"{key} in {root}/api/v0/models (LM Studio)"
        return None, ""


def _model_entry(models: Any, model: str) -> dict[str, Any]:
    data = models.get("data") if isinstance(models, dict) else None
    entries = [e for e in data if isinstance(e, dict)] if isinstance(data, list) else []
    for entry in entries:
        if entry.get("id") == model:
            return entry
    # a server with one model answers to any name (llama.cpp, most local wrappers)
    return entries[0] if len(entries) == 1 else {}
