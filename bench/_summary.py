"""Summaries of the cold-start benchmark: best LLM-free on validation, ratios with paired
bootstrap intervals, break-even precision, goals, Markdown and the break-even plot."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from augment.evaluation.bootstrap import paired_ratio_ci

METRIC = "recall@20"
LLM_FREE = ("popularity", "content_knn", "retriever", "als", "als+content")
UNIT = ["seed", "fold"]
GOAL_BREAK_EVEN = {"item-cold": 0.2, "user-cold": 0.3}


def _name(model: str, generator: str) -> str:
    return model if generator == "none" else f"{model}[{generator}]"


def _is(df: pd.DataFrame, col: str, value: Any) -> pd.Series:
    return df[col].isna() if value is None else (df[col] == value)


def _select(df: pd.DataFrame, **match: Any) -> pd.DataFrame:
    sel = np.ones(len(df), dtype=bool)
    for k, v in match.items():
        sel &= _is(df, k, v).to_numpy()
    return df[sel]


def best_llm_free(valid: pd.DataFrame, kind: str, share: float | None) -> tuple[str, dict]:
    """The LLM-free model (rankers and ``als+augmented[llm_free]``) with the best mean
    validation cold recall@20 over seeds/folds: ``(name, {name: mean})``."""
    v = _select(valid, split=kind, world_share=share)
    v = v[v["generator"].isin(["none", "llm_free"])]
    means = {(_name(m, g)): float(g_df["valid"].mean())
             for (m, g), g_df in v.groupby(["model", "generator"], sort=False)}
    return max(means, key=lambda n: means[n]), means


def _users(users: pd.DataFrame, kind: str, name: str, share: float | None,
           precision: float | None = None, segment: str = "cold") -> pd.DataFrame:
    model, _, gen = name.partition("[")
    gen = gen.rstrip("]") or "none"
    df = _select(users, split=kind, model=model, generator=gen, world_share=share,
                 precision=precision, segment=segment)
    return df[UNIT + ["user_id", METRIC]]


def _ratio(users: pd.DataFrame, kind: str, a: str, b: str, share: float | None,
           p_a: float | None, n_boot: int, segment: str = "cold") -> dict[str, Any] | None:
    x = _users(users, kind, a, share, p_a, segment)
    y = _users(users, kind, b, share, None, segment)
    if x.empty or y.empty:
        return None
    both = x.merge(y, on=UNIT + ["user_id"], suffixes=("_a", "_b"))
    strata = pd.factorize(both["seed"].astype(str) + "/" + both["fold"].astype(str))[0]
    ci = paired_ratio_ci(both[f"{METRIC}_a"].to_numpy(), both[f"{METRIC}_b"].to_numpy(),
                         strata, n_boot=n_boot)
    return {"ratio": round(ci.ratio, 4), "ci_low": round(ci.low, 4),
            "ci_high": round(ci.high, 4), "n_users": ci.n_users}


def _break_even(ratios: list[dict[str, Any]], kind: str) -> tuple[float | None, float | None]:
    """Lowest swept p whose CI lower bound (and every higher p's) is above 1.0, and the p
    where the lower bound crosses 1.0 by linear interpolation between swept points."""
    pts = sorted(((r["precision"], r["ci_low"]) for r in ratios
                  if r["split"] == kind and r["generator"] == "oracle"
                  and r["vs"] == "best_llm_free" and r["precision"] is not None),
                 reverse=True)
    lowest = None
    for p, lo in pts:
        if lo > 1.0:
            lowest = p
        else:
            break
    interp = None
    for (p_hi, lo_hi), (p_lo, lo_lo) in zip(pts, pts[1:], strict=False):
        if lo_hi > 1.0 >= lo_lo:
            interp = round(p_lo + (1.0 - lo_lo) / (lo_hi - lo_lo) * (p_hi - p_lo), 3)
            break
    if pts and pts[-1][1] > 1.0:
        interp = pts[-1][0]
    return lowest, interp


def summarize(store: Any, n_boot: int = 2000) -> dict[str, Any]:
    """Best LLM-free per split (and world share), ratios with CIs, break-even, goals."""
    if not store.rows:
        return {"ratios": [], "break_even": {}, "best_llm_free": {}, "goals": {}}
    users = pd.concat(store.users, ignore_index=True)
    valid = pd.DataFrame(store.valid)
    rows = pd.DataFrame(store.rows)
    ratios: list[dict[str, Any]] = []
    best: dict[str, str] = {}
    best_world: dict[str, dict[str, Any]] = {}
    validation: dict[str, Any] = {}

    def add(kind: str, a: str, b: str, vs: str, share: float | None, p: float | None,
            **extra: Any) -> None:
        r = _ratio(users, kind, a, b, share, p, n_boot)
        if r is not None:
            model, _, gen = a.partition("[")
            ratios.append({"split": kind, "model": model, "generator": gen.rstrip("]") or "none",
                           "precision": p, "vs": vs, "vs_model": b, "world_share": share,
                           **r, **extra})

    for kind in pd.unique(rows["split"]):
        main_rows = _select(rows, split=kind, world_share=None)
        if main_rows.empty:
            continue
        name, means = best_llm_free(valid, kind, None)
        best[kind] = name
        validation[kind] = {k: round(v, 4) for k, v in means.items()}
        for m in LLM_FREE:
            add(kind, m, name, "best_llm_free", None, None)
        add(kind, "als+augmented[llm_free]", name, "best_llm_free", None, None)
        add(kind, "als+oracle[oracle]", name, "best_llm_free", None, None)
        for p in sorted(pd.unique(_select(main_rows, generator="oracle",
                                          model="als+augmented")["precision"]), reverse=True):
            add(kind, "als+augmented[oracle]", name, "best_llm_free", None, float(p))
            add(kind, "als+augmented[oracle]", "als+oracle[oracle]", "ceiling", None, float(p))
        add(kind, "als+augmented[local]", name, "best_llm_free", None, None)
        shares = [s for s in pd.unique(rows.loc[rows["split"] == kind, "world_share"])
                  if s is not None and not pd.isna(s)]
        per_share = {}
        for share in shares:
            wname, wmeans = best_llm_free(valid, kind, float(share))
            wv = _select(valid, split=kind, world_share=float(share), generator="world")
            val_ratio = float(wv["valid"].mean()) / wmeans[wname] if wmeans[wname] else 0.0
            per_share[float(share)] = {"best_llm_free": wname,
                                       "valid_ratio": round(val_ratio, 4)}
            add(kind, "als+augmented[world]", wname, "best_llm_free", float(share), None)
            add(kind, "als+augmented[llm_free]", wname, "best_llm_free_world", float(share), None)
        if per_share:
            chosen = max(per_share, key=lambda s: per_share[s]["valid_ratio"])
            best_world[kind] = {"chosen_share": chosen, "by_share": per_share}
    break_even, interp = {}, {}
    for kind in best:
        break_even[kind], interp[kind] = _break_even(ratios, kind)
    out = {"best_llm_free": best, "best_llm_free_validation": validation,
           "world": best_world, "ratios": ratios, "break_even": break_even,
           "break_even_interpolated": interp,
           "summary": _means(rows)}
    out["goals"] = goals(out, store)
    return out


def _means(rows: pd.DataFrame) -> list[dict[str, Any]]:
    key = ["split", "world_share", "model", "generator", "precision", "segment"]
    df = rows.copy()
    for c in key:
        df[c] = df[c].astype(object).where(df[c].notna(), None)
    out = []
    for k, g in df.groupby(key, dropna=False, sort=False):
        entry = {c: (None if isinstance(v, float) and np.isnan(v) else v)
                 for c, v in zip(key, k, strict=True)}
        entry["n_units"] = int(len(g))
        entry["n_users"] = int(g["n_users"].sum())
        for m in ("recall@10", "recall@20", "ndcg@10", "ndcg@20"):
            vals = pd.to_numeric(g[m], errors="coerce").dropna()
            w = g.loc[vals.index, "n_users"].to_numpy(dtype=float)
            entry[m] = (round(float(np.average(vals, weights=w)), 4)
                        if len(vals) and w.sum() > 0 else None)
        out.append(entry)
    return out


def _find(ratios: list[dict[str, Any]], **match: Any) -> dict[str, Any] | None:
    for r in ratios:
        if all(r.get(k) == v for k, v in match.items()):
            return r
    return None


def goals(out: dict[str, Any], store: Any) -> dict[str, Any]:
    """The issue's goals, each with its figure and interval."""
    ratios = out["ratios"]
    res: dict[str, Any] = {}
    rows = pd.DataFrame(store.rows)
    quality = pd.DataFrame(store.extra["quality"]) if store.extra["quality"] else pd.DataFrame()
    for kind, best in out["best_llm_free"].items():
        be = out["break_even"].get(kind)
        res[f"break_even_{kind}"] = {
            "target": f"<= {GOAL_BREAK_EVEN[kind]}", "break_even": be,
            "interpolated": out["break_even_interpolated"].get(kind),
            "met": be is not None and be <= GOAL_BREAK_EVEN[kind]}
        w = out["world"].get(kind)
        if w:
            share = w["chosen_share"]
            r = _find(ratios, split=kind, generator="world", world_share=share)
            q = (quality[(quality["split"] == kind) & (quality["generator"] == "world")
                         & (quality["world_share"] == share)] if len(quality) else quality)
            req = float(q["requests_per_target"].max()) if len(q) else None
            res[f"world_{kind}"] = {
                "target": ">= 1.10x best LLM-free, CI low > 1.0, <= 5 requests per target",
                "world_share": share, **({k: r[k] for k in ("ratio", "ci_low", "ci_high",
                                                           "n_users", "vs_model")} if r else {}),
                "requests_per_target": req,
                "met": bool(r and r["ratio"] >= 1.10 and r["ci_low"] > 1.0
                            and req is not None and req <= 5)}
        res[f"p0_{kind}"] = _p0(rows, kind, best)
        r1 = _find(ratios, split=kind, generator="oracle", precision=1.0, vs="ceiling")
        res[f"p1_vs_ceiling_{kind}"] = {
            "target": ">= 0.9x the ceiling (CI low)",
            **({k: r1[k] for k in ("ratio", "ci_low", "ci_high", "n_users")} if r1 else {}),
            "met": bool(r1 and r1["ci_low"] >= 0.9)}
    return res


def _p0(rows: pd.DataFrame, kind: str, best: str) -> dict[str, Any]:
    """p = 0: als+augmented / best LLM-free, cold and warm recall@20, per seed/fold."""
    model, _, gen = best.partition("[")
    gen = gen.rstrip("]") or "none"
    main = _select(rows, split=kind, world_share=None)
    zero = _select(main, model="als+augmented", generator="oracle", precision=0.0)
    ref = _select(main, model=model, generator=gen)
    per_unit = []
    for seg in ("cold", "warm"):
        a = zero[zero["segment"] == seg].set_index(UNIT)[METRIC]
        b = ref[ref["segment"] == seg].set_index(UNIT)[METRIC]
        both = pd.concat([a.rename("a"), b.rename("b")], axis=1, join="inner")
        for (seed, fold), r in both.iterrows():
            per_unit.append({"segment": seg, "seed": seed, "fold": fold,
                             "ratio": round(float(r["a"] / r["b"]), 4) if r["b"] else None})
    vals = [u["ratio"] for u in per_unit if u["ratio"] is not None]
    return {"target": ">= 0.99x best LLM-free, cold and warm, every seed/fold",
            "min_ratio": min(vals) if vals else None, "per_unit": per_unit,
            "met": bool(vals) and min(vals) >= 0.99}


# -- Markdown and plot --------------------------------------------------------------------------

def _fmt(x: Any, nd: int = 4) -> str:
    return "-" if x is None or (isinstance(x, float) and np.isnan(x)) else f"{x:.{nd}f}"


def _table(out: dict[str, Any], kind: str) -> list[str]:
    means = {(e["world_share"], e["model"], e["generator"], e["precision"], e["segment"]): e
             for e in out["summary"] if e["split"] == kind}
    lines = ["| model | generator | p | world share | vs | cold recall@20 | cold ndcg@20 "
             "| warm recall@20 | ratio [95% CI] | users |",
             "|---|---|---:|---:|---|---:|---:|---:|---|---:|"]
    for r in out["ratios"]:
        if r["split"] != kind:
            continue
        key = (r["world_share"], r["model"], r["generator"], r["precision"])
        cold, warm = means.get(key + ("cold",), {}), means.get(key + ("warm",), {})
        lines.append(
            f"| {r['model']} | {r['generator']} | {_fmt(r['precision'], 2)} "
            f"| {_fmt(r['world_share'], 1)} | {r['vs_model']} | {_fmt(cold.get('recall@20'))} "
            f"| {_fmt(cold.get('ndcg@20'))} | {_fmt(warm.get('recall@20'))} "
            f"| {r['ratio']:.3f} [{r['ci_low']:.3f}, {r['ci_high']:.3f}] | {r['n_users']} |")
    return lines


def write_markdown(out: dict[str, Any], path: Path) -> None:
    """The tables per split and the goals, as Markdown."""
    lines = ["# Cold-start benchmark", "",
             f"Dataset {out['dataset']}; wall {out['wall_s']} s; args `{out['args']}`.", "",
             "Protocol: " + "; ".join(f"{k}: cold candidates = {v['candidates']['cold']}"
                                      for k, v in out["protocol"].items()
                                      if k in ("item-cold", "user-cold"))
             + "; recall@k = hits / |relevant|; " + out["protocol"]["ci"] + "; "
             + out["protocol"]["fold_in"] + ".", ""]
    if out.get("partial"):
        lines += [f"**Partial run** (summarised from its checkpoint): not run: "
                  f"{out['partial']['not_run']}.", ""]
    for kind, best in out["best_llm_free"].items():
        lines += [f"## {kind}", "",
                  f"Best LLM-free on validation: **{best}** "
                  f"(validation cold recall@20: {out['best_llm_free_validation'][kind]}). "
                  f"Break-even precision: {out['break_even'].get(kind)} "
                  f"(interpolated {out['break_even_interpolated'].get(kind)}).", ""]
        if kind in out["world"]:
            lines += [f"World shares (validation ratio, chosen: "
                      f"{out['world'][kind]['chosen_share']}): "
                      f"{out['world'][kind]['by_share']}", ""]
        lines += _table(out, kind) + [""]
    lines += ["## Goals", "", "| goal | figure | met |", "|---|---|---|"]
    for name, g in out["goals"].items():
        fig = {k: v for k, v in g.items() if k not in ("target", "met", "per_unit")}
        lines.append(f"| {name}: {g['target']} | {fig} | {'yes' if g['met'] else 'NO'} |")
    path.write_text("\n".join(lines) + "\n")


def write_plot(out: dict[str, Any], path: Path) -> None:
    """The break-even curve: ratio vs best LLM-free (with 95% CI) against pick precision."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.2), dpi=110)
    for kind, colour in (("item-cold", "tab:blue"), ("user-cold", "tab:orange")):
        pts = sorted((r["precision"], r["ratio"], r["ci_low"], r["ci_high"])
                     for r in out["ratios"] if r["split"] == kind and r["generator"] == "oracle"
                     and r["vs"] == "best_llm_free" and r["precision"] is not None)
        if not pts:
            continue
        p, ratio, lo, hi = (np.asarray(x) for x in zip(*pts, strict=True))
        ax.plot(p, ratio, "o-", color=colour, label=f"{kind} (best LLM-free: "
                f"{out['best_llm_free'].get(kind)})")
        ax.fill_between(p, lo, hi, color=colour, alpha=0.2)
    ax.axhline(1.0, color="grey", lw=1, ls="--")
    ax.set_xlabel("pick precision of the simulated model (share of picks that are real)")
    ax.set_ylabel("cold recall@20 / best LLM-free")
    ax.set_title("Break-even: where generated picks beat what is free")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def _label(r: dict[str, Any]) -> str:
    gen = r["generator"]
    if gen == "none":
        return "–"
    if gen == "oracle":
        return "every oracle pair (ceiling)" if r["precision"] is None else (
            f"oracle, precision {r['precision']:g}")
    if gen == "world":
        return f"world model ({r['world_share']:g} of users)"
    if gen == "llm_free":
        return ("LLM-free picks" if r["world_share"] is None
                else f"LLM-free picks (platform of the {r['world_share']:g} world run)")
    return gen


def readme_table(out: dict[str, Any], kind: str) -> str:
    """The README's compact table of one split: cold/warm figures and the ratio with its CI."""
    means = {(e["world_share"], e["model"], e["generator"], e["precision"], e["segment"]): e
             for e in out["summary"] if e["split"] == kind}
    lines = ["| data from | model | cold recall@20 | cold ndcg@20 | warm recall@20 "
             "| / best LLM-free [95% CI] | users |", "|---|---|---:|---:|---:|---|---:|"]
    for r in out["ratios"]:
        if r["split"] != kind or r["vs"] == "ceiling":
            continue
        key = (r["world_share"], r["model"], r["generator"], r["precision"])
        cold, warm = means.get(key + ("cold",), {}), means.get(key + ("warm",), {})
        lines.append(f"| {_label(r)} | {r['model']} | {_fmt(cold.get('recall@20'), 3)} "
                     f"| {_fmt(cold.get('ndcg@20'), 3)} | {_fmt(warm.get('recall@20'), 3)} "
                     f"| {r['ratio']:.2f} [{r['ci_low']:.2f}, {r['ci_high']:.2f}] "
                     f"| {r['n_users']} |")
    return "\n".join(lines)
