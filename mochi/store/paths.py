"""Where the local record lives, without importing SQLAlchemy: a review that records nothing and
finds no record to read never loads the database layer (`mochi review --no-record` on a fresh machine)."""

from __future__ import annotations

from pathlib import Path

DB_FILE = "mochi.db"


def default_data_dir() -> Path:
    """The user's data directory for mochi (e.g. ~/.local/share/mochi), per platformdirs."""
    import platformdirs

    return Path(platformdirs.user_data_dir("mochi", appauthor=False))


def sqlite_url(data_dir: Path) -> str:
    return f"sqlite:///{data_dir / DB_FILE}"
