"""The answer cache stays bounded: old entries go, then the least recently used beyond the size cap."""

from __future__ import annotations

import os
import time
from pathlib import Path

from mochi.cache import DirCache
from mochi.models import Completion


def _answer(n: int) -> Completion:
    return Completion(text="{}" + " " * n, provider="ollama", model="m")


def test_old_and_least_recently_used_entries_go(tmp_path: Path) -> None:
    cache = DirCache(tmp_path)
    keys = [f"{i:02x}" + "0" * 62 for i in range(6)]
    for i, key in enumerate(keys):
        cache.put(key, _answer(1000))
        stamp = time.time() - (40 * 86400 if i == 0 else (6 - i) * 60)  # keys[0] unused for 40 days
        os.utime(cache._path(key), (stamp, stamp))
    assert cache.get(keys[1]) is not None  # a hit: keys[1] is now the most recently used
    size = cache._path(keys[2]).stat().st_size
    removed = cache.prune(max_bytes=size * 3)
    left = {k for k in keys if cache._path(k).exists()}
    assert removed == 3 and left == {keys[1], keys[4], keys[5]}


def test_a_run_prunes_once_before_its_first_answer(tmp_path: Path) -> None:
    old = DirCache(tmp_path)
    stale = "ab" + "1" * 62
    old.put(stale, _answer(10))
    long_ago = time.time() - 90 * 86400
    os.utime(old._path(stale), (long_ago, long_ago))
    fresh = DirCache(tmp_path)
    fresh.put("cd" + "2" * 62, _answer(10))
    assert not old._path(stale).exists()
