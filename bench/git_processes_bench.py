"""Benchmark the git processes `mochi ci` starts for a pull request of N changed files.

    python bench/git_processes_bench.py [--files 300] [--provider builtin|ollama] [--keep]

Builds a temporary repository (a base commit with pom.xml, package.json, Cargo.toml and N
Java/TypeScript/Rust/Python files of a few dozen lines; a `feature` branch changing all of them,
one in ten added) and runs `python -m mochi ci` on it as GitHub Actions would for
`pull_request.opened`: the recorded payload shape, the loopback GitHub fake from tests/fakes, and
the built-in checks as the provider. With `--provider ollama` the loopback Ollama fake answers
every chat with an empty review, so the model's context is gathered too (manifests for framework
detection, related files), which is where most reads come from.

A `git` shim first on the child's PATH logs every invocation. Prints the number of git processes,
by subcommand, how many read file contents (cat-file, show), the CPU of `mochi ci` with everything
it waited for (getrusage's RUSAGE_CHILDREN figure for that one child, taken with wait4 so the fake
server's own git calls are left out), split into mochi's own and its children's, and the wall time.
Target: at most 10 git processes reading file contents, whatever N.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # for tests.fakes and tests.gitrepo

from tests.fakes.github_server import FakeGitHub  # noqa: E402
from tests.fakes.llm_servers import FakeOllama  # noqa: E402
from tests.gitrepo import GitRepo  # noqa: E402

REPO = "octo/app"
NUMBER = 42
# where the recorded GitHub payloads live (tests/fixtures now, ../shared/fixtures before)
EVENT_DIRS = (
    ROOT / "tests" / "fixtures" / "github" / "events",
    ROOT / ".." / "shared" / "fixtures" / "github" / "events",
)
READ_COMMANDS = ("cat-file", "show")

MANIFESTS = {
    "pom.xml": """\
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <parent>
    <groupId>org.springframework.boot</groupId>
    <artifactId>spring-boot-starter-parent</artifactId>
    <version>3.2.0</version>
  </parent>
  <groupId>com.example</groupId>
  <artifactId>shop</artifactId>
  <dependencies>
    <dependency><groupId>org.springframework.boot</groupId><artifactId>spring-boot-starter-web</artifactId></dependency>
    <dependency><groupId>org.springframework.boot</groupId><artifactId>spring-boot-starter-jdbc</artifactId></dependency>
  </dependencies>
</project>
""",
    "package.json": json.dumps(
        {
            "name": "shop-web",
            "version": "1.0.0",
            "dependencies": {"react": "^18.2.0", "express": "^4.18.2"},
            "devDependencies": {"typescript": "^5.3.0"},
        },
        indent=2,
    )
    + "\n",
    "Cargo.toml": '[package]\nname = "engine"\nversion = "0.1.0"\nedition = "2021"\n\n'
    '[dependencies]\ntokio = { version = "1", features = ["full"] }\nserde = "1"\n',
    "requirements.txt": "fastapi==0.110.0\nrequests==2.31.0\n",
}


def java(i: int, extra: int) -> tuple[str, str]:
    methods = "".join(
        f"""
    @GetMapping("/items{m}")
    public String items{m}(@RequestParam String sort) {{
        String sql = "SELECT * FROM items{i} ORDER BY " + sort;
        return jdbcTemplate.queryForObject(sql, String.class);
    }}
"""
        for m in range(2 + extra)
    )
    body = f"""\
package com.example.shop.svc{i};

import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.web.bind.annotation.*;

@RestController
@RequestMapping("/api/svc{i}")
public class Service{i}Controller {{
    private final JdbcTemplate jdbcTemplate;

    public Service{i}Controller(JdbcTemplate jdbcTemplate) {{
        this.jdbcTemplate = jdbcTemplate;
    }}
{methods}}}
"""
    return f"backend/src/main/java/com/example/shop/svc{i}/Service{i}Controller.java", body


def typescript(i: int, extra: int) -> tuple[str, str]:
    handlers = "".join(
        f"""
export async function load{m}(id: string): Promise<Item[]> {{
  const res = await fetch(`/api/widgets{i}/${{id}}/items{m}`);
  const data: any = await res.json();
  console.log("loaded", data);
  return data.items as Item[];
}}
"""
        for m in range(2 + extra)
    )
    body = f"""\
import {{ useEffect, useState }} from "react";

export interface Item {{
  id: string;
  name: string;
}}
{handlers}
export function useWidget{i}(id: string): Item[] {{
  const [items, setItems] = useState<Item[]>([]);
  useEffect(() => {{
    load0(id).then(setItems);
  }}, [id]);
  return items;
}}
"""
    return f"web/src/widgets/widget{i}.ts", body


def rust(i: int, extra: int) -> tuple[str, str]:
    fns = "".join(
        f"""
pub fn step{m}(input: &str) -> u64 {{
    let value: u64 = input.parse().unwrap();
    let doubled = value * 2;
    println!("step{m} {{}}", doubled);
    doubled + {m}
}}
"""
        for m in range(2 + extra)
    )
    body = f"""\
//! Engine module {i}.

use std::collections::HashMap;

pub struct Engine{i} {{
    cache: HashMap<String, u64>,
}}

impl Engine{i} {{
    pub fn new() -> Self {{
        Self {{ cache: HashMap::new() }}
    }}
}}
{fns}"""
    return f"engine/src/mod{i}.rs", body


def python(i: int, extra: int) -> tuple[str, str]:
    funcs = "".join(
        f"""

def job{m}(path, retries=3):
    try:
        data = open(path).read()
    except Exception:
        pass
    print("job{m}", path)
    return eval(data) if retries else None
"""
        for m in range(2 + extra)
    )
    body = f'''"""Worker module {i}."""

import os
import subprocess


def run(cmd):
    return subprocess.call(cmd, shell=True, cwd=os.getcwd())
{funcs}'''
    return f"tools/jobs/job{i}.py", body


KINDS = (java, typescript, rust, python)


def build_repo(path: Path, files: int) -> dict[str, str]:
    """The base commit (manifests and N files) and a feature branch changing each of them."""
    repo = GitRepo(path)
    for name, text in MANIFESTS.items():
        repo.write(name, text)
    repo.write("README.md", "# shop\n")
    for i in range(files):
        if i % 10 != 9:  # one file in ten is new in the pull request
            repo.write(*KINDS[i % 4](i, 0))
    base = repo.commit("base")
    repo.checkout("-b", "feature")
    for i in range(files):
        repo.write(*KINDS[i % 4](i, 1 + i % 3))
    head = repo.commit(f"change {files} files")
    return {"base": base, "head": head}


def event_payload(work: Path, shas: dict[str, str]) -> Path:
    """pull_request.opened, as recorded from GitHub, pointed at this repository and its commits."""
    source = next(
        d / "pull_request.opened.json" for d in EVENT_DIRS if (d / "pull_request.opened.json").exists()
    )
    payload: dict[str, Any] = json.loads(source.read_text())
    payload["number"] = NUMBER
    payload["repository"]["full_name"] = REPO
    pr = payload["pull_request"]
    pr["number"] = NUMBER
    pr["head"].update(sha=shas["head"], ref="feature")
    pr["base"].update(sha=shas["base"], ref="main")
    path = work / "event.json"
    path.write_text(json.dumps(payload))
    return path


def git_shim(work: Path) -> tuple[Path, Path]:
    """A directory holding a `git` that appends its arguments to a log and runs the real git."""
    real = shutil.which("git")
    if real is None:
        sys.exit("git is not on PATH")
    bin_dir, log = work / "shim-bin", work / "git-calls.log"
    bin_dir.mkdir()
    shim = bin_dir / "git"
    shim.write_text(f'#!/bin/sh\nprintf "%s\\n" "$*" >> "{log}"\nexec "{real}" "$@"\n')
    shim.chmod(0o755)
    log.touch()
    return bin_dir, log


# Imported by the child through PYTHONPATH: at exit it writes the child's own CPU and that of
# the processes it waited for (git), which the parent can only see added together.
SITECUSTOMIZE = """\
import atexit, json, os, resource

def _report():
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    with open(os.environ["MOCHI_BENCH_RUSAGE"], "w") as f:
        json.dump({"self": me.ru_utime + me.ru_stime, "children": kids.ru_utime + kids.ru_stime}, f)

if os.environ.get("MOCHI_BENCH_RUSAGE"):
    atexit.register(_report)
"""


def run_ci(
    work: Path, repo: Path, gh: FakeGitHub, event: Path, shim_dir: Path, provider: dict[str, str]
) -> dict[str, Any]:
    """`python -m mochi ci` as GitHub Actions runs it; its exit code, CPU and wall time."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("MOCHI_", "INPUT_", "GITHUB_", "GITLAB", "CI"))
    }
    env.pop("JENKINS_URL", None)
    out = work / "out"
    out.mkdir()
    site = work / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(SITECUSTOMIZE)
    env.update(
        PATH=f"{shim_dir}{os.pathsep}{env.get('PATH', '')}",
        PYTHONPATH=os.pathsep.join(filter(None, [str(site), env.get("PYTHONPATH")])),
        MOCHI_BENCH_RUSAGE=str(out / "rusage.json"),
        GITHUB_ACTIONS="true",
        GITHUB_EVENT_NAME="pull_request",
        GITHUB_EVENT_PATH=str(event),
        GITHUB_REPOSITORY=REPO,
        GITHUB_WORKSPACE=str(repo),
        GITHUB_TOKEN="x",
        GITHUB_API_URL=gh.url,
        GITHUB_OUTPUT=str(out / "output"),
        GITHUB_STEP_SUMMARY=str(out / "summary.md"),
        RUNNER_TEMP=str(out),
        MOCHI_RECORD="false",
    )
    env.update(provider)
    with open(out / "stdout", "wb") as stdout, open(out / "stderr", "wb") as stderr:
        started = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-m", "mochi", "ci"], cwd=repo, env=env, stdout=stdout, stderr=stderr
        )
        # wait4, not getrusage(RUSAGE_CHILDREN): the fake GitHub's git calls are our children too
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    split_file = out / "rusage.json"
    split = json.loads(split_file.read_text()) if split_file.exists() else None
    return {
        "code": proc.returncode,
        "cpu": usage.ru_utime + usage.ru_stime,
        "split": split,
        "wall": wall,
        "stderr": (out / "stderr").read_text(errors="replace"),
    }


def subcommand(argv: str) -> str:
    """The git subcommand of a logged invocation, skipping global options like `-c k=v`."""
    words = argv.split(" ")
    i = 0
    while i < len(words) and words[i].startswith("-"):
        i += 2 if words[i] in ("-c", "-C") else 1
    return words[i] if i < len(words) else "(none)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=300)
    parser.add_argument("--provider", choices=("builtin", "ollama"), default="builtin")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="mochi-git-bench-"))
    try:
        repo = work / "workspace"
        shas = build_repo(repo, args.files)
        shim_dir, log = git_shim(work)
        event = event_payload(work, shas)
        with FakeGitHub.start(repo, REPO) as gh, FakeOllama.start() as ollama:
            gh.add_pull(
                NUMBER, base_ref="main", base_sha=shas["base"], head_sha=shas["head"], head_ref="feature"
            )
            # the Ollama fake answers every chat with an empty review unless told otherwise
            provider = {"MOCHI_PROVIDER": args.provider, "OLLAMA_HOST": ollama.url}
            result = run_ci(work, repo, gh, event, shim_dir, provider)
            chats = len(ollama.requests_to("/api/chat"))
            reviews, comments = len(gh.reviews), len(gh.review_comments)
        if result["code"] not in (0, 1):  # 1: a finding at or above fail_on
            sys.stderr.write(result["stderr"][-4000:])
            sys.exit(f"mochi ci failed with exit status {result['code']}")
        invocations = log.read_text().splitlines()
        by_command = Counter(subcommand(argv) for argv in invocations)
        reads = sum(n for cmd, n in by_command.items() if cmd in READ_COMMANDS)

        print(f"pull request: {args.files} changed files, provider {args.provider} ({chats} model calls); "
              f"mochi ci exit {result['code']}, {reviews} review, {comments} inline comments")  # fmt: skip
        print(f"git processes:          {len(invocations):>6}")
        for cmd, n in by_command.most_common():
            print(f"  {cmd:<21} {n:>6}")
        print(f"reading file contents:  {reads:>6}   (cat-file, show; target <= 10)")
        print(f"child CPU (user+sys):   {result['cpu']:>9.2f} s")
        if result["split"] is not None:
            own, kids = result["split"]["self"], result["split"]["children"]
            share = kids / (own + kids) if own + kids else 0.0
            print(f"  mochi itself          {own:>9.2f} s")
            print(f"  its git processes     {kids:>9.2f} s   ({share:.0%})")
        print(f"wall time:              {result['wall']:>9.2f} s")
        if args.keep:
            print(f"kept {work}")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
