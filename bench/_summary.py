"""Summaries of the cold-start benchmark: mean ± std over seeds, the goals, Markdown."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

METRICS = ("recall@10", "recall@20", "ndcg@10", "ndcg@20")
KEY = ["split", "provider", "noise", "llm", "model", "segment"]
BASELINE_ORDER = ("random", "popularity", "content_knn", "als", "als+content")
VARIANT_ORDER = ("als+attributes", "als+pseudo", "als+augmented")


def summarize(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One entry per (split, provider, noise, llm, model, segment): mean, std, n over seeds."""
    if not rows:
        return []
    df = pd.DataFrame(rows)
    for c in KEY:
        df[c] = df[c].astype(object).where(df[c].notna(), None)
    out = []
    for key, g in df.groupby(KEY, dropna=False, sort=False):
        entry: dict[str, Any] = dict(zip(KEY, key, strict=True))
        entry = {k: (None if isinstance(v, float) and np.isnan(v) else v)
                 for k, v in entry.items()}
        entry["n_seeds"] = int(g["seed"].nunique())
        for m in METRICS:
            vals = pd.to_numeric(g[m], errors="coerce").dropna()
            entry[m] = {"mean": round(float(vals.mean()), 4) if len(vals) else None,
                        "std": round(float(vals.std(ddof=0)), 4) if len(vals) else None}
        out.append(entry)
    return out


def _frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    df = pd.DataFrame(rows)
    df["noise"] = df["noise"].astype(object).where(df["noise"].notna(), None)
    return df


def _value(df: pd.DataFrame, **match: Any) -> pd.Series:
    sel = np.ones(len(df), dtype=bool)
    for k, v in match.items():
        sel &= (df[k].isna() if v is None else (df[k] == v)).to_numpy()
    return df[sel]


def goals(out: dict[str, Any]) -> dict[str, Any]:
    """The issue's goals, computed from the rows (see the Markdown for the wording)."""
    if not out["rows"]:
        return {}
    df = _frame(out["rows"])
    res: dict[str, Any] = {"noise25_vs_content": [], "noise25_vs_noise0": [],
                           "auto_cold_not_below_content": [], "auto_warm_within_2pct": []}
    base = df[df["provider"] == "none"]
    for kind in df["split"].unique():
        b = _value(base, split=kind, model="als+content", segment="cold")
        content_mean = b["recall@20"].mean()
        spread = float(b["recall@20"].std(ddof=0)) if len(b) else float("nan")
        sim = df[(df["split"] == kind) & (df["provider"] == "simulated")]
        aug = {nz: _value(sim, noise=nz, model="als+augmented", segment="cold")["recall@20"].mean()
               for nz in sim["noise"].dropna().unique()}
        if 0.25 in aug:
            r = aug[0.25] / content_mean if content_mean else float("nan")
            res["noise25_vs_content"].append({"split": kind, "als+augmented": round(aug[0.25], 4),
                                              "als+content": round(content_mean, 4),
                                              "ratio": round(r, 3), "target": 1.5,
                                              "met": bool(r >= 1.5)})
        if 0.25 in aug and 0.0 in aug:
            r = aug[0.25] / aug[0.0] if aug[0.0] else float("nan")
            res["noise25_vs_noise0"].append({"split": kind, "noise0": round(aug[0.0], 4),
                                             "noise25": round(aug[0.25], 4),
                                             "ratio": round(r, 3), "target": 0.85,
                                             "met": bool(r >= 0.85)})
        gen = df[(df["split"] == kind) & ~df["provider"].isin(("none", "ceiling"))]
        noise = gen["noise"].map(lambda v: "-" if v is None or pd.isna(v) else f"{v:g}")
        for (prov, nz, seed), g in gen.groupby(["provider", noise, "seed"]):
            a_cold = _value(g, model="als+augmented", segment="cold")["recall@20"].iloc[0]
            a_warm = _value(g, model="als+augmented", segment="warm")["recall@20"].iloc[0]
            c_cold = _value(base, split=kind, seed=seed, model="als+content",
                            segment="cold")["recall@20"].iloc[0]
            w_als = _value(base, split=kind, seed=seed, model="als",
                           segment="warm")["recall@20"].iloc[0]
            who = {"split": kind, "provider": prov, "noise": nz, "seed": int(seed)}
            res["auto_cold_not_below_content"].append(
                {**who, "als+augmented": a_cold, "als+content": c_cold,
                 "spread": round(spread, 4), "met": bool(a_cold >= c_cold - spread)})
            res["auto_warm_within_2pct"].append(
                {**who, "als+augmented": a_warm, "als": w_als,
                 "ratio": round(a_warm / w_als, 4) if w_als else None,
                 "met": bool(a_warm >= 0.98 * w_als)})
    local_s = sum(t.get("generate_s", 0) + t.get("tune_fit_score_s", 0)
                  for t in out["timing"] if t.get("provider") == "local")
    res["wall_s"] = out.get("wall_s")
    res["wall_s_without_local"] = round((out.get("wall_s") or 0) - local_s, 1)
    res["under_15_min"] = bool(res["wall_s_without_local"] < 900)
    res["all_met"] = {k: all(e["met"] for e in v) for k, v in res.items()
                      if isinstance(v, list) and v}
    return res


def _pm(entry: dict[str, Any], m: str) -> str:
    v = entry.get(m) or {}
    if v.get("mean") is None:
        return "–"
    return f"{v['mean']:.3f} ± {v['std']:.3f}" if entry["n_seeds"] > 1 else f"{v['mean']:.3f}"


def _label(e: dict[str, Any]) -> str:
    if e["provider"] == "none":
        return "–"
    if e["provider"] == "simulated":
        return f"simulated, noise {e['noise']:g}"
    if e["provider"] == "ceiling":
        return "ceiling: every oracle pair"
    return f"{e['provider']} ({e['llm']})"


def _table(summary: list[dict[str, Any]], kind: str) -> list[str]:
    by = {(_label(e), e["model"], e["segment"]): e for e in summary if e["split"] == kind}
    groups = list(dict.fromkeys((_label(e), e["model"]) for e in summary if e["split"] == kind))
    cols = [("cold", "recall@10"), ("cold", "recall@20"), ("cold", "ndcg@10"),
            ("cold", "ndcg@20"), ("warm", "recall@20"), ("warm", "ndcg@20"),
            ("all", "recall@20"), ("all", "ndcg@20")]
    head = "| generated by | model | seeds | " + " | ".join(f"{s} {m}" for s, m in cols) + " |"
    lines = [head, "|" + "---|" * (3 + len(cols))]
    for label, model in groups:
        first = by.get((label, model, "cold")) or next(e for (lb, mo, _), e in by.items()
                                                       if lb == label and mo == model)
        cells = [_pm(by[(label, model, s)], m) if (label, model, s) in by else "–"
                 for s, m in cols]
        lines.append(f"| {label} | {model} | {first['n_seeds']} | " + " | ".join(cells) + " |")
    return lines


def write_markdown(out: dict[str, Any], path: Path) -> None:
    """The readable report: metrics (mean ± std over seeds), choices, quality, goals."""
    lines = ["# Cold-start benchmark", "",
             f"Dataset `{out['dataset']}`; seeds {out['args']['seeds']}; wall {out['wall_s']} s. "
             "Metrics on the test set after removing the simulated provider's oracle half "
             "(every model scored on the same interactions); mean ± std over seeds "
             "(population std). Weight of generated interactions chosen on validation "
             "(`augment.tuning.choose_enrichment`). The oracle half is excluded from every "
             "model's ranking, like training items (fold-in protocol: recommending an "
             "interaction the simulated model was told about is neither hit nor miss). "
             "`ceiling: every oracle pair` adds all of the oracle's positives as generated "
             "interactions (no candidate limit, no noise): the most a generator could give. "
             f"Simulated rows ask each cold user in {out['args'].get('user_rounds', 1)} "
             "round(s) (`tasks.pseudo_interactions.rounds`); cold items take one.",
             ""]
    for kind in dict.fromkeys(e["split"] for e in out["summary"]):
        lines += [f"## {kind}", "", *_table(out["summary"], kind), ""]
    lines += ["## Auto-weight choices (validation)", "",
              "| split | seed | generated by | attributes | weight | denoise q | cold val | "
              "warm val | "
              "unaugmented cold val | unaugmented warm val |",
              "|---|---|---|---|---|---|---|---|---|---|"]
    for c in out["choices"]:
        label = _label({"provider": c["provider"], "noise": c["noise"], "llm": c["llm"]})
        chosen = next(r for r in c["table"] if r["chosen"])
        lines.append(f"| {c['split']} | {c['seed']} | {label} | {c['attributes']} | "
                     f"{c['weight']:g} | "
                     f"{c['denoise_quantile']} | {chosen['cold']} | {chosen['warm']} | "
                     f"{c['baseline']['cold']} | {c['baseline']['warm']} |")
    lines += ["", "## Quality of generated data", ""]
    lines += _quality(out["quality"])
    lines += ["", "## Goals", ""] + _goal_lines(out.get("goals") or {})
    check = out.get("protocol_check") or []
    if check:
        lines += ["", "Metrics computed with `augment.tuning.ranking_metrics`; max |difference| "
                  "from `augment.evaluation.evaluate` on the checked models: "
                  + ", ".join(f"{c['split']} seed {c['seed']}: {c['max_abs_diff']}"
                              for c in check) + "."]
    path.write_text("\n".join(lines) + "\n")


def _quality(quality: list[dict[str, Any]]) -> list[str]:
    lines = ["Genres (micro P/R/F1 vs MovieLens genres; the local model sees title, year and "
             "tags only; the simulated one drops a share `noise` of the true genres):", "",
             "| split | seed | generated by | items | precision | recall | F1 | "
             "majority guess P/R/F1 |", "|---|---|---|---|---|---|---|---|"]
    for q in quality:
        if q["kind"] != "genres":
            continue
        mg = q.get("majority_guess")
        guess = f"{mg['precision']}/{mg['recall']}/{mg['f1']}" if mg else "–"
        lines.append(f"| {q['split']} | {q['seed']} | {_label(q)} | {q['n_items']} | "
                     f"{q['precision']} | {q['recall']} | {q['f1']} | {guess} |")
    lines += ["", "Pseudo-interactions: agreement of picks across 3 candidate shuffles "
              "(mean pairwise Jaccard), share of picks from the first third of the list "
              "(position bias; expected share if position is ignored), and popularity "
              "percentile of the generated vs observed counterpart:", "",
              "| split | seed | generated by | pairs | agreement | first third (expected) | "
              "popularity generated | observed | of | failures |",
              "|---|---|---|---|---|---|---|---|---|---|"]
    for q in quality:
        if q["kind"] != "pseudo_interactions" or "agreement_jaccard" not in q:
            continue
        lines.append(f"| {q['split']} | {q['seed']} | {_label(q)} | {q['n_generated_pairs']} | "
                     f"{q['agreement_jaccard']} | {q['first_third_share']} "
                     f"({q['first_third_expected']}) | {q['popularity_generated']} | "
                     f"{q['popularity_observed']} | {q['popularity_of']} | "
                     f"{q['engine']['n_failures']}/{q['engine']['n_items']} |")
    return lines


def _goal_lines(g: dict[str, Any]) -> list[str]:
    if not g:
        return ["(no generated rows)"]
    lines = []
    for e in g.get("noise25_vs_content", []):
        lines.append(f"- {e['split']}: cold recall@20 als+augmented at 25% noise / als+content = "
                     f"{e['als+augmented']} / {e['als+content']} = **{e['ratio']}** "
                     f"(goal >= 1.5: {'met' if e['met'] else 'NOT met'})")
    for e in g.get("noise25_vs_noise0", []):
        lines.append(f"- {e['split']}: 25% noise / 0% noise = {e['noise25']} / {e['noise0']} = "
                     f"**{e['ratio']}** (goal >= 0.85: {'met' if e['met'] else 'NOT met'})")
    for name, text in (("auto_cold_not_below_content",
                        "auto weight, cold recall@20 of als+augmented >= als+content - "
                        "one std over seeds, every provider and seed"),
                       ("auto_warm_within_2pct",
                        "auto weight, warm recall@20 of als+augmented >= 0.98 x als, "
                        "every provider and seed")):
        entries = g.get(name, [])
        bad = [e for e in entries if not e["met"]]
        lines.append(f"- {text}: {len(entries) - len(bad)}/{len(entries)} met"
                     + ("" if not bad else "; missed: " + ", ".join(
                         f"{e['split']} {e['provider']} {e['noise']} seed {e['seed']} "
                         f"({e['als+augmented']} vs {e.get('als+content', e.get('als'))})"
                         for e in bad)))
    lines.append(f"- wall time without the local model: {g.get('wall_s_without_local')} s "
                 f"(goal < 900 s: {'met' if g.get('under_15_min') else 'NOT met'})")
    return lines


def rewrite(path: Path) -> dict[str, Any]:
    """Recompute summary and goals of a saved ``cold_start.json`` and rewrite it and its .md."""
    import json

    out = json.loads(path.read_text())
    out["summary"] = summarize(out["rows"])
    out["goals"] = goals(out)
    path.write_text(json.dumps(out, indent=1, default=str) + "\n")
    write_markdown(out, path.with_suffix(".md"))
    return out


if __name__ == "__main__":
    import sys

    rewrite(Path(sys.argv[1]))
