"""Shared pieces for the provider contract tests: a prompt, the schema, a recording sleep."""

from __future__ import annotations

import socket
from typing import Any

import pytest

from mochi.answer import answer_json_schema
from mochi.models import Prompt

API_KEY = "sk-test-0123456789abcdef"
ANTHROPIC_KEY = "sk-ant-test-0123456789abcdef"


class SleepRecorder:
    """Stands in for time.sleep in the retry wrapper: records each wait, waits for none."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture
def sleeps() -> SleepRecorder:
    return SleepRecorder()


@pytest.fixture
def schema() -> dict[str, Any]:
    return answer_json_schema()


@pytest.fixture
def prompt() -> Prompt:
    return Prompt(
        system="You are a careful code reviewer. Answer with JSON only.",
        user="Review this change:\n--- a/app.py\n+++ b/app.py\n@@ -1 +1 @@\n-x = 1\n+x = eval(input())\n",
        paths=("app.py",),
    )


@pytest.fixture
def dead_url() -> str:
    """A loopback URL where nothing listens: connecting is refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"
