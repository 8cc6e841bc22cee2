"""Does ``augment probe`` on 5% of the targets give the full benchmark's answer?

For every generator of the cold-start benchmark (the simulated oracle at each pick
precision of its sweep, and the world-knowledge model), on both splits, this runs
:func:`augment.probe.probe_split` on 5% of the benchmark's cold targets (validation
targets of one seed/fold: item-cold seed 0, user-cold fold 0) and compares its
verdict with the full benchmark's answer read from ``bench/results/cold_start.json``
(``python -m bench.cold_start``): "the generator's ``als+augmented`` beats the best
LLM-free model", i.e. the paired-bootstrap 95% CI of its cold recall@20 ratio has a
lower bound above 1.0.

- ``agree``: the probe said ``go`` and the full answer is yes, or ``no-go`` and no.
  ``unclear`` never agrees (it is not an answer).
- ``probe_calls``: provider calls the probe made; ``full_calls``: calls of the full
  benchmark for that generator and split (every seed/fold), from the same JSON.
- Targets: 5% (``--share``) of the distinct cold targets of the full benchmark for the
  split: item-cold, one seed's cold items (each seed has its own); user-cold, every
  cold test user of the 10 folds (``cold_start.json``'s per-fold targets). The world
  rows count the targets of the world runs (on the platform users left after the world
  group is held out), not of the main runs.

The probe sees the same candidate lists (100 candidates, 10 picks, 5 rounds for cold
users, 1 request per target and round) and the same oracle split as the benchmark
(the oracle half of each cold target's held-out rows is known to the simulated
model and never scored). The world model runs on the platform users left after its
world group is held out, as in the benchmark.

Run from the repo root (after ``python -m bench.cold_start``)::

    AUGMENT_DATA_DIR=/work/shared/data python -m bench.probe

Writes ``bench/results/probe.json`` (``{"rows": [{"split", "generator", "precision",
"probe_verdict", "full_gain", "full_ci_low", "agree", "probe_calls", "full_calls"}],
...}``) and ``probe.md``.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from augment.data import Dataset, load_movielens
from augment.jobs.config import (
    EngineConfig,
    JobConfig,
    OutputConfig,
    SplitConfig,
    TaskConfig,
    TasksConfig,
)
from augment.probe import probe_split
from augment.splits import Split, hold_out_users, split
from augment.testing.simulated import SimulatedProvider, held_out_positives, oracle_split
from augment.testing.world import WorldProvider
from augment.tuning import EnrichConfig
from bench._logs import bench_logging

log = logging.getLogger("bench.probe")

RESULTS = Path(__file__).resolve().parent / "results"


def full_answers(cold: dict[str, Any]) -> dict[tuple[str, str, float | None], dict[str, Any]]:
    """``(split, generator, precision) -> {"gain", "ci_low", "ci_high", "calls", "units"}``
    from the cold-start benchmark's JSON (``als+augmented`` vs the best LLM-free model;
    ``calls`` summed over its seeds/folds, ``units`` of them)."""
    out: dict[tuple[str, str, float | None], dict[str, Any]] = {}
    for r in cold["ratios"]:
        if r["model"] != "als+augmented" or r["vs"] != "best_llm_free":
            continue
        if r["generator"] not in ("oracle", "world"):
            continue
        key = (r["split"], r["generator"], r["precision"] if r["generator"] == "oracle"
               else None)
        out[key] = {"gain": r["ratio"], "ci_low": r["ci_low"], "ci_high": r["ci_high"],
                    "world_share": r.get("world_share"), "calls": 0, "units": 0}
    for q in cold["quality"]:
        gen = q["generator"]
        key = (q["split"], gen, q["precision"] if gen == "oracle" else None)
        if key in out and q.get("model") == "als+augmented":
            out[key]["calls"] += int(q.get("requests") or 0)
            out[key]["units"] += 1
    return out


def agrees(verdict: str, full_ci_low: float) -> bool:
    """The probe's verdict gives the full benchmark's answer (``unclear`` never does)."""
    yes = full_ci_low > 1.0
    return (verdict == "go" and yes) or (verdict == "no-go" and not yes)


def n_probe_targets(ds: Dataset, kind: str, cold: dict[str, Any], share: float) -> int:
    """``share`` of the full benchmark's distinct cold targets for ``kind``."""
    args = cold["args"]
    if kind == "item-cold":
        sp = split(ds, kind, seed=args["seeds"][0])
        total = len(sp.cold_items)
    else:
        total = 0
        for fold in range(args["folds"]):
            sp = split(ds, kind, seed=args["seeds"][0], folds=args["folds"], fold=fold)
            total += sp.test.loc[sp.test["segment"] == "cold", "user_id"].nunique()
    return max(1, math.ceil(share * total))


def job(kind: str, cold: dict[str, Any], out: Path) -> JobConfig:
    """The benchmark's generation settings as a job (the provider comes from the factory)."""
    g = cold["protocol"]["generators"]
    pseudo = TaskConfig(enabled=True, provider="fake", model="bench", sample=None,
                        n_candidates=int(g["candidates"]), n_repeats=int(g["repeats"]),
                        rounds=int(g["user_rounds"]) if kind == "user-cold" else 1)
    seed = int(cold["args"]["seeds"][0])  # the seed of the benchmark's first unit
    return JobConfig(name=f"bench-probe-{kind}", split=SplitConfig(kind=kind, seed=seed),
                     tasks=TasksConfig(pseudo_interactions=pseudo),
                     engine=EngineConfig(concurrency=8),
                     # the benchmark's auto weight grid: no denoising
                     enrich=EnrichConfig(denoise_quantile=0.0),
                     output=OutputConfig(dir=str(out)))


def _split(ds: Dataset, kind: str, cold: dict[str, Any]) -> Split:
    args = cold["args"]
    if kind == "item-cold":
        return split(ds, kind, seed=args["seeds"][0])
    return split(ds, kind, seed=args["seeds"][0], folds=args["folds"], fold=0)


def run_one(cfg: JobConfig, sp: Split, provider: Any, n: int, store: Path) -> dict[str, Any]:
    t0 = time.perf_counter()
    res = probe_split(cfg, sp, targets=n, provider_factory=lambda _task: provider,
                      store=store)
    return {"probe_verdict": res.verdict, "probe_reason": res.reason,
            "probe_calls": int(res.calls), "probe_targets": res.n_targets,
            "probe_gain": res.figures.get("gain", {}), "probe_s": round(time.perf_counter()
                                                                        - t0, 1)}


def main(argv: Sequence[str] | None = None, dataset: Dataset | None = None) -> dict[str, Any]:
    """Run the comparison; returns the results (also written as JSON and Markdown)."""
    p = argparse.ArgumentParser(prog="bench.probe", description=__doc__.split("\n")[0])
    p.add_argument("--share", type=float, default=0.05, help="share of the targets probed")
    p.add_argument("--cold-start", type=Path, default=RESULTS / "cold_start.json",
                   help="the full benchmark's results")
    p.add_argument("--splits", nargs="+", default=["item-cold", "user-cold"])
    p.add_argument("--precisions", type=float, nargs="*", default=None,
                   help="only these oracle precisions (development; default: the full run's)")
    p.add_argument("--no-world", action="store_true", help="skip the world model (development)")
    p.add_argument("--data-dir", default=None)
    p.add_argument("--out", type=Path, default=RESULTS)
    args = p.parse_args(argv)
    cold = json.loads(args.cold_start.read_text())
    answers = full_answers(cold)
    ds = dataset if dataset is not None else load_movielens(args.data_dir)
    picks = int(cold["args"]["picks"])
    t0, rows = time.perf_counter(), []
    with tempfile.TemporaryDirectory(prefix="augment-probe-bench-") as tmp:
        for kind in args.splits:
            n_main = n_probe_targets(ds, kind, cold, args.share)
            sp = _split(ds, kind, cold)
            scored, oracle = oracle_split(sp, seed=sp.seed)
            held = held_out_positives(sp)
            cases: list[tuple[str, float | None, Split, Any, int]] = [
                ("oracle", prec, scored,
                 SimulatedProvider(oracle, ds.items, precision=prec, picks=picks,
                                   held_out=held, seed=sp.seed), n_main)
                for prec in (cold["args"]["precisions"] if args.precisions is None
                             else args.precisions)]
            for share in [] if args.no_world else cold["args"]["world_shares"]:
                platform, world = hold_out_users(ds, share, seed=cold["args"]["seeds"][0])
                wsp = _split(platform, kind, cold)
                # 5% of the world run's own targets (its platform users, not all users)
                cases.append(("world", None, wsp, WorldProvider(
                    world, platform.items, platform_users=wsp.dataset.user_vocab.ids,
                    picks=picks, noise=cold["args"]["world_noise"], seed=wsp.seed),
                    n_probe_targets(platform, kind, cold, args.share)))
            for gen, prec, psp, provider, n in cases:
                full = answers.get((kind, gen, prec))
                if full is None:
                    log.warning("no full answer for %s %s %s in %s", kind, gen, prec,
                                args.cold_start)
                    continue
                folder = Path(tmp) / f"{kind}-{gen}-{prec}"
                cfg = job(kind, cold, folder)
                got = run_one(cfg, psp, provider, n, folder / "engine.sqlite")
                verdict = got["probe_verdict"]
                row = {"split": kind, "generator": gen, "precision": prec,
                       "probe_verdict": verdict, "full_gain": full["gain"],
                       "full_ci_low": full["ci_low"],
                       "agree": agrees(verdict, full["ci_low"]),
                       "probe_calls": got["probe_calls"], "full_calls": full["calls"],
                       "call_share": round(got["probe_calls"] / max(full["calls"], 1), 4),
                       "n_targets": n, **{k: v for k, v in got.items()
                                          if k not in ("probe_verdict", "probe_calls")}}
                log.info("%s %s %s: probe %s (%s), full %.3f [%.3f], agree %s, calls %d/%d",
                         kind, gen, prec, verdict, got["probe_reason"], full["gain"],
                         full["ci_low"], row["agree"], row["probe_calls"], row["full_calls"])
                rows.append(row)
    out = {"rows": rows,
           "all_agree": bool(rows) and all(r["agree"] for r in rows),
           "max_call_share": max((r["call_share"] for r in rows), default=None),
           "goals": {"agree_every_case": bool(rows) and all(r["agree"] for r in rows),
                     "calls_at_most_3pct": bool(rows) and all(r["call_share"] <= 0.03
                                                              for r in rows)},
           "share": args.share, "full_results": str(args.cold_start),
           "wall_s": round(time.perf_counter() - t0, 1),
           "command": "python -m bench.probe"}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "probe.json").write_text(json.dumps(out, indent=1, default=str) + "\n")
    (args.out / "probe.md").write_text(markdown(out))
    return out


def markdown(out: dict[str, Any]) -> str:
    lines = [f"# Probe on {out['share']:.0%} of the targets vs the full cold-start benchmark", "",
             f"`{out['command']}`, {out['wall_s']} s. Agree in every case: "
             f"**{out['goals']['agree_every_case']}**; probe calls <= 3% of the full run's: "
             f"**{out['goals']['calls_at_most_3pct']}** (max {out['max_call_share']}).", "",
             "| split | generator | precision | probe verdict | full gain | full CI low | "
             "agree | probe calls | full calls |", "|---|---|---|---|---|---|---|---|---|"]
    for r in out["rows"]:
        lines.append(f"| {r['split']} | {r['generator']} | {r['precision']} | "
                     f"{r['probe_verdict']} | {r['full_gain']} | {r['full_ci_low']} | "
                     f"{r['agree']} | {r['probe_calls']} | {r['full_calls']} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    bench_logging()
    res = main()
    print(f"wrote probe.json/.md: agree in every case {res['all_agree']}")  # noqa: T201
