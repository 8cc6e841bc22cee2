"""Scale benchmark: how each stage's time and memory grow from 10^4 to 2.5 x 10^7 interactions.

For each size a seeded synthetic catalog (:func:`augment.testing.catalog.synthetic_catalog`,
MovieLens-25M-shaped at the top) goes through the path of a run, in a child process of
its own so that sizes do not share memory:

``synthesize`` (generate + write Parquet; not a pipeline stage) -> ``load``
(:func:`augment.data.load_dataset`) -> ``split`` (item-cold + the simulated model's
oracle half) -> ``retrieval`` (:class:`~augment.tasks.PseudoInteractions` for
``--targets`` cold items and ``--targets`` users with short histories, at most 10
training interactions: text index, candidates' data) ->
``work_items`` (candidates and prompts, ``n_repeats`` per target) -> ``estimate``
(``Engine.estimate``: what ``augment estimate`` does per work item) -> ``generate``
(the Engine with :class:`~augment.testing.simulated.SimulatedProvider`, SQLite store)
-> ``resume`` (the resume check on the finished store) -> ``enrich`` -> ``als`` (64
factors, 15 iterations) -> ``evaluate`` (a seeded sample of ``--eval-users`` test users,
in folds for a 95% CI) -> ``report`` (run folder + ``report.html``).

Every stage row has its wall time, CPU time and peak RSS (the process's high-water mark
reset before the stage: ``/proc/self/clear_refs``). One more series isolates a cost the
fixed-target rows cannot show: ``store_resume``, the resume check of a store with
10^4..10^6 finished rows (:mod:`bench._micro`).

Run from the repo root (sizes as interactions; ``--deadline`` in seconds caps the whole
run: a size that cannot finish is cut and reported as far as it got)::

    PYTHONPATH=$PWD python -m bench.scale --sizes 1e4,1e5,1e6
    PYTHONPATH=$PWD python -m bench.scale --sizes 1e4,1e5,1e6,5e6,2.5e7 --deadline 2700

Writes ``bench/results/scale.json`` (``{"rows": [...], "slopes": {...}, ...}``) and
``scale.png`` (stage wall time vs interactions, log-log).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger("bench.scale")

RESULTS = Path(__file__).resolve().parent / "results"
PIPELINE = ("load", "split", "retrieval", "work_items", "estimate", "generate", "resume",
            "enrich", "als", "evaluate", "report")
END_TO_END = ("load", "split", "retrieval", "work_items", "generate", "enrich", "als",
              "evaluate", "report")
"""The issue's end-to-end run: load, split, targets through the provider, enrich, ALS,
evaluation, report (``estimate``/``resume`` are checks a run also does, counted apart)."""
DRIVER = {"store_resume": "n_targets"}
"""What drives each stage's cost; every other stage is regressed on ``n_interactions``."""


def _child(args: argparse.Namespace) -> None:
    from bench._stages import run_size

    run_size(int(args.one), Path(args.rows), Path(args.work), n_targets=args.targets,
             eval_users=args.eval_users, seed=args.seed)


def _store_series(rows_file: Path, sizes: list[int], work: Path) -> None:
    from bench._micro import store_resume

    store_resume(rows_file, sizes, work)


def _run_child(cmd: list[str], timeout: float | None) -> str:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    try:
        proc = subprocess.run(cmd, env=env, timeout=timeout, capture_output=True, text=True)
    except subprocess.TimeoutExpired:
        return "timeout"
    if proc.returncode != 0:
        log.error("child failed (%d): %s", proc.returncode, proc.stderr[-3000:])
        return f"failed ({proc.returncode})"
    return "ok"


def slope(x: list[float], y: list[float]) -> float | None:
    """Least-squares slope of log(y) on log(x) (None with fewer than 2 distinct x)."""
    x_, y_ = np.log(np.asarray(x, float)), np.log(np.maximum(np.asarray(y, float), 1e-3))
    if len(set(x_.tolist())) < 2:
        return None
    return round(float(np.polyfit(x_, y_, 1)[0]), 3)


def summarize(rows: list[dict[str, Any]], min_wall: float = 0.05) -> dict[str, Any]:
    """Slopes per stage (wall and CPU time vs the size that drives it; rows under
    ``min_wall`` s, timer noise, are left out), end-to-end time and peak memory per size."""
    slopes: dict[str, Any] = {}
    cpu_slopes: dict[str, Any] = {}
    for stage in sorted({r["stage"] for r in rows}):
        key = DRIVER.get(stage, "n_interactions")
        for measure, out in (("wall_s", slopes), ("cpu_s", cpu_slopes)):
            mine = [r for r in rows if r["stage"] == stage and r[measure] >= min_wall]
            s = slope([r[key] for r in mine], [r[measure] for r in mine])
            if s is not None:
                out[stage] = s
    per_size = []
    for n in sorted({r["n_interactions"] for r in rows if r["stage"] in PIPELINE}):
        mine = {r["stage"]: r for r in rows if r["n_interactions"] == n and r["stage"] in PIPELINE}
        done = all(s in mine for s in END_TO_END)
        per_size.append({"n_interactions": n, "complete": done,
                         "end_to_end_s": round(sum(mine[s]["wall_s"] for s in END_TO_END
                                                   if s in mine), 1),
                         "peak_rss_mb": max(r["peak_rss_mb"] for r in mine.values()),
                         "stages": sorted(mine)})
    return {"slopes": slopes, "cpu_slopes": cpu_slopes, "per_size": per_size}


def plot(rows: list[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (a, b) = plt.subplots(1, 2, figsize=(13, 5.5))
    for k, stage in enumerate(("synthesize",) + PIPELINE):
        mine = sorted((r["n_interactions"], r["wall_s"]) for r in rows if r["stage"] == stage)
        if mine:  # past the 10 colours of the cycle: dashed, square markers
            a.plot(*zip(*mine, strict=True), marker="os"[k // 10], linestyle="-" if k < 10
                   else "--", label=stage)
    a.set(xscale="log", yscale="log", xlabel="interactions", ylabel="wall time (s)",
          title="stage time vs catalog size (fixed cold targets)")
    a.grid(True, which="both", alpha=0.3)
    a.legend(fontsize=8, ncol=2)
    for stage in ("store_resume",):
        mine = sorted((r["n_targets"], r["wall_s"]) for r in rows if r["stage"] == stage)
        if mine:
            b.plot(*zip(*mine, strict=True), marker="o", label=stage)
    b.set(xscale="log", yscale="log", xlabel="finished rows", ylabel="wall time (s)",
          title="store resume check vs finished rows")
    b.grid(True, which="both", alpha=0.3)
    b.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--sizes", default="1e4,1e5,1e6", help="interactions per size, comma-separated")
    p.add_argument("--store-rows", default="1e4,1e5,1e6",
                   help="finished rows for the store resume series ('' to skip)")
    p.add_argument("--targets", type=int, default=1000, help="cold items and users (each)")
    p.add_argument("--eval-users", type=int, default=10_000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--deadline", type=float, default=None, help="seconds for the whole run")
    p.add_argument("--out", default=str(RESULTS))
    p.add_argument("--one", help=argparse.SUPPRESS)
    p.add_argument("--rows", help=argparse.SUPPRESS)
    p.add_argument("--work", help=argparse.SUPPRESS)
    p.add_argument("--store-child", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    if args.one:
        _child(args)
        return 0
    if args.store_child:
        _store_series(Path(args.rows), [int(float(s)) for s in args.store_child.split(",")],
                      Path(args.work))
        return 0
    start = time.perf_counter()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    sizes = [int(float(s)) for s in args.sizes.split(",") if s]
    status: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="scale-") as tmp:
        rows_file = Path(tmp) / "rows.jsonl"
        rows_file.touch()

        def left() -> float | None:
            return None if args.deadline is None else args.deadline - (time.perf_counter()
                                                                       - start)

        base = [sys.executable, "-m", "bench.scale", "--rows", str(rows_file)]
        if args.store_rows:
            status["store_resume"] = _run_child(
                base + ["--store-child", args.store_rows, "--work", f"{tmp}/store"], left())
        for n in sizes:
            remaining = left()
            if remaining is not None and remaining < 5:
                status[str(n)] = "not started (deadline)"
                continue
            log.info("size %d (%.0f s left)", n, remaining or -1)
            status[str(n)] = _run_child(
                base + ["--one", str(n), "--work", f"{tmp}/{n}", "--targets", str(args.targets),
                        "--eval-users", str(args.eval_users), "--seed", str(args.seed)],
                remaining)
            log.info("size %d: %s", n, status[str(n)])
        rows = [json.loads(line) for line in rows_file.read_text().splitlines() if line]
    summary = summarize(rows)
    result = {"rows": rows, "slopes": summary["slopes"], "cpu_slopes": summary["cpu_slopes"],
              "per_size": summary["per_size"],
              "status": status, "targets_each": args.targets, "eval_users": args.eval_users,
              "seed": args.seed, "cpus": os.cpu_count(),
              "load_average_1min": round(os.getloadavg()[0], 2),
              "wall_s": round(time.perf_counter() - start, 1),
              "command": "python -m bench.scale " + " ".join(argv if argv is not None
                                                              else sys.argv[1:])}
    (out / "scale.json").write_text(json.dumps(result, indent=1) + "\n")
    plot(rows, out / "scale.png")
    print(json.dumps({"slopes": summary["slopes"], "cpu_slopes": summary["cpu_slopes"],
                      "per_size": summary["per_size"],
                      "status": status}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
