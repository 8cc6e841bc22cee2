"""The probe's verdict (a rule fixed before any result was seen) and the full run's projection.

Verdict, from the cross-fitted gain ratio G on the probe targets and its 95% CI
``[lo, hi]`` (:mod:`augment.probe.gain`):

- ``go`` when ``lo > 1.0`` and, when the job generates pseudo-interactions, the
  model's pick-precision lift over the LLM-free generator is above 0 (point estimate);
- ``no-go`` when ``G <= 1.0`` (no lift; this includes the auto weight leaving the
  generated interactions out in both halves) or ``hi < 1.0``;
- ``unclear`` otherwise: the CI half-width shrinks as ``1/sqrt(n)``; the targets
  that would put ``lo`` above 1.0 (at most the validation targets left) are
  proposed, with their cost at the probe's cost per target.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

__all__ = ["Verdict", "decide", "project"]


@dataclass(frozen=True)
class Verdict:
    verdict: str
    reason: str
    more_targets: int | None = None
    more_cost_usd: float | None = None


def decide(gain: dict[str, Any], *, precision_lift: float | None, has_pseudo: bool,
           weights_zero: bool, n_targets: int, targets_left: int,
           cost_per_target: float) -> Verdict:
    """The verdict of :mod:`augment.probe.verdict`'s rule."""
    g, lo, hi = gain.get("ratio"), gain.get("low"), gain.get("high")
    if g is None or lo is None or hi is None:
        return Verdict("no-go", "no gain could be measured (no scored user, or the best "
                                "LLM-free model scores 0 on the probe targets)")
    figure = (f"{gain.get('metric', 'cold recall@20')} x{g:.3f} vs the best LLM-free model, "
              f"95% CI [{lo:.3f}, {hi:.3f}]")
    if has_pseudo and weights_zero:
        return Verdict("no-go", f"the auto weight left the generated interactions out in both "
                                f"halves ({figure})")
    if g <= 1.0:
        return Verdict("no-go", f"no lift: {figure}")
    if hi < 1.0:
        return Verdict("no-go", f"worse than free: {figure}")
    if lo > 1.0:
        if has_pseudo and (precision_lift is None or precision_lift <= 0):
            lift = "none" if precision_lift is None else f"{precision_lift:+.4f}"
            return Verdict("unclear", f"{figure}, but the picks are no more precise than the "
                                      f"LLM-free generator's (lift {lift})")
        return Verdict("go", figure)
    half = (hi - lo) / 2
    need = math.ceil(n_targets * (half / (g - 1.0)) ** 2) - n_targets if g > 1.0 else None
    if need is None or need <= 0:
        need = 1
    more = min(need, targets_left)
    if more <= 0:
        return Verdict("unclear", f"{figure}; no validation target is left to probe")
    cost = round(more * cost_per_target, 4)
    return Verdict("unclear", f"{figure}: probe {more} more targets (cost ${cost:.4f})",
                   more_targets=more, more_cost_usd=cost)


def project(task_figures: dict[str, dict[str, Any]], full: dict[str, dict[str, Any]],
            engine: Any, price_of: dict[str, Any]) -> dict[str, Any]:
    """The full run per task: requests, tokens, cost online and at the batch price, wall
    time under the job's limits, from the probe's measured tokens and seconds per request,
    next to :func:`augment.pipeline.estimate_job`'s figures (``full``).

    Wall time: the probe's wall seconds per call (measured under the job's concurrency;
    a probe with fewer requests than ``engine.concurrency`` overstates it) times the
    requests, or the rpm / tpm limits when those are slower; tasks run one after another.
    """
    from augment.providers.base import Usage

    out: dict[str, Any] = {}
    total = {"requests": 0, "cost_online_usd": 0.0, "cost_batch_usd": 0.0, "wall_s": 0.0}
    for name, fig in task_figures.items():
        est = full.get(name, {})
        n_req = int(est.get("n_requests", 0) + est.get("n_cached", 0))
        per_req = fig["requests"] or 1
        tin = fig["input_tokens"] / per_req * n_req
        tout = fig["output_tokens"] / per_req * n_req
        price = price_of.get(name)
        online = price.cost(Usage(int(tin), int(tout))) if price is not None else 0.0
        batch = price.for_batch().cost(Usage(int(tin), int(tout))) if price is not None else 0.0
        walls = []
        if fig.get("seconds_per_call"):
            walls.append(n_req * fig["seconds_per_call"])  # measured under the job's limits
        if engine.requests_per_minute:
            walls.append(60.0 * n_req / engine.requests_per_minute)
        if engine.tokens_per_minute:
            walls.append(60.0 * (tin + tout) / engine.tokens_per_minute)
        wall = max(walls) if walls else None
        out[name] = {"requests": n_req, "input_tokens": int(tin), "output_tokens": int(tout),
                     "cost_online_usd": round(online, 4), "cost_batch_usd": round(batch, 4),
                     "wall_s": None if wall is None else round(wall, 1),
                     "estimate": {k: est.get(k) for k in (
                         "n_requests", "n_cached", "input_tokens", "output_tokens",
                         "online_cost_usd", "batch_cost_usd")}}
        total["requests"] += n_req
        total["cost_online_usd"] += online
        total["cost_batch_usd"] += batch
        total["wall_s"] += wall or 0.0
    out["total"] = {k: round(v, 4) if isinstance(v, float) else v for k, v in total.items()}
    return out
