"""Memory: RSS of one Faraday bot process over 10k turns across 1k conversations (no growth after warm-up).

``.venv/bin/python -m bench.memory [--turns 10000] [--conversations 1000] [--every 1000]``

The bot runs in its own process (see bench/turns.py), offline planner, Postgres + Valkey, a lean fake connector.
Turns alternate a student lookup, a class widget and a knowledge question, each conversation getting its own
memory rows and stored conversation reference. RSS (psutil) is sampled every ``--every`` turns; the verdict compares
the last sample with the one after warm-up (the first ``--every`` turns). The peer is the stock echo bot, same load.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import time

import aiohttp
import psutil

from bench.harness import TEXTS, LeanConnector, Servers
from bench.turns import BotProcess, activity


async def sample(kind: str, args: argparse.Namespace, db: str, redis: str,
                 connector: LeanConnector) -> list[tuple[int, float]]:
    proc = BotProcess(kind, db=db, redis=redis, quiet=True)
    series: list[tuple[int, float]] = []
    try:
        await asyncio.to_thread(proc.wait_ready)
        rss = psutil.Process(proc.proc.pid)
        series.append((0, rss.memory_info().rss / 2**20))
        texts = [TEXTS["lookup"], TEXTS["widget"], TEXTS["knowledge"]]
        counter = itertools.count()
        done = 0
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:

            async def worker() -> None:
                nonlocal done
                while (i := next(counter)) < args.turns:
                    body = activity(connector.url, texts[i % len(texts)], i % args.conversations)
                    async with session.post(proc.url, json=body) as r:
                        await r.read()
                        assert r.status < 300, r.status
                    done += 1
                    if done % args.every == 0:
                        series.append((done, rss.memory_info().rss / 2**20))
                        print(f"{kind:<8}{done:>7} turns  RSS {series[-1][1]:7.1f} MiB", flush=True)

            await asyncio.gather(*(worker() for _ in range(args.concurrency)))
    finally:
        proc.stop()
    return series


async def run(args: argparse.Namespace) -> None:
    servers = Servers(knowledge=True)
    db, redis = servers.start()
    await servers.prepare(db)
    connector = await LeanConnector().start()
    started = time.perf_counter()
    results = {}
    for kind in args.bots.split(","):
        results[kind] = await sample(kind, args, db, redis, connector)
    await connector.close()
    servers.stop()
    print()
    for kind, series in results.items():
        warm = series[1][1] if len(series) > 1 else series[0][1]
        last = series[-1][1]
        print(f"{kind}: RSS MiB at " + ", ".join(f"{n}:{mb:.0f}" for n, mb in series))
        print(f"{kind}: after warm-up {warm:.1f} MiB → end {last:.1f} MiB ({last - warm:+.1f} MiB,"
              f" {(last - warm) / warm * 100:+.1f} %)")
    print(f"# total {time.perf_counter() - started:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.memory")
    parser.add_argument("--turns", type=int, default=10_000)
    parser.add_argument("--conversations", type=int, default=1_000)
    parser.add_argument("--every", type=int, default=1_000)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--bots", default="faraday,echo")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
