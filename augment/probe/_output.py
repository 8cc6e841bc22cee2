"""``probe.json`` and ``probe.md`` (written atomically), and the short table the CLI prints."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from augment.files import atomic_write_json, atomic_write_text

if TYPE_CHECKING:  # pragma: no cover
    from augment.probe._probe import ProbeResult

__all__ = ["write_outputs", "probe_rows", "render_markdown"]

log = logging.getLogger("augment.probe")


def _f(x: Any, digits: int = 4) -> str:
    if x is None:
        return "-"
    if isinstance(x, float):
        return f"{x:.{digits}f}"
    return str(x)


def _ci(d: dict[str, Any] | None, key: str = "value") -> str:
    if not d or d.get(key) is None:
        return "-"
    return f"{d[key]:.4f} [{_f(d.get('low'))}, {_f(d.get('high'))}]"


def probe_rows(figures: dict[str, Any]) -> list[list[str]]:
    """The short table: one row per figure (header first)."""
    rows = [["figure", "value"]]
    for name, t in figures.get("tasks", {}).items():
        rows.append([f"{name}: requests / calls / from store",
                     f"{t['requests']} / {t['calls']} / {t['cached']}"])
        rows.append([f"{name}: valid at first attempt", _f(t["validity_first_attempt"])])
        rows.append([f"{name}: tokens, cost, seconds per target",
                     f"{t['tokens_per_target']}, ${t['cost_per_target_usd']:.6f}, "
                     f"{t['seconds_per_target']} s"])
    picks = figures.get("picks")
    if picks:
        rows.append(["pick precision: model", _ci(picks["precision"])])
        rows.append(["pick precision: random", _ci(picks["random"]["precision"])])
        if "llm_free" in picks:
            rows.append(["pick precision: LLM-free", _ci(picks["llm_free"]["precision"])])
            rows.append(["precision lift over LLM-free",
                         _ci(picks["lift_precision_over_llm_free"], "diff")])
        rows.append(["pick recall: model", _ci(picks["recall"])])
    attrs = figures.get("attributes")
    if attrs:
        rows.append(["genre F1 (majority guess)",
                     f"{_f(attrs['genres']['f1'])} ({_f(attrs['majority_guess']['f1'])})"])
    gain = figures.get("gain", {})
    rows.append([f"{gain.get('metric', 'cold recall@20')}: enriched / best LLM-free",
                 f"{_f(gain.get('augmented'))} / {_f(gain.get('best_llm_free'))}"])
    rows.append(["gain (ratio, 95% CI)",
                 _ci({"value": gain.get("ratio"), "low": gain.get("low"),
                      "high": gain.get("high")})])
    plan, proj = figures.get("plan", {}), figures.get("projection", {}).get("total", {})
    rows.append(["probe cost estimated / spent",
                 f"${plan.get('probe_cost_usd', 0.0):.4f} / "
                 f"${sum(t['spent_usd'] for t in figures.get('tasks', {}).values()):.4f}"])
    rows.append(["full run: requests, cost online / batch, wall",
                 f"{proj.get('requests')}, ${_f(proj.get('cost_online_usd'))} / "
                 f"${_f(proj.get('cost_batch_usd'))}, {_f(proj.get('wall_s'), 0)} s"])
    return rows


def render_markdown(figures: dict[str, Any]) -> str:
    """``probe.md``: the verdict line, the short table and the per-half choices."""
    lines = [f"# augment probe: {figures.get('job')}", "",
             f"**verdict: {figures['verdict']}** — {figures['reason']}", "",
             f"{figures['targets']} validation targets ({figures['split']}, seed "
             f"{figures['seed']}); {figures['calls']} provider calls.", ""]
    rows = probe_rows(figures)
    lines.append("| " + " | ".join(rows[0]) + " |")
    lines.append("|---|---|")
    lines += ["| " + " | ".join(c.replace("|", "/") for c in r) + " |" for r in rows[1:]]
    lines += ["", "## Choices per half", "",
              "| choosing half | weight | attributes | best LLM-free | enriched | LLM-free |",
              "|---|---|---|---|---|---|"]
    for h in figures.get("gain", {}).get("halves", []):
        lines.append(f"| {h['choosing_half']} | {h['weight']} | {h['attributes']} | "
                     f"{h['best_llm_free']} | {_f(h['augmented_recall'])} | "
                     f"{_f(h['best_llm_free_recall'])} |")
    lines += ["", "Every figure is in `probe.json`.", ""]
    return "\n".join(lines)


def write_outputs(result: ProbeResult, out: Path, *, run_dir: Path | None = None) -> Path:
    """Write ``probe.json`` and ``probe.md`` into ``out``; refresh the run folder's report
    (which then has a Probe section) when it has one."""
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_json(out / "probe.json", result.figures)
    atomic_write_text(out / "probe.md", render_markdown(result.figures))
    if run_dir is not None and (run_dir / "report.html").exists() \
            and (run_dir / "manifest.json").exists() and out.resolve() == (
                run_dir / "probe").resolve():
        from augment.report import write_report

        write_report(run_dir)
        log.info("report refreshed with the probe: %s", run_dir / "report.html")
    return out
