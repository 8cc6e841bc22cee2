"""Cold-start benchmark: what a model's generated data is worth against the best LLM-free model.

MovieLens ml-latest-small (``AUGMENT_DATA_DIR``) in the field's protocol
(:mod:`augment.evaluation.protocol`: ColdRec item-cold, cold items ranked among
all cold items, recall = hits / |relevant|): item-cold over ``--seeds``,
user-cold by ``--folds`` folds over users (every user a cold test user once).
In each seed/fold, with every hyper-parameter chosen on validation:

- the LLM-free models (:func:`augment.evaluation.tuned.fit_tuned_baselines`):
  popularity, content_knn, the retriever as a ranker, als, als+content;
- ``llm_free``: the same enrichment path fed by an LLM-free generator
  (:class:`augment.testing.llm_free.LLMFreeProvider`: the top candidates of the
  seed/fold's best LLM-free ranker on validation), same candidate lists, picks,
  rounds and auto weight as every generator;
- ``oracle``: the simulated model at pick precision ``--precisions``
  (:class:`augment.testing.simulated.SimulatedProvider`; wrong picks are never
  held-out positives), answering from an oracle half of the held-out truth
  that is removed from what is scored and excluded from rankings;
- the ceiling: every oracle pair as a generated interaction (``als+oracle``);
- ``world``: a world-knowledge model (:class:`augment.testing.world.WorldProvider`)
  whose knowledge comes only from a group of users held out before the split
  (``--world-shares``), in its own runs on the remaining platform users, with
  their own LLM-free models;
- ``local``: the embedded model on a few cold targets (unless ``--skip-local``).

"Best LLM-free" is the LLM-free model with the best validation cold recall@20
(mean over seeds/folds); every ratio is against it, with a paired bootstrap
95% interval over scored users (:mod:`augment.evaluation.bootstrap`).

Run from the repo root::

    AUGMENT_DATA_DIR=/work/shared/data python -m bench.cold_start --skip-local
    ... -m bench.cold_start --seeds 0 --folds 10 --only-folds 0 --precisions 1 0 --skip-local

Writes ``bench/results/cold_start.json``, ``cold_start.md`` and
``cold_start_break_even.png`` (``--out`` to change).
"""

from __future__ import annotations

import argparse
import json
import logging
import pickle
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from augment.data import Dataset, load_movielens
from augment.evaluation import per_user, protocol
from augment.evaluation.tuned import fit_tuned_baselines
from augment.probe.quality import pick_precision
from augment.recommend import ALSRecommender
from augment.splits import Split, hold_out_users, split
from augment.testing.llm_free import LLMFreeProvider
from augment.testing.simulated import SimulatedProvider, held_out_positives, oracle_split
from augment.testing.world import WorldProvider
from augment.tuning import auto_variants
from bench import _generate as G
from bench._logs import bench_logging
from bench._summary import summarize, write_markdown, write_plot

log = logging.getLogger("bench.cold_start")

RESULTS = Path(__file__).resolve().parent / "results"
KS = (10, 20)
METRIC_KEYS = tuple(f"{m}@{k}" for m in ("recall", "ndcg") for k in KS)
RANKERS = ("popularity", "content_knn", "retriever", "als", "als+content")
DENOISE = (None,)
"""Denoising quantiles the auto weight tries (the library's default also tries 0.2; the
benchmark leaves it out for time: the same grid for every generator)."""


class Store:
    """Rows for the JSON and per-user test (and validation) figures for the bootstraps."""

    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []
        self.users: list[pd.DataFrame] = []
        self.valid: list[dict[str, Any]] = []
        self.extra: dict[str, list[dict[str, Any]]] = {"choices": [], "quality": [],
                                                       "timing": [], "tuning": []}

    def score(self, sp: Split, model: Any, key: dict[str, Any],
              segments: tuple[str, ...] = ("cold", "warm", "all")) -> None:
        df = per_user(sp, model, k=KS, on="test", include=segments)
        for seg in segments:
            part = df[df["segment"] == seg]
            self.rows.append({**key, "segment": seg,
                              **{m: (round(float(part[m].mean()), 6) if len(part) else None)
                                 for m in METRIC_KEYS}, "n_users": int(len(part))})
        cols = ["segment", "user_id", "recall@20", "ndcg@20"]
        self.users.append(df[cols].assign(**{k: key[k] for k in (
            "split", "seed", "fold", "model", "generator", "precision", "world_share")}))


def _key(sp: Split, model: str, generator: str, precision: float | None = None,
         world_share: float | None = None, **extra: Any) -> dict[str, Any]:
    return {"split": sp.kind, "seed": sp.seed, "fold": sp.fold, "model": model,
            "generator": generator, "precision": precision, "world_share": world_share, **extra}


def _generate(provider: Any, task: Any, first: list[Any], tmp: Path, name: str
              ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    records, _, stats = G.run_rounds(provider, task, tmp / f"{name}.sqlite", desc=name,
                                     items=first)
    return records, stats


def _augmented(store: Store, scored: Split, sp: Split, records: list[dict[str, Any]],
               als: dict[str, Any], key: dict[str, Any], stats: dict[str, Any],
               n_targets: int) -> None:
    t0 = time.perf_counter()
    models, choice = auto_variants(scored, records, scored.seed, als=als,
                                   include=("als+augmented",),
                                   denoise_quantiles=DENOISE)
    store.score(scored, models["als+augmented"], key, ("cold", "warm"))
    chosen = next(r for r in choice.table if r.get("chosen"))
    store.valid.append({**key, "valid": chosen["cold"] or 0.0})
    store.extra["choices"].append({**key, "weight": choice.weight,
                                   "denoise_quantile": choice.denoise_quantile,
                                   "valid_cold": chosen["cold"], "valid_warm": chosen["warm"],
                                   "reason": choice.reason})
    store.extra["quality"].append({**key, **pick_precision(records, held_out_positives(sp)),
                                   "requests": stats.get("n_calls"),
                                   "requests_per_target": round(stats.get("n_items", 0)
                                                                / max(n_targets, 1), 2),
                                   "failures": stats.get("n_failures")})
    store.extra["timing"].append({**key, "tune_fit_score_s": round(time.perf_counter() - t0, 2)})


def _ceiling(store: Store, scored: Split, oracle: pd.DataFrame, als: dict[str, Any],
             key: dict[str, Any]) -> None:
    """Every oracle positive as a generated interaction, weight (1 or 3) on validation."""
    from augment.evaluation.tuned import validation_score

    pos = oracle.loc[oracle["weight"] > 0, ["user_id", "item_id"]]
    train = scored.train
    best = None
    for w in (1.0, 3.0):
        inter = pd.concat([train.interactions.assign(source="observed"),
                           pos.assign(weight=w, source="generated")], ignore_index=True)
        model = ALSRecommender(**als).fit(train.replace(interactions=inter))
        v = validation_score(scored, model)
        if best is None or v > best[0]:
            best = (v, w, model)
    assert best is not None
    store.score(scored, best[2], key, ("cold", "warm"))
    store.valid.append({**key, "valid": best[0]})


def _baselines(store: Store, scored: Split, args: argparse.Namespace,
               world_share: float | None) -> tuple[Any, str]:
    tb = fit_tuned_baselines(scored, scored.seed, als={"factors": args.factors})
    for name in RANKERS:
        key = _key(scored, name, "none", world_share=world_share)
        store.score(scored, tb.models[name], key)
        store.valid.append({**key, "valid": tb.validation[name]})
    store.extra["tuning"].append({**_key(scored, "*", "none", world_share=world_share),
                                  "params": tb.params, "validation": tb.validation,
                                  "grid": tb.grid})
    ranker = max(RANKERS, key=lambda n: tb.validation[n])
    return tb, ranker


def _task(sp: Split, args: argparse.Namespace) -> tuple[Any, list[Any], int]:
    rounds = args.user_rounds if sp.kind == "user-cold" else 1
    task = G.pseudo_task(sp, n_candidates=args.candidates, seed=sp.seed, rounds=rounds,
                         n_repeats=args.repeats)
    n_targets = len(sp.cold_items) + len(sp.cold_users)
    return task, task.work_items(), n_targets


def _llm_free(store: Store, sp: Split, scored: Split, tb: Any, ranker: str, task: Any,
              first: list[Any], n_targets: int, args: argparse.Namespace, tmp: Path,
              world_share: float | None) -> None:
    provider = LLMFreeProvider(tb.models[ranker], user_ids=sp.dataset.user_vocab.ids,
                               item_ids=sp.dataset.item_vocab.ids, picks=args.picks,
                               model=f"llm-free-{ranker}")
    records, stats = _generate(provider, task, first, tmp, f"llm_free-{world_share}")
    _augmented(store, scored, sp, records, tb.als,
               _key(scored, "als+augmented", "llm_free", world_share=world_share, picker=ranker),
               stats, n_targets)


def _folder(tmp: Path, *parts: Any) -> Path:
    """A fresh store folder per seed/fold: a request's cached answer never crosses runs."""
    path = tmp.joinpath("-".join(str(p) for p in parts))
    path.mkdir(parents=True, exist_ok=True)
    return path


def run_unit(ds: Dataset, kind: str, seed: int, fold: int | None, args: argparse.Namespace,
             tmp: Path, store: Store) -> None:
    """One seed (item-cold) or fold (user-cold): LLM-free models, llm_free, oracle, ceiling."""
    t0 = time.perf_counter()
    tmp = _folder(tmp, kind, seed, fold)
    sp = split(ds, kind, seed=seed, **({"folds": args.folds, "fold": fold}
                                        if fold is not None else {}))
    scored, oracle = oracle_split(sp, seed=seed)
    tb, ranker = _baselines(store, scored, args, None)
    task, first, n_targets = _task(sp, args)
    _llm_free(store, sp, scored, tb, ranker, task, first, n_targets, args, tmp, None)
    _ceiling(store, scored, oracle, tb.als, _key(scored, "als+oracle", "oracle"))
    held = held_out_positives(sp)
    for p in args.precisions:
        provider = SimulatedProvider(oracle, ds.items, precision=p, picks=args.picks,
                                     held_out=held, seed=seed)
        records, stats = _generate(provider, task, first, tmp, f"oracle-{p}")
        _augmented(store, scored, sp, records, tb.als,
                   _key(scored, "als+augmented", "oracle", p), stats, n_targets)
    if not args.skip_local and seed in args.local_seeds and (fold or 0) == 0:
        _run_local(ds, sp, scored, tb, args, tmp, store)
    store.extra["timing"].append({**_key(scored, "*", "*"),
                                  "unit_s": round(time.perf_counter() - t0, 2)})
    log.info("%s seed %d fold %s: %.1fs", kind, seed, fold, time.perf_counter() - t0)


def run_world_unit(platform: Dataset, world: pd.DataFrame, share: float, kind: str, seed: int,
                   fold: int | None, args: argparse.Namespace, tmp: Path, store: Store) -> None:
    """One seed/fold on the platform users: LLM-free models, llm_free and the world model."""
    t0 = time.perf_counter()
    tmp = _folder(tmp, "world", share, kind, seed, fold)
    sp = split(platform, kind, seed=seed, **({"folds": args.folds, "fold": fold}
                                              if fold is not None else {}))
    tb, ranker = _baselines(store, sp, args, share)
    task, first, n_targets = _task(sp, args)
    _llm_free(store, sp, sp, tb, ranker, task, first, n_targets, args, tmp, share)
    provider = WorldProvider(world, platform.items, platform_users=sp.dataset.user_vocab.ids,
                             picks=args.picks, noise=args.world_noise, seed=seed)
    records, stats = _generate(provider, task, first, tmp, f"world-{share}")
    _augmented(store, sp, sp, records, tb.als,
               _key(sp, "als+augmented", "world", world_share=share), stats, n_targets)
    store.extra["timing"].append({**_key(sp, "*", "world", world_share=share),
                                  "unit_s": round(time.perf_counter() - t0, 2)})
    log.info("world %.2f %s seed %d fold %s: %.1fs", share, kind, seed, fold,
             time.perf_counter() - t0)


def _run_local(ds: Dataset, sp: Split, scored: Split, tb: Any, args: argparse.Namespace,
               tmp: Path, store: Store) -> None:
    """The embedded model on a sample of cold targets (half validation, half test)."""
    from augment.providers import get_provider

    # short answers: at most 5 picks (schema) and 256 tokens; a 135M model otherwise
    # lists ids until max_tokens and the answer is cut
    provider = get_provider("local", model_path=args.model_path, n_ctx=4096, seed=sp.seed,
                            max_tokens=256)
    rng = np.random.default_rng([sp.seed, 7])
    col = "item_id" if sp.kind == "item-cold" else "user_id"
    targets = []
    for part in (scored.valid, scored.test):
        ids = np.sort(part.loc[part["segment"] == "cold", col].unique())
        n = min(len(ids), max(1, args.local_sample // 2))
        targets += rng.choice(ids, n, replace=False).tolist()
    kw = {"cold_items": targets, "cold_users": []} if col == "item_id" else {
        "cold_items": [], "cold_users": targets}
    task = G.pseudo_task(sp, n_candidates=args.local_candidates, history_items=2, max_picks=5,
                         seed=sp.seed, **kw)
    records, _, stats = G.run_engine(provider, task.work_items(), tmp / f"{sp.kind}-local.sqlite",
                                     desc="local pseudo", concurrency=1)
    _augmented(store, scored, sp, records, tb.als,
               _key(scored, "als+augmented", "local", llm=provider.model, sample=len(targets)),
               stats, len(targets))


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="bench.cold_start", description=__doc__.split("\n")[0])
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2],
                   help="item-cold seeds (user-cold uses the first, with --folds)")
    p.add_argument("--folds", type=int, default=10, help="user-cold folds over users")
    p.add_argument("--only-folds", type=int, nargs="*", default=None,
                   help="run only these user-cold folds (development; default: all)")
    p.add_argument("--splits", nargs="+", default=["item-cold", "user-cold"],
                   choices=["item-cold", "user-cold"])
    p.add_argument("--precisions", type=float, nargs="*",
                   default=[1.0, 0.75, 0.5, 0.25, 0.1, 0.0],
                   help="oracle pick precisions (none: no oracle rows)")
    p.add_argument("--picks", type=int, default=10, help="picks per request, every generator")
    p.add_argument("--candidates", type=int, default=100, help="candidates per request")
    p.add_argument("--user-rounds", type=int, default=5, help="rounds per cold user")
    p.add_argument("--repeats", type=int, default=1,
                   help="requests per target and round (shuffled candidates)")
    p.add_argument("--world-shares", type=float, nargs="*", default=[0.5],
                   help="shares of users held out as the world group (none: no world rows)")
    p.add_argument("--world-noise", type=float, default=0.0)
    p.add_argument("--factors", type=int, default=64)
    p.add_argument("--skip-local", action="store_true", help="no embedded-model rows")
    p.add_argument("--model-path", default=None, help="a GGUF file (default SmolLM2-135M)")
    p.add_argument("--local-sample", type=int, default=2,
                   help="cold targets per split for the local model (half validation, half test)")
    p.add_argument("--local-candidates", type=int, default=10)
    p.add_argument("--local-seeds", type=int, nargs="+", default=[0])
    p.add_argument("--bootstrap", type=int, default=2000, help="bootstrap resamples")
    p.add_argument("--jobs", type=int, default=3, help="worker processes (seeds/folds in "
                   "parallel; 1 = in this process)")
    p.add_argument("--from-checkpoint", action="store_true",
                   help="summarise the seeds/folds a cut-short run finished (its checkpoint "
                        "in --out); the output says which did not run")
    p.add_argument("--data-dir", default=None, help="folder holding ml-latest-small/")
    p.add_argument("--out", type=Path, default=RESULTS, help="results folder")
    return p.parse_args(argv)


def _units(kind: str, args: argparse.Namespace) -> list[tuple[int, int | None]]:
    if kind == "item-cold":
        return [(s, None) for s in args.seeds]
    folds = range(args.folds) if args.only_folds is None else args.only_folds
    return [(args.seeds[0], f) for f in folds]


_SHARED: dict[str, Any] = {}
"""What the worker processes read (set before they fork): the dataset and the arguments."""


def _work(job: tuple[str, float | None, str, int, int | None]) -> tuple[Store, float]:
    """One seed/fold in a worker: ``(its Store, its CPU seconds)``."""
    what, share, kind, seed, fold = job
    ds, args, tmp = _SHARED["ds"], _SHARED["args"], Path(_SHARED["tmp"])
    store = Store()
    c0 = time.process_time()
    if what == "main":
        run_unit(ds, kind, seed, fold, args, tmp, store)
    else:
        platform, world = _SHARED["worlds"][share]
        run_world_unit(platform, world, share, kind, seed, fold, args, tmp, store)
    return store, time.process_time() - c0


def _merge(into: Store, part: Store) -> None:
    into.rows += part.rows
    into.users += part.users
    into.valid += part.valid
    for k, v in part.extra.items():
        into.extra[k] += v


def _run_all(ds: Dataset, args: argparse.Namespace, tmp: str) -> tuple[Store, float]:
    """Every seed/fold, in ``args.jobs`` processes (forked; results merged in job order)."""
    import multiprocessing as mp

    # per seed/fold: the main run, then its world runs (a cut-short run keeps both matched)
    jobs: list[tuple[str, float | None, str, int, int | None]] = [
        job for kind in args.splits for seed, fold in _units(kind, args)
        for job in [("main", None, kind, seed, fold)]
        + [("world", share, kind, seed, fold) for share in args.world_shares]]
    _SHARED.update(ds=ds, args=args, tmp=tmp, worlds={
        share: hold_out_users(ds, share, seed=args.seeds[0]) for share in args.world_shares})
    store, cpu = Store(), 0.0
    checkpoint = args.out / ".cold_start_checkpoint.pkl"

    def take(parts: Any) -> None:
        nonlocal cpu
        for n, (part, c) in enumerate(parts):
            _merge(store, part)
            cpu += c
            # what is done so far, for --from-checkpoint if the run is cut short
            checkpoint.parent.mkdir(parents=True, exist_ok=True)
            checkpoint.write_bytes(pickle.dumps({"store": store, "cpu": cpu,
                                                 "done": jobs[:n + 1], "jobs": jobs}))

    if args.jobs <= 1:
        take(map(_work, jobs))
    else:
        with mp.get_context("fork").Pool(args.jobs) as pool:
            take(pool.imap(_work, jobs))
    return store, cpu


def main(argv: Sequence[str] | None = None, dataset: Dataset | None = None) -> dict[str, Any]:
    """Run the benchmark; returns the results dict (also written as JSON and Markdown)."""
    args = parse_args(argv)
    ds = dataset if dataset is not None else load_movielens(args.data_dir)
    t0, c0 = time.perf_counter(), time.process_time()
    partial = None
    if args.from_checkpoint:
        saved = pickle.loads((args.out / ".cold_start_checkpoint.pkl").read_bytes())
        store, cpu_units = saved["store"], saved["cpu"]
        partial = {"done": saved["done"], "not_run": saved["jobs"][len(saved["done"]):]}
    else:
        with tempfile.TemporaryDirectory(prefix="augment-bench-") as tmp:
            store, cpu_units = _run_all(ds, args, tmp)
    wall = round(time.perf_counter() - t0, 1)
    cpu = round(cpu_units + (time.process_time() - c0), 1)  # workers + this process
    protocols = {kind: protocol(split(ds, kind, seed=args.seeds[0], **(
        {"folds": args.folds, "fold": 0} if kind == "user-cold" else {})))
        for kind in args.splits}
    out: dict[str, Any] = {
        "protocol": {**protocols, "rating_threshold": "MovieLens ratings >= 3.5 are positives "
                     "(weight 1), other ratings dropped (load_movielens default)",
                     "folds": args.folds, "item_cold_seeds": args.seeds,
                     "fold_in": "oracle rows: half of every cold target's held-out "
                                "positives go to the oracle and are excluded from every "
                                "model's ranking and from scoring (Split.known)",
                     "best_llm_free": "the LLM-free model with the best mean validation "
                                      "cold recall@20 over seeds/folds",
                     "ci": f"paired bootstrap over scored users, {args.bootstrap} resamples "
                           "within each seed/fold, 95% percentile interval",
                     "generators": {"picks": args.picks, "candidates": args.candidates,
                                    "user_rounds": args.user_rounds, "repeats": args.repeats}},
        "dataset": ds.name,
        "args": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "rows": store.rows, "wall_s": wall, "cpu_s": cpu, "partial": partial}
    out.update(summarize(store, n_boot=args.bootstrap))
    out.update(store.extra)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "cold_start.json").write_text(json.dumps(out, indent=1, default=str) + "\n")
    write_markdown(out, args.out / "cold_start.md")
    write_plot(out, args.out / "cold_start_break_even.png")
    return out


if __name__ == "__main__":
    bench_logging()
    result = main()
    print(f"wrote cold_start.json/.md/.png in {result['wall_s']}s")  # noqa: T201
