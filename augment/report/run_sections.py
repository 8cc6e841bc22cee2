"""Report sections about the run and its generated data.

Overview (status, job, versions), tokens and cost per task, validity and
failure reasons, position-bias and popularity diagnostics, sample records.
Everything comes from the run folder; a missing piece is "not run".
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from augment.jobs.config import TASK_NAMES
from augment.jobs.rundir import RunDir
from augment.report.blocks import Code, Figure, NotRun, Section, Table, Text
from augment.report.plots import grouped_bars, stacked_bars

__all__ = ["overview_section", "generation_sections", "diagnostics_section", "samples_section",
           "flagged_section"]

SAMPLE_CHARS = 700


def overview_section(run: RunDir, manifest: dict[str, Any]) -> Section:
    """Status, job, timing, models and versions."""
    if not manifest:
        return Section("Run", [NotRun("no manifest.json: this folder holds no started run")])
    blocks: list = []
    status = manifest.get("status", "unknown")
    if status == "degraded":
        message = (manifest.get("error") or {}).get("message", "")
        blocks.append(Text(f"This run is DEGRADED: {message}. Its metrics use only the "
                           "records that passed; see \"Validity and failures\" and rerun after "
                           "fixing the cause (engine.max_failure_rate sets the limit).",
                           kind="warning"))
    elif status != "complete":
        error = manifest.get("error") or {}
        detail = f": {error.get('type')}: {error.get('message')}" if error else ""
        blocks.append(Text(f"This run did not finish (status: {status}{detail}). Numbers below "
                           "are partial; run the job again to resume.", kind="warning"))
    rows = [["status", status], ["job", manifest.get("job_name")],
            ["job hash", manifest.get("job_hash")], ["job file", manifest.get("job_file")],
            ["started", manifest.get("started_at")], ["finished", manifest.get("finished_at")],
            ["attempts", manifest.get("attempts")],
            ["total cost (USD)", manifest.get("cost_usd")]]
    rows += [[f"count: {k}", v] for k, v in (manifest.get("counts") or {}).items()]
    blocks.append(Table(["", "value"], rows))
    models = manifest.get("models") or {}
    used = {t: ", ".join(s.get("models") or []) for t, s in (manifest.get("tasks") or {}).items()}
    if models:
        blocks.append(Table(["task", "provider", "model", "base_url"],
                            [[t, m.get("provider"),
                              m.get("model") or used.get(t) or "(provider default)",
                              m.get("base_url")] for t, m in models.items()],
                            caption="models"))
    versions = manifest.get("versions") or {}
    if versions:
        blocks.append(Text("Versions: " + ", ".join(f"{k} {v}" for k, v in versions.items())))
    return Section("Run", blocks)


def _task_names(run: RunDir, manifest: dict[str, Any]) -> list[str]:
    names = set(manifest.get("tasks") or {}) | set(run.tasks_with_records())
    names |= {f.get("task") for f in run.read_failures() if f.get("task")}
    return [t for t in TASK_NAMES if t in names] + sorted(names - set(TASK_NAMES))


def generation_sections(run: RunDir, manifest: dict[str, Any],
                        records: dict[str, list[dict[str, Any]]]) -> list[Section]:
    """Tokens and cost per task; validity rates and failure reasons."""
    tasks = _task_names(run, manifest)
    if not tasks:
        missing = "generation: no task has run yet"
        return [Section("Tokens and cost", [NotRun(missing)]),
                Section("Validity and failures", [NotRun(missing)])]
    stats = manifest.get("tasks") or {}
    failures = run.read_failures()
    cost_rows, valid_rows = [], []
    for task in tasks:
        s = stats.get(task, {})
        cost_rows.append([task, s.get("calls"), s.get("cached"), s.get("input_tokens", 0),
                          s.get("output_tokens", 0), s.get("cost_usd", 0.0),
                          s.get("stopped_by_budget", False)])
        n_ok = len(records.get(task, []))
        n_bad = sum(1 for f in failures if f.get("task") == task)
        rate = f"{n_ok / (n_ok + n_bad):.1%}" if n_ok + n_bad else None
        valid_rows.append([task, n_ok, n_bad, rate])
    cost_blocks: list = [Table(["task", "calls", "cached", "input tokens", "output tokens",
                                "cost (USD)", "stopped by budget"], cost_rows)]
    money = manifest.get("money") or {}
    if money:
        cost_blocks.append(Table(["money (all runs of this folder)", "USD"], [
            ["spent", money.get("spent_usd")], ["cost of kept records", money.get("kept_cost_usd")],
            ["wasted (invalid answers, failed rows, calls in flight at a kill)",
             money.get("wasted_usd")]]))
    if any(r[3] or r[4] for r in cost_rows):
        png = stacked_bars(tasks, {"input tokens": [r[3] for r in cost_rows],
                                   "output tokens": [r[4] for r in cost_rows]},
                           title="tokens per task", ylabel="tokens")
        cost_blocks.append(Figure("tokens", png,
                                  "Stacked bars of input and output tokens per task"))
    reasons = Counter((f.get("task", "?"), f.get("reason", "?")) for f in failures)
    valid_blocks: list = [Table(["task", "records", "failures", "validity rate"], valid_rows)]
    if reasons:
        examples: dict[tuple[str, str], str] = {}
        for f in failures:
            examples.setdefault((f.get("task", "?"), f.get("reason", "?")), str(f.get("error", "")))
        valid_blocks.append(Table(["task", "reason", "count", "example error"],
                                  [[t, r, n, _clip(examples[(t, r)], 160)]
                                   for (t, r), n in reasons.most_common()],
                                  caption="failure reasons"))
    else:
        valid_blocks.append(Text("No failures."))
    return [Section("Tokens and cost", cost_blocks),
            Section("Validity and failures", valid_blocks)]


def diagnostics_section(diagnostics: dict[str, Any] | None) -> Section:
    """Position-shuffle agreement and popularity of generated vs observed interactions."""
    diagnostics = diagnostics or {}
    blocks: list = []
    pseudo = diagnostics.get("pseudo_interactions") or {}
    if pseudo:
        blocks.append(Table(["diagnostic", "value", "meaning"], [
            ["shuffle agreement", pseudo.get("shuffle_agreement"),
             "share of votes that agree across shuffled candidate orders (1 = order-independent)"],
            ["first-third share", pseudo.get("first_third_share"),
             "share of chosen candidates shown in the first third of the list (≈0.33 = no "
             "position bias)"],
        ], caption="pseudo-interactions: position bias"))
    else:
        blocks.append(NotRun("pseudo-interaction position diagnostics"))
    popularity = diagnostics.get("popularity") or {}
    if popularity:
        gen, obs = popularity.get("generated_mean_pct"), popularity.get("observed_mean_pct")
        blocks.append(Table(["interactions", "mean popularity percentile"],
                            [["generated", gen], ["observed", obs]],
                            caption="popularity of generated vs observed interactions"))
        png = grouped_bars(["generated", "observed"], {"mean popularity percentile": [gen, obs]},
                           title="popularity: generated vs observed", ylabel="percentile",
                           size=(3.6, 2.6))
        blocks.append(Figure("popularity", png,
                             "Mean popularity percentile, generated vs observed"))
    else:
        blocks.append(NotRun("popularity of generated interactions"))
    return Section("Diagnostics", blocks)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _compact_json(value: Any) -> str:
    """One line per top-level key, each value as compact JSON."""
    dump = lambda v: json.dumps(v, ensure_ascii=False, default=str)  # noqa: E731
    if not isinstance(value, dict) or not value:
        return dump(value)
    lines = [f"  {dump(str(k))}: {dump(v)}" for k, v in value.items()]
    return "{\n" + ",\n".join(lines) + "\n}"


def samples_section(records: dict[str, list[dict[str, Any]]], per_task: int = 3) -> Section:
    """A few records per task, their output shown verbatim (escaped by the renderer)."""
    blocks: list = []
    for task, rows in records.items():
        if not rows:
            blocks.append(NotRun(f"{task}: no records"))
            continue
        for row in rows[:per_task]:
            target = next((f"{k}={row[k]}" for k in ("item_id", "user_id") if k in row), "")
            label = f"{task} · {row.get('key', '?')} {target} · {row.get('model', '?')}"
            text = _compact_json(row.get("output"))
            blocks.append(Code(_clip(text, SAMPLE_CHARS), label=label))
    if not blocks:
        blocks.append(NotRun("sample records: no task has produced records"))
    return Section("Sample records", blocks)


def flagged_section(records: dict[str, list[dict[str, Any]]], limit: int = 50) -> Section:
    """Records that screening flagged (possible obeyed injections, repeated text, removed
    sensitive tags): kept, and left out of enrichment unless ``enrich.use_flagged``."""
    rows = []
    for task, recs in records.items():
        for rec in recs:
            flags = rec.get("flags") or []
            if flags:
                target = next((str(rec[k]) for k in ("item_id", "user_id") if k in rec), "")
                text = (rec.get("output") or {}).get("summary", "")
                rows.append([task, target, ", ".join(flags), _clip(str(text), 120)])
    if not rows:
        return Section("Flagged records", [Text("No record was flagged by screening.")])
    blocks: list = [Text(f"{len(rows)} records were flagged by screening. They are kept in "
                         "records/ with their flags and left out of enrichment unless "
                         "enrich.use_flagged = true.", kind="warning"),
                    Table(["task", "target", "flags", "summary"], rows[:limit],
                          caption="flagged records" + (f" (first {limit})"
                                                       if len(rows) > limit else ""))]
    return Section("Flagged records", blocks)
