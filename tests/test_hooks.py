"""The pre-commit hooks, driven by the real `pre-commit` tool on temporary repositories.

The hooks are this repository's `.pre-commit-hooks.yaml`, each turned into a `repo: local` hook with
the same entry, stages and options (`language: system`, so the test runs this checkout's `mochi`
instead of installing a copy from an index). Git runs its real hooks here: no core.hooksPath.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from mochi import __version__

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
PRE_COMMIT = shutil.which("pre-commit", path=str(BIN)) or shutil.which("pre-commit")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(PRE_COMMIT is None and not os.environ.get("CI"), reason="pre-commit is not installed"),
]

CLEAN = 'package app;\n\npublic class Greeting {\n    public String hello() { return "hi"; }\n}\n'
# @Transactional on a private method: java.transactional-private-final, HIGH
HIGH = (
    "package app;\n\nimport org.springframework.transaction.annotation.Transactional;\n\n"
    "public class Loader {\n    public void load() {\n        run();\n    }\n\n"
    "    @Transactional\n    private void run() { }\n}\n"
)


def _manifest() -> list[dict[str, object]]:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert isinstance(hooks, list)
    return hooks


def _config(args: dict[str, list[str]]) -> str:
    local = []
    for hook in _manifest():
        entry = {k: v for k, v in hook.items() if k != "language"}
        local.append({**entry, "language": "system", "verbose": True, "args": args.get(str(hook["id"]), [])})
    return yaml.safe_dump({"repos": [{"repo": "local", "hooks": local}]}, sort_keys=False)


def _env(tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MOCHI_", "GIT_", "PRE_COMMIT"))}
    env.update(
        PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}",
        PRE_COMMIT_HOME=str(tmp / "pre-commit-home"),
        MOCHI_DATA_DIR=str(tmp / "mochi-data"),
        GIT_CONFIG_NOSYSTEM="1",
        GIT_CONFIG_GLOBAL=str(tmp / "gitconfig"),
        GIT_AUTHOR_NAME="Dev",
        GIT_AUTHOR_EMAIL="dev@example.com",
        GIT_COMMITTER_NAME="Dev",
        GIT_COMMITTER_EMAIL="dev@example.com",
        OLLAMA_HOST="http://127.0.0.1:9",  # nothing listens: the hooks here run the built-in checks
        NO_COLOR="1",
    )
    return env


class Repo:
    """A work tree with the hooks installed, driven by plain git (hooks on)."""

    def __init__(self, path: Path, tmp: Path, args: dict[str, list[str]] | None = None) -> None:
        self.path, self.env = path, _env(tmp)
        path.mkdir(parents=True)
        (tmp / "gitconfig").write_text("[init]\n\tdefaultBranch = main\n[commit]\n\tgpgsign = false\n")
        self.git("init", "-q", "-b", "main")
        (path / ".pre-commit-config.yaml").write_text(_config(args or {}))
        hook_types = ["--hook-type", "pre-commit", "--hook-type", "pre-push"]
        installed = self.run([str(PRE_COMMIT), "install", *hook_types])
        assert installed.returncode == 0, installed.stdout + installed.stderr

    def run(self, command: list[str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            command, cwd=self.path, env=self.env, capture_output=True, text=True, timeout=300
        )

    def git(self, *args: str) -> subprocess.CompletedProcess[str]:
        return self.run(["git", *args])

    def write(self, rel: str, text: str) -> None:
        target = self.path / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)

    def commit(self, message: str, *paths: str, verify: bool = True) -> subprocess.CompletedProcess[str]:
        self.git("add", "-A", *paths)
        return self.git("commit", "-q", "-m", message, *([] if verify else ["--no-verify"]))


def _said(proc: subprocess.CompletedProcess[str]) -> str:
    return proc.stdout + proc.stderr


def test_the_manifest_and_the_readme_name_the_packages_version() -> None:
    """One version everywhere a user copies it from; README "Releasing" says how the tag is made."""
    manifest = (ROOT / ".pre-commit-hooks.yaml").read_text()
    readme = (ROOT / "README.md").read_text()
    tag = f"v{__version__}"
    assert re.findall(r"rev: (v[\d.]+)", manifest) == [tag]
    assert set(re.findall(r"rev: (v[\d.]+)", readme)) == {tag}
    assert "git tag -a v" in readme


def test_an_amend_that_only_rewords_passes(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "app", tmp_path)
    repo.write("src/main/java/app/Greeting.java", CLEAN)
    first = repo.commit("greeting")
    assert first.returncode == 0, _said(first)
    amend = repo.git("commit", "--amend", "-q", "-m", "reword")
    assert amend.returncode == 0, _said(amend)
    assert "nothing is staged" in _said(amend) and "the hook passes" in _said(amend)
    assert repo.git("log", "-1", "--format=%s").stdout.strip() == "reword"


def test_a_staged_high_finding_fails_the_commit_and_shows_the_finding(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "app", tmp_path)
    repo.write("src/main/java/app/Greeting.java", CLEAN)
    assert repo.commit("greeting").returncode == 0
    repo.write("src/main/java/app/Loader.java", HIGH)
    refused = repo.commit("loader")
    assert refused.returncode != 0
    said = _said(refused)
    assert "java.transactional-private-final" in said and "Loader.java" in said and "Failed" in said
    assert repo.git("log", "--format=%s").stdout.split() == ["greeting"]  # not committed
    # the threshold is the user's to set: critical lets it through
    lenient = Repo(tmp_path / "lenient", tmp_path, {"mochi-review-staged": ["--fail-on", "critical"]})
    lenient.write("src/main/java/app/Loader.java", HIGH)
    assert lenient.commit("loader").returncode == 0


def test_the_first_push_of_a_new_repository_reviews_the_branch_pushed(tmp_path: Path) -> None:
    """pre-commit sets no from/to ref for a root push: the pushed branch's whole tree is reviewed, not
    the branch that happens to be checked out."""
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(remote)], check=True)
    repo = Repo(tmp_path / "app", tmp_path, {"mochi-review": ["--provider", "builtin"]})
    repo.git("remote", "add", "origin", str(remote))
    repo.write("src/main/java/app/Greeting.java", CLEAN)
    assert repo.commit("greeting").returncode == 0
    repo.git("checkout", "-q", "-b", "feature")
    repo.write("src/main/java/app/Loader.java", HIGH)
    assert repo.commit("loader", verify=False).returncode == 0
    pushed = repo.git("push", "-q", "origin", "main")  # from the feature checkout
    said = _said(pushed)
    assert pushed.returncode == 0, said
    assert "reviewing 2 file(s)" in said and "Loader.java" not in said  # Greeting and the config
    refused = repo.git("push", "-q", "origin", "feature")
    assert refused.returncode != 0 and "java.transactional-private-final" in _said(refused)


def test_a_new_branch_push_reviews_only_its_own_commits(tmp_path: Path) -> None:
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(remote)], check=True)
    repo = Repo(tmp_path / "app", tmp_path, {"mochi-review": ["--provider", "builtin"]})
    repo.git("remote", "add", "origin", str(remote))
    repo.write("src/main/java/app/Loader.java", HIGH)  # already on the remote: not this push's business
    assert repo.commit("loader", verify=False).returncode == 0
    assert repo.git("push", "-q", "--no-verify", "origin", "main").returncode == 0
    repo.git("checkout", "-q", "-b", "greeting")
    repo.write("src/main/java/app/Greeting.java", CLEAN)
    assert repo.commit("greeting").returncode == 0
    repo.write("docs/notes.md", "# Notes\n")
    assert repo.commit("notes").returncode == 0
    pushed = repo.git("push", "-q", "origin", "greeting")
    said = _said(pushed)
    assert pushed.returncode == 0, said
    assert "reviewing 2 file(s)" in said and "java.transactional-private-final" not in said
    # a push that changes no file (an empty commit) passes with a note
    assert repo.git("commit", "-q", "--allow-empty", "--no-verify", "-m", "empty").returncode == 0
    again = repo.git("push", "-q", "origin", "greeting")
    assert again.returncode == 0, _said(again)
    assert "the hook passes" in _said(again)
