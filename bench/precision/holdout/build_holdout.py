"""Build the held-out sample: commits of the same 9 mirrors that are NOT in ../commits.txt.

    python bench/precision/holdout/build_holdout.py            # commits.txt -> cases.jsonl.gz
    python bench/precision/holdout/build_holdout.py --select   # re-pick commits.txt first

It reuses ../build_corpus.py (imported, not modified): the same eligibility rule (`eligible`: non-merge,
non-root commits from the mirror's HEAD that add or change a source or configuration file of our
stacks, lockfiles aside), the same preference for commits that change a code file when a repository
has enough of them, the same size check (`small_enough`) and the same case format (`build_case`,
"repository" files included). The main corpus's commits are removed from the pool first.

Selection is deterministic (no random numbers): from each repository's pool of eligible commits not
in the main corpus, oldest first, N commits are taken at the positions floor((k + 0.5) * len(pool) / N),
k = 0 .. N - 1 (the middle of each of N equal slices of the history), moving forward past a commit
whose diff is too large or cannot be made. N is 40, or 34 where fewer than 100 unused code commits
remain; the pool is the unused code commits when there are at least N, else every unused eligible
commit (then fewer than N may exist: spring-realworld has 10 left).
The mirrors' HEADs are recorded in README.md.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import build_corpus as bc  # noqa: E402

COMMITS = HERE / "commits.txt"
CASES = HERE / "cases.jsonl.gz"
PER_REPO = 40  # commits per repository ...
SMALL_POOL, SMALL_PER_REPO = 100, 34  # ... but 34 where fewer than 100 unused code commits remain


def read_pairs(path: Path) -> list[tuple[str, str]]:
    pairs = []
    for line in path.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            short, sha = line.split()
            pairs.append((short, sha))
    return pairs


def select(paths: dict[str, Path]) -> None:
    main_corpus = {sha for _, sha in read_pairs(bc.COMMITS)}
    lines = ["# held-out sample: <repo-short> <commit>, none of them in ../commits.txt (build_holdout.py)"]
    for short in bc.REPOS:
        repo = paths[short]
        found = bc.eligible(repo)
        code = [sha for sha, touches_code in found if touches_code and sha not in main_corpus]
        rest = [sha for sha, _ in found if sha not in main_corpus]
        count = PER_REPO if len(code) >= SMALL_POOL else SMALL_PER_REPO
        pool = code if len(code) >= count else rest
        taken: list[int] = []
        for k in range(count):
            i = int((k + 0.5) * len(pool) / count)
            while i < len(pool) and (i in taken or not bc.small_enough(repo, pool[i])):
                i += 1
            if i < len(pool):
                taken.append(i)
        chosen = [pool[i] for i in sorted(taken)]
        print(
            f"{short}: {len(chosen)} commits (pool {len(pool)}: {len(found)} eligible, "
            f"{len(code)} adding code, main corpus excluded)",
            file=sys.stderr,
        )
        lines += [f"{short} {sha}" for sha in chosen]
    COMMITS.write_text("\n".join(lines) + "\n")


def build(paths: dict[str, Path], with_repository: bool = True) -> None:
    pairs = read_pairs(COMMITS)
    main_corpus = {sha for _, sha in read_pairs(bc.COMMITS)}
    overlap = [sha for _, sha in pairs if sha in main_corpus]
    if overlap:
        raise SystemExit(f"{len(overlap)} held-out commit(s) are in the main corpus: {overlap[:3]}")
    with (
        open(CASES, "wb") as raw,
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as gz,
    ):
        for short, sha in pairs:
            case = bc.build_case(short, paths[short], sha, with_repository)
            gz.write((json.dumps(case, ensure_ascii=False, sort_keys=True) + "\n").encode("utf-8"))
    print(f"{len(pairs)} cases -> {CASES} ({CASES.stat().st_size:,} bytes)")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--mirror-root", type=Path, default=Path("/work/.mirror"))
    parser.add_argument("--mirror", action="append", default=[], metavar="SHORT=PATH")
    parser.add_argument("--select", action="store_true", help="re-pick commits.txt first (see above)")
    parser.add_argument("--no-repository", action="store_true", help='no "repository" files')
    args = parser.parse_args()
    paths = bc.mirror_paths(args.mirror_root, args.mirror)
    if args.select:
        select(paths)
    build(paths, not args.no_repository)


if __name__ == "__main__":
    main()
