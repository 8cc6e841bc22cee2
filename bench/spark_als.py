"""Spark MLlib ALS on augment's enriched export vs implicit on the same data.

MovieLens ml-latest-small (``AUGMENT_DATA_DIR``), item-cold split seed 0, 200 cold items
with simulated pseudo-interactions (precision 0.75), enriched and exported with
``augment.export.export_spark`` (what ``augment export RUN_DIR --format spark`` writes);
Spark (local mode) reads the export and fits ``ALS(implicitPrefs=True)``, rank 64, 15
iterations, regularization chosen on validation; both scored on the test split by
``augment.evaluation.evaluate``. Needs the ``[spark]`` extra and Java 17.

    AUGMENT_DATA_DIR=/work/shared/data PYTHONPATH=$PWD python -m bench.spark_als

Writes ``bench/results/spark_als.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from pathlib import Path

from bench import _spark as S

RESULTS = Path(__file__).resolve().parent / "results"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--out", default=str(RESULTS / "spark_als.json"))
    p.add_argument("--cores", type=int, default=1)
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="spark-als-") as tmp:
        run = S.enriched_movielens(os.environ.get("AUGMENT_DATA_DIR"), Path(tmp) / "spark")
        implicit = S.implicit_als(run)
        spark = S.spark_session(args.cores)
        try:
            result = S.spark_als(spark, run)
        finally:
            spark.stop()
    out = S.write_result(Path(args.out), implicit, result, run.counts)
    print(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
