"""Load on the HTTP API: requests per second, latency, errors and the server's memory.

Starts ``python -m ml serve`` on 127.0.0.1 (a free port), sends a bounded
number of requests from a bounded number of concurrent clients, stops early at
a time limit, then stops the server by its process id. Messages come from the
task's own data, cycled. The clients share the machine with the server, so
read the numbers as a floor. Prints numbers and asserts nothing.

Run after ``make train``:  python benchmarks/serve_load.py [--requests 2000] [--clients 8] [--seconds 60]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field

import httpx2
import numpy as np
import psutil

from ml.data import read_examples
from ml.tasks import get_task

HOST = "127.0.0.1"  # never anything but this machine


@dataclass
class Run:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    seconds: float = 0.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def wait_until_healthy(url: str, server: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"the server exited with code {server.returncode}; train the models first (make train)")
        try:
            if httpx2.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx2.TransportError:
            pass
        time.sleep(0.2)
    sys.exit(f"the server was not healthy after {timeout:.0f} s")


async def load(url: str, bodies: list[dict], requests: int, clients: int, seconds: float) -> Run:
    """``clients`` workers share one budget of ``requests``; all stop at the time limit."""
    run, sent = Run(), 0
    deadline = time.monotonic() + seconds
    limits = httpx2.Limits(max_connections=clients, max_keepalive_connections=clients)

    async def client(http: httpx2.AsyncClient) -> None:
        nonlocal sent
        while sent < requests and time.monotonic() < deadline:
            body, sent = bodies[sent % len(bodies)], sent + 1
            started = time.perf_counter()
            try:
                response = await http.post(f"{url}/api/interpret", json=body)
                ok = response.status_code == 200
            except httpx2.HTTPError:
                ok = False
            run.latencies.append(time.perf_counter() - started)
            run.errors += not ok

    started = time.perf_counter()
    async with httpx2.AsyncClient(limits=limits, timeout=30) as http:
        await asyncio.gather(*(client(http) for _ in range(clients)))
    run.seconds = time.perf_counter() - started
    return run


def rss_mb(pid: int) -> float:
    return psutil.Process(pid).memory_info().rss / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", default="meaning")
    parser.add_argument("--requests", type=int, default=2000, help="total requests (default 2000)")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients (default 8)")
    parser.add_argument("--seconds", type=float, default=60, help="stop sending after this long (default 60)")
    args = parser.parse_args()

    frame = read_examples(get_task(args.task).data_path)
    bodies = [{"task": args.task, "message": m, "context": c or None, "top_k": 3}
              for m, c in zip(frame["message"], frame["context"], strict=True)]
    port = free_port()
    url = f"http://{HOST}:{port}"
    server = subprocess.Popen([sys.executable, "-m", "ml", "serve", "--host", HOST, "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    load_average = os.getloadavg()[0]
    try:
        wait_until_healthy(url, server, timeout=60)
        before = rss_mb(server.pid)
        run = asyncio.run(load(url, bodies, args.requests, args.clients, args.seconds))
        after = rss_mb(server.pid)
    finally:
        server.terminate()  # by its process id: only the server this script started
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()

    ms = np.array(run.latencies) * 1000
    print(f"POST /api/interpret ({args.task}), {len(ms)} requests from {args.clients} clients "
          f"in {run.seconds:.1f} s on {os.cpu_count()} CPU(s), load average {load_average:.2f} at the start")
    print(f"  throughput       {len(ms) / run.seconds:8.1f} requests/s")
    print(f"  latency          {np.percentile(ms, 50):8.1f} ms p50, {np.percentile(ms, 99):.1f} ms p99, "
          f"{ms.max():.1f} ms max, {statistics.fmean(ms):.1f} ms mean")
    print(f"  errors           {run.errors:8d}")
    print(f"  server memory    {before:8.1f} MB before, {after:.1f} MB after (RSS)")


if __name__ == "__main__":
    main()
