"""Build a held-out precision sample (an eval set) described by a set directory's repos.json.

    python bench/precision/build_sample.py bench/precision/holdout3            # commits.txt -> cases.jsonl.gz
    python bench/precision/build_sample.py bench/precision/holdout3 --select   # re-pick commits.txt first

The set directory holds `repos.json`:

    {"title": "third held-out sample",
     "exclude": ["../commits.txt", "../holdout/commits.txt", "../holdout2/commits.txt"],
     "repos": {"<short>": ["owner/name", "<SPDX licence>", <commits to pick>],
               "<short>": ["owner/name", "<SPDX licence>", <count>, "<until: full sha>"]}}

`exclude` names earlier samples' commits.txt files (relative to the set directory): none of their
commits may be picked, and the build refuses a commits.txt that holds one. The optional fourth
element of a repository limits its pool to the ancestors of that commit (inclusive), e.g. the last
commit before the project's licence changed.

It reuses ./build_corpus.py (imported, not modified): its repository table is replaced at run time
with the set's, and its eligibility rule (`eligible`: non-merge, non-root commits from the mirror's
HEAD that add or change a source or configuration file of our stacks, lockfiles aside), its size
check (`small_enough`) and its case format (`build_case`, "repository" files included) are used.

Selection is deterministic (no random numbers), as in holdout/build_holdout.py and holdout2
(built by this rule before it was made generic): from each repository's pool, oldest first, N
commits at the positions floor((k + 0.5) * len(pool) / N), k = 0 .. N - 1 (the middle of each of
N equal slices of the history), moving forward past a commit whose diff is too large or cannot
be made. The pool is the eligible commits that change a code file when there are at least N of
them, else every eligible commit. It depends on each mirror's HEAD; record those in the set's README.md.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import build_corpus as bc  # noqa: E402

COMMITS = "commits.txt"
CASES = "cases.jsonl.gz"
TABLE = "repos.json"


class Sample:
    def __init__(self, directory: Path) -> None:
        self.dir = directory.resolve()
        spec = json.loads((self.dir / TABLE).read_text(encoding="utf-8"))
        self.title: str = spec["title"]
        self.exclude = [self.dir / p for p in spec.get("exclude", [])]
        # short name -> (owner/name, SPDX licence id, count), build_corpus's table format
        self.repos: dict[str, tuple[str, str, int]] = {}
        self.until: dict[str, str] = {}
        for short, row in spec["repos"].items():
            full, licence, count = row[0], row[1], int(row[2])
            self.repos[short] = (full, licence, count)
            if len(row) > 3 and row[3]:
                self.until[short] = row[3]

    @property
    def commits(self) -> Path:
        return self.dir / COMMITS

    @property
    def cases(self) -> Path:
        return self.dir / CASES

    def used_before(self) -> set[str]:
        """The commits of the earlier samples named in `exclude`."""
        return {sha for path in self.exclude for _, sha in read_pairs(path)}


def read_pairs(path: Path) -> list[tuple[str, str]]:
    pairs = []
    for line in path.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            short, sha = line.split()
            pairs.append((short, sha))
    return pairs


def pool_of(sample: Sample, short: str, repo: Path, used: set[str], count: int) -> tuple[list[str], int, int]:
    """(pool oldest first, eligible count, code-changing count) for one repository."""
    found = [(sha, code) for sha, code in bc.eligible(repo) if sha not in used]
    if short in sample.until:
        ancestors = set(bc.git(repo, "rev-list", sample.until[short]).decode().split())
        found = [(sha, code) for sha, code in found if sha in ancestors]
    code = [sha for sha, touches_code in found if touches_code]
    pool = code if len(code) >= count else [sha for sha, _ in found]
    return pool, len(found), len(code)


def select(sample: Sample, paths: dict[str, Path]) -> None:
    used = sample.used_before()
    lines = [f"# {sample.title}: <repo-short> <commit>, each reviewed against its first parent"]
    for short, (_, _, count) in sample.repos.items():
        repo = paths[short]
        pool, n_found, n_code = pool_of(sample, short, repo, used, count)
        taken: list[int] = []
        for k in range(count):
            i = int((k + 0.5) * len(pool) / count)
            while i < len(pool) and (i in taken or not bc.small_enough(repo, pool[i])):
                i += 1
            if i < len(pool):
                taken.append(i)
        chosen = [pool[i] for i in sorted(taken)]
        print(
            f"{short}: {len(chosen)} commits (pool {len(pool)}: {n_found} eligible, {n_code} adding code)",
            file=sys.stderr,
        )
        lines += [f"{short} {sha}" for sha in chosen]
    sample.commits.write_text("\n".join(lines) + "\n")


def build(sample: Sample, paths: dict[str, Path], with_repository: bool = True) -> None:
    pairs = read_pairs(sample.commits)
    used = sample.used_before()
    overlap = [sha for _, sha in pairs if sha in used]
    if overlap:
        raise SystemExit(f"{len(overlap)} commit(s) are in an earlier sample: {overlap[:3]}")
    if len({sha for _, sha in pairs}) != len(pairs):
        raise SystemExit("a commit is listed twice")
    with (
        open(sample.cases, "wb") as raw,
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as gz,
    ):
        for short, sha in pairs:
            case = bc.build_case(short, paths[short], sha, with_repository)
            gz.write((json.dumps(case, ensure_ascii=False, sort_keys=True) + "\n").encode("utf-8"))
    print(f"{len(pairs)} cases -> {sample.cases} ({sample.cases.stat().st_size:,} bytes)")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("set", type=Path, help="the set directory (holds repos.json)")
    parser.add_argument("--mirror-root", type=Path, default=Path("/work/.mirror"))
    parser.add_argument("--mirror", action="append", default=[], metavar="SHORT=PATH")
    parser.add_argument("--select", action="store_true", help="re-pick commits.txt first (see above)")
    parser.add_argument("--no-repository", action="store_true", help='no "repository" files')
    parser.add_argument("--heads", action="store_true", help="print each mirror's HEAD and stop")
    args = parser.parse_args()
    sample = Sample(args.set)
    bc.REPOS.clear()  # this sample's repositories only (build_case and mirror_paths read the table)
    bc.REPOS.update(sample.repos)
    paths = bc.mirror_paths(args.mirror_root, args.mirror)
    if args.heads:
        for short, repo in paths.items():
            print(short, bc.git(repo, "rev-parse", "HEAD").decode().strip())
        return
    if args.select:
        select(sample, paths)
    build(sample, paths, not args.no_repository)


if __name__ == "__main__":
    main()
