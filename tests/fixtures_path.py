"""Where the tests' data files live: tests/fixtures (sources and licences in its README.md)."""

from __future__ import annotations

from pathlib import Path

FIXTURES = Path(__file__).resolve().parent / "fixtures"
