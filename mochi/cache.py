"""Answers already paid for: the model's answer to a prompt, kept by a hash of what decides it.

The key is a SHA-256 of the provider, the model, the system and user messages, the answer schema
and the options that change the answer (temperature, output tokens, the server). An unchanged
chunk of an unchanged change is therefore never asked again; a changed line, instruction or
setting is a new key. Only answers that were read as a complete review are kept (an unreadable or
cut-off answer is asked again next time).

Locally the answers live in `<data_dir>/cache/answers/` (the data directory of the SQLite record:
MOCHI_DATA_DIR or the user's data directory), one small JSON file each, written atomically, so
concurrent reviews never read half a file. `cache = false` (MOCHI_CACHE) or `--no-cache` asks the
model again and keeps nothing. A cache that cannot be read or written is skipped with
one warning: it never fails a review. The cache stays bounded: once per run, before the first
answer is written, entries unused for MAX_AGE_DAYS go, and then the least recently used until the
directory is under MAX_BYTES (a hit refreshes an entry's time).

With a database configured (MOCHI_DATABASE_URL) the answers are also kept in the record
(mochi.store.answers, table `llm_answers`), which CI runners, thrown away after each job, share:
`Tiered` looks in the data directory first, then the record, and keeps a new answer in both.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import tempfile
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

from pydantic import ValidationError

from mochi.models import Completion, Prompt

logger = logging.getLogger(__name__)

CACHE_DIR = Path("cache") / "answers"
MAX_AGE_DAYS = 30
MAX_BYTES = 100 * 1024 * 1024
FORMAT = 1  # bump when what a key covers changes: older entries are then simply never found


class AnswerCache(Protocol):
    """Where answers are kept between runs."""

    def get(self, key: str) -> Completion | None:
        """The answer stored under `key`, or None."""
        ...

    def put(self, key: str, completion: Completion) -> None:
        """Keep `completion` under `key` (best effort: failures are logged, not raised)."""
        ...


def answer_key(
    provider: str, model: str, prompt: Prompt, schema: Mapping[str, Any], options: Mapping[str, Any]
) -> str:
    """The cache key of asking `model` this prompt (see the module docstring)."""
    material = {
        "format": FORMAT,
        "provider": provider,
        "model": model,
        "system": prompt.system,
        "user": prompt.user,
        "schema": schema,
        "options": dict(options),
    }
    blob = json.dumps(material, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


class DirCache:
    """Answers as files under `root` (`<root>/<2 hex>/<key>.json`); readers never block writers."""

    def __init__(self, root: Path, *, read: bool = True) -> None:
        """`read` False (`--no-cache`): every lookup misses, new answers are still written."""
        self.root = root
        self.read = read
        self._warned = False
        self._pruned = False
        self._lock = threading.Lock()

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.json"

    def get(self, key: str) -> Completion | None:
        """The stored answer, or None (missing, unreadable, or reading is off)."""
        if not self.read:
            return None
        path = self._path(key)
        try:
            found = Completion.model_validate_json(path.read_bytes())
            with contextlib.suppress(OSError):
                os.utime(path)  # recently used: the last to go when the cache is pruned
            return found
        except FileNotFoundError:
            return None
        except (OSError, ValidationError, ValueError) as exc:
            logger.debug("ignoring the cached answer %s: %s", key[:12], exc)
            return None

    def put(self, key: str, completion: Completion) -> None:
        """Write atomically (a temporary file renamed into place)."""
        with self._lock:
            first, self._pruned = not self._pruned, True
        if first:
            self.prune()
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
            try:
                with os.fdopen(fd, "wb") as out:
                    out.write(completion.model_dump_json().encode("utf-8"))
                os.replace(tmp, path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError as exc:
            with self._lock:
                if not self._warned:
                    self._warned = True
                    logger.warning(
                        "cannot keep the model's answers in %s (%s); going on without", self.root, exc
                    )

    def prune(self, *, max_age_days: float = MAX_AGE_DAYS, max_bytes: int = MAX_BYTES) -> int:
        """Remove entries unused for `max_age_days`, then the least recently used beyond `max_bytes`;
        returns how many went. Best effort: a file another run removes first is no error."""
        try:
            entries = [(e.stat().st_mtime, e.stat().st_size, e) for e in self.root.glob("*/*.json")]
        except OSError:
            return 0
        cutoff = time.time() - max_age_days * 86400
        entries.sort(key=lambda e: e[0])  # oldest first
        total = sum(size for _, size, _ in entries)
        removed = 0
        for mtime, size, entry in entries:
            if mtime >= cutoff and total <= max_bytes:
                break
            with contextlib.suppress(OSError):
                entry.unlink()
                removed += 1
            total -= size
        return removed


class Tiered:
    """A local cache in front of a shared one: a shared hit is copied to the local cache."""

    def __init__(self, local: AnswerCache, shared: AnswerCache) -> None:
        self.local = local
        self.shared = shared

    def get(self, key: str) -> Completion | None:
        """The local answer, else the shared one."""
        found = self.local.get(key)
        if found is None:
            found = self.shared.get(key)
            if found is not None:
                self.local.put(key, found)
        return found

    def put(self, key: str, completion: Completion) -> None:
        """Keep the answer in both."""
        self.local.put(key, completion)
        self.shared.put(key, completion)


class KeyedCache:
    """A cache bound to one run's provider options: `key(provider, model, prompt, schema)`."""

    def __init__(self, store: AnswerCache, options: Mapping[str, Any]) -> None:
        self.store = store
        self.options = dict(options)

    def key(self, provider: str, model: str, prompt: Prompt, schema: Mapping[str, Any]) -> str:
        """The key for asking `provider`/`model` this prompt with this run's options."""
        return answer_key(provider, model, prompt, schema, self.options)

    def get(self, key: str) -> Completion | None:
        """The stored answer, or None."""
        return self.store.get(key)

    def put(self, key: str, completion: Completion) -> None:
        """Keep the answer."""
        self.store.put(key, completion)


def for_settings(settings: Any, data_dir: Path, shared: AnswerCache | None = None) -> KeyedCache | None:
    """The run's answer cache from mochi Settings, or None when `cache = false` (`--no-cache`);
    `shared` (the record's answers) behind the data directory's."""
    if not settings.cache:
        return None
    p = settings.providers
    options = {
        "temperature": p.temperature,
        "max_output_tokens": p.max_output_tokens,
        "num_ctx": p.num_ctx,
        "fallback": list(p.fallback),
        # the same model name on another server may be another model
        "server": {
            "ollama": p.ollama_host,
            "openai": p.openai_base_url,
            "anthropic": p.anthropic_base_url,
            "azure": p.azure_openai_endpoint,
        }.get(settings.effective_provider),
    }
    local = DirCache(data_dir / CACHE_DIR)
    return KeyedCache(local if shared is None else Tiered(local, shared), options)
