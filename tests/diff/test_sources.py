from __future__ import annotations

import io
from pathlib import Path

import pytest

from mochi.diff.git import Git
from mochi.diff.parse import parse_diff
from mochi.diff.sources import local_diff_text, read_diff_file, resolve_local_target
from mochi.errors import BadRefError, EmptyChangeError, TargetError, UsageError
from mochi.models import ChangeKind, FileDiff, TargetKind
from tests.gitrepo import GitRepo

from .conftest import FIXTURES

TEN_LINES = "".join(f"line {i}\n" for i in range(1, 11))
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x01"


@pytest.fixture
def feature(repo: GitRepo) -> tuple[GitRepo, str]:
    """main with a root commit; `feature` branched from it with committed, staged, uncommitted,
    untracked and ignored changes; main moved on after the branch point. Returns (repo, root sha)."""
    repo.write("a.py", "def f():\n    return 1\n")
    repo.write("old_name.txt", TEN_LINES)
    repo.write("gone.txt", "bye\n")
    repo.write("img.png", PNG)
    repo.write("shared.txt", "shared\n")
    repo.write(".gitignore", "*.log\n")
    root = repo.commit("root")

    repo.checkout("-b", "feature")
    repo.write("a.py", "def f():\n    return 2\n")
    repo.run("mv", "old_name.txt", "new_name.txt")
    repo.delete("gone.txt")
    repo.write("img.png", PNG + b"\x00more")
    repo.write("dir with space/café.txt", "bonjour\n")
    repo.commit("feature work")

    repo.checkout("main")
    repo.write("main_only.txt", "only on main\n")
    repo.write("shared.txt", "changed on main\n")
    repo.commit("main moves on")
    repo.checkout("feature")

    repo.write("a.py", "def f():\n    return 2\n\n\ndef g():\n    return 3\n")  # uncommitted
    repo.write("staged.py", "S = 1\n")
    repo.run("add", "staged.py")
    repo.write("untracked.py", "U = 1\n")
    repo.write("pkg/untracked_bin.dat", b"\x00\x01\x02")
    repo.write("debug.log", "ignored\n")
    GitRepo(repo.path / "nested_checkout").write("inner.txt", "a separate repository\n")
    return repo, root


def by_path(text: str) -> dict[str, FileDiff]:
    return {f.path: f for f in parse_diff(text)}


def test_worktree_against_merge_base_includes_uncommitted_staged_and_untracked(
    feature: tuple[GitRepo, str],
) -> None:
    repo, root = feature
    git = Git(repo.path)
    target = resolve_local_target(git, base="main", head=None, staged=False)
    assert target.kind is TargetKind.WORKTREE
    assert (target.base, target.base_sha, target.branch) == ("main", root, "feature")
    assert target.repo is not None and target.repo.resolve() == repo.path.resolve()

    files = by_path(local_diff_text(git, target))
    assert set(files) == {
        "a.py",
        "new_name.txt",
        "gone.txt",
        "img.png",
        "dir with space/café.txt",
        "staged.py",
        "untracked.py",
        "pkg/untracked_bin.dat",
    }
    # main's later commits are not part of the change; ignored files are not either
    assert "main_only.txt" not in files and "shared.txt" not in files and "debug.log" not in files

    a = files["a.py"]
    assert [(ln.new_no, ln.text) for ln in a.added_lines()] == [
        (2, "    return 2"),
        (3, ""),
        (4, ""),
        (5, "def g():"),
        (6, "    return 3"),
    ]
    renamed = files["new_name.txt"]
    assert (renamed.change, renamed.old_path, renamed.hunks) == (ChangeKind.RENAMED, "old_name.txt", ())
    assert files["gone.txt"].change is ChangeKind.DELETED
    assert files["img.png"].binary and files["img.png"].change is ChangeKind.MODIFIED
    assert files["dir with space/café.txt"].change is ChangeKind.ADDED
    assert [ln.text for ln in files["dir with space/café.txt"].added_lines()] == ["bonjour"]
    assert files["untracked.py"].change is ChangeKind.ADDED
    assert [(ln.new_no, ln.text) for ln in files["untracked.py"].added_lines()] == [(1, "U = 1")]
    assert files["pkg/untracked_bin.dat"].binary


def test_worktree_default_base_is_found(feature: tuple[GitRepo, str]) -> None:
    repo, root = feature
    target = resolve_local_target(Git(repo.path / "pkg"), base=None, head=None, staged=False)
    assert (target.base, target.base_sha) == ("main", root)


def test_staged_is_the_index_against_head(feature: tuple[GitRepo, str]) -> None:
    repo, _ = feature
    git = Git(repo.path)
    target = resolve_local_target(git, base=None, head=None, staged=True)
    assert (target.kind, target.base, target.base_sha) == (TargetKind.STAGED, "HEAD", repo.head())
    files = by_path(local_diff_text(git, target))
    assert list(files) == ["staged.py"]
    assert files["staged.py"].change is ChangeKind.ADDED


def test_range_is_committed_changes_since_the_merge_base(feature: tuple[GitRepo, str]) -> None:
    repo, root = feature
    git = Git(repo.path)
    target = resolve_local_target(git, base="main", head="feature", staged=False)
    assert (target.kind, target.base_sha, target.head_sha) == (
        TargetKind.RANGE,
        root,
        git.rev_parse("feature"),
    )
    files = by_path(local_diff_text(git, target))
    assert set(files) == {"a.py", "new_name.txt", "gone.txt", "img.png", "dir with space/café.txt"}
    assert [ln.text for ln in files["a.py"].added_lines()] == ["    return 2"]


def test_empty_changes_say_what_was_compared(repo: GitRepo) -> None:
    repo.write("a.txt", "a\n")
    root = repo.commit("root")
    repo.checkout("-b", "idle")
    git = Git(repo.path)

    worktree = resolve_local_target(git, base=None, head=None, staged=False)
    with pytest.raises(EmptyChangeError, match=rf"no changes against main \(merge-base {root[:7]}\).*--base"):
        local_diff_text(git, worktree)

    staged = resolve_local_target(git, base=None, head=None, staged=True)
    with pytest.raises(EmptyChangeError, match="nothing is staged"):
        local_diff_text(git, staged)

    rng = resolve_local_target(git, base="main", head="idle", staged=False)
    with pytest.raises(EmptyChangeError, match="idle has no changes since its merge-base with main"):
        local_diff_text(git, rng)


def test_a_repository_without_commits(repo: GitRepo) -> None:
    repo.write("first.py", "print('hi')\n")
    repo.run("add", "first.py")
    git = Git(repo.path)
    target = resolve_local_target(git, base=None, head=None, staged=True)
    assert target.base_sha is None
    (f,) = parse_diff(local_diff_text(git, target))
    assert (f.path, f.change) == ("first.py", ChangeKind.ADDED)
    with pytest.raises(TargetError, match="no commits yet.*--staged"):
        resolve_local_target(git, base=None, head=None, staged=False)


def test_bad_base_and_conflicting_flags(feature: tuple[GitRepo, str]) -> None:
    repo, _ = feature
    git = Git(repo.path)
    with pytest.raises(BadRefError, match="unknown revision 'no-such-branch'"):
        resolve_local_target(git, base="no-such-branch", head=None, staged=False)
    with pytest.raises(UsageError, match="--staged"):
        resolve_local_target(git, base=None, head="feature", staged=True)


def test_detached_head_has_no_branch(feature: tuple[GitRepo, str]) -> None:
    repo, _ = feature
    repo.run("stash", "-u", "-q")
    repo.checkout("--detach", "feature")
    target = resolve_local_target(Git(repo.path), base="main", head=None, staged=False)
    assert target.branch is None


def test_the_users_git_config_does_not_change_the_diff(feature: tuple[GitRepo, str], tmp_path: Path) -> None:
    repo, _ = feature
    hostile = tmp_path / "gitconfig"
    hostile.write_text(
        "[diff]\n\tnoprefix = true\n\tmnemonicPrefix = true\n\trenames = false\n\texternal = false\n"
        "[color]\n\tui = always\n\tdiff = always\n[core]\n\tquotepath = false\n"
    )
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "GIT_CONFIG_GLOBAL": str(hostile)}
    git = Git(repo.path, env=env)
    target = resolve_local_target(git, base="main", head="feature", staged=False)
    text = local_diff_text(git, target)
    assert "\x1b[" not in text
    files = by_path(text)
    assert files["new_name.txt"].change is ChangeKind.RENAMED
    assert "dir with space/café.txt" in files


def test_read_diff_file_from_stdin_and_from_a_path(tmp_path: Path) -> None:
    raw = (FIXTURES / "diffs" / "git_cr.diff").read_bytes()
    text = read_diff_file("-", io.BytesIO(raw))
    (f,) = parse_diff(text)
    assert len(f.added_lines()) == 3  # the CRs inside lines survived reading

    path = tmp_path / "change.patch"
    path.write_bytes(b"\xef\xbb\xbf--- a/x\n+++ b/x\n@@ -1 +1 @@\n-\xff\n+ok\n")
    (g,) = parse_diff(read_diff_file(str(path), io.BytesIO()))
    assert [ln.text for h in g.hunks for ln in h.lines] == ["\ufffd", "ok"]

    utf16 = tmp_path / "powershell.diff"
    utf16.write_bytes("--- a/y\n+++ b/y\n@@ -0,0 +1 @@\n+é\n".encode("utf-16"))
    (h,) = parse_diff(read_diff_file(str(utf16), io.BytesIO()))
    assert h.added_lines()[0].text == "é"


def test_read_diff_file_errors(tmp_path: Path) -> None:
    with pytest.raises(TargetError, match=r"diff file .*missing.diff does not exist.*pass -"):
        read_diff_file(str(tmp_path / "missing.diff"), io.BytesIO())
    with pytest.raises(TargetError, match="is a directory"):
        read_diff_file(str(tmp_path), io.BytesIO())
    with pytest.raises(EmptyChangeError, match="standard input is empty"):
        read_diff_file("-", io.BytesIO(b"\n"))
