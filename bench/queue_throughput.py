"""Benchmark the review queue: N `mochi worker` processes draining queued reviews (stops by itself).

    PYTHONPATH=. python bench/queue_throughput.py [--workers 1,2,4] [--concurrency 1] [--reviews 200]
        [--model-latency 0.5] [--enqueue webhooks|direct] [--pg-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres]

Run from the repository root (it imports the loopback fakes and the queue tests' world from tests/;
PYTHONPATH=. is set for you when missing). Needs PostgreSQL (the tests' one: 127.0.0.1:5432, user
postgres, trust auth) and the `queue` extra (procrastinate). The defaults take ~7 minutes on 2 cores
(one worker alone needs 200 x ~1 s); `--reviews 100` halves that.

For each N in --workers, from scratch:

1. a fresh database `mochi_bench_<random>` (created and dropped through the `postgres` database),
   `mochi db upgrade`, procrastinate's schema (mochi.queue.app.ensure_schema);
2. the loopback fake GitHub (tests/fakes/github_server.py) as a GitHub App, with --reviews pull
   requests on a small real git repository (tests/queue/world.py's Repo: one commit each, a Java
   file with an empty catch, which the built-in checks report as an inline comment), and the fake
   OpenAI-compatible model (tests/fakes/hosted_servers.py FakeOpenAI) answering every chat
   completion after --model-latency seconds (a subclass here gives it that default delay);
3. --reviews jobs queued: by default as signed `pull_request.opened` deliveries to a real
   `mochi serve` (POST /api/webhooks/github, HMAC-SHA256, one per pull request, each answered 202
   with its job; the server is stopped once all are queued), or with --enqueue direct through
   mochi.queue.enqueue.enqueue with a synchronous App;
4. THEN N `python -m mochi worker --concurrency C` processes (MOCHI_PROVIDER=openai pointed at the
   fake model, the built-in checks on as by default) are started, and the clock runs from their
   start until every job is `succeeded` in procrastinate_jobs (polled every 0.2 s). The wall time
   includes the workers' start-up (imports, connecting); "drain" is the first job's start to the
   last job's end, from procrastinate_events.

Correctness, for every N (exit 1 when any fails): all jobs succeeded, none failed or retried;
exactly --reviews COMPLETED reviews in the record, one per pull request (no other rows); exactly
--reviews GitHub reviews posted, one per pull request; no inline comment and no summary comment
posted twice; no Traceback in the workers' logs.

Scaling efficiency = (rate_N / rate_1) / N (with no N=1 run, against the smallest N).

Everything here shares the machine: on the 2-core box these figures come from, the bench process
(fake GitHub, fake model, polling), PostgreSQL and the N workers all compete for 2 cores, so
beyond 2 workers throughput is CPU-bound; what parallelism hides is the model's latency (0.5 s of
each review is spent waiting for the model), not mochi's own CPU time per review (fetching the pull
request, diffing, the built-in checks, posting the review, the check run and the summary, the record).

Figures (the defaults: 200 reviews enqueued as webhook deliveries, model latency 0.5 s,
`--concurrency 1`; 2 cores, PostgreSQL 15 on loopback, Python 3.11; 433 s in all):

    workers   wall s  drain s  reviews/min  s/job  efficiency  CPU ms/review (workers, fakes, PG)
          1    202.9    201.5           59   1.01        1.00  354, 72, 14   machine 33% busy
          2    113.5    111.7          106   1.11        0.89  393, 68, 14   machine 51% busy
          4     83.7     81.1          143   1.60        0.61  464, 72, 16   machine 82% busy

All three runs correct: 200 jobs succeeded with no retry, 200 COMPLETED reviews (one per pull
request, at its head), 200 GitHub reviews (one per pull request), no comment posted twice.
Delivering the 200 webhooks took 2.6-5.0 s (40-75 deliveries/s, one at a time). One worker spends
~0.5 s of each ~1 s review waiting for the model; two hide most of it (0.89); four are CPU-bound
(each review costs ~0.55 CPU-s across worker, fakes and PostgreSQL: 2 cores cap it near 200/min,
and each job's own time grows to 1.6 s). The box was shared with other work (0.1-0.25 CPU-s per
review went to other programs: "other" in the per-N lines); an earlier run with more of that
load measured 51, 90 and 97 reviews/min (efficiency 0.88 and 0.48) and took 550 s.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # for tests.fakes and tests.queue.world

import httpx  # noqa: E402
import psycopg  # noqa: E402

from tests.fakes.github_server import FakeGitHub  # noqa: E402
from tests.fakes.hosted_servers import FakeOpenAI  # noqa: E402
from tests.fakes.http_fake import Reply  # noqa: E402
from tests.queue.world import (  # noqa: E402
    APP_ID,
    INSTALLATION,
    NAME,
    OWNER,
    WEBHOOK_SECRET,
    Repo,
    app_key_pair,
    pull_request_payload,
    signed,
)

SECRET_KEY = "ZmFrZS1rZXktZm9yLXRoZS1iZW5jaC0wMDAwMDAwMDA="  # a Fernet key (32 bytes), for the bench only
MODEL_KEY = "sk-bench-0123456789abcdef"
PG_ADMIN_URL = os.environ.get("MOCHI_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


class SlowModel(FakeOpenAI):
    """FakeOpenAI answering every chat completion (the default empty review) after `latency` s."""

    def __init__(self, *, latency: float, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.latency = latency

    def _next(self, endpoint: str) -> Reply | None:
        scripted = super()._next(endpoint)
        return scripted or Reply(body={}, template=True, delay=self.latency)


def _quiet(fake: Any) -> None:
    """No traceback on stderr when a worker, stopped, drops a kept-alive connection to a fake."""
    server = fake._server
    report = server.handle_error

    def handle_error(request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionResetError | BrokenPipeError):
            report(request, client_address)

    server.handle_error = handle_error


def _libpq(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _admin(statement: str, admin_url: str) -> None:
    with psycopg.connect(_libpq(admin_url), autocommit=True, connect_timeout=5) as conn:
        conn.execute(statement)  # type: ignore[arg-type,unused-ignore]


def _env(extra: dict[str, str]) -> dict[str, str]:
    """os.environ without mochi's, CI's and the model keys' variables, plus `extra`."""
    drop = {"CI", "GITHUB_ACTIONS", "GITLAB_CI", "JENKINS_URL", "BUILD_ID"} | {
        "OPENAI_API_KEY",
        "ANTHROPIC_API_KEY",
    }
    env = {k: v for k, v in os.environ.items() if k not in drop and not k.startswith(("MOCHI_", "INPUT_"))}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    return {**env, **extra}


def _mochi(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mochi", *args], env=env, capture_output=True, text=True)


def _spawn(env: dict[str, str], log: Path, *args: str) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "mochi", *args], env=env, stdout=out, stderr=subprocess.STDOUT
        )


def _stop(proc: subprocess.Popen[bytes], timeout: float = 20) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _serve(env: dict[str, str], log: Path) -> tuple[subprocess.Popen[bytes], str]:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    proc = _spawn(env, log, "serve", "--port", str(port), "--rate-limit", "none", "--ip-rate-limit", "none")
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"mochi serve exited {proc.returncode}: {log.read_text()[-2000:]}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return proc, url
        except httpx.TransportError:
            time.sleep(0.1)
    _stop(proc)
    raise SystemExit(f"mochi serve did not answer within 60 s: {log.read_text()[-2000:]}")


def _deliver_all(url: str, repo: Repo, heads: list[str]) -> tuple[float, list[int]]:
    """One signed pull_request.opened delivery per pull request; (seconds, job ids)."""
    job_ids: list[int] = []
    started = time.monotonic()
    with httpx.Client(base_url=url, timeout=30) as client:
        for n, head in enumerate(heads, start=1):
            body = json.dumps(pull_request_payload("opened", n, head, repo.base)).encode()
            answer = client.post(
                "/api/webhooks/github",
                content=body,
                headers={
                    "Content-Type": "application/json",
                    "User-Agent": "GitHub-Hookshot/bench",
                    "X-GitHub-Event": "pull_request",
                    "X-GitHub-Delivery": str(uuid.uuid4()),
                    "X-GitHub-Hook-ID": "1",
                    "X-Hub-Signature-256": signed(body, WEBHOOK_SECRET),
                },
            )
            if answer.status_code != 202:
                raise SystemExit(f"delivery {n} answered {answer.status_code}: {answer.text}")
            job_ids.append(int(answer.json()["data"]["job_id"]))
    return time.monotonic() - started, job_ids


def _enqueue_direct(database_url: str, heads: list[str]) -> tuple[float, list[int]]:
    from mochi.queue.app import queue_app
    from mochi.queue.enqueue import enqueue
    from mochi.queue.review import Change

    app = queue_app(database_url, sync=True)
    started = time.monotonic()
    with app.open():
        ids = [
            enqueue(
                app,
                Change(
                    host="github",
                    project=f"{OWNER}/{NAME}",
                    number=n,
                    head_sha=head,
                    action="opened",
                    sender="octocat",
                    installation_id=INSTALLATION,
                    delivery=f"bench-{n}",
                ),
            ).job_id
            for n, head in enumerate(heads, start=1)
        ]
    return time.monotonic() - started, ids


def _proc_cpu(pid: int) -> float:
    """CPU seconds (user + system) of process `pid` so far, from /proc (0 where there is none)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _postgres_cpu(database: str) -> dict[int, float]:
    """CPU seconds so far of each PostgreSQL backend serving `database` (by pid, from /proc)."""
    found: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            title = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if title.startswith("postgres:") and f" {database} " in title:
            found[int(entry.name)] = _proc_cpu(int(entry.name))
    return found


def _machine_cpu() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine so far, from /proc/stat."""
    try:
        values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except OSError:
        return 0.0, 0.0
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    tick = os.sysconf("SC_CLK_TCK")
    return (sum(values[:8]) - idle) / tick, sum(values[:8]) / tick


def _scalar(db: psycopg.Connection[Any], query: str) -> float:
    row = db.execute(query).fetchone()  # type: ignore[arg-type,unused-ignore]
    return float(row[0] or 0.0) if row else 0.0


def _wait(check: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.2)
    return False


@dataclass
class Run:
    workers: int
    concurrency: int
    enqueue_s: float = 0.0
    wall_s: float = 0.0
    drain_s: float = 0.0
    job_s: float = 0.0
    worker_cpu_s: float = 0.0  # the workers' CPU seconds, all of them, start-up included
    bench_cpu_s: float = 0.0  # this process's (fake GitHub, fake model, polling) during the drain
    pg_cpu_s: float = 0.0  # the PostgreSQL backends of the bench's database during the drain
    other_cpu_s: float = 0.0  # the rest of the machine's busy time (other programs, the kernel)
    busy: float = 0.0  # the machine's CPU use during the drain, 0..1
    model_calls: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    checks: dict[str, bool] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(self.checks.values())


def run_one(
    n_workers: int, args: argparse.Namespace, repo: Repo, heads: list[str], pem: Path, public: str, tmp: Path
) -> Run:
    run = Run(n_workers, args.concurrency)
    reviews = len(heads)
    name = f"mochi_bench_{uuid.uuid4().hex[:12]}"
    database_url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    logs = tmp / f"n{n_workers}"
    logs.mkdir()
    _admin(f'CREATE DATABASE "{name}"', args.pg_url)
    try:
        with (
            SlowModel.start(latency=args.model_latency, api_key=MODEL_KEY) as llm,
            FakeGitHub.start(repo.git.path, f"{OWNER}/{NAME}") as gh,
        ):
            _quiet(gh)
            _quiet(llm)
            gh.set_app(APP_ID, public, installations=(INSTALLATION,))
            for k, head in enumerate(heads, start=1):
                gh.add_pull(k, base_ref="main", base_sha=repo.base, head_sha=head, head_ref=f"pr{k}")
            env = _env(
                {
                    "MOCHI_DATABASE_URL": database_url,
                    "MOCHI_SECRET_KEY": SECRET_KEY,
                    "MOCHI_DATA_DIR": str(logs / "data"),
                    "MOCHI_CACHE": "false",
                    "MOCHI_GITHUB_WEBHOOK_SECRET": WEBHOOK_SECRET,
                    "MOCHI_GITHUB_APP_ID": APP_ID,
                    "MOCHI_GITHUB_APP_PRIVATE_KEY_FILE": str(pem),
                    "GITHUB_API_URL": gh.url,
                    "MOCHI_PROVIDER": "openai",
                    "MOCHI_MODEL": "gpt-4o-mini",
                    "OPENAI_BASE_URL": llm.url + "/v1",
                    "OPENAI_API_KEY": MODEL_KEY,
                }
            )
            upgraded = _mochi(env, "db", "upgrade")
            if upgraded.returncode != 0:
                raise SystemExit(f"mochi db upgrade failed: {upgraded.stderr}")
            from mochi.queue.app import ensure_schema

            ensure_schema(database_url)

            if args.enqueue == "webhooks":
                server, url = _serve(env, logs / "server.log")
                try:
                    run.enqueue_s, job_ids = _deliver_all(url, repo, heads)
                finally:
                    _stop(server)
            else:
                run.enqueue_s, job_ids = _enqueue_direct(database_url, heads)

            with psycopg.connect(_libpq(database_url), autocommit=True) as db:

                def counts() -> dict[str, int]:
                    rows = db.execute("SELECT status::text, count(*) FROM procrastinate_jobs GROUP BY 1")
                    return {str(s): int(c) for s, c in rows.fetchall()}

                queued = counts()
                if queued != {"todo": reviews} or len(set(job_ids)) != reviews:
                    raise SystemExit(f"expected {reviews} waiting jobs before the workers start: {queued}")

                workers = []
                bench_cpu = time.process_time()
                pg_cpu = _postgres_cpu(name)
                machine = _machine_cpu()
                started = time.monotonic()
                try:
                    for k in range(n_workers):
                        workers.append(
                            _spawn(
                                env,
                                logs / f"worker{k}.log",
                                "worker",
                                "--concurrency",
                                str(args.concurrency),
                                "--lease",
                                str(args.lease),
                                "--name",
                                f"bench-{n_workers}-{k}",
                            )
                        )

                    def settled() -> bool:
                        found = counts()
                        return found.get("succeeded", 0) == reviews or (
                            found.get("todo", 0) + found.get("doing", 0) == 0
                        )

                    finished = _wait(settled, args.timeout)
                    run.wall_s = time.monotonic() - started
                    run.bench_cpu_s = time.process_time() - bench_cpu
                    busy, total = (b - a for a, b in zip(machine, _machine_cpu(), strict=True))
                    run.busy = busy / total if total else 0.0
                    run.worker_cpu_s = sum(_proc_cpu(w.pid) for w in workers)
                    run.pg_cpu_s = sum(t - pg_cpu.get(pid, 0.0) for pid, t in _postgres_cpu(name).items())
                    run.other_cpu_s = busy - run.worker_cpu_s - run.bench_cpu_s - run.pg_cpu_s
                    if not finished:
                        run.notes.append(f"timed out after {args.timeout:g} s")
                finally:
                    for worker in workers:
                        _stop(worker)
                run.statuses = counts()
                run.drain_s = _scalar(
                    db,
                    "SELECT extract(epoch FROM max(at) FILTER (WHERE type = 'succeeded') "
                    "- min(at) FILTER (WHERE type = 'started')) FROM procrastinate_events",
                )
                run.job_s = _scalar(
                    db,
                    "SELECT extract(epoch FROM avg(s.at - b.at)) FROM procrastinate_events b "
                    "JOIN procrastinate_events s ON s.job_id = b.job_id AND s.type = 'succeeded' "
                    "WHERE b.type = 'started'",
                )
                attempts = int(_scalar(db, "SELECT sum(attempts) FROM procrastinate_jobs"))
                rows = db.execute("SELECT pr_number, status, head_commit FROM reviews").fetchall()
            run.model_calls = len(llm.requests_to("/v1/chat/completions"))

            completed = [r for r in rows if r[1] == "COMPLETED"]
            per_pr = {r[0] for r in completed}
            github_reviews = [r["_pr"] for r in gh.reviews]
            inline = [(c["_pr"], c["path"], c.get("line"), c["body"]) for c in gh.review_comments]
            summaries = [c["_issue"] for c in gh.issue_comments if "mochi" in c["body"].lower()]
            want_heads = {(k, h) for k, h in enumerate(heads, start=1)}
            run.checks = {
                f"{reviews} jobs succeeded": run.statuses == {"succeeded": reviews},
                "no retries": attempts == reviews,  # each job ran once (attempts counts started runs)
                f"{reviews} COMPLETED reviews": len(completed) == reviews == len(rows),
                "one review row per PR, at its head": {(r[0], r[2]) for r in completed} == want_heads
                and len(per_pr) == reviews,
                f"{reviews} GitHub reviews, 1 per PR": len(github_reviews) == reviews
                and len(set(github_reviews)) == reviews,
                "no inline comment twice": bool(inline) and len(inline) == len(set(inline)),
                "no summary twice": len(summaries) == len(set(summaries)),
                "no Traceback in the worker logs": not any(
                    "Traceback" in p.read_text(errors="replace") for p in logs.glob("worker*.log")
                ),
                "requests valid for GitHub's schemas": not [
                    v for v in gh.violations if not v.startswith("response of ")
                ],
            }
            fakes = sorted({v for v in gh.violations if v.startswith("response of ")})
            run.notes.extend(f"the fake GitHub's own answer (not mochi's): {v}" for v in fakes)
            run.notes.extend(f"GitHub: {v}" for v in gh.violations if not v.startswith("response of "))
            if attempts != reviews:
                run.notes.append(f"job attempts: {attempts} for {reviews} jobs")
            if not run.ok:
                for log in sorted(logs.glob("*.log")):
                    tail = log.read_text(errors="replace")[-1500:]
                    run.notes.append(f"--- {log.name} (end) ---\n{tail}")
    finally:
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', args.pg_url)
    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", default="1,2,4", help="worker counts to run, comma-separated")
    parser.add_argument("--concurrency", type=int, default=1, help="`mochi worker --concurrency` of each")
    parser.add_argument("--reviews", type=int, default=200)
    parser.add_argument("--model-latency", type=float, default=0.5, help="seconds before each model answer")
    parser.add_argument("--enqueue", choices=("webhooks", "direct"), default="webhooks")
    parser.add_argument("--lease", type=float, default=60.0, help="`mochi worker --lease`")
    parser.add_argument("--timeout", type=float, default=600.0, help="give up on one N after this many s")
    parser.add_argument("--pg-url", default=PG_ADMIN_URL, help="the `postgres` database, to create others")
    args = parser.parse_args()
    counts = [int(n) for n in args.workers.split(",") if n.strip()]
    if not counts or min(counts) < 1 or args.reviews < 1:
        parser.error("--workers takes positive counts, --reviews a positive number")
    try:
        _admin("SELECT 1", args.pg_url)
    except psycopg.Error as exc:
        raise SystemExit(f"PostgreSQL is not reachable at {args.pg_url}: {exc}") from None

    total = time.monotonic()
    runs: list[Run] = []
    with tempfile.TemporaryDirectory(prefix="mochi-queue-bench-") as tmp_name:
        tmp = Path(tmp_name)
        repo = Repo.create(tmp / "github-side")
        heads = [repo.push(n) for n in range(1, args.reviews + 1)]
        private, public = app_key_pair()
        pem = tmp / "app.pem"
        pem.write_text(private)
        for n in counts:
            run = run_one(n, args, repo, heads, pem, public, tmp)
            runs.append(run)
            rate = args.reviews / run.wall_s * 60 if run.wall_s else 0.0
            print(
                f"N={n}: enqueued {args.reviews} in {run.enqueue_s:.1f} s ({args.enqueue}), drained in "
                f"{run.wall_s:.1f} s wall ({run.drain_s:.1f} s first start to last end), "
                f"{rate:.0f} reviews/min, {run.job_s:.2f} s per job, {run.model_calls} model calls; CPU per "
                f"review: workers {run.worker_cpu_s / args.reviews * 1000:.0f} ms, fakes "
                f"{run.bench_cpu_s / args.reviews * 1000:.0f} ms, "
                f"PostgreSQL {run.pg_cpu_s / args.reviews * 1000:.0f} ms, "
                f"other {run.other_cpu_s / args.reviews * 1000:.0f} ms; machine {run.busy:.0%} busy "
                f"[{'ok' if run.ok else 'FAILED'}]",
                flush=True,
            )
            for check, passed in run.checks.items():
                if not passed:
                    print(f"  FAILED: {check}")
            for note in run.notes:
                print("  " + note)

    base = min(runs, key=lambda r: r.workers)
    base_rate = args.reviews / base.wall_s if base.wall_s else 0.0
    print()
    print(
        f"{args.reviews} reviews, model latency {args.model_latency:g} s, concurrency {args.concurrency} "
        f"per worker, {os.cpu_count()} CPUs, enqueued via {args.enqueue}"
    )
    heading = ("workers", "wall s", "drain s", "reviews/min", "s/job", "efficiency")
    print("  ".join(f"{h:>{w}}" for h, w in zip(heading, (7, 7, 7, 11, 5, 10), strict=True)) + "  correct")
    for run in runs:
        rate = args.reviews / run.wall_s if run.wall_s else 0.0
        eff = (rate / base_rate) / (run.workers / base.workers) if base_rate else 0.0
        print(
            f"{run.workers:>7}  {run.wall_s:>7.1f}  {run.drain_s:>7.1f}  {rate * 60:>11.0f}  "
            f"{run.job_s:>5.2f}  {eff:>10.2f}  {'yes' if run.ok else 'NO'}"
        )
    print(f"total {time.monotonic() - total:.0f} s")
    raise SystemExit(0 if all(r.ok for r in runs) else 1)


if __name__ == "__main__":
    main()
