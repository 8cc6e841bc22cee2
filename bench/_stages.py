"""The stages of one scale-benchmark size, each timed and its peak RSS measured.

Runs in a child process of :mod:`bench.scale` (one per size): the process's RSS
high-water mark (``VmHWM``) is reset before each stage (``/proc/self/clear_refs``,
Linux) and read after it, so ``peak_rss_mb`` is the peak of the process *during*
that stage (data kept from earlier stages included, as a real run holds it).
Each finished stage is appended as one JSON line to the output file at once, so a
size cut short by the time limit keeps the stages it finished.
"""

from __future__ import annotations

import json
import logging
import resource
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from augment.data import load_dataset
from augment.engine import Engine, EngineConfig
from augment.enrich import enrich
from augment.evaluation import evaluate
from augment.jobs.rundir import RunDir
from augment.recommend import ALSRecommender
from augment.report import write_report
from augment.splits import Split, split
from augment.tasks import PseudoInteractions
from augment.testing.catalog import synthetic_catalog
from augment.testing.simulated import SimulatedProvider, oracle_split

log = logging.getLogger("bench.scale")

FREE = {"simulated": {"*": {"input": 0, "cached_input": 0, "output": 0}}}
KS = (10, 20)


def _hwm_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # pragma: no cover


def _reset_hwm() -> None:
    Path("/proc/self/clear_refs").write_text("5")


class Recorder:
    """Times stages and appends one JSON line per finished stage to ``out``."""

    def __init__(self, out: Path, size: dict[str, int]) -> None:
        self.out = out
        self.size = size

    @contextmanager
    def stage(self, name: str, n_targets: int = 0, **extra: Any):
        info: dict[str, Any] = {}
        _reset_hwm()
        cpu0, t0 = time.process_time(), time.perf_counter()
        yield info
        wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
        row = {"stage": name, **self.size, "n_targets": n_targets, "wall_s": round(wall, 3),
               "cpu_s": round(cpu, 3), "peak_rss_mb": round(_hwm_mb(), 1), **extra, **info}
        with self.out.open("a") as f:
            f.write(json.dumps(row) + "\n")
        log.info("%-12s %10d interactions: %8.2f s, %7.0f MB", name,
                 self.size["n_interactions"], wall, row["peak_rss_mb"])


def _sample(ids: Any, n: int, seed: int) -> list[Any]:
    ids = np.sort(np.asarray(list(ids)))
    rng = np.random.default_rng(seed)
    return sorted(rng.choice(ids, size=min(n, len(ids)), replace=False).tolist())


def _light_users(inter: pd.DataFrame, n: int, seed: int) -> list[Any]:
    """``n`` users (seeded) among those with the shortest training histories (at most
    10 interactions, or the ``n`` lightest): the users a cold-user task asks about."""
    counts = inter.groupby("user_id").size()
    light = counts[counts <= 10].index
    if len(light) < n:
        light = counts.sort_values(kind="stable").index[:n]
    return _sample(light, n, seed)


def _users(test: pd.DataFrame, seg: str) -> int:
    pos = test[test["weight"] > 0]
    return int(pos.loc[(pos["segment"] == seg) | (seg == "all"), "user_id"].nunique())


def fold_metrics(split_: Split, model: Any, users: list[Any], folds: int, seed: int
                 ) -> tuple[dict[str, Any], dict[str, list[float]]]:
    """``(metrics, ci)`` of ``model`` on the sampled ``users``, from ``folds`` disjoint folds.

    Each fold (a seeded share of the users) is scored once by
    :func:`augment.evaluation.evaluate`, so every sampled user is scored exactly once.
    ``metrics`` has evaluate's shape (model ``"als"``), each value the user-weighted mean
    of the fold values (coverage too, which is therefore per fold); ``ci`` gives
    ``[mean, low, high]`` of recall@20 and ndcg@20 per segment, the 95% interval
    ``mean ± 1.96 sd(fold means) / sqrt(folds)`` (batch means).
    """
    rng = np.random.default_rng([seed, 7])
    fold = rng.permutation(len(users)) % folds
    results = []
    for f in range(folds):
        sub = replace(split_, test=split_.test[split_.test["user_id"].isin(
            set(np.asarray(users, dtype=object)[fold == f].tolist()))])
        res = evaluate(sub, {"als": model}, k=KS, seed=seed)["models"]["als"]
        results.append((res, {seg: _users(sub.test, seg) for seg in res}))
    metrics: dict[str, Any] = {}
    ci: dict[str, list[float]] = {}
    for seg in results[0][0]:
        metrics[seg] = {}
        for name in results[0][0][seg]:
            got = [(r[seg][name], n[seg]) for r, n in results if r[seg][name] is not None]
            if not got:
                metrics[seg][name] = None
                continue
            vals, w = np.array([v for v, _ in got]), np.array([n for _, n in got], float)
            mean = float(np.average(vals, weights=w)) if w.sum() else float(vals.mean())
            metrics[seg][name] = round(mean, 6)
            if name in ("recall@20", "ndcg@20") and len(vals) > 1:
                half = 1.96 * float(vals.std(ddof=1)) / np.sqrt(len(vals))
                ci[f"{seg} {name}"] = [round(mean, 4), round(mean - half, 4),
                                       round(mean + half, 4)]
    return {"split": split_.kind, "seed": seed, "k": list(KS), "models": {"als": metrics},
            "sample": {"users": len(users), "folds": folds}}, ci


def run_size(n_interactions: int, out: Path, work: Path, *, n_targets: int = 1000,
             eval_users: int = 10_000, seed: int = 0, n_repeats: int = 3,
             n_candidates: int = 30, folds: int = 5, stop: Callable[[], bool] = lambda: False
             ) -> None:
    """Every stage at one size (see :mod:`bench.scale`)."""
    cat_dir = work / "catalog"
    cat_dir.mkdir(parents=True, exist_ok=True)
    size = {"n_users": 0, "n_items": 0, "n_interactions": n_interactions}
    rec = Recorder(out, size)
    with rec.stage("synthesize") as info:
        cat = synthetic_catalog(n_interactions, seed=seed)
        ds0 = cat.dataset
        ds0.interactions.to_parquet(cat_dir / "interactions.parquet", index=False)
        ds0.items.to_parquet(cat_dir / "items.parquet", index=False)
        size.update(n_users=int(len(ds0.users)), n_items=int(len(ds0.items)))
    del cat, ds0
    with rec.stage("load"):
        ds = load_dataset(cat_dir)
        _ = ds.user_vocab, ds.item_vocab
    with rec.stage("split") as info:
        sp = split(ds, "item-cold", seed=seed)
        scored, oracle = oracle_split(sp, seed=seed)
        info["n_train"] = int(len(sp.train.interactions))
    cold_items = _sample(sp.cold_items, n_targets, seed)
    cold_users = _light_users(sp.train.interactions, n_targets, seed + 1)
    # the cold users' simulated truth: their held-out warm interactions (never scored
    # by this benchmark's quality figures; the benchmark measures cost)
    held = pd.concat([scored.valid, scored.test])
    oracle = pd.concat([oracle, held[held["user_id"].isin(set(cold_users))
                                     & (held["segment"] == "warm")].drop(columns="segment")])
    n_t = len(cold_items) + len(cold_users)
    with rec.stage("retrieval", n_t):
        task = PseudoInteractions(sp.train, cold_items=cold_items, cold_users=cold_users,
                                  n_candidates=n_candidates, n_repeats=n_repeats, seed=seed)
    with rec.stage("work_items", n_t) as info:
        items = task.work_items()
        info["n_work_items"] = len(items)
    provider = SimulatedProvider(oracle, ds.items, precision=0.75, seed=seed)
    store = work / "engine.sqlite"
    store.unlink(missing_ok=True)
    with rec.stage("estimate", n_t) as info:
        est = Engine(provider, EngineConfig(progress=False), prices=FREE).estimate(items)
        info["n_work_items"] = est.n_requests
    with rec.stage("generate", n_t) as info:
        engine = Engine(provider, EngineConfig(concurrency=8, progress=False), store=store,
                        prices=FREE)
        result = engine.run(items)
        records = result.records
        info.update(n_records=len(records), n_failures=len(result.failures))
    with rec.stage("resume", n_t) as info:
        again = Engine(provider, EngineConfig(progress=False), store=store, prices=FREE)
        est = again.estimate(items)
        info.update(n_work_items=len(items), n_cached=est.n_cached)
    if stop():
        return
    with rec.stage("enrich", n_t) as info:
        enriched = enrich(sp.train, records, pseudo_weight=1.0, text_features=True, seed=seed)
        info["n_generated"] = int((enriched.interactions["source"] == "generated").sum())
    with rec.stage("als", n_t):
        model = ALSRecommender(factors=64, iterations=15, seed=seed).fit(enriched)
    users = _sample(pd.unique(scored.test["user_id"]), eval_users, seed + 2)
    with rec.stage("evaluate", len(users)) as info:
        metrics, info["ci"] = fold_metrics(scored, model, users, folds, seed)
    with rec.stage("report", n_t):
        run = RunDir(work / "run").start()
        run.save_task("pseudo_interactions", result)
        run.write_metrics(metrics)
        run.complete()
        write_report(run)
