"""Build the second held-out sample: commits of 6 repositories the built-in rules never saw.

    python bench/precision/holdout2/build_holdout2.py            # commits.txt -> cases.jsonl.gz
    python bench/precision/holdout2/build_holdout2.py --select   # re-pick commits.txt first

None of these repositories is in ../commits.txt or ../holdout/commits.txt (the 9 used to tune the
rules). It reuses ../build_corpus.py (imported, not modified): its repository table is extended at
run time with the 6 below, and the same eligibility rule (`eligible`: non-merge, non-root commits
from the mirror's HEAD that add or change a source or configuration file of our stacks, lockfiles
aside), the same size check (`small_enough`) and the same case format (`build_case`, "repository"
files included) are used.

Selection is deterministic (no random numbers), as in ../holdout/build_holdout.py: from each
repository's pool, oldest first, N = 60 commits at the positions floor((k + 0.5) * len(pool) / N),
k = 0 .. N - 1 (the middle of each of N equal slices of the history), moving forward past a commit
whose diff is too large or cannot be made. The pool is the eligible commits that change a code file
when there are at least N of them (all six have hundreds), else every eligible commit.
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
PER_REPO = 60

# short name -> (owner/name, SPDX licence id, commits to pick)
NEW_REPOS: dict[str, tuple[str, str, int]] = {
    "eladmin": ("elunez/eladmin", "Apache-2.0", PER_REPO),
    "litemall": ("linlinjava/litemall", "MIT", PER_REPO),
    "atomic-server": ("atomicdata-dev/atomic-server", "MIT", PER_REPO),
    "excalidraw": ("excalidraw/excalidraw", "MIT", PER_REPO),
    "uptime-kuma": ("louislam/uptime-kuma", "MIT", PER_REPO),
    "parse-server": ("parse-community/parse-server", "Apache-2.0", PER_REPO),
}


def read_pairs(path: Path) -> list[tuple[str, str]]:
    pairs = []
    for line in path.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            short, sha = line.split()
            pairs.append((short, sha))
    return pairs


def used_before() -> set[str]:
    """The commits of the tuning corpus and of the first held-out sample."""
    return {
        sha for path in (bc.COMMITS, HERE.parent / "holdout" / "commits.txt") for _, sha in read_pairs(path)
    }


def select(paths: dict[str, Path]) -> None:
    used = used_before()
    lines = ["# second held-out sample: <repo-short> <commit> from repositories the rules never saw"]
    for short, (_, _, count) in NEW_REPOS.items():
        repo = paths[short]
        found = [(sha, code) for sha, code in bc.eligible(repo) if sha not in used]
        code = [sha for sha, touches_code in found if touches_code]
        pool = code if len(code) >= count else [sha for sha, _ in found]
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
            f"{len(code)} adding code)",
            file=sys.stderr,
        )
        lines += [f"{short} {sha}" for sha in chosen]
    COMMITS.write_text("\n".join(lines) + "\n")


def build(paths: dict[str, Path], with_repository: bool = True) -> None:
    pairs = read_pairs(COMMITS)
    overlap = [sha for _, sha in pairs if sha in used_before()]
    if overlap:
        raise SystemExit(f"{len(overlap)} commit(s) are in an earlier sample: {overlap[:3]}")
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
    bc.REPOS.clear()  # this sample's repositories only (build_case and mirror_paths read the table)
    bc.REPOS.update(NEW_REPOS)
    paths = bc.mirror_paths(args.mirror_root, args.mirror)
    if args.select:
        select(paths)
    build(paths, not args.no_repository)


if __name__ == "__main__":
    main()
