"""FakeProvider: an in-process Provider (mochi.providers.base) that answers from a script.

No server, no HTTP: for tests of the pipeline (chunking, merging, publishing) where what matters
is what the model is asked and what it answers, not how a backend is spoken to.

    provider = FakeProvider([answer_json, EMPTY_REVIEW])    # one answer per call, in order
    provider = FakeProvider(lambda prompt: answer_for(prompt))
    provider = FakeProvider([ServerBusyError("429")])       # a scripted failure is raised
    outcome = pipeline.run(target, ..., provider=provider)
    provider.prompts, provider.schemas                      # what it was asked, in call order

A scripted list that runs out fails the test (AssertionError) unless `then` gives the answer
for every later call. Safe to call from the pipeline's worker threads (concurrency > 1).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

from mochi.models import Completion, Prompt
from mochi.providers.base import estimate_tokens

Answer = str | BaseException
Script = Sequence[Answer] | Callable[[Prompt], str]


class FakeProvider:
    """Answers each `complete()` from `answers`; records every prompt and schema it was given."""

    def __init__(
        self,
        answers: Script,
        *,
        name: str = "fake",
        model: str = "fake-model",
        then: str | None = None,
        window: int | None = None,
    ) -> None:
        self.name = name
        self.model = model
        self.window = window
        self.prompts: list[Prompt] = []
        self.schemas: list[dict[str, Any]] = []
        self._answers = answers if callable(answers) else list(answers)
        self._then = then
        self._lock = threading.Lock()

    @property
    def calls(self) -> int:
        return len(self.prompts)

    def context_length(self) -> int | None:
        """The window mochi.budget probes for (None: its table, then the default)."""
        return self.window

    def complete(self, prompt: Prompt, *, schema: dict[str, Any]) -> Completion:
        with self._lock:
            self.prompts.append(prompt)
            self.schemas.append(schema)
            n = len(self.prompts)
            if callable(self._answers):
                answer: Answer | None = None
            elif self._answers:
                answer = self._answers.pop(0)
            elif self._then is not None:
                answer = self._then
            else:
                raise AssertionError(f"FakeProvider: no scripted answer left for call {n}")
        if answer is None:
            assert callable(self._answers)
            answer = self._answers(prompt)
        if isinstance(answer, BaseException):
            raise answer
        return Completion(
            text=answer,
            provider=self.name,
            model=self.model,
            prompt_tokens=estimate_tokens(prompt.system + prompt.user),
            completion_tokens=estimate_tokens(answer),
        )
