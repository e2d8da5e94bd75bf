from __future__ import annotations

from pathlib import Path

import pytest

from mochi.diff.git import Git
from mochi.errors import BadRefError, NotARepositoryError, TargetError
from tests.gitrepo import GitRepo


def test_not_a_repository(tmp_path: Path) -> None:
    with pytest.raises(
        NotARepositoryError, match=r"is not a git repository: run mochi inside a checkout or pass --repo PATH"
    ):
        Git(tmp_path)
    with pytest.raises(NotARepositoryError, match="--repo PATH"):
        Git(tmp_path / "does-not-exist")


def test_toplevel_from_a_subdirectory(repo: GitRepo) -> None:
    repo.write("src/deep/x.py", "x = 1\n")
    repo.commit("x")
    git = Git(repo.path / "src" / "deep")
    assert git.toplevel().resolve() == repo.path.resolve()
    # paths are relative to the top level whichever directory we started in
    assert git.show_file("HEAD", "src/deep/x.py") == "x = 1\n"


def test_rev_parse_and_bad_ref(repo: GitRepo) -> None:
    sha = repo.commit("first")
    git = Git(repo.path)
    assert git.rev_parse("HEAD") == sha
    assert git.rev_parse("main") == sha
    with pytest.raises(
        BadRefError, match=r"unknown revision 'nope': check the name with `git branch -a` or fetch it"
    ):
        git.rev_parse("nope")


def test_refs_that_look_like_options_are_refused(repo: GitRepo, tmp_path: Path) -> None:
    repo.commit("first")
    git = Git(repo.path)
    out = tmp_path / "pwned"
    for ref in (f"--output={out}", "-h", ""):
        with pytest.raises(BadRefError, match="cannot be empty or start with '-'"):
            git.rev_parse(ref)
        with pytest.raises(BadRefError):
            git.merge_base(ref, "HEAD")
    assert not out.exists()


def test_run_reports_gits_complaint(repo: GitRepo) -> None:
    git = Git(repo.path)
    with pytest.raises(TargetError, match="`git cat-file -p nothing-here` failed: Not a valid object name"):
        git.run("cat-file", "-p", "nothing-here")


def test_merge_base_and_current_branch(repo: GitRepo) -> None:
    root = repo.commit("root")
    repo.checkout("-b", "feature")
    repo.write("f.txt", "f\n")
    feature = repo.commit("feature work")
    repo.checkout("main")
    repo.write("m.txt", "m\n")
    repo.commit("main moves on")
    git = Git(repo.path)
    assert git.current_branch() == "main"
    assert git.merge_base("main", "feature") == root
    repo.checkout("--detach", feature)
    assert git.current_branch() is None


def test_unrelated_histories_have_no_merge_base(repo: GitRepo) -> None:
    repo.commit("root")
    repo.checkout("--orphan", "other")
    repo.commit("another root")
    with pytest.raises(BadRefError, match="no common ancestor"):
        Git(repo.path).merge_base("main", "other")


def test_default_base_local_branches(repo: GitRepo) -> None:
    repo.commit("root")
    git = Git(repo.path)
    assert git.default_base() == "main"
    repo.run("branch", "-m", "main", "master")
    assert git.default_base() == "master"
    repo.run("branch", "-m", "master", "trunk")
    with pytest.raises(BadRefError, match="Pass --base BRANCH"):
        git.default_base()


def test_default_base_from_origin_head(tmp_path: Path) -> None:
    origin = GitRepo.bare(tmp_path / "origin.git")
    seed = GitRepo.clone(origin, tmp_path / "seed")
    seed.write("README", "hi\n")
    seed.commit("root")
    seed.run("push", "-q", "origin", "main")
    seed.run("push", "-q", "origin", "main:develop")
    # the remote's default branch is develop; a clone records it as origin/HEAD
    GitRepo(origin, init=False).run("symbolic-ref", "HEAD", "refs/heads/develop")
    clone = GitRepo.clone(origin, tmp_path / "clone")
    clone.checkout("-b", "topic")
    assert Git(clone.path).default_base() == "origin/develop"

    # without origin/HEAD, origin/main comes before a local main
    clone.run("remote", "set-head", "origin", "--delete")
    assert Git(clone.path).default_base() == "origin/main"


def test_show_file_at_a_revision_and_in_the_working_tree(repo: GitRepo) -> None:
    repo.write("a.txt", "one\n")
    first = repo.commit("one")
    repo.write("a.txt", "two\n")
    repo.write("staged.txt", "in the index\n")
    repo.run("add", "staged.txt")
    repo.write("staged.txt", "edited after staging\n")
    git = Git(repo.path)
    assert git.show_file(":", "staged.txt") == "in the index\n"
    assert git.show_file(":", "a.txt") == "one\n"
    assert git.show_file(":", "untracked.txt") is None
    assert git.show_file(first, "a.txt") == "one\n"
    assert git.show_file(None, "a.txt") == "two\n"
    assert git.show_file(first, "missing.txt") is None
    assert git.show_file(None, "missing.txt") is None
    (repo.path.parent / "outside.txt").write_text("secret\n")
    assert git.show_file(None, "../outside.txt") is None
    with pytest.raises(BadRefError):
        git.show_file("no-such-rev", "a.txt")


def test_check_attr(repo: GitRepo) -> None:
    repo.write(
        ".gitattributes",
        "gen/** linguist-generated\nlib/** linguist-vendored=true\nkeep.pb.go -linguist-generated\n",
    )
    git = Git(repo.path)
    values = git.check_attr(
        "linguist-generated", ["gen/api.ts", "src/app.ts", "keep.pb.go", "dir with space/x"]
    )
    assert values == {
        "gen/api.ts": "set",
        "src/app.ts": "unspecified",
        "keep.pb.go": "unset",
        "dir with space/x": "unspecified",
    }
    assert git.check_attr("linguist-vendored", ["lib/x.js"]) == {"lib/x.js": "true"}
    assert git.check_attr("linguist-vendored", []) == {}
