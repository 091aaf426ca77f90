"""The HTTP edge under abuse: `rapport serve` as a real process (small demo book), probed
over raw sockets. Prints what each probe cost the server (issue 16, finding 1).

- a 400 MB body streamed with chunked encoding to /slack/events: MiB the server read before refusing,
  seconds to the refusal, the server's RSS growth and peak;
- a declared 400 MB Content-Length: seconds to the 413;
- N stalled connections (half a request line each): server threads before/during, /healthz latency
  while they are open, seconds until the server has closed them all;
- signed Slack requests at 20 concurrent: acks/s and ack p50/p99 through the edge (an event Rapport
  acknowledges without work, so this is the edge, the event dedupe and Bolt's ack path), once /readyz says
  the process is ready (before that it is also loading the model and indexing the playbooks).

    python benchmarks/http_edge.py [--stalled 500]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from slackdouble import SlackDouble  # noqa: E402
from slackdouble.signing import signed_headers  # noqa: E402

SECRET = "bench-edge-secret-0123456789abcdef"
TOKEN = "xoxb-bench-edge"
MiB = 1 << 20


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_ok(url: str, seconds: float) -> float:
    """Seconds until ``url`` answers 2xx (a 503 or a refused connection is an OSError), at most ``seconds``."""
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        try:
            with urllib.request.urlopen(url, timeout=5):
                break
        except OSError:
            time.sleep(0.3)
    return time.monotonic() - start


def proc_status(pid: int, field: str) -> int:
    m = re.search(rf"^{field}:\s+(\d+)", Path(f"/proc/{pid}/status").read_text(), re.MULTILINE)
    return int(m.group(1)) if m else -1


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))] if s else float("nan")


def _offer(port: int, pid: int, total: int, head: bytes, chunked: bool) -> str:
    """Send ``head`` then up to ``total`` bytes of body; what it cost the server."""
    piece = (f"{MiB:x}\r\n".encode() + b"a" * MiB + b"\r\n") if chunked else b"a" * MiB
    rss0, hwm0 = proc_status(pid, "VmRSS"), proc_status(pid, "VmHWM")
    sent, t0 = 0, time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=60) as s:
        s.sendall(head)
        try:
            while sent < total:
                s.sendall(piece)
                sent += MiB
            s.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        cut = time.monotonic() - t0
        try:
            answer = s.recv(200).split(b"\r\n")[0].decode(errors="replace")
        except OSError as exc:
            answer = type(exc).__name__
    rss, hwm = proc_status(pid, "VmRSS"), proc_status(pid, "VmHWM")
    return (
        f"{sent / MiB:.0f} MiB sent before the server stopped taking it ({cut:.2f}s), answer {answer!r}; "
        f"server RSS {rss0 / 1024:.0f} -> {rss / 1024:.0f} MB, peak {hwm0 / 1024:.0f} -> {hwm / 1024:.0f} MB"
    )


def stream(port: int, pid: int, total: int) -> None:
    mb = total // MiB
    chunked = b"POST /slack/events HTTP/1.1\r\nHost: r\r\nTransfer-Encoding: chunked\r\n\r\n"
    print(f"{mb} MB chunked, unsigned, to /slack/events: {_offer(port, pid, total, chunked, True)}")
    minus_one = b"POST /slack/events HTTP/1.1\r\nHost: r\r\nContent-Length: -1\r\n\r\n"
    print(f"{mb} MB after Content-Length: -1, unsigned: {_offer(port, pid, total, minus_one, False)}")
    t0 = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        s.sendall(f"POST /slack/events HTTP/1.1\r\nHost: r\r\nContent-Length: {total}\r\n\r\n".encode())
        try:
            answer = s.recv(200).split(b"\r\n")[0].decode(errors="replace")
        except OSError as exc:
            answer = type(exc).__name__
    print(f"Content-Length {total} declared: {answer!r} after {(time.monotonic() - t0) * 1000:.1f} ms")


def stalled(port: int, pid: int, n: int, url: str) -> None:
    threads0 = proc_status(pid, "Threads")
    socks = []
    for _ in range(n):
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        s.sendall(b"POST /slack/events HTTP/1.1\r\nHost: r\r\nContent-Le")
        socks.append(s)
    time.sleep(1)
    t0 = time.monotonic()
    try:
        with urllib.request.urlopen(f"{url}/healthz", timeout=60) as resp:
            health = f"{resp.status} in {(time.monotonic() - t0) * 1000:.0f} ms"
    except OSError as exc:
        health = f"failed ({exc})"
    during = proc_status(pid, "Threads")
    start, closed = time.monotonic(), set()
    while len(closed) < n and time.monotonic() - start < 120:
        for i, s in enumerate(socks):
            if i in closed:
                continue
            s.settimeout(0.001)
            try:
                if s.recv(1) == b"":
                    closed.add(i)
            except TimeoutError:
                pass
            except OSError:
                closed.add(i)
        time.sleep(0.5)
    for s in socks:
        s.close()
    print(
        f"{n} stalled connections: server threads {threads0} -> {during}; /healthz meanwhile {health}; "
        f"{len(closed)}/{n} closed by the server within {time.monotonic() - start:.0f}s"
    )


def acks(url: str, team: str, n: int = 400, concurrency: int = 20) -> None:
    def one(i: int) -> float:
        body = json.dumps({"type": "event_callback", "team_id": team, "event_id": f"EvB{i}-{time.time_ns()}",
                           "event": {"type": "reaction_added", "user": "U0AMGOLD"}}).encode()  # fmt: skip
        headers = {"Content-Type": "application/json", **signed_headers(SECRET, body)}
        req = urllib.request.Request(f"{url}/slack/events", data=body, headers=headers)
        t0 = time.perf_counter()
        with urllib.request.urlopen(req, timeout=30) as resp:
            assert resp.status == 200, resp.status
        return time.perf_counter() - t0

    one(-1)
    t0 = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        lat = list(pool.map(one, range(n)))
    span = time.perf_counter() - t0
    print(
        f"signed events, {concurrency} concurrent: {n / span:.0f} acks/s, ack p50 {pct(lat, 50) * 1000:.1f} ms "
        f"p99 {pct(lat, 99) * 1000:.1f} ms"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--stalled", type=int, default=500)
    ap.add_argument("--stream-mb", type=int, default=400)
    args = ap.parse_args()
    home = Path(tempfile.mkdtemp(prefix="rapport-edge-"))
    env = {**os.environ, "RAPPORT_HOME": str(home), "PLAYBOOKS_DIR": str(REPO / "playbooks"), "CI": "true",
           "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False",
           "LOG_LEVEL": "WARNING"}  # fmt: skip
    for var in ("DATABASE_URL", "CHROMA_URL", "CHROMA_PATH", "SLACK_APP_TOKEN"):
        env.pop(var, None)
    cli = [sys.executable, "-m", "bot.cli"]
    subprocess.run([*cli, "demo-data", "--customers", "100"], check=True, env=env, cwd=home, capture_output=True)
    port = free_port()
    double = SlackDouble(SECRET, bot_url=f"http://127.0.0.1:{port}/slack/events", bot_token=TOKEN).start()
    env.update(SLACK_API_URL=double.api_url, SLACK_BOT_TOKEN=TOKEN, SLACK_SIGNING_SECRET=SECRET)
    serve = [*cli, "serve", "--port", str(port), "--host", "127.0.0.1", "--no-watch", "--no-scheduler"]
    proc = subprocess.Popen(serve, env=env, cwd=home, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ok(f"{url}/healthz", 60)
        # Acks are measured in steady state: until /readyz the process is also loading the model and indexing
        # the playbooks on its 2 cores (a restart's first minute; readiness keeps a load balancer away then).
        ready_s = wait_ok(f"{url}/readyz", 300)
        print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores (ready after {ready_s:.0f} s)")
        acks(url, double.team_id)
        stream(port, proc.pid, args.stream_mb * MiB)
        stalled(port, proc.pid, args.stalled, url)
        acks(url, double.team_id)
    finally:
        proc.terminate()
        proc.wait(10)
        double.stop()


if __name__ == "__main__":
    main()
