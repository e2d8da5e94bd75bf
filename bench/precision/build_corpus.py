"""Build the precision corpus (an eval set) from the real history of public repositories.

    python bench/precision/build_corpus.py                 # commits.txt -> cases.jsonl.gz
    python bench/precision/build_corpus.py --select        # re-pick the commits into commits.txt
    python bench/precision/build_corpus.py --mirror-root /work/.mirror
    python bench/precision/build_corpus.py --mirror petclinic=/path/to/spring-petclinic.git

Each repository is a local git directory (bare or not), by default
`<mirror-root>/<owner>+<name>/repo` (what the `fetch` tool brings). The commit list is fixed in
commits.txt (`<repo-short> <full sha>` a line), so a rebuild from the same mirrors gives the same
bytes: each case is the commit reviewed against its first parent.

A case also carries, under "repository", the other files of the repository at that commit that
the built-in checks read when they review it (a request body's class): found by running the checks
(every rule on) with a reader on the mirror, so they depend on the rules of the mochi installed;
`--no-repository` leaves them out.

`--select` tops commits.txt up to each repository's target count (the commits already listed
stay), deterministically from each mirror's HEAD: non-merge commits that add or change a source
or configuration file of our stacks, spread evenly over the history, preferring commits that
change a code file, skipping any whose diff exceeds MAX_DIFF_BYTES or cannot be made.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import subprocess
import sys
from pathlib import Path, PurePosixPath

HERE = Path(__file__).resolve().parent
COMMITS = HERE / "commits.txt"
CASES = HERE / "cases.jsonl.gz"

# short name -> (owner/name, SPDX licence id, commits to pick with --select)
REPOS: dict[str, tuple[str, str, int]] = {
    "petclinic": ("spring-projects/spring-petclinic", "Apache-2.0", 120),
    "spring-realworld": ("gothinkster/spring-boot-realworld-example-app", "MIT", 70),
    "mall": ("macrozheng/mall", "Apache-2.0", 110),
    "actix-examples": ("actix/examples", "Apache-2.0", 130),
    "bulletproof-react": ("alan2207/bulletproof-react", "MIT", 105),
    "takenote": ("taniarascia/takenote", "MIT", 100),
    "node-express": ("hagopj13/node-express-boilerplate", "MIT", 95),
    "nestjs-boilerplate": ("brocoders/nestjs-boilerplate", "MIT", 100),
    "vue3-realworld": ("mutoe/vue3-realworld-example-app", "MIT", 110),
}

MAX_DIFF_BYTES = 300_000  # a commit whose diff is larger is skipped
MAX_FILE_BYTES = 200_000  # a changed file larger than this has no entry in "files"

SOURCE_SUFFIXES = frozenset(
    {
        ".java", ".kt", ".properties", ".yml", ".yaml", ".xml", ".gradle",
        ".js", ".jsx", ".mjs", ".cjs", ".ts", ".tsx", ".vue",
        ".rs", ".toml", ".json", ".env", ".sql", ".html",
    }
)  # fmt: skip
CODE_SUFFIXES = frozenset({".java", ".js", ".jsx", ".mjs", ".cjs", ".ts", ".tsx", ".vue", ".rs"})
LOCKFILES = frozenset(
    {"package-lock.json", "yarn.lock", "pnpm-lock.yaml", "cargo.lock", "npm-shrinkwrap.json"}
)

# git with no user or system configuration: the diff's bytes depend on the commits only
GIT_ENV = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull, "LC_ALL": "C"}


def git(repo: Path, *args: str) -> bytes:
    return subprocess.run(
        ["git", "-C", str(repo), *args], check=True, capture_output=True, env=GIT_ENV
    ).stdout


def diff_text(repo: Path, parent: str, commit: str) -> bytes:
    return git(repo, "diff", "--no-color", "--no-ext-diff", "--no-textconv", "-M", "-U3", parent, commit)


def changed_paths(repo: Path, parent: str, commit: str) -> list[tuple[str, str]]:
    """(status letter, new path) for every changed file, deleted ones included."""
    out = git(repo, "diff", "--name-status", "-M", "-z", parent, commit).decode("utf-8", "surrogateescape")
    fields = out.split("\0")
    result: list[tuple[str, str]] = []
    i = 0
    while i < len(fields) and fields[i]:
        status = fields[i][0]
        if status in "RC":
            result.append((status, fields[i + 2]))
            i += 3
        else:
            result.append((status, fields[i + 1]))
            i += 2
    return result


def new_text(repo: Path, commit: str, path: str) -> str | None:
    """The file's text at `commit`, or None when it is binary, not UTF-8, too large or not a blob."""
    spec = f"{commit}:{path}"
    try:
        kind = git(repo, "cat-file", "-t", spec).strip()
        if kind != b"blob" or int(git(repo, "cat-file", "-s", spec)) > MAX_FILE_BYTES:
            return None
        data = git(repo, "cat-file", "blob", spec)
    except subprocess.CalledProcessError:
        return None
    if b"\0" in data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def repository_files(case: dict, repo: Path) -> dict[str, str]:
    """The other files of the repository at the case's commit that the built-in checks read (every
    rule on, opt-in ones too): what a review in a checkout would give them (a request body's
    class, say). Empty when mochi cannot be imported."""
    try:
        sys.path.insert(0, str(HERE))
        from findings import all_rules_reviewer, review_case
    except ImportError:
        return {}
    finally:
        sys.path.remove(str(HERE))
    commit, files = case["source"]["commit"], case["files"]
    found: dict[str, str] = {}

    def read_repo(path: str) -> str | None:
        if path in files:
            return files[path]
        text = new_text(repo, commit, path) if path not in found else found[path]
        if text is not None:
            found[path] = text
        return text

    review_case(all_rules_reviewer(), case, read_repo)
    return dict(sorted(found.items()))


def build_case(short: str, repo: Path, commit: str, with_repository: bool = True) -> dict:
    full, licence, _ = REPOS[short]
    parents = git(repo, "rev-list", "--parents", "-n", "1", commit).decode().split()
    if len(parents) < 2:
        raise SystemExit(f"{short} {commit}: a root commit has no parent to review against")
    parent = parents[1]
    diff = diff_text(repo, parent, commit).decode("utf-8", "replace")
    files: dict[str, str] = {}
    for status, path in changed_paths(repo, parent, commit):
        if status == "D":
            continue
        text = new_text(repo, commit, path)
        if text is not None:
            files[path] = text
    case = {
        "id": f"{short}/{commit[:12]}",
        "diff": diff,
        "files": files,
        "source": {
            "repo": full,
            "commit": commit,
            "parent": parent,
            "licence": licence,
            "url": f"https://github.com/{full}/commit/{commit}",
        },
    }
    others = repository_files(case, repo) if with_repository else {}
    if others:
        case["repository"] = others
    return case


def mirror_paths(root: Path, overrides: list[str]) -> dict[str, Path]:
    paths = {short: root / full.replace("/", "+") / "repo" for short, (full, _, _) in REPOS.items()}
    for item in overrides:
        short, _, path = item.partition("=")
        if short not in REPOS or not path:
            raise SystemExit(f"--mirror {item!r}: expected <short>=<path>, short one of {sorted(REPOS)}")
        paths[short] = Path(path)
    return paths


def read_commits() -> list[tuple[str, str]]:
    pairs = []
    for line in COMMITS.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            short, sha = line.split()
            pairs.append((short, sha))
    return pairs


def build(paths: dict[str, Path], with_repository: bool = True) -> None:
    pairs = read_commits()
    # mtime=0 and no file name in the gzip header: the same commits give the same bytes
    with (
        open(CASES, "wb") as raw,
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as gz,
    ):
        for short, sha in pairs:
            case = build_case(short, paths[short], sha, with_repository)
            gz.write((json.dumps(case, ensure_ascii=False, sort_keys=True) + "\n").encode("utf-8"))
    print(f"{len(pairs)} cases -> {CASES} ({CASES.stat().st_size:,} bytes)")


def eligible(repo: Path) -> list[tuple[str, bool]]:
    """(sha, adds to a code file) for the non-merge, non-root commits from HEAD, oldest first,
    that add lines to a source or configuration file of our stacks (lockfiles aside)."""
    # --raw reads no blob: a snapshot may lack its largest files (the diff check below skips those)
    out = git(repo, "log", "--no-merges", "--no-renames", "--reverse", "--format=>%H %P", "--raw", "HEAD")
    result: list[tuple[str, bool]] = []
    sha = None
    has_parent = touches = code = False
    for line in out.decode("utf-8", "replace").splitlines():
        if line.startswith(">"):
            if sha and has_parent and touches:
                result.append((sha, code))
            parts = line[1:].split()
            sha, has_parent, touches, code = parts[0], len(parts) > 1, False, False
        elif line.startswith(":"):
            meta, _, path = line.partition("\t")
            p = PurePosixPath(path)
            if meta.split()[-1] not in ("A", "M", "T") or p.name.lower() in LOCKFILES:
                continue
            touches = touches or p.suffix.lower() in SOURCE_SUFFIXES
            code = code or p.suffix.lower() in CODE_SUFFIXES
    if sha and has_parent and touches:
        result.append((sha, code))
    return result


def select(paths: dict[str, Path]) -> None:
    """Top each repository up to its target count; commits already in commits.txt stay.

    New commits are spread evenly over the eligible ones not yet chosen, taken from those that
    add lines to a code file when there are enough of them (bots' dependency bumps are many).
    """
    kept = read_commits() if COMMITS.exists() else []
    lines = ["# <repo-short> <commit>: each case is the commit against its first parent (build_corpus.py)"]
    for short, (_, _, count) in REPOS.items():
        repo = paths[short]
        chosen = [sha for s, sha in kept if s == short]
        found = eligible(repo)
        code = [sha for sha, touches_code in found if touches_code]
        pool = code if len(code) >= count else [sha for sha, _ in found]
        pool = [sha for sha in pool if sha not in chosen]
        need = max(0, count - len(chosen))
        taken: set[int] = set()
        for k in range(need):
            i = k * len(pool) // need
            while i < len(pool) and (i in taken or not small_enough(repo, pool[i])):
                i += 1
            if i < len(pool):
                taken.add(i)
        chosen += [pool[i] for i in sorted(taken)]
        print(
            f"{short}: {len(chosen)} commits ({len(found)} eligible, {len(code)} adding code)",
            file=sys.stderr,
        )
        lines += [f"{short} {sha}" for sha in chosen]
    COMMITS.write_text("\n".join(lines) + "\n")


def small_enough(repo: Path, commit: str) -> bool:
    """The commit's diff can be made (every blob is in the snapshot) and is under MAX_DIFF_BYTES."""
    try:
        return len(diff_text(repo, f"{commit}^1", commit)) <= MAX_DIFF_BYTES
    except subprocess.CalledProcessError:
        return False


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--mirror-root", type=Path, default=Path("/work/.mirror"))
    parser.add_argument("--mirror", action="append", default=[], metavar="SHORT=PATH")
    parser.add_argument("--select", action="store_true", help="top commits.txt up first (see above)")
    parser.add_argument(
        "--no-repository",
        action="store_true",
        help='no "repository" files (what the checks read beyond the change)',
    )
    args = parser.parse_args()
    paths = mirror_paths(args.mirror_root, args.mirror)
    if args.select:
        select(paths)
    build(paths, not args.no_repository)


if __name__ == "__main__":
    main()
