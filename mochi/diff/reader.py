"""Cached, thread-safe readers of file contents, for the reviews that read each file several times.

    with GitBlobReader(git, head_sha) as read:     # one rev-parse, one `git cat-file --batch`
        text = read("src/App.java")                # None when the file is not there
        read.exists("pom.xml")

    read_remote = CachedReader(lambda path: client.contents(path, ref=head_sha))

`Git.show_file` starts two or three git processes per read, and a review reads each changed file
about three times (context, framework detection, publishing), which made git most of a CI run's
CPU. GitBlobReader resolves its revision once and asks one long-lived `git cat-file --batch` for
every blob; both readers remember every answer, including "not there".
"""

from __future__ import annotations

import re
import subprocess
import tempfile
import threading
import weakref
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from pathlib import PurePosixPath
from types import TracebackType
from typing import IO, Self

from mochi.diff.git import Git
from mochi.errors import TargetError
from mochi.models import FileDiff, LineKind, ReviewTarget, TargetKind

ReadFile = Callable[[str], str | None]

# `<oid> <type> <size>`: the header cat-file --batch writes before an object's content
_HEADER = re.compile(rb"^([0-9a-f]{40,64}) ([a-z]+) ([0-9]+)\n$")
# how cat-file --batch says it cannot name the object; the line starts with our own request
_NOT_FOUND = (b" missing\n", b" ambiguous\n")


class GitBlobReader:
    """The text of files at one revision, read through one `git cat-file --batch` and cached.

    `rev` None reads the working tree (only inside it, as Git.show_file does), ":" the index (what
    is staged) and anything else names a commit, resolved with `git rev-parse` once, on the first
    read. Calling the reader with a path relative to the top level returns the text (UTF-8, bad
    bytes replaced) or None when there is no such file. Paths that leave the repository ("..",
    absolute) are None without asking git. Safe to call from several threads.

    If the cat-file process dies it is restarted once for the read that noticed; when the
    restarted one fails too the read raises TargetError with git's complaint. `close()` (or the
    `with` block) ends the process; reading after that raises RuntimeError.
    """

    def __init__(self, git: Git, rev: str | None) -> None:
        """Bind to `git` at `rev`; no git process starts until something is read."""
        self._git = git
        self._rev = rev
        self._sha: str | None = None
        self._cache: dict[str, str | None] = {}
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[bytes] | None = None
        self._stderr: IO[bytes] | None = None
        self._closed = False

    # ------------------------------------------------------------------ public

    def __call__(self, path: str) -> str | None:
        """The text of `path` at the reader's revision, or None when it is not a file there."""
        with self._lock:
            if self._closed:
                raise RuntimeError(f"the file reader for {self._describe()} is closed")
            if path in self._cache:
                return self._cache[path]
            text = self._read(path)
            self._cache[path] = text
            return text

    def exists(self, path: str) -> bool:
        """True when `path` is a file at the reader's revision (its text is read and cached)."""
        return self(path) is not None

    @property
    def rev_sha(self) -> str | None:
        """The commit sha the revision names (resolved now if no read did it yet); None for the
        working tree and the index. Raises BadRefError when git cannot resolve it."""
        if self._rev is None or self._rev == ":":
            return None
        with self._lock:
            return self._resolve()

    def close(self) -> None:
        """End the cat-file process, if one was started. Calling it twice is harmless."""
        with self._lock:
            self._closed = True
            self._stop()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # ------------------------------------------------------------------ reading (lock held)

    def _read(self, path: str) -> str | None:
        if not _inside_repository(path):
            return None
        if self._rev is None:
            return self._git.show_file(None, path)
        rev = ":" if self._rev == ":" else self._resolve()
        # the batch protocol is one name per line and git drops a CR before the LF: such names
        # cannot be sent, so they take the slow road (they are rare enough not to matter)
        if "\n" in path or path.endswith("\r"):
            return self._git.show_file(rev, path)
        # ":0:" rather than ":" for the index: a path like "1:x" would otherwise read as stage 1
        spec = f":0:{path}" if rev == ":" else f"{rev}:{path}"
        data = self._request(spec.encode("utf-8"))
        return None if data is None else data.decode("utf-8", errors="replace")

    def _resolve(self) -> str:
        if self._sha is None:
            assert self._rev is not None
            self._sha = self._git.rev_parse(self._rev)
        return self._sha

    def _request(self, name: bytes) -> bytes | None:
        """The content of blob `name`, None when it is missing or not a blob."""
        for attempt in (1, 2):
            proc = self._process()
            assert proc.stdin is not None and proc.stdout is not None
            try:
                proc.stdin.write(name + b"\n")
                proc.stdin.flush()
                header = proc.stdout.readline()
                if header.endswith(_NOT_FOUND) and header.startswith(name + b" "):
                    return None
                match = _HEADER.match(header)
                if match is None:
                    if header:
                        raise TargetError(
                            f"`git cat-file --batch` gave an unexpected answer: {header[:200]!r}"
                        )
                    raise EOFError
                size = int(match.group(3))
                data = proc.stdout.read(size + 1)  # the content and the LF after it
                if len(data) != size + 1:
                    raise EOFError
            except (OSError, EOFError):
                complaint = self._stop()
                if attempt == 2:
                    raise TargetError(
                        f"`git cat-file --batch` ended unexpectedly twice while reading {self._describe()}: "
                        f"{complaint or 'no message from git'}"
                    ) from None
                continue
            except BaseException:
                # an answer we do not understand, or an interrupt mid-answer: the stream is out of
                # step, so the next read starts a fresh process
                self._stop()
                raise
            return data[:size] if match.group(2) == b"blob" else None
        raise AssertionError("unreachable")

    def _process(self) -> subprocess.Popen[bytes]:
        if self._proc is None:
            # a file, not a pipe, for stderr: nobody reads it until something goes wrong
            self._stderr = tempfile.TemporaryFile()  # noqa: SIM115  (closed by _stop)
            self._proc = self._git.popen("cat-file", "--batch", stderr=self._stderr)
            # a reader nobody closes (the review's readers live as long as the review) still ends
            # its process when it is collected or the interpreter exits
            weakref.finalize(self, _end, self._proc)
        return self._proc

    def _stop(self) -> str:
        """End the process (if any) and return what git wrote to stderr."""
        proc, err = self._proc, self._stderr
        self._proc, self._stderr = None, None
        if proc is None:
            return ""
        for stream in (proc.stdin, proc.stdout):
            try:
                if stream is not None:
                    stream.close()
            except OSError:
                pass  # a broken pipe to a process that is gone already
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        complaint = ""
        if err is not None:
            err.seek(0)
            complaint = " ".join(err.read().decode("utf-8", errors="replace").split())[:400]
            err.close()
        return complaint

    def _describe(self) -> str:
        return {None: "the working tree", ":": "the index"}.get(self._rev, f"revision '{self._rev}'")


def _end(proc: subprocess.Popen[bytes]) -> None:
    """End a cat-file process: closing its stdin is its signal to exit."""
    for stream in (proc.stdin, proc.stdout):
        try:
            if stream is not None:
                stream.close()
        except OSError:
            pass
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


class CachedReader:
    """Wraps `fetch` (path -> text or None, e.g. a host API's contents at a head sha) so that each
    path is fetched at most once, whichever threads ask.

    Different paths are fetched concurrently; callers asking for a path being fetched wait for
    that fetch. A fetch that raises is not remembered: its waiters get the same exception and the
    next caller tries again.
    """

    def __init__(self, fetch: Callable[[str], str | None]) -> None:
        """Remember what `fetch` answers, by path."""
        self._fetch = fetch
        self._lock = threading.Lock()
        self._cache: dict[str, str | None] = {}
        self._pending: dict[str, Future[str | None]] = {}

    def __call__(self, path: str) -> str | None:
        """What `fetch(path)` answered, fetching it now if no one has yet."""
        with self._lock:
            if path in self._cache:
                return self._cache[path]
            pending = self._pending.get(path)
            if pending is None:
                future: Future[str | None] = Future()
                self._pending[path] = future
        if pending is not None:
            return pending.result()  # someone else is fetching it: share their answer
        try:
            text = self._fetch(path)
        except BaseException as exc:
            with self._lock:
                del self._pending[path]
            future.set_exception(exc)
            raise
        with self._lock:
            self._cache[path] = text
            del self._pending[path]
        future.set_result(text)
        return text

    def exists(self, path: str) -> bool:
        """True when `fetch` finds `path` (its text is fetched and cached)."""
        return self(path) is not None


def _inside_repository(path: str) -> bool:
    """False for paths that would leave the repository: empty, absolute, or with a ".." part."""
    parts = PurePosixPath(path)
    return bool(path) and not parts.is_absolute() and ".." not in parts.parts


# --------------------------------------------------------------------------- a review's readers


def make_readers(
    git: Git | None, target: ReviewTarget, diff_files: Mapping[str, FileDiff] | None = None
) -> tuple[ReadFile, ReadFile]:
    """(read_changed, read_repo): the exact new content of a changed file, and any repo file.

    A diff read from a file may not match the working tree: a changed file's text is then read
    only when it matches its diff (`diff_files`, filled once the diff is read), and otherwise
    reconstructed from the hunks (read_changed returns None) while manifests and convention
    files still come from the working tree.
    """
    if git is None:
        return (lambda _p: None), (lambda _p: None)
    rev: str | None
    if target.kind is TargetKind.RANGE:
        rev = target.head_sha
    elif target.kind is TargetKind.STAGED:
        rev = ":"  # the index
    else:
        rev = None

    read_repo = GitBlobReader(git, rev)  # one `git cat-file --batch`, every file read once
    if target.kind is TargetKind.DIFF_FILE:
        return matching_reader(read_repo, diff_files if diff_files is not None else {}), read_repo
    return read_repo, read_repo


def matching_reader(read: ReadFile, files: Mapping[str, FileDiff]) -> ReadFile:
    """`read`, but only for a file whose text has every added line of its diff where the diff says:
    a diff from a file read next to a checkout whose files match it gets their whole text (rules
    that need a function's header outside the hunk see it); a mismatch rebuilds from the hunks."""

    def read_matching(path: str) -> str | None:
        f = files.get(path)
        text = read(path)
        if f is None or text is None:
            return None
        lines = text.split("\n")
        for ln in (ln for h in f.hunks for ln in h.lines if ln.kind is LineKind.ADDED):
            n = ln.new_no or 0
            if not 0 < n <= len(lines) or lines[n - 1].rstrip("\r") != ln.text.rstrip("\r"):
                return None
        return text

    return read_matching
