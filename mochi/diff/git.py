"""A small wrapper around the git CLI, bound to one work tree.

Every call is `git <args>` without a shell, in the C locale (so messages we match on are English),
and user-supplied refs and paths are kept away from option parsing (`--end-of-options`, `--`, and
a refusal of refs that start with "-").
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import IO

from mochi.errors import BadRefError, NotARepositoryError, TargetError

# Where the remote's default branch may be found, in order (see Git.default_base).
_DEFAULT_BRANCH_CANDIDATES = (
    ("refs/remotes/origin/main", "origin/main"),
    ("refs/remotes/origin/master", "origin/master"),
    ("refs/heads/main", "main"),
    ("refs/heads/master", "master"),
)


class Git:
    """git commands run in one work tree. Constructing it checks that `repo` is one."""

    def __init__(self, repo: Path, *, env: Mapping[str, str] | None = None) -> None:
        """Bind to the work tree containing `repo`.

        `env` is the environment git runs with (None: this process's own, as subprocess would
        pass it); LC_ALL=C is always added. Raises NotARepositoryError outside a work tree.
        """
        self.repo = Path(repo)
        base_env = dict(os.environ if env is None else env)
        base_env["LC_ALL"] = "C"
        # never wait for a password prompt: there is no one to answer it in CI
        base_env["GIT_TERMINAL_PROMPT"] = "0"
        self._env = base_env
        self.top = self.repo
        if not self.repo.is_dir():
            raise NotARepositoryError(
                f"{self.repo} is not a git repository (no such directory): "
                "run mochi inside a checkout or pass --repo PATH"
            )
        try:
            inside = self.run("rev-parse", "--is-inside-work-tree").strip()
        except TargetError as exc:
            hint = ""
            if "dubious ownership" in exc.message:
                hint = (
                    " (git refuses a checkout owned by another user: "
                    f"`git config --global --add safe.directory {self.repo}`)"
                )
            raise NotARepositoryError(
                f"{self.repo} is not a git repository: run mochi inside a checkout or pass --repo PATH{hint}"
            ) from exc
        if inside != "true":
            raise NotARepositoryError(
                f"{self.repo} is not a git repository work tree: "
                "run mochi inside a checkout or pass --repo PATH"
            )
        # Run everything from the top level: diff, ls-files and check-attr paths are then all
        # relative to the same root, whichever subdirectory the user started in.
        self.top = Path(self.run("rev-parse", "--show-toplevel").strip())

    def run(self, *args: str, input: bytes | None = None, ok_codes: tuple[int, ...] = (0,)) -> str:
        """Run `git <args>` in the work tree and return its standard output as text.

        Raises TargetError with git's own complaint when git exits with a code not in `ok_codes`.
        """
        try:
            proc = subprocess.run(
                ["git", *args],
                cwd=self.top,
                input=input,
                capture_output=True,
                env=self._env,
                check=False,
            )
        except FileNotFoundError as exc:
            raise TargetError(
                "git is not installed or not on PATH: install git to review local changes"
            ) from exc
        if proc.returncode not in ok_codes:
            raise TargetError(f"`git {' '.join(args[:3])}` failed: {_summarise(proc.stderr)}")
        return proc.stdout.decode("utf-8", errors="replace")

    def popen(
        self, *args: str, stderr: int | IO[bytes] | None = subprocess.DEVNULL
    ) -> subprocess.Popen[bytes]:
        """Start `git <args>` as a long-lived process, for a protocol like `cat-file --batch`.

        Its standard input and output are binary pipes the caller drives; the caller must close
        stdin and wait for it. `stderr` is where git's complaints go (a pipe nobody reads could
        fill up and stall git, hence DEVNULL unless the caller passes a file).
        """
        try:
            return subprocess.Popen(
                ["git", *args],
                cwd=self.top,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=stderr,
                env=self._env,
            )
        except FileNotFoundError as exc:
            raise TargetError(
                "git is not installed or not on PATH: install git to review local changes"
            ) from exc

    def returncode(self, *args: str) -> int:
        """Run `git <args>` and return only its exit status (for yes/no questions)."""
        proc = subprocess.run(["git", *args], cwd=self.top, capture_output=True, env=self._env, check=False)
        return proc.returncode

    def toplevel(self) -> Path:
        """The root directory of the work tree."""
        return self.top

    def remote_url(self, name: str = "origin") -> str | None:
        """The URL of remote `name`, or None when there is no such remote."""
        return self.run("remote", "get-url", "--", name, ok_codes=(0, 2, 128)).strip() or None

    def rev_parse(self, ref: str) -> str:
        """The full commit sha `ref` names. Raises BadRefError when git cannot resolve it."""
        _check_ref(ref)
        proc_out = self.run(
            "rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}", ok_codes=(0, 1, 128)
        )
        sha = proc_out.strip()
        if not sha:
            raise BadRefError(
                f"unknown revision '{ref}': check the name with `git branch -a` or fetch it "
                f"(`git fetch origin {ref}`; shallow CI checkouts need fetch-depth: 0)"
            )
        return sha

    def merge_base(self, a: str, b: str) -> str:
        """The best common ancestor of `a` and `b`. Raises BadRefError when there is none."""
        sha_a, sha_b = self.rev_parse(a), self.rev_parse(b)
        out = self.run("merge-base", "--end-of-options", sha_a, sha_b, ok_codes=(0, 1))
        if not out.strip():
            raise BadRefError(
                f"'{a}' and '{b}' have no common ancestor (or the history is shallow): "
                "fetch more history (`git fetch --unshallow`) or pass another --base"
            )
        return out.strip()

    def current_branch(self) -> str | None:
        """The checked-out branch's short name, or None on a detached HEAD."""
        out = self.run("symbolic-ref", "--quiet", "--short", "HEAD", ok_codes=(0, 1, 128))
        return out.strip() or None

    def has_commits(self) -> bool:
        """False in a freshly initialised repository whose HEAD points at no commit yet."""
        return self.returncode("rev-parse", "--verify", "--quiet", "HEAD^{commit}") == 0

    def default_base(self) -> str:
        """The branch changes are usually compared against: the remote's default branch.

        origin/HEAD when it is set, else the first of origin/main, origin/master, main, master.
        """
        out = self.run("symbolic-ref", "--quiet", "refs/remotes/origin/HEAD", ok_codes=(0, 1, 128)).strip()
        if out.startswith("refs/remotes/"):
            return out[len("refs/remotes/") :]
        for full, short in _DEFAULT_BRANCH_CANDIDATES:
            if self.returncode("rev-parse", "--verify", "--quiet", f"{full}^{{commit}}") == 0:
                return short
        raise BadRefError(
            "cannot find the branch to compare against: no origin/HEAD, origin/main, origin/master, "
            "main or master here. Pass --base BRANCH (or run `git remote set-head origin --auto`)"
        )

    def show_file(self, rev: str | None, path: str) -> str | None:
        """The text of `path` (relative to the top level) at `rev`; rev None reads the working
        tree and rev ":" the index (what is staged). None when the file does not exist there."""
        if rev is None:
            full = self.top / path
            # only files inside the work tree: a path from a diff or a model answer may say "../"
            if not full.resolve().is_relative_to(self.top.resolve()) or not full.is_file():
                return None
            return full.read_bytes().decode("utf-8", errors="replace")
        spec = f":{path}" if rev == ":" else f"{self.rev_parse(rev)}:{path}"
        if self.returncode("cat-file", "-e", spec) != 0:
            return None
        return self.run("cat-file", "blob", spec)

    def check_attr(self, attr: str, paths: Iterable[str]) -> dict[str, str]:
        """`git check-attr` for one attribute: path -> "set", "unset", "unspecified" or its value."""
        paths = list(paths)
        if not paths:
            return {}
        _check_ref(attr)  # an attribute name that starts with "-" would be read as an option
        data = "".join(f"{p}\0" for p in paths).encode("utf-8")
        out = self.run("check-attr", "-z", "--stdin", attr, input=data)
        fields = out.split("\0")
        result: dict[str, str] = {}
        for i in range(0, len(fields) - 2, 3):
            result[fields[i]] = fields[i + 2]
        return result


def _check_ref(ref: str) -> None:
    if not ref or ref.startswith("-"):
        raise BadRefError(f"'{ref}' is not a valid revision name: refs cannot be empty or start with '-'")


def _summarise(stderr: bytes) -> str:
    """git's complaint in one line: its fatal/error lines without the prefix, else its last line."""
    lines = [ln.strip() for ln in stderr.decode("utf-8", errors="replace").splitlines() if ln.strip()]
    important = [ln.split(": ", 1)[1] for ln in lines if ln.startswith(("fatal: ", "error: "))]
    text = "; ".join(important or lines[-1:]) or "no message from git"
    return text if len(text) <= 400 else text[:397] + "..."
