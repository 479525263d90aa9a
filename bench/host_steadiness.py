"""How steady is this machine? A fixed image workload on every core, its rate per interval.

The soak judges the filter's fps per minute against its median (within 10%). On a shared VM the
host's load moves that number too; this control runs a workload that never changes (OpenCV blurs
and resizes of one 720p frame, one thread per core) and prints its rate per interval, so a soak's
spread can be compared with the machine's own. Run it alone, like the soak.

    python bench/host_steadiness.py [--minutes 10] [--interval 60]
"""

from __future__ import annotations

import argparse
import os
import statistics
import threading
import time

import cv2
import numpy as np


def _work(stop: threading.Event, counts: list[int], slot: int) -> None:
    frame = np.random.default_rng(slot).integers(0, 256, (720, 1280, 3), np.uint8)
    while not stop.is_set():
        small = cv2.resize(cv2.GaussianBlur(frame, (9, 9), 0), (640, 360), interpolation=cv2.INTER_AREA)
        frame[:360, :640] = small  # keep the result alive so nothing is optimised away
        counts[slot] += 1


def measure(minutes: float, interval: float, workers: int) -> list[float]:
    cv2.setNumThreads(1)  # one OpenCV thread per worker: the parallelism is ours and fixed
    stop = threading.Event()
    counts = [0] * workers
    threads = [threading.Thread(target=_work, args=(stop, counts, i), daemon=True) for i in range(workers)]
    for thread in threads:
        thread.start()
    rates = []
    try:
        end = time.monotonic() + minutes * 60
        while time.monotonic() + interval <= end + 1e-6:
            before, start = sum(counts), time.monotonic()
            time.sleep(interval)
            rates.append((sum(counts) - before) / (time.monotonic() - start))
            print(f"{len(rates):<10}{rates[-1]:>10.1f}", flush=True)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    return rates


def main() -> int:
    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=formatter)
    parser.add_argument("--minutes", type=float, default=10.0, help="how long to run (default 10)")
    parser.add_argument("--interval", type=float, default=60.0, help="seconds per sample (default 60)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="threads (default: cores)")
    args = parser.parse_args()
    print(f"{'interval':<10}{'ops/s':>10}")
    rates = measure(args.minutes, args.interval, args.workers)
    if not rates:
        print("no complete interval: run for longer than one interval")
        return 1
    median = statistics.median(rates)
    low, high = min(rates), max(rates)
    print(f"{'median':<10}{median:>10.1f}")
    print(f"spread: {100 * (low / median - 1):+.1f}% .. {100 * (high / median - 1):+.1f}% of the median")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
