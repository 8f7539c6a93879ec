"""Benchmark: download a day of payments for many billers, with and without aggregation.

    python bench/bench_download.py [--billers 1000 --payments 500000]

Starts the simulated Biller Portal in a child process (so server and client
each get a core), then for one local day:

  0. generation alone: the simulator's own cost (generate + JSON-encode) in process;
  a. download only: every page of every biller through PaymentsClient;
  b. download + aggregate: the same, each payment through DayAggregator;
  c. peak memory (tracemalloc, client side) of download + aggregate for one
     small and one large biller, to show it stays flat with volume, next to
     what holding the large day in a list costs.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import sys
import time
import tracemalloc
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.payments import BillerProfile, DayAggregator, PaymentsClient, Simulator, day_window  # noqa: E402
from bot.payments.simulator import WEEKLY  # noqa: E402

TZ = "America/New_York"
TOKEN = "bench-token"


def _profiles(args: argparse.Namespace, day: date) -> list[tuple[str, float]]:
    """(biller id, per_day) so that the chosen day has about args.payments in total."""
    per_biller = args.payments / args.billers / WEEKLY[day.weekday()]
    rows = [(f"biller-{i:05d}", per_biller) for i in range(args.billers)]
    rows += [("mem-small", args.mem_small / WEEKLY[day.weekday()]), ("mem-large", args.mem_large / WEEKLY[day.weekday()])]
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
    return f"{n:>9,} payments in {seconds:7.2f} s = {n / seconds:>9,.0f} payments/s"


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--billers", type=int, default=1000)
    ap.add_argument("--payments", type=int, default=500_000, help="payments on the day across all billers")
    ap.add_argument("--page-size", type=int, default=500)
    ap.add_argument("--date", type=date.fromisoformat, default=date(2026, 3, 11))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--mem-small", type=int, default=1_000, help="payments of the small biller (memory run)")
    ap.add_argument("--mem-large", type=int, default=200_000, help="payments of the large biller (memory run)")
    args = ap.parse_args(argv)

    day = args.date
    start, end = day_window(day, TZ)
    profiles = _profiles(args, day)
    billers = [b for b, _ in profiles[: args.billers]]
    print(f"day {day} ({TZ}), window {start:%Y-%m-%dT%H:%MZ} .. {end:%Y-%m-%dT%H:%MZ}")
    print(f"{args.billers:,} billers, ~{args.payments:,} payments, pages of {args.page_size}")

    # 0. generation alone (what the server does per page, minus HTTP)
    sim = _simulator(args.seed, profiles, None)
    gen_s = enc_s = 0.0
    n_gen = encoded = 0
    for b in billers:
        cursor = None
        while True:
            t0 = time.perf_counter()
            body = sim.page(b, start, end, limit=args.page_size, starting_after=cursor)
            t1 = time.perf_counter()
            encoded += len(json.dumps(body, separators=(",", ":")))
            enc_s += time.perf_counter() - t1
            gen_s += t1 - t0
            n_gen += len(body["data"])
            if not body["has_more"]:
                break
            cursor = body["next_cursor"]
    del sim
    print(f"\n0. simulator, in process: generate               {_rate(n_gen, gen_s)}")
    print(f"                           + JSON-encode           {_rate(n_gen, gen_s + enc_s)}  ({encoded / 1e6:,.0f} MB)")

    ctx = mp.get_context("spawn")
    queue, stop = ctx.Queue(), ctx.Event()
    server = ctx.Process(target=_serve, args=(queue, stop, args.seed, profiles), daemon=True)
    server.start()
    try:
        base_url = queue.get(timeout=60)
        print(f"   simulator serving at {base_url} (child process {server.pid})")

        with PaymentsClient(base_url, TOKEN) as warm:  # connection + first-request costs
            for b in billers[:5]:
                for _ in warm.iter_payments(b, start, end, page_size=args.page_size):
                    pass

        # a. download only
        with PaymentsClient(base_url, TOKEN) as client:
            t0 = time.perf_counter()
            n_a = 0
            for b in billers:
                for _ in client.iter_payments(b, start, end, page_size=args.page_size):
                    n_a += 1
            a_s = time.perf_counter() - t0
            pages_a, requests_a = client.page_count, client.request_count
        print(f"a. download only                                 {_rate(n_a, a_s)}  ({pages_a:,} pages, {requests_a:,} requests)")

        # b. download + aggregate
        with PaymentsClient(base_url, TOKEN) as client:
            t0 = time.perf_counter()
            n_b = attempts = 0
            for b in billers:
                agg = DayAggregator("ivr")
                for p in client.iter_payments(b, start, end, page_size=args.page_size):
                    agg.add(p)
                _, total, _ = agg.result()
                n_b += agg.count
                attempts += total.attempts
            b_s = time.perf_counter() - t0
        assert n_b == attempts == n_a, (n_a, n_b, attempts)
        print(f"b. download + aggregate                          {_rate(n_b, b_s)}")
        print(f"   ratio (b)/(a) = {b_s / a_s:.2f}: aggregation adds {100 * (b_s - a_s) / a_s:.0f} % "
              f"({1e6 * (b_s - a_s) / max(1, n_b):.1f} us a payment)")
        print(f"   the simulator's generating is {100 * gen_s / a_s:.0f} % of the download time "
              f"(generation alone runs {(n_gen / gen_s) / (n_a / a_s):.1f}x faster than the download)")

        # c. memory, client side
        print("\nc. peak traced memory of download + aggregate, one biller (tracemalloc, client process)")
        with PaymentsClient(base_url, TOKEN) as client:
            tracemalloc.start()
            for biller in ("mem-small", "mem-large"):
                tracemalloc.reset_peak()
                base, _ = tracemalloc.get_traced_memory()
                t0 = time.perf_counter()
                agg = DayAggregator("ivr")
                for p in client.iter_payments(biller, start, end, page_size=args.page_size):
                    agg.add(p)
                addon, total, _ = agg.result()
                secs = time.perf_counter() - t0
                _, peak = tracemalloc.get_traced_memory()
                fp = agg.footprint()
                print(f"   {biller:<10} {total.attempts:>9,} payments: peak {(peak - base) / 1024:>8,.0f} KiB  "
                      f"(dup window {fp['duplicate_window']:,} entries, {fp['histogram_buckets']:,} buckets; "
                      f"{secs:.1f} s under tracemalloc)")
                del agg
            tracemalloc.reset_peak()
            base, _ = tracemalloc.get_traced_memory()
            held = list(client.iter_payments("mem-large", start, end, page_size=args.page_size))
            _, peak = tracemalloc.get_traced_memory()
            print(f"   for contrast, holding mem-large's {len(held):,} payments in a list: peak {(peak - base) / 1024:>8,.0f} KiB")
            del held
            tracemalloc.stop()
    finally:
        stop.set()
        server.join(timeout=15)
        if server.is_alive():
            server.terminate()


if __name__ == "__main__":
    main()
