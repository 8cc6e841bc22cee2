"""A synthetic run folder with known numbers (report tests and the screenshot script)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from augment.jobs import RunDir, demo_job

INJECTION = '<script>alert("pwned")</script><img src=x onerror=alert(1)>'

MODELS = ("random", "popularity", "content_knn", "als", "als+content", "als+attributes",
          "als+pseudo", "als+augmented")


def synthetic_metrics(rng: np.random.Generator) -> dict:
    """metrics.json with cold < warm and augmented variants above their baselines."""
    base = {"random": 0.01, "popularity": 0.05, "content_knn": 0.08, "als": 0.02,
            "als+content": 0.09, "als+attributes": 0.12, "als+pseudo": 0.10,
            "als+augmented": 0.15}
    models = {}
    for name in MODELS:
        segs = {}
        for seg, factor in (("cold", 1.0), ("warm", 2.5), ("all", 2.0)):
            r = base[name] * factor * (1 + 0.05 * rng.random())
            segs[seg] = {"recall@10": r * 0.6, "recall@20": r, "ndcg@10": r * 0.5,
                         "ndcg@20": r * 0.55, "hit_rate@10": min(1.0, r * 2),
                         "hit_rate@20": min(1.0, r * 3), "precision@10": r / 8,
                         "precision@20": r / 12, "coverage@10": 0.1 + r, "coverage@20": 0.2 + r,
                         "popularity@10": 90 - 100 * r, "popularity@20": 88 - 100 * r}
        models[name] = segs
    return {"split": "item-cold", "seed": 0, "k": [10, 20], "models": models}


def build_synthetic_run(path: Path, rng: np.random.Generator) -> RunDir:
    """A complete-looking run: 3 tasks, failures, metrics, diagnostics, an injection sample."""
    run = RunDir(path).start(demo_job(str(path)), job_file="jobs/movielens-demo.toml")
    common = {"provider": "local", "model": "SmolLM2-135M-Instruct", "prompt_version": "1",
              "created_at": "2026-01-01T00:00:00", "attempts": 1, "cached": False,
              "request_hash": "abc", "usage": {"input_tokens": 120, "output_tokens": 40}}
    attrs = [{**common, "key": f"item_attributes:{i}", "task": "item_attributes", "item_id": i,
              "schema_name": "item_attributes",
              "output": {"genres": ["Drama"], "mood": ["tense"], "summary":
                         INJECTION if i == 1 else f"A film about {i} & friends | ok"}}
             for i in range(1, 6)]
    profiles = [{**common, "key": f"user_profiles:{u}", "task": "user_profiles", "user_id": u,
                 "schema_name": "user_profiles",
                 "output": {"likes": ["Comedy"], "dislikes": ["Horror"], "summary": "```x```"}}
                for u in range(1, 4)]
    pseudo = [{**common, "key": f"pseudo_interactions:{i}", "task": "pseudo_interactions",
               "item_id": 100 + i, "schema_name": "pseudo_interactions",
               "output": {"positives": [1, 2], "negatives": [3]}} for i in range(4)]
    run.save_task("item_attributes", records=attrs,
                  failures=[{"key": "item_attributes:9", "reason": "validation",
                             "error": f"'genres' is a required property {INJECTION}",
                             "attempts": 3}],
                  usage={"input_tokens": 5200, "output_tokens": 1900}, cost_usd=0.0)
    run.save_task("user_profiles", records=profiles,
                  failures=[{"key": "user_profiles:7", "reason": "provider", "error": "HTTP 500"},
                            {"key": "user_profiles:8", "reason": "validation", "error": "x"}],
                  usage={"input_tokens": 8000, "output_tokens": 1200}, cost_usd=0.0)
    run.save_task("pseudo_interactions", records=pseudo,
                  usage={"input_tokens": 9100, "output_tokens": 800}, cost_usd=0.0)
    run.write_metrics(synthetic_metrics(rng))
    run.write_diagnostics({"pseudo_interactions": {"shuffle_agreement": 0.62,
                                                   "first_third_share": 0.41},
                           "popularity": {"generated_mean_pct": 81.5,
                                          "observed_mean_pct": 64.0}})
    run.complete(counts={"users": 610, "items": 9742, "cold_items": 1948})
    return run
