"""Memory of reading a 10M-row event log through a column mapping and an events rule.

Writes a synthetic log (``augment.testing.write_synthetic_event_log``: 200k customers,
50k skus, view/cart/purchase, Parquet parts of 1M rows) once, then reads it in a fresh
process with ``read_mapped`` (events rule view 1 / cart 3 / purchase 5, sum, log1p),
sampling the process's resident memory every 5 ms. Reports the peak RSS increase over
the RSS just before reading, against

- the final arrays: the bytes of the resulting interactions frame's columns
  (``user_id``, ``item_id``, ``weight``, ``timestamp``), and
- the per-row arrays the reader holds for the log (codes, event, time).

Goal (issue 15): peak increase within about 2x the final arrays. Writes
bench/results/byod_memory.json and .md.

    python bench/byod_memory.py [--rows 10000000] [--folder /tmp/augment-10m-log]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import threading
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
PAGE = os.sysconf("SC_PAGE_SIZE")


def _rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * PAGE


class PeakSampler(threading.Thread):
    """Samples RSS every ``interval`` seconds; ``peak`` is the largest seen."""

    def __init__(self, interval: float = 0.005) -> None:
        super().__init__(daemon=True)
        self.interval, self.peak, self._done = interval, _rss(), threading.Event()

    def run(self) -> None:
        while not self._done.is_set():
            self.peak = max(self.peak, _rss())
            time.sleep(self.interval)

    def stop(self) -> int:
        self._done.set()
        self.join()
        self.peak = max(self.peak, _rss())
        return self.peak


def measure(folder: str, batch_rows: int) -> dict:
    """Run in a fresh process: read the log and return the figures."""
    import gc

    import pandas as pd

    from augment.data import ColumnMapping, FeedbackRule, read_mapped
    from augment.testing import EVENT_WEIGHTS

    mapping = ColumnMapping(user="customer_id", item="sku", feedback="event_type",
                            timestamp="ts")
    rule = FeedbackRule(kind="events", event_weights=EVENT_WEIGHTS, transform="log1p")
    pd.DataFrame({"a": [1]}).to_numpy()  # warm imports before the baseline
    gc.collect()
    before = _rss()
    sampler = PeakSampler()
    sampler.start()
    start = time.perf_counter()
    mapped = read_mapped(folder, columns=mapping, feedback=rule, batch_rows=batch_rows)
    seconds = time.perf_counter() - start
    peak = sampler.stop()
    inter = mapped.dataset.interactions
    final = int(sum(inter[c].to_numpy().nbytes for c in inter.columns))
    rows = mapped.stats.rows
    per_row = rows * (4 + 4 + 4 + 2 + 8)  # user, item codes; value; event code; time
    increase = peak - before
    return {"rows": rows, "pairs": len(inter), "seconds": round(seconds, 1),
            "batch_rows": batch_rows, "rss_before_mb": round(before / 2**20, 1),
            "rss_peak_mb": round(peak / 2**20, 1), "peak_increase_mb": round(increase / 2**20, 1),
            "final_arrays_mb": round(final / 2**20, 1),
            "per_row_arrays_mb": round(per_row / 2**20, 1),
            "ratio_to_final_arrays": round(increase / final, 2),
            "ratio_to_per_row_arrays": round(increase / per_row, 2),
            "duplicate_pairs": mapped.stats.duplicate_pairs}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--folder", default="/tmp/augment-10m-log")
    parser.add_argument("--batch-rows", type=int, default=250_000)
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.folder, args.batch_rows)))
        return
    folder = Path(args.folder)
    marker = folder / f".complete-{args.rows}"
    if not marker.exists():
        from augment.testing import write_synthetic_event_log

        print(f"writing {args.rows} rows to {folder} ...", flush=True)
        for old in folder.glob("*.parquet"):
            old.unlink()
        write_synthetic_event_log(folder, args.rows)
        marker.touch()
    out = subprocess.run([sys.executable, __file__, "--measure", "--folder", str(folder),
                          "--batch-rows", str(args.batch_rows)], check=True,
                         capture_output=True, text=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["goal"] = "peak RSS increase <= ~2x the final arrays"
    result["goal_met"] = result["ratio_to_final_arrays"] <= 2.0
    result["machine"] = {"python": platform.python_version(), "cpus": os.cpu_count()}
    result["command"] = f"python bench/byod_memory.py --rows {args.rows}"
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "byod_memory.json").write_text(json.dumps(result, indent=2) + "\n")
    lines = ["# Reading a large event log: memory", "",
             f"`{result['command']}` (events rule, Parquet parts, {result['batch_rows']} rows "
             "per chunk)", "", "| figure | value |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in result.items() if k not in ("machine", "command")]
    (RESULTS / "byod_memory.md").write_text("\n".join(lines) + "\n")
    for key, value in result.items():
        print(f"{key:26} {value}")


if __name__ == "__main__":
    main()
