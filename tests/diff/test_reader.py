from __future__ import annotations

import os
import shutil
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from mochi.diff.git import Git
from mochi.diff.reader import CachedReader, GitBlobReader
from mochi.errors import BadRefError, TargetError
from tests.gitrepo import GitRepo

REAL_GIT = shutil.which("git")


def counting_git(tmp_path: Path, *, before_exec: str = "") -> tuple[dict[str, str], Path]:
    """An environment whose PATH starts with a `git` that logs its argv and runs the real one."""
    assert REAL_GIT is not None
    bin_dir, log = tmp_path / "shim-bin", tmp_path / "git-calls.log"
    bin_dir.mkdir()
    shim = bin_dir / "git"
    shim.write_text(f'#!/bin/sh\nprintf "%s\\n" "$*" >> "{log}"\n{before_exec}exec "{REAL_GIT}" "$@"\n')
    shim.chmod(0o755)
    log.touch()
    env = dict(os.environ, PATH=f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    return env, log


def calls(log: Path) -> list[str]:
    return log.read_text().splitlines()


@pytest.fixture
def history(repo: GitRepo) -> dict[str, str]:
    """Two commits and a staged and an unstaged change of app.py on top."""
    repo.write("app.py", "v1\n")
    repo.write("docs/read me é.md", "héllo wörld\n")
    first = repo.commit("first")
    repo.write("app.py", "v2\n")
    second = repo.commit("second")
    repo.write("app.py", "staged\n")
    repo.run("add", "app.py")
    repo.write("app.py", "working\n")
    return {"first": first, "second": second}


def test_reads_at_a_commit_the_index_and_the_working_tree(repo: GitRepo, history: dict[str, str]) -> None:
    git = Git(repo.path)
    with (
        GitBlobReader(git, history["first"]) as first,
        GitBlobReader(git, "HEAD") as head,
        GitBlobReader(git, ":") as index,
        GitBlobReader(git, None) as tree,
    ):
        assert first("app.py") == "v1\n"
        assert head("app.py") == "v2\n"
        assert index("app.py") == "staged\n"
        assert tree("app.py") == "working\n"
        assert head.rev_sha == history["second"] and first.rev_sha == history["first"]
        assert index.rev_sha is None and tree.rev_sha is None
        for reader in (first, head, index, tree):
            assert reader("docs/read me é.md") == "héllo wörld\n"  # spaces and non-ASCII
            assert reader("nope.py") is None
            assert reader.exists("app.py") and not reader.exists("nope.py")
            assert reader("docs") is None  # a directory is not a file


def test_results_match_show_file(repo: GitRepo) -> None:
    repo.write("bin/blob.dat", bytes(range(256)) * 3)
    repo.write("latin1.txt", "caf\xe9\n".encode("latin-1"))
    repo.write("crlf.txt", b"a\r\nb\r\n")
    repo.write("empty.txt", "")
    repo.write("no-newline.txt", "last")
    repo.commit("odd files")
    git = Git(repo.path)
    with GitBlobReader(git, "HEAD") as reader:
        for path in ("bin/blob.dat", "latin1.txt", "crlf.txt", "empty.txt", "no-newline.txt"):
            assert reader(path) == git.show_file("HEAD", path), path
        assert reader("latin1.txt") == "caf\ufffd\n"  # cached, and decoded like show_file
        assert reader("empty.txt") == ""


def test_a_file_larger_than_a_pipe_buffer_keeps_the_stream_in_step(repo: GitRepo) -> None:
    big = "".join(f"line {i:06d} {'x' * 60}\n" for i in range(4000))  # ~280 KiB
    repo.write("big.txt", big)
    repo.write("small.txt", "small\n")
    repo.commit("big")
    with GitBlobReader(Git(repo.path), "HEAD") as reader:
        assert reader("big.txt") == big
        assert reader("small.txt") == "small\n"
        assert reader("missing.txt") is None
        assert reader("small.txt") == "small\n"


def test_paths_that_escape_the_repository_are_none(repo: GitRepo, tmp_path: Path) -> None:
    (tmp_path / "secret.txt").write_text("secret\n")
    repo.write("a/b.txt", "b\n")
    repo.commit("b")
    repo.run("add", "-A")
    git = Git(repo.path)
    outside = ("../secret.txt", "a/../../secret.txt", str(tmp_path / "secret.txt"), "/etc/passwd", "")
    for rev in (None, ":", "HEAD"):
        with GitBlobReader(git, rev) as reader:
            assert reader("a/b.txt") == "b\n"
            for path in outside:
                assert reader(path) is None, (rev, path)


def test_index_paths_that_look_like_stage_numbers(repo: GitRepo) -> None:
    repo.write("x", "plain x\n")
    repo.write("1:x", "one colon x\n")
    repo.run("add", "-A")
    with GitBlobReader(Git(repo.path), ":") as index:
        # ":1:x" would be stage 1 of "x"; the reader asks for ":0:1:x"
        assert index("1:x") == "one colon x\n"
        assert index("x") == "plain x\n"


def test_a_path_with_a_newline_falls_back_to_show_file(repo: GitRepo) -> None:
    repo.write("two\nlines.txt", "odd name\n")
    repo.write("after.txt", "after\n")
    repo.commit("odd name")
    with GitBlobReader(Git(repo.path), "HEAD") as reader:
        assert reader("two\nlines.txt") == "odd name\n"
        assert reader("after.txt") == "after\n"  # the batch stream was not disturbed


def test_a_submodule_entry_is_not_a_file(repo: GitRepo, history: dict[str, str]) -> None:
    repo.run("update-index", "--add", "--cacheinfo", f"160000,{history['first']},vendor/lib")
    repo.commit("submodule", stage_all=False)
    with GitBlobReader(Git(repo.path), "HEAD") as reader:
        assert reader("vendor/lib") is None  # a gitlink: its "content" is a commit
        assert reader("app.py") == "staged\n"


def test_a_bad_revision_raises_on_the_first_read(repo: GitRepo, history: dict[str, str]) -> None:
    with GitBlobReader(Git(repo.path), "no-such-branch") as reader:
        with pytest.raises(BadRefError, match="unknown revision 'no-such-branch'"):
            reader("app.py")
        with pytest.raises(BadRefError):
            _ = reader.rev_sha


def test_concurrent_reads_from_threads(repo: GitRepo) -> None:
    contents = {f"src/m{i:03d}.py": f"# module {i}\n" + "pass\n" * (i * 7 % 500) for i in range(200)}
    for path, text in contents.items():
        repo.write(path, text)
    repo.commit("many")
    paths = [*contents, "gone.py"] * 5
    with GitBlobReader(Git(repo.path), "HEAD") as reader, ThreadPoolExecutor(16) as pool:
        results = list(pool.map(reader, paths))
    assert results == [contents.get(p) for p in paths]


def test_300_files_read_3_times_start_at_most_3_git_processes(repo: GitRepo, tmp_path: Path) -> None:
    for i in range(300):
        repo.write(f"pkg/f{i}.ts", f"export const v{i} = {i};\n")
    repo.commit("300 files")
    env, log = counting_git(tmp_path)
    git = Git(repo.path, env=env)
    started = len(calls(log))  # Git() itself asks rev-parse where the work tree is
    with GitBlobReader(git, "main") as reader, ThreadPoolExecutor(8) as pool:
        for _ in range(3):
            texts = list(pool.map(reader, [f"pkg/f{i}.ts" for i in range(300)]))
            assert texts == [f"export const v{i} = {i};\n" for i in range(300)]
    spawned = calls(log)[started:]
    assert len(spawned) <= 3, spawned
    assert spawned == ["rev-parse --verify --quiet --end-of-options main^{commit}", "cat-file --batch"]


def test_an_unused_reader_starts_nothing(repo: GitRepo, history: dict[str, str], tmp_path: Path) -> None:
    env, log = counting_git(tmp_path)
    git = Git(repo.path, env=env)
    started = len(calls(log))
    with GitBlobReader(git, "HEAD"):
        pass
    GitBlobReader(git, ":").close()
    assert calls(log)[started:] == []


def test_reading_after_close_is_an_error(repo: GitRepo, history: dict[str, str]) -> None:
    reader = GitBlobReader(Git(repo.path), "HEAD")
    assert reader("app.py") == "v2\n"
    reader.close()
    reader.close()
    with pytest.raises(RuntimeError, match="file reader for revision 'HEAD' is closed"):
        reader("app.py")


def test_a_dead_batch_process_is_restarted_once(repo: GitRepo, history: dict[str, str]) -> None:
    with GitBlobReader(Git(repo.path), "HEAD") as reader:
        assert reader("app.py") == "v2\n"
        proc = reader._proc  # the cat-file process: kill it behind the reader's back
        assert proc is not None
        proc.kill()
        proc.wait()
        assert reader("docs/read me é.md") == "héllo wörld\n"
        assert reader._proc is not None and reader._proc.pid != proc.pid


def test_a_batch_process_that_keeps_failing_raises(
    repo: GitRepo, history: dict[str, str], tmp_path: Path
) -> None:
    fail = 'case "$1" in cat-file) echo "fatal: the object store is on fire" >&2; exit 128;; esac\n'
    env, log = counting_git(tmp_path, before_exec=fail)
    with (
        GitBlobReader(Git(repo.path, env=env), "HEAD") as reader,
        pytest.raises(TargetError, match="ended unexpectedly twice.*the object store is on fire"),
    ):
        reader("app.py")
    assert [c for c in calls(log) if c.startswith("cat-file")] == ["cat-file --batch"] * 2


def test_cached_reader_fetches_each_path_once_across_threads() -> None:
    fetched: list[str] = []
    gate = threading.Event()

    def fetch(path: str) -> str | None:
        gate.wait(5)  # hold every fetch until all threads are asking
        fetched.append(path)
        return None if path.startswith("missing") else f"text of {path}"

    reader = CachedReader(fetch)
    paths = [f"f{i % 20}.py" for i in range(200)] + ["missing.py"] * 10
    with ThreadPoolExecutor(16) as pool:
        futures = [pool.submit(reader, p) for p in paths]
        gate.set()
        results = [f.result() for f in futures]
    assert results == [None if p.startswith("missing") else f"text of {p}" for p in paths]
    assert sorted(fetched) == sorted(set(paths))
    assert reader.exists("f1.py") and not reader.exists("missing.py")
    assert len(fetched) == 21


def test_cached_reader_does_not_remember_failures() -> None:
    attempts: list[str] = []

    def flaky(path: str) -> str | None:
        attempts.append(path)
        if len(attempts) == 1:
            raise ConnectionError("reset by peer")
        return "ok"

    reader = CachedReader(flaky)
    with pytest.raises(ConnectionError):
        reader("a.py")
    assert reader("a.py") == "ok" and reader("a.py") == "ok"
    assert attempts == ["a.py", "a.py"]
