"""Spark MLlib ALS on augment's enriched export, next to implicit on the same data.

Used by ``bench/spark_als.py`` and ``tests/bench/test_spark_als.py``. The enriched data
is MovieLens ml-latest-small, item-cold split, with pseudo-interactions for cold items
from the simulated provider (precision 0.75) through the real Engine; it is exported with
:func:`augment.export.export_spark` and read back by Spark (local mode). Both models are
scored by :func:`augment.evaluation.evaluate` (Spark's factors wrapped as a scorer).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from augment.data import Dataset, load_movielens
from augment.engine import Engine, EngineConfig
from augment.enrich import enrich
from augment.evaluation import evaluate
from augment.export import export_spark
from augment.recommend import ALSRecommender
from augment.splits import Split, split
from augment.tasks import PseudoInteractions
from augment.testing.simulated import SimulatedProvider, oracle_split

FREE = {"simulated": {"*": {"input": 0, "cached_input": 0, "output": 0}}}
SPARK_GRID = ({"regParam": 0.05, "alpha": 10.0}, {"regParam": 0.1, "alpha": 10.0},
              {"regParam": 0.3, "alpha": 10.0}, {"regParam": 0.1, "alpha": 40.0})
"""Spark's regularization is scaled per user/item by its number of ratings (ALS-WR), so
implicit's penalty does not carry over: these are tried and the best on validation kept."""
CHOSEN = ({"regParam": 0.3, "alpha": 10.0},)
"""What ``bench/spark_als.py`` chose from :data:`SPARK_GRID` on validation warm recall@20
(0.2776; ``bench/results/spark_als.json``): the test fits only this (a Spark fit takes
minutes on a loaded 2-core machine)."""


@dataclass
class Enriched:
    scored: Split
    data: Dataset
    export: Path
    counts: dict[str, Any]


def enriched_movielens(data_dir: str | Path | None, out: Path, *, seed: int = 0,
                       n_cold: int = 200) -> Enriched:
    """MovieLens item-cold, ``n_cold`` cold items with simulated pseudo-interactions,
    enriched (weight 1) and exported for Spark into ``out``."""
    sp = split(load_movielens(data_dir), "item-cold", seed=seed)
    scored, oracle = oracle_split(sp, seed=seed)
    cold = sorted(sp.cold_items)[:n_cold]
    task = PseudoInteractions(sp.train, cold_items=cold, n_candidates=50, n_repeats=3, seed=seed)
    provider = SimulatedProvider(oracle, sp.dataset.items, precision=0.75, seed=seed)
    records = Engine(provider, EngineConfig(progress=False), prices=FREE).run(
        task.work_items()).records
    data = enrich(sp.train, records, pseudo_weight=1.0, seed=seed)
    counts = export_spark(data.interactions, out, user_vocab=data.user_vocab,
                          item_vocab=data.item_vocab)
    return Enriched(scored, data, out, counts)


class FactorScorer:
    """Dot-product scores from factor matrices aligned with a dataset's vocabularies."""

    def __init__(self, data: Dataset, users: np.ndarray, items: np.ndarray) -> None:
        self.user_vocab, self.item_vocab = data.user_vocab, data.item_vocab
        self.user_factors, self.item_factors = users, items

    def score(self, user_ids: Any, item_ids: Any = None) -> np.ndarray:
        u = self.user_vocab.index(list(user_ids))
        i = (np.arange(len(self.item_vocab)) if item_ids is None
             else self.item_vocab.index(list(item_ids)))
        out = self.user_factors[np.maximum(u, 0)] @ self.item_factors[np.maximum(i, 0)].T
        out = out.astype(np.float64)
        out[u < 0] = np.nan
        out[:, i < 0] = np.nan
        return out


def _factors(df: Any, n: int, rank: int) -> np.ndarray:
    pdf = df.toPandas()
    out = np.zeros((n, rank), dtype=np.float32)
    if len(pdf):
        out[pdf["id"].to_numpy()] = np.stack(pdf["features"].to_numpy())
    return out


def spark_session(cores: int = 1, memory: str = "2g") -> Any:
    from pyspark.sql import SparkSession

    return (SparkSession.builder.master(f"local[{cores}]").appName("augment-spark-als")
            .config("spark.driver.memory", memory).config("spark.ui.enabled", "false")
            .config("spark.sql.shuffle.partitions", "4").getOrCreate())


def spark_als(spark: Any, run: Enriched, *, rank: int = 64, max_iter: int = 15,
              grid: tuple[dict[str, float], ...] = SPARK_GRID, seed: int = 0
              ) -> dict[str, Any]:
    """Spark ALS (implicitPrefs) on the export; the grid point best on validation warm
    recall@20 is kept. Returns rows read, the choice, test metrics and fit time."""
    from pyspark.ml.recommendation import ALS

    df = spark.read.parquet(str(run.export / "interactions"))
    rows_read = df.count()
    by_source = {r["source"]: r["count"] for r in df.groupBy("source").count().collect()}
    df = df.cache()
    best: tuple[float, dict[str, float], FactorScorer, float] | None = None
    tried = []
    for params in grid:
        t0 = time.perf_counter()
        model = ALS(userCol="user", itemCol="item", ratingCol="weight", implicitPrefs=True,
                    rank=rank, maxIter=max_iter, seed=seed, nonnegative=False,
                    coldStartStrategy="nan", **params).fit(df)
        fit_s = time.perf_counter() - t0
        scorer = FactorScorer(run.data, _factors(model.userFactors, run.data.n_users, rank),
                              _factors(model.itemFactors, run.data.n_items, rank))
        val = evaluate(run.scored, {"spark": scorer}, k=(20,), on="valid",
                       include=("warm",))["models"]["spark"]["warm"]["recall@20"]
        tried.append({**params, "valid_warm_recall@20": val, "fit_s": round(fit_s, 1)})
        if best is None or val > best[0]:
            best = (val, params, scorer, fit_s)
    assert best is not None
    test = evaluate(run.scored, {"spark": best[2]}, k=(20,), include=("warm", "cold"))
    df.unpersist()
    m = test["models"]["spark"]
    return {"rows_read": int(rows_read), "rows_read_by_source": by_source,
            "params": {"rank": rank, "maxIter": max_iter, **best[1]}, "grid": tried,
            "fit_s": round(best[3], 1), "warm_recall@20": m["warm"]["recall@20"],
            "cold_recall@20": m["cold"]["recall@20"]}


def implicit_als(run: Enriched, *, seed: int = 0) -> dict[str, Any]:
    """augment's ALSRecommender (implicit, defaults) on the same enriched data."""
    t0 = time.perf_counter()
    model = ALSRecommender(seed=seed).fit(run.data)
    fit_s = time.perf_counter() - t0
    m = evaluate(run.scored, {"als": model}, k=(20,), include=("warm", "cold"))["models"]["als"]
    return {"params": {"factors": model.factors, "regularization": model.regularization,
                       "iterations": model.iterations, "alpha": model.alpha},
            "fit_s": round(fit_s, 1), "warm_recall@20": m["warm"]["recall@20"],
            "cold_recall@20": m["cold"]["recall@20"]}


def write_result(path: Path, implicit: dict[str, Any], spark: dict[str, Any],
                 counts: dict[str, Any]) -> dict[str, Any]:
    result = {"implicit": implicit, "spark": spark, "rows_read": spark["rows_read"],
              "rows_written": counts["rows"], "rows_written_by_source": counts["by_source"],
              "warm_recall_ratio": round(spark["warm_recall@20"] / implicit["warm_recall@20"], 4)}
    path.write_text(json.dumps(result, indent=1) + "\n")
    return result


def export_frame(path: Path) -> pd.DataFrame:
    """The export read back with pandas (every partition), for checks without Spark."""
    return pd.read_parquet(path / "interactions")
