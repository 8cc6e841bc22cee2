"""Overhead of augment's ALSRecommender.fit over raw implicit on the same MovieLens matrix.

Both fit the item-cold training matrix of ml-latest-small (seed 0) with the same
parameters, BLAS limited to one thread, num_threads=1. Reports the median of
several repeats and writes bench/results/als_overhead.json. Goal: ratio <= 1.10.

    AUGMENT_DATA_DIR=/work/shared/data python bench/als_overhead.py [--repeats 7]
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from pathlib import Path

import implicit
from implicit.cpu.als import AlternatingLeastSquares
from threadpoolctl import threadpool_limits

from augment.data import load_movielens
from augment.features import with_item_features
from augment.recommend import ALSRecommender
from augment.splits import split

RESULTS = Path(__file__).resolve().parent / "results" / "als_overhead.json"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    train = with_item_features(split(load_movielens(), "item-cold", seed=0).train)
    ours = ALSRecommender(seed=0, cold_items="mapping")
    params = dict(factors=ours.factors, regularization=ours.regularization, alpha=ours.alpha,
                  iterations=ours.iterations, random_state=0, num_threads=ours.num_threads)

    def raw() -> None:
        matrix = train.matrix()  # build the CSR too: our fit does
        with threadpool_limits(1, "blas"):
            AlternatingLeastSquares(**params).fit(matrix, show_progress=False)

    def wrapped() -> None:
        ALSRecommender(seed=0, cold_items="mapping").fit(train)

    def wrapped_zero() -> None:
        ALSRecommender(seed=0, cold_items="zero").fit(train)

    timings: dict[str, list[float]] = {"raw": [], "ours_zero": [], "ours_mapping": []}
    raw(), wrapped(), wrapped_zero()  # warm up
    for _ in range(args.repeats):  # interleaved, so drifts in machine load hit all alike
        for name, fn in (("raw", raw), ("ours_zero", wrapped_zero), ("ours_mapping", wrapped)):
            t = time.perf_counter()
            fn()
            timings[name].append(time.perf_counter() - t)
    med = {k: statistics.median(v) for k, v in timings.items()}
    result = {
        "benchmark": "ALSRecommender.fit vs implicit AlternatingLeastSquares.fit",
        "data": f"ml-latest-small item-cold train, seed 0: {train.n_users} users x "
                f"{train.n_items} items, {len(train.interactions)} interactions",
        "params": params,
        "repeats": args.repeats,
        "median_seconds": {k: round(v, 4) for k, v in med.items()},
        "ratio_zero": round(med["ours_zero"] / med["raw"], 3),
        "ratio_mapping": round(med["ours_mapping"] / med["raw"], 3),
        "goal": "ratio_zero <= 1.10 (the wrapper); ratio_mapping adds the cold-item ridge mapping",
        "implicit": implicit.__version__,
        "python": platform.python_version(),
        "machine": f"{platform.machine()}, shared 2-core box",
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
