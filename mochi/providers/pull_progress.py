"""`--pull` progress: what Ollama's pull stream says, as lines with sizes and a percentage.

Ollama streams `{"status": "pulling <digest>", "digest", "total", "completed"}` many times a
second for each layer, then "verifying sha256 digest", "writing manifest", "success". A user
watching a multi-GB download sees one line per status change and one per 10% downloaded:
"pulling qwen2.5-coder:7b: 1.9 GB of 4.7 GB (40%)".
"""

from __future__ import annotations

import re
from collections.abc import Callable

STEP_PERCENT = 10
_LAYER = re.compile(r"pulling [0-9a-f]{6,}$")


def human_bytes(n: int) -> str:
    """1536 -> '1.5 KB', 4683073184 -> '4.7 GB' (decimal units, as Ollama prints them)."""
    value = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    raise AssertionError("unreachable")


class PullReport:
    """Turns pull progress events into a few progress lines."""

    def __init__(self, model: str, emit: Callable[[str], None]) -> None:
        self._model = model
        self._emit = emit
        self._layers: dict[str, tuple[int, int]] = {}  # digest -> (total, completed)
        self._last_status = ""
        self._last_step = -1

    def update(self, status: str, digest: str | None, total: int | None, completed: int | None) -> None:
        """One event of the pull stream."""
        if digest and total:
            self._layers[digest] = (total, completed or self._layers.get(digest, (0, 0))[1])
            size = sum(t for t, _ in self._layers.values())
            done = sum(min(c, t) for t, c in self._layers.values())
            step = done * 100 // size // STEP_PERCENT if size else 0
            if step != self._last_step:
                self._last_step = step
                amount = f"{human_bytes(done)} of {human_bytes(size)}"
                self._emit(f"pulling {self._model}: {amount} ({done * 100 // size}%)")
            return
        if status and status != self._last_status and not _LAYER.match(status):
            self._last_status = status
            self._emit(f"ollama pull {self._model}: {status}")

    def finish(self) -> None:
        """Nothing to add: 'success' was the stream's last status."""
