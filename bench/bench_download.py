"""Benchmark: download a day of payments for many billers, with and without aggregation.

    python bench/bench_download.py [--billers 1000 --payments 500000] [--repeat 2]

Starts the simulated Biller Portal in a child process (so server and client
each get a core), then for one local day:

  0. the simulator's own cost, without HTTP: generating and rendering the pages
     as the server does (and as dicts, the in-process API);
  a. download only: every page of every biller through PaymentsClient;
  b. download + aggregate: the same, each payment through DayAggregator;
  c. peak memory (tracemalloc, client process) of download + aggregate for one
     biller at several daily volumes, next to what holding the largest day in
     a list costs.

(a) and (b) run --repeat times, alternating, and the best run of each is
reported. Wall-clock times suffer when the machine is shared, so CPU seconds
are printed too (client: this process; server: the child, read from /proc).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import sys
import time
import tracemalloc
from datetime import date
from pathlib import Path
from typing import Any, Callable, NamedTuple

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.payments import BillerProfile, DayAggregator, PaymentsClient, Simulator, day_window  # noqa: E402
from bot.payments.simulator import WEEKLY  # noqa: E402

TZ = "America/New_York"
TOKEN = "bench-token"


def _profiles(args: argparse.Namespace, day: date) -> list[tuple[str, float]]:
    """(biller id, per_day) so that the chosen day has about the asked volumes.

    per_day is a weekly average, so it is divided by the weekday's factor."""
    wd = WEEKLY[day.weekday()]
    rows = [(f"biller-{i:05d}", args.payments / args.billers / wd) for i in range(args.billers)]
    rows += [(f"mem-{n}", n / wd) for n in args.mem]
    return rows


def _simulator(seed: int, profiles: list[tuple[str, float]], token: str | None) -> Simulator:
    sim = Simulator(seed=seed, token=token)
    for biller_id, per_day in profiles:
        sim.set_biller(biller_id, BillerProfile(per_day=per_day, tz=TZ, addon_channel="ivr"))
    return sim


def _serve(queue: Any, stop: Any, seed: int, profiles: list[tuple[str, float]]) -> None:
    """Child process: serve until told to stop."""
    sim = _simulator(seed, profiles, TOKEN)
    queue.put(sim.start())
    stop.wait()
    sim.stop()


def _rate(n: int, seconds: float) -> str:
    return f"{n:>9,} payments in {seconds:6.2f} s = {n / seconds:>8,.0f} payments/s"


def _cpu_of(pid: int) -> float | None:
    """CPU seconds (user + system) a process has used so far; None off Linux."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


class Run(NamedTuple):
    wall: float  # seconds
    client_cpu: float
    server_cpu: float | None
    payments: int
    pages: int


def _timed(work: Callable[[PaymentsClient], int], base_url: str, server_pid: int) -> Run:
    with PaymentsClient(base_url, TOKEN) as client:
        s0, c0, t0 = _cpu_of(server_pid), time.process_time(), time.perf_counter()
        n = work(client)
        wall, cpu, s1 = time.perf_counter() - t0, time.process_time() - c0, _cpu_of(server_pid)
        return Run(wall, cpu, None if s0 is None or s1 is None else s1 - s0, n, client.page_count)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--billers", type=int, default=1000)
    ap.add_argument("--payments", type=int, default=500_000, help="payments on the day across all billers")
    ap.add_argument("--page-size", type=int, default=500)
    ap.add_argument("--date", type=date.fromisoformat, default=date(2026, 3, 11), help="a local day (default a Wednesday)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--repeat", type=int, default=2, help="runs of (a) and (b); the best is reported")
    ap.add_argument(
        "--mem", type=lambda s: [int(x) for x in s.split(",")], default=[1_000, 20_000, 200_000],
        help="daily volumes of the single billers of the memory runs (comma-separated)",
    )
    args = ap.parse_args(argv)

    day = args.date
    start, end = day_window(day, TZ)
    profiles = _profiles(args, day)
    billers = [b for b, _ in profiles[: args.billers]]
    print(f"day {day} ({TZ}): {start:%Y-%m-%dT%H:%MZ} .. {end:%Y-%m-%dT%H:%MZ}; "
          f"{args.billers:,} billers, ~{args.payments:,} payments, pages of {args.page_size}")
    began = time.perf_counter()

    # 0. the simulator's work, without HTTP: what the server does per request
    #    (generate + render JSON), and the in-process API (generate + dicts).
    #    The first pass also plans each biller's day (cached per biller).
    sim = _simulator(args.seed, profiles, None)
    passes: list[tuple[float, float]] = []
    n_gen = encoded = 0
    for _ in range(2):
        gen_s, gen_cpu, n_gen, encoded = 0.0, 0.0, 0, 0
        for b in billers:
            cursor = None
            while True:
                t0, c0 = time.perf_counter(), time.process_time()
                text = sim.page_json(b, start, end, limit=args.page_size, starting_after=cursor)
                gen_s += time.perf_counter() - t0
                gen_cpu += time.process_time() - c0
                encoded += len(text)
                body = json.loads(text)  # (not timed) for the count and the cursor
                n_gen += len(body["data"])
                if not body["has_more"]:
                    break
                cursor = body["next_cursor"]
        passes.append((gen_s, gen_cpu))
    (cold_s, _), (gen_s, gen_cpu) = passes
    t0 = time.perf_counter()
    n_dicts = sum(1 for b in billers for _ in sim.iter_payments(b, start, end, page_size=args.page_size))
    dict_s = time.perf_counter() - t0
    assert n_dicts == n_gen
    del sim
    print(f"\n0. simulator, no HTTP: generate + render JSON  {_rate(n_gen, gen_s)}  "
          f"(CPU {gen_cpu:.2f} s; {encoded / 1e6:,.0f} MB; first pass, planning the days too: {cold_s:.2f} s)")
    print(f"                      generate + dicts         {_rate(n_dicts, dict_s)}  (the in-process API)")

    ctx = mp.get_context("spawn")
    queue, stop = ctx.Queue(), ctx.Event()
    server = ctx.Process(target=_serve, args=(queue, stop, args.seed, profiles), daemon=True)
    server.start()
    try:
        base_url = queue.get(timeout=60)
        pid = server.pid or 0
        print(f"   (simulator serving at {base_url}, child process {pid})")

        def download(client: PaymentsClient, some: list[str] = billers) -> int:
            n = 0
            for b in some:
                for _ in client.iter_payments(b, start, end, page_size=args.page_size):
                    n += 1
            return n

        def aggregate(client: PaymentsClient) -> int:
            n = 0
            for b in billers:
                agg = DayAggregator("ivr")
                for p in client.iter_payments(b, start, end, page_size=args.page_size):
                    agg.add(p)
                n += agg.result()[1].attempts
            return n

        _timed(lambda c: download(c, billers[:5]), base_url, pid)  # warm up
        runs_a: list[Run] = []
        runs_b: list[Run] = []
        for _ in range(max(1, args.repeat)):  # alternating, so a change of load hits both
            runs_a.append(_timed(download, base_url, pid))
            runs_b.append(_timed(aggregate, base_url, pid))
        ra, rb = min(runs_a), min(runs_b)
        assert ra.payments == rb.payments == n_gen, (ra.payments, rb.payments, n_gen)

        def walls(runs: list[Run]) -> str:
            return ", ".join(f"{r.wall:.2f}" for r in runs)

        def cpu(r: Run) -> str:
            server_cpu = "?" if r.server_cpu is None else f"{r.server_cpu:.2f}"
            return f"CPU client {r.client_cpu:.2f} s, server {server_cpu} s"

        print(f"a. download only                         {_rate(ra.payments, ra.wall)}  "
              f"({ra.pages:,} pages; {cpu(ra)}; runs {walls(runs_a)} s)")
        print(f"b. download + aggregate                  {_rate(rb.payments, rb.wall)}  "
              f"({cpu(rb)}; runs {walls(runs_b)} s)")
        print(f"   ratio b/a = {rb.wall / ra.wall:.2f} wall clock, {rb.client_cpu / ra.client_cpu:.2f} client CPU; "
              f"aggregating costs {1e6 * (rb.client_cpu - ra.client_cpu) / rb.payments:.1f} us of CPU a payment")
        if ra.server_cpu:
            total_cpu = ra.client_cpu + ra.server_cpu
            print(f"   generating + rendering the pages (0) is {gen_cpu:.2f} s of the {total_cpu:.2f} s of CPU "
                  f"a download takes ({100 * gen_cpu / total_cpu:.0f} %); HTTP, JSON decoding and the client "
                  f"take the other {total_cpu - gen_cpu:.2f} s")

        # c. memory, client side
        print("\nc. peak traced memory, download + aggregate of one biller's day (tracemalloc, client process)")
        with PaymentsClient(base_url, TOKEN) as client:
            tracemalloc.start()
            for n in args.mem:
                tracemalloc.reset_peak()
                base, _ = tracemalloc.get_traced_memory()
                agg = DayAggregator("ivr")
                for p in client.iter_payments(f"mem-{n}", start, end, page_size=args.page_size):
                    agg.add(p)
                _, total, _ = agg.result()
                _, peak = tracemalloc.get_traced_memory()
                fp = agg.footprint()
                print(f"   {total.attempts:>9,} payments: peak {(peak - base) / 1024:>7,.0f} KiB   "
                      f"(duplicate window {fp['duplicate_window']:,} entries, "
                      f"median histogram {fp['histogram_buckets']:,} buckets)")
                del agg
            biggest = max(args.mem)
            tracemalloc.reset_peak()
            base, _ = tracemalloc.get_traced_memory()
            held = list(client.iter_payments(f"mem-{biggest}", start, end, page_size=args.page_size))
            _, peak = tracemalloc.get_traced_memory()
            print(f"   for contrast, the {len(held):,} payments held in a list: peak {(peak - base) / 1024:>9,.0f} KiB")
            del held
            tracemalloc.stop()
    finally:
        stop.set()
        server.join(timeout=15)
        if server.is_alive():
            server.terminate()
    print(f"\ntotal {time.perf_counter() - began:.0f} s")


if __name__ == "__main__":
    main()
