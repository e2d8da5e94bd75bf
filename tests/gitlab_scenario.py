"""A real git repository with one merge request's worth of changes, served by FakeGitLab.

src/App.java loses an import (deleted lines), changes a line and gains a method (added lines),
with context lines between; old/Name.java is renamed to new/Name.java and edited.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tests.fakes.gitlab_server import FakeGitLab, entries_from_git
from tests.gitrepo import GitRepo

APP_BASE = """package app;

import java.util.List;

public class App {
    int total(int a, int b) {
        return a + b;
    }
}
"""
APP_HEAD = """package app;

public class App {
    int total(int a, int b) {
        return a - b;
    }
    int ratio(int a, int b) {
        return a / b;
    }
}
"""
NAME_BASE = "".join(f"    // line {i}\n" for i in range(1, 13))
NAME_HEAD = NAME_BASE.replace("    // line 3\n", "    String name = null; // changed\n")

IID = 7


@dataclass
class Scenario:
    repo: GitRepo
    base: str
    head: str


def make_repo(path: Path) -> Scenario:
    repo = GitRepo(path)
    repo.write("src/App.java", APP_BASE)
    repo.write("old/Name.java", NAME_BASE)
    base = repo.commit("base")
    repo.run("checkout", "-q", "-b", "feature")
    repo.delete("old/Name.java")
    repo.write("new/Name.java", NAME_HEAD)
    repo.write("src/App.java", APP_HEAD)
    head = repo.commit("change")
    return Scenario(repo=repo, base=base, head=head)


def serve(gl: FakeGitLab, s: Scenario, *, iid: int = IID) -> None:
    """The merge request's first version: base..head."""
    gl.push_version(
        iid, base=s.base, start=s.base, head=s.head, entries=entries_from_git(s.repo, s.base, s.head)
    )
