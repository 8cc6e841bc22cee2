"""Cold-start benchmark: what LLM-generated data is worth, measured on held-out data.

MovieLens ml-latest-small (``AUGMENT_DATA_DIR``), item-cold and user-cold splits,
several seeds. In one run per split and seed: the baselines (random, popularity,
content_knn, als, als+content) and the augmented variants (als+attributes,
als+pseudo, als+augmented) with the weight of generated interactions chosen on
validation (:func:`augment.tuning.choose_enrichment`, weight 0 allowed), for

- ``simulated`` providers (:mod:`augment.testing.simulated`) answering from an
  oracle half of the held-out truth with 0 / 25 / 50% of answers replaced at
  random; the oracle half is removed from what is scored (no leak) and excluded
  from every ranking (``Split.known``); cold users are asked in ``--user-rounds``
  rounds (default 5);
- a ``ceiling`` row: every oracle pair added as a generated interaction;
- the embedded local model (SmolLM2 by default, any GGUF with ``--model-path``)
  on a small sample of cold items and users (``--local-sample``).

Everything goes through the real Engine (schemas, checks, votes, SQLite store in a
temporary folder). Metrics are recall/NDCG@10/20 per segment (cold/warm/all),
computed by :func:`augment.tuning.ranking_metrics`, which equals
:func:`augment.evaluation.evaluate` (checked in the run: ``protocol_check``).

Run from the repo root::

    AUGMENT_DATA_DIR=/work/shared/data /work/venv/bin/python -m bench.cold_start
    ... -m bench.cold_start --seeds 0 --splits item-cold --noise 0.25 --skip-local

Writes ``bench/results/cold_start.json`` and ``cold_start.md`` (``--out`` to change).
"""

from __future__ import annotations

import argparse
import json
import logging
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from augment.data import Dataset, load_movielens
from augment.evaluation import evaluate, fit_baselines
from augment.recommend import ALSRecommender
from augment.splits import Split, split
from augment.testing.simulated import SimulatedProvider, oracle_split
from augment.tuning import auto_variants, ranking_metrics
from bench import _generate as G
from bench._summary import goals, summarize, write_markdown

log = logging.getLogger("bench.cold_start")

RESULTS = Path(__file__).resolve().parent / "results"
KS = (10, 20)
USER_ROUNDS = 5
"""Rounds per cold user for the simulated rows (``tasks.pseudo_interactions.rounds``)."""
METRIC_KEYS = tuple(f"{m}@{k}" for m in ("recall", "ndcg") for k in KS)


def _rows(metrics: dict[str, dict[str, float | None]], **key: Any) -> list[dict[str, Any]]:
    return [{**key, "segment": seg, **{m: vals.get(m) for m in METRIC_KEYS}}
            for seg, vals in metrics.items()]


def _score(sp: Split, models: dict[str, Any], **key: Any) -> list[dict[str, Any]]:
    rows = []
    for name, model in models.items():
        m = ranking_metrics(sp, model, k=KS, on="test", include=("cold", "warm", "all"))
        rows += _rows(m, model=name, **key)
    return rows


def _protocol_check(sp: Split, models: dict[str, Any]) -> dict[str, Any]:
    """ranking_metrics vs augment.evaluation.evaluate on these models: equal?"""
    full = evaluate(sp, models, k=KS)["models"]
    diffs = []
    for name, model in models.items():
        fast = ranking_metrics(sp, model, k=KS, on="test", include=("cold", "warm", "all"))
        diffs += [abs(fast[s][m] - full[name][s][m]) for s in fast for m in METRIC_KEYS
                  if fast[s][m] is not None]
    return {"split": sp.kind, "seed": sp.seed, "models": list(models),
            "max_abs_diff": max(diffs) if diffs else None}


def _ceiling(scored: Split, oracle: pd.DataFrame, seed: int, als: dict[str, Any],
             key: dict[str, Any]) -> list[dict[str, Any]]:
    """The most any generator could add: every oracle positive as a generated interaction.

    No retrieval limit, no noise, no votes; the weight (1 or 3) chosen on validation
    cold recall@20 as the tuner would. What the simulated rows reach, as a share of
    this, is what the pipeline turns of a perfect model's signal into gain.
    """
    pos = oracle.loc[oracle["weight"] > 0, ["user_id", "item_id"]]
    train = scored.train
    best = None
    for w in (1.0, 3.0):
        inter = pd.concat([train.interactions.assign(source="observed"),
                           pos.assign(weight=w, source="generated")], ignore_index=True)
        model = ALSRecommender(seed=seed, **als).fit(train.replace(interactions=inter))
        val = ranking_metrics(scored, model, k=20, on="valid", include=("cold",))["cold"]
        if best is None or (val["recall@20"] or 0) > best[0]:
            best = (val["recall@20"] or 0, w, model)
    return _score(scored, {"als+oracle": best[2]}, **key, weight=best[1])


def _augmented(scored: Split, records: list[dict[str, Any]], seed: int, als: dict[str, Any],
               key: dict[str, Any]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    models, choice = auto_variants(scored, records, seed, als=als)
    rows = _score(scored, models, **key, weight=choice.weight,
                  denoise_quantile=choice.denoise_quantile)
    return rows, {**key, "split": scored.kind, "seed": seed, **choice.to_dict()}


def run_split(ds: Dataset, kind: str, seed: int, args: argparse.Namespace, tmp: Path,
              out: dict[str, Any]) -> None:
    """Baselines, simulated providers and (optionally) the local model on one split."""
    t0 = time.perf_counter()
    sp = split(ds, kind, seed=seed)
    scored, oracle = oracle_split(sp, seed=seed)
    als: dict[str, Any] = {"factors": args.factors}
    if args.refit_scale is not None:
        als["refit_scale"] = args.refit_scale
    base = fit_baselines(sp, seed, als=als)
    out["rows"] += _score(scored, base, split=kind, seed=seed, provider="none", noise=None,
                          llm=None)
    out["rows"] += _ceiling(scored, oracle, seed, als, {
        "split": kind, "seed": seed, "provider": "ceiling", "noise": None, "llm": None})
    if seed == args.seeds[0]:
        out["protocol_check"].append(_protocol_check(scored, {"als+content": base["als+content"]}))
    t_base = time.perf_counter() - t0

    if args.noise:
        t1 = time.perf_counter()
        rounds = args.user_rounds if kind == "user-cold" else 1
        task = G.pseudo_task(sp, n_candidates=args.candidates, seed=seed, rounds=rounds)
        pseudo_items = task.work_items()
        attr_items = G.attribute_items(ds)
        log.info("%s seed %d: %d pseudo + %d attribute requests built in %.1fs", kind, seed,
                 len(pseudo_items), len(attr_items), time.perf_counter() - t1)
    for noise in args.noise:
        t1 = time.perf_counter()
        provider = SimulatedProvider(oracle, ds.items, noise=noise, seed=seed)
        store = tmp / f"{kind}-{seed}-simulated.sqlite"
        attrs, _, a_stats = G.run_engine(provider, attr_items, tmp / "attributes.sqlite",
                                         desc="attributes")
        pseudo, _, p_stats = G.run_rounds(provider, task, store, desc="pseudo",
                                          items=pseudo_items)
        t_gen = time.perf_counter() - t1
        key = {"split": kind, "seed": seed, "provider": "simulated", "noise": noise,
               "llm": provider.model, "rounds": rounds}
        rows, choice = _augmented(scored, attrs + pseudo, seed, als, key)
        out["rows"] += rows
        out["choices"].append(choice)
        out["quality"].append({**key, "kind": "pseudo_interactions", "engine": p_stats,
                               **G.bias_quality(sp, pseudo)})
        out["quality"].append({**key, "kind": "genres", "engine": a_stats,
                               **G.genre_quality(attrs, ds.items)})
        out["timing"].append({**key, "generate_s": round(t_gen, 2),
                              "tune_fit_score_s": round(time.perf_counter() - t1 - t_gen, 2)})
        log.info("%s seed %d noise %.2f: weight %s, %.1fs", kind, seed, noise, choice["weight"],
                 time.perf_counter() - t1)
    if not args.skip_local and seed in args.local_seeds:
        _run_local(ds, sp, scored, seed, als, args, tmp, out)
    out["timing"].append({"split": kind, "seed": seed, "baselines_s": round(t_base, 2),
                          "total_s": round(time.perf_counter() - t0, 2)})


def _run_local(ds: Dataset, sp: Split, scored: Split, seed: int, als: dict[str, Any],
               args: argparse.Namespace, tmp: Path, out: dict[str, Any]) -> None:
    """The embedded model on a sample of cold targets (half validation, half test)."""
    from augment.providers import get_provider

    t1 = time.perf_counter()
    # short answers: at most 5 picks (schema) and 256 tokens; a 135M model otherwise
    # lists ids until max_tokens and the answer is cut
    provider = get_provider("local", model_path=args.model_path, n_ctx=4096, seed=seed,
                            max_tokens=256)
    rng = np.random.default_rng([seed, 7])
    col = "item_id" if sp.kind == "item-cold" else "user_id"
    targets = []
    for part in (scored.valid, scored.test):
        ids = np.sort(part.loc[part["segment"] == "cold", col].unique())
        n = min(len(ids), max(1, args.local_sample // 2))
        targets += rng.choice(ids, n, replace=False).tolist()
    kw = {"cold_items": targets, "cold_users": []} if col == "item_id" else {
        "cold_items": [], "cold_users": targets}
    task = G.pseudo_task(sp, n_candidates=args.local_candidates, history_items=2, max_picks=5,
                         seed=seed, **kw)
    store = tmp / f"{sp.kind}-{seed}-local.sqlite"
    pseudo, _, p_stats = G.run_engine(provider, task.work_items(), store, desc="local pseudo",
                                      concurrency=1)
    genre_ids = (targets if col == "item_id" else
                 rng.choice(sorted(sp.cold_items or sp.dataset.items["item_id"]),
                            len(targets), replace=False).tolist())
    attrs, _, a_stats = G.run_engine(
        provider, G.attribute_items(ds, item_ids=genre_ids, hide_genres=True,
                                    items_per_request=1),
        tmp / "local-attributes.sqlite", desc="local attributes", concurrency=1)
    t_gen = time.perf_counter() - t1
    key = {"split": sp.kind, "seed": seed, "provider": "local", "noise": None,
           "llm": provider.model, "sample": len(targets)}
    rows, choice = _augmented(scored, attrs + pseudo, seed, als, key)
    out["rows"] += rows
    out["choices"].append(choice)
    out["quality"].append({**key, "kind": "pseudo_interactions", "engine": p_stats,
                           **G.bias_quality(sp, pseudo)})
    out["quality"].append({**key, "kind": "genres", "genres_hidden": True, "engine": a_stats,
                           **G.genre_quality(attrs, ds.items),
                           "majority_guess": G.majority_genre_quality(ds.items, genre_ids)})
    out["timing"].append({**key, "generate_s": round(t_gen, 2),
                          "tune_fit_score_s": round(time.perf_counter() - t1 - t_gen, 2)})


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="bench.cold_start", description=__doc__.split("\n")[0])
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--splits", nargs="+", default=["item-cold", "user-cold"],
                   choices=["item-cold", "user-cold"])
    p.add_argument("--noise", type=float, nargs="*", default=[0.0, 0.25, 0.5],
                   help="simulated provider noise levels (none: no simulated rows)")
    p.add_argument("--candidates", type=int, default=100, help="candidates per cold target")
    p.add_argument("--user-rounds", type=int, default=USER_ROUNDS,
                   help="rounds of pseudo-interaction requests per cold user (simulated rows)")
    p.add_argument("--factors", type=int, default=64)
    p.add_argument("--refit-scale", type=float, default=None,
                   help="ALSRecommender refit_scale (default: the class default)")
    p.add_argument("--skip-local", action="store_true", help="no embedded-model rows")
    p.add_argument("--model-path", default=None, help="a GGUF file (default SmolLM2-135M)")
    p.add_argument("--local-sample", type=int, default=2,
                   help="cold targets per split for the local model (half validation, half test)")
    p.add_argument("--local-candidates", type=int, default=10)
    p.add_argument("--local-seeds", type=int, nargs="+", default=[0])
    p.add_argument("--data-dir", default=None, help="folder holding ml-latest-small/")
    p.add_argument("--out", type=Path, default=RESULTS, help="results folder")
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None, dataset: Dataset | None = None) -> dict[str, Any]:
    """Run the benchmark; returns the results dict (also written as JSON and Markdown)."""
    args = parse_args(argv)
    ds = dataset if dataset is not None else load_movielens(args.data_dir)
    out: dict[str, Any] = {"dataset": ds.name, "args": {k: (str(v) if isinstance(v, Path) else v)
                                                        for k, v in vars(args).items()},
                           "rows": [], "choices": [], "quality": [], "timing": [],
                           "protocol_check": []}
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="augment-bench-") as tmp:
        for kind in args.splits:
            for seed in args.seeds:
                run_split(ds, kind, seed, args, Path(tmp), out)
    out["wall_s"] = round(time.perf_counter() - t0, 1)
    out["summary"] = summarize(out["rows"])
    out["goals"] = goals(out)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "cold_start.json").write_text(json.dumps(out, indent=1, default=str) + "\n")
    write_markdown(out, args.out / "cold_start.md")
    return out


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    for noisy in ("augment.engine", "augment.recommend", "augment.enrich",
                  "augment.evaluation", "augment.features", "augment.tuning"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    result = main()
    print(f"wrote cold_start.json/.md in {result['wall_s']}s")  # noqa: T201
