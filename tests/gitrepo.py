"""A temporary git repository driven through the real git CLI, for tests.

    repo = GitRepo(tmp_path / "repo")          # git init -b main
    repo.write("src/App.java", "class App {}\n")
    sha = repo.commit("add App")               # stages everything, returns the new sha

Commits are deterministic (fixed author, committer and dates) and independent of the user's git
configuration (no signing, no autocrlf, no hooks).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

_CONFIG = (
    "-c", "user.name=Mochi Test",
    "-c", "user.email=mochi@example.com",
    "-c", "init.defaultBranch=main",
    "-c", "commit.gpgsign=false",
    "-c", "tag.gpgsign=false",
    "-c", "core.autocrlf=false",
    "-c", "core.hooksPath=/dev/null",
    "-c", "advice.detachedHead=false",
)  # fmt: skip


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "GIT_AUTHOR_DATE": "2024-01-01T00:00:00Z",
            "GIT_COMMITTER_DATE": "2024-01-01T00:00:00Z",
            "GIT_CONFIG_NOSYSTEM": "1",
            "LC_ALL": "C",
        }
    )
    for var in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"):
        env.pop(var, None)
    return env


def git(cwd: Path, *args: str, input: bytes | None = None) -> str:
    """Run git in `cwd` with the test configuration; fail loudly with git's stderr."""
    proc = subprocess.run(
        ["git", *_CONFIG, *args], cwd=cwd, input=input, capture_output=True, env=_env(), check=False
    )
    if proc.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed ({proc.returncode}): {proc.stderr.decode()}")
    return proc.stdout.decode("utf-8", errors="replace")


class GitRepo:
    """A work tree at `path`; created with `git init -b main` when it is not one yet."""

    def __init__(self, path: Path, *, init: bool = True) -> None:
        self.path = Path(path)
        if init and not (self.path / ".git").exists():
            self.path.mkdir(parents=True, exist_ok=True)
            git(self.path, "init", "-q", "-b", "main")

    @classmethod
    def bare(cls, path: Path) -> Path:
        """Create a bare repository (to act as a remote) and return its path."""
        path.mkdir(parents=True, exist_ok=True)
        git(path, "init", "-q", "--bare", "-b", "main")
        return path

    @classmethod
    def clone(cls, source: Path, path: Path) -> GitRepo:
        """`git clone source path` (sets origin and origin/HEAD like a real clone)."""
        git(path.parent, "clone", "-q", str(source), str(path))
        return cls(path, init=False)

    def run(self, *args: str, input: bytes | None = None) -> str:
        """Run `git <args>` in the repository and return its output."""
        return git(self.path, *args, input=input)

    def write(self, rel: str, content: str | bytes) -> Path:
        """Write a file (parents created); text is written as UTF-8 with its newlines untouched."""
        target = self.path / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
        return target

    def delete(self, rel: str) -> None:
        (self.path / rel).unlink()

    def commit(self, message: str, *, stage_all: bool = True) -> str:
        """Commit (after `git add -A` unless stage_all is False) and return the new commit's sha."""
        if stage_all:
            self.run("add", "-A")
        self.run("commit", "-q", "--allow-empty", "-m", message)
        return self.head()

    def head(self) -> str:
        return self.run("rev-parse", "HEAD").strip()

    def checkout(self, *args: str) -> None:
        self.run("checkout", "-q", *args)
