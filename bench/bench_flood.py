"""Memory and log growth of `serve --mode http` under a flood of oversized unsigned requests.

Starts the bot unmodified over HTTP (SQLite, the local Slack workspace), logging at INFO to a
file as `serve` does, then sends `--clients` concurrent connections, each trying to upload a
`--mb` MiB body, `--rounds` times: half declare their Content-Length, half stream chunked with
none. Prints the process's peak RSS before and after, the log's growth, the answers, and
whether a signed request is still answered in time afterwards.

    .venv/bin/python bench/bench_flood.py [--clients 4] [--mb 50] [--rounds 5]
"""

from __future__ import annotations

import argparse
import logging
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.harness import NEW_CMD, PROJ, SPEC, BotHarness, make_workspace  # noqa: E402


def rss_mib(field: str = "VmRSS") -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def flood_one(host: str, port: int, mib: int, chunked: bool, answers: list, lock: threading.Lock) -> None:
    head = (b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            + (b"Transfer-Encoding: chunked\r\n" if chunked else f"Content-Length: {mib << 20}\r\n".encode())
            + b"\r\n")
    piece = b"payload=" + b"A" * (64 * 1024 - 8)
    status = "closed"
    try:
        with socket.create_connection((host, port), timeout=10) as s:
            s.sendall(head)
            sent = 0
            s.settimeout(0.0)
            while sent < mib << 20:
                try:
                    s.sendall((b"%x\r\n" % len(piece)) + piece + b"\r\n" if chunked else piece)
                except (BlockingIOError, InterruptedError):
                    time.sleep(0.001)
                    continue
                except OSError:
                    break
                sent += len(piece)
                try:
                    if s.recv(1, socket.MSG_PEEK):
                        break  # answered: stop uploading
                except (BlockingIOError, InterruptedError):
                    pass
            s.settimeout(10)
            status = s.recv(64).split(b"\r\n")[0].decode() or "closed"
    except OSError as e:
        status = f"error {type(e).__name__}"
    with lock:
        answers.append(status)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--mb", type=int, default=50)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-flood-"))
    log_file = tmp / "serve.log"
    handler = logging.FileHandler(log_file)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    root.setLevel(logging.INFO)
    root.addHandler(handler)
    slack = make_workspace()
    slack.start()
    bot = BotHarness(f"sqlite:///{tmp}/addon.db", slack).start()
    slack.command(SPEC, PROJ, NEW_CMD)
    time.sleep(0.5)
    host, port = bot.server.host, bot.server.port
    base_rss, base_log = rss_mib(), log_file.stat().st_size
    answers: list[str] = []
    lock = threading.Lock()
    t0 = time.monotonic()
    for r in range(args.rounds):
        threads = [threading.Thread(target=flood_one, args=(host, port, args.mb, (i + r) % 2 == 1, answers, lock))
                   for i in range(args.clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    elapsed = time.monotonic() - t0
    handler.flush()
    grown = log_file.stat().st_size - base_log
    peak = rss_mib("VmHWM")
    t1 = time.monotonic()
    ok = slack.command(SPEC, PROJ, "help").status_code
    after = time.monotonic() - t1
    tried = args.clients * args.rounds
    print(f"flood: {tried} requests of {args.mb} MiB each ({args.clients} concurrent x {args.rounds} rounds, "
          f"half with Content-Length, half chunked) in {elapsed:.1f}s")
    counts: dict[str, int] = {}
    for a in answers:
        counts[a] = counts.get(a, 0) + 1
    print("answers:", ", ".join(f"{n} x {a!r}" for a, n in sorted(counts.items())))
    print(f"RSS before {base_rss:.0f} MiB, after {rss_mib():.0f} MiB, peak {peak:.0f} MiB "
          f"(the process includes the local workspace and this client)")
    print(f"log grew {grown:,} bytes ({grown / max(1, tried):.0f} bytes per refused request)")
    print(f"a signed command afterwards: HTTP {ok} in {after * 1000:.0f} ms")
    bot.stop()
    slack.stop()


if __name__ == "__main__":
    main()
