"""Benchmark `mochi serve`'s read endpoints under load, then its rate limit (loopback, stops by itself).

    python bench/server_load.py [--clients 50] [--seconds 30] [--think 0.1] [--processes 2]
                                [--database URL] [--reads auto|loop|threads]

1. A fresh record (SQLite in a temporary directory, or --database, e.g. the test PostgreSQL) with 20
   reviews made by `mochi review --provider builtin` of the demo repository, and a reader key.
2. `mochi serve --rate-limit none --ip-rate-limit none --processes 2` (one per core of the 2-core
   machine this was written on); `--clients` concurrent clients, each in a loop
   for `--seconds`: GET /api/reviews, /api/reviews/{id}, /api/reviews/{id}/comments or /api/models
   (in turn), then a pause of `--think` seconds (a client is a program or a person reading, not a
   flood; --think 0 measures saturation). Reports requests/s, status counts, latency percentiles,
   the server's CPU per request and the CPU the machine's hypervisor took (steal).
   Targets: no 5xx, p99 below 100 ms.
3. `mochi serve --rate-limit 100/minute`: 101 GETs of one endpoint with one key; the first 100 must
   be 200 and the 101st 429 with Retry-After.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
SECRET = "ZmFrZS1rZXktZm9yLXRoZS1iZW5jaC0wMDAwMDAwMDA="  # a Fernet key (32 bytes), for the bench only


def _env(database: str, data: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MOCHI_", "CI"))}
    env.update(MOCHI_DATABASE_URL=database, MOCHI_DATA_DIR=str(data), MOCHI_SECRET_KEY=SECRET)
    return env


def _mochi(env: dict[str, str], *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mochi", *args], env=env, cwd=cwd, capture_output=True, text=True
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _serve(env: dict[str, str], *args: str) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "mochi", "serve", "--port", str(port), *args],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return proc, url
        except httpx.TransportError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("mochi serve did not start")


def _cpu_s(pid: int) -> float:
    """CPU seconds of the process `pid` and its children (the server processes of --processes N)."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(entry.name) == pid or int(fields[1]) == pid:
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def _steal() -> tuple[int, int]:
    """(steal, all) jiffies of the machine so far (/proc/stat)."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    return values[7], sum(values)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()


async def _load(
    url: str, key: str, ids: list[int], clients: int, seconds: float, think: float
) -> dict[str, Any]:
    """`clients` concurrent clients on one aiohttp session (httpx's async client costs several times
    more CPU per request, and on a 2-core machine the load generator must leave the server a core)."""
    import aiohttp

    paths = ["/api/reviews"] + [
        p for i in ids[:5] for p in (f"/api/reviews/{i}", f"/api/reviews/{i}/comments")
    ]
    paths.append("/api/models")
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    deadline = time.monotonic() + seconds
    connector = aiohttp.TCPConnector(limit=clients)
    headers = {"Authorization": f"Bearer {key}"}
    async with aiohttp.ClientSession(url, headers=headers, connector=connector) as session:

        async def one(n: int) -> None:
            # clients that are not in step: each starts at its own moment of the first pause and
            # pauses `think` x U(0.5, 1.5) (50 clients started together and paused alike would
            # arrive in waves of 50, and the last of each wave would wait for the 49 before it)
            rng = random.Random(n)
            await asyncio.sleep(rng.uniform(0, think))
            i = n
            while time.monotonic() < deadline:
                path = paths[i % len(paths)]
                i += 1
                started = time.perf_counter()
                try:
                    async with session.get(path) as response:
                        await response.read()
                        status = response.status
                except aiohttp.ClientError:
                    status = 0
                latencies.append(time.perf_counter() - started)
                statuses[status] = statuses.get(status, 0) + 1
                if think:
                    await asyncio.sleep(think * rng.uniform(0.5, 1.5))

        started = time.monotonic()
        await asyncio.gather(*(one(n) for n in range(clients)))
        elapsed = time.monotonic() - started
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000

    return {"requests": len(latencies), "per_s": len(latencies) / elapsed, "statuses": statuses,
            "p50": pct(0.50), "p95": pct(0.95), "p99": pct(0.99), "max": latencies[-1] * 1000}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--think", type=float, default=0.1, help="pause after each request, in seconds")
    parser.add_argument("--database", help="a database URL (default: SQLite in a temporary directory)")
    parser.add_argument(
        "--processes", type=int, default=2, help="`mochi serve --processes` for the load part"
    )
    parser.add_argument("--reads", default="auto", help="`mochi serve --reads` for the load part")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        env = _env(args.database or f"sqlite:///{tmp_path / 'record.db'}", tmp_path / "data")
        demo = tmp_path / "demo"
        subprocess.run([str(ROOT / "examples/demo/make-demo.sh"), str(demo)], check=True, capture_output=True)
        for _ in range(20):
            review = _mochi(env, "review", "--provider", "builtin", "--format", "json", cwd=demo)
            if review.returncode not in (0, 1):
                raise SystemExit(f"mochi review failed: {review.stderr}")
        created = _mochi(env, "apikeys", "create", "bench", "--role", "reader", "--json")
        key = json.loads(created.stdout)["key"]["key"]
        listed = json.loads(_mochi(env, "reviews", "list", "--all", "--json").stdout)["reviews"]
        ids = [int(r["id"]) for r in listed]

        proc, url = _serve(
            env, "--rate-limit", "none", "--ip-rate-limit", "none", "--processes", str(args.processes),
            "--reads", args.reads,
        )  # fmt: skip
        try:
            cpu, steal = _cpu_s(proc.pid), _steal()
            result = asyncio.run(_load(url, key, ids, args.clients, args.seconds, args.think))
            cpu_ms = (_cpu_s(proc.pid) - cpu) * 1000 / max(1, result["requests"])
            stolen = (_steal()[0] - steal[0]) / max(1, _steal()[1] - steal[1])
        finally:
            _stop(proc)
        errors = sum(n for s, n in result["statuses"].items() if s >= 500 or s == 0)
        ok = errors == 0 and result["p99"] < 100
        database = "PostgreSQL" if args.database else "SQLite"
        print(f"load: {args.clients} clients for {args.seconds:g} s (think {args.think:g} s), "
              f"{args.processes} server process(es), {database}, reads {args.reads}, "
              f"{result['requests']} requests, {result['per_s']:.0f}/s, statuses {result['statuses']}, "
              f"p50 {float(result['p50']):.1f} ms, p95 {float(result['p95']):.1f} ms, "
              f"p99 {float(result['p99']):.1f} ms, max {float(result['max']):.1f} ms; "
              f"server CPU {cpu_ms:.2f} ms/request, steal {stolen:.0%} "
              f"[{'ok' if ok else 'FAILED'}: no 5xx, p99 < 100 ms]")  # fmt: skip

        proc, url = _serve(env, "--rate-limit", "100/minute", "--ip-rate-limit", "none")
        try:
            with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"}) as client:
                statuses = [client.get("/api/reviews").status_code for _ in range(101)]
                last = client.get("/api/reviews")
        finally:
            _stop(proc)
        exact = statuses[:100] == [200] * 100 and statuses[100] == 429 and "Retry-After" in last.headers
        print(f"rate limit 100/minute: {statuses.count(200)} x 200, then {statuses[100]} "
              f"(Retry-After {last.headers.get('Retry-After')} s) "
              f"[{'ok' if exact else 'FAILED'}]")  # fmt: skip
    raise SystemExit(0 if ok and exact else 1)


if __name__ == "__main__":
    main()
