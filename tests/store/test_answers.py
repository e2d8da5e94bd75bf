"""The model's answers kept in the record (`llm_answers`): what CI runners, thrown away after each job,
share through MOCHI_DATABASE_URL."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from mochi.models import Completion
from mochi.store.answers import RecordAnswers
from mochi.store.db import make_engine, open_engine
from mochi.store.models import AnswerRow
from tests.fakes.llm_servers import FakeOllama
from tests.gitrepo import GitRepo
from tests.store.pg import PG_ADMIN_URL, empty_pg
from tests.test_cli import closed_port, mochi, review_answer, spring_change  # noqa: F401 (a fixture)


def _answer(text: str, n: int = 0) -> Completion:
    return Completion(text=text + " " * n, provider="ollama", model="qwen2.5-coder:7b", prompt_tokens=9)


def test_an_answer_kept_is_found_and_its_use_refreshed(db_url: str) -> None:
    answers = RecordAnswers(open_engine(db_url))
    assert answers.get("a" * 64) is None
    answers.put("a" * 64, _answer('{"comments": []}'))
    answers.put("a" * 64, _answer("another run's copy"))  # a key already kept is left as it is
    found = answers.get("a" * 64)
    assert found is not None and found.text == '{"comments": []}' and found.prompt_tokens == 9


def test_the_kept_answers_stay_bounded(db_url: str) -> None:
    engine = open_engine(db_url)
    answers = RecordAnswers(engine)
    keys = [f"{i:02x}" + "0" * 62 for i in range(6)]
    for key in keys:
        answers.put(key, _answer("x", 1000))
    now = datetime.now(UTC)
    with engine.begin() as conn:
        for i, key in enumerate(keys):
            used = now - (timedelta(days=40) if i == 0 else timedelta(minutes=6 - i))
            conn.execute(update(AnswerRow).where(AnswerRow.key == key).values(used_at=used))
    assert answers.get(keys[1]) is not None  # a hit: now the most recently used
    removed = answers.prune(max_bytes=3 * (1001 + 256))
    left = {k for k in keys if answers.get(k) is not None}
    assert removed == 3 and left == {keys[1], keys[4], keys[5]}


def test_a_database_that_is_down_is_one_warning_and_no_failure(caplog: pytest.LogCaptureFixture) -> None:
    engine = make_engine(f"postgresql+psycopg://postgres@127.0.0.1:{closed_port()}/mochi")
    answers = RecordAnswers(engine, where="postgresql://127.0.0.1/mochi")
    with caplog.at_level(logging.WARNING):
        assert answers.get("b" * 64) is None
        answers.put("b" * 64, _answer("{}"))
        assert answers.get("b" * 64) is None
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "going on without them" in warnings[0].getMessage()


@pytest.mark.postgres
@pytest.mark.slow
def test_a_second_machine_sharing_the_database_asks_the_model_nothing(
    spring_change: GitRepo,  # noqa: F811
    pg_database: str,
    tmp_path: Path,
) -> None:
    """Two runners (two empty data directories), one PostgreSQL record: the second run of the same change
    makes 0 model calls; --no-cache asks again."""
    url = empty_pg(pg_database)
    assert url.startswith(PG_ADMIN_URL.rsplit("/", 1)[0])
    with FakeOllama.start(models={"qwen2.5-coder:7b": 32768}) as ollama:
        ollama.enqueue_chat(review_answer("src/main/java/App.java", 9, "`b` may be zero."))

        def run(machine: str, *flags: str) -> dict[str, object]:
            data = str(tmp_path / machine)
            env = {"OLLAMA_HOST": ollama.url, "MOCHI_DATABASE_URL": url, "MOCHI_DATA_DIR": data}
            proc = mochi("review", "--format", "json", *flags, cwd=spring_change.path, env=env)
            assert proc.returncode == 0, proc.stderr
            return dict(json.loads(proc.stdout))

        first = run("runner-1")
        second = run("runner-2")
        calls = len(ollama.requests_to("/api/chat"))
        ollama.enqueue_chat(review_answer("src/main/java/App.java", 9, "`b` may be zero."))
        third = run("runner-3", "--no-cache")
    assert calls == 1  # the second runner found the first one's answer in the record
    assert first["stats"]["llm_calls"] == 1 and second["stats"]["llm_calls"] == 0  # type: ignore[index]
    messages = [[f["message"] for f in run["findings"]] for run in (first, second)]  # type: ignore[attr-defined]
    assert messages[0] == messages[1]
    assert third["stats"]["llm_calls"] == 1  # type: ignore[index]
    assert len(ollama.requests_to("/api/chat")) == 2
