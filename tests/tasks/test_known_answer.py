"""A synthetic catalog with a known right answer: pseudo-interactions from a fake that knows
the held-out truth must help cold items, and help less as its answers get noisier."""

from __future__ import annotations

from augment.enrich import augmented_variants
from augment.evaluation import evaluate, fit_baselines
from augment.tasks import PseudoInteractions, position_bias

ALS = {"factors": 16, "iterations": 10, "regularization": 1.0}


def _cold_ndcg(item_split, noise: float, run_items, truth_answerer) -> tuple[float, float, dict]:
    task = PseudoInteractions(item_split.train, cold_items=sorted(item_split.cold_items),
                              n_candidates=60, n_repeats=3, seed=0)
    result = run_items(task.work_items(), truth_answerer(item_split.dataset, noise=noise))
    assert not result.failures
    models = {**fit_baselines(item_split, seed=0, als=ALS, include=["als+content"]),
              **augmented_variants(item_split, result.records, seed=0, als=ALS,
                                   include=["als+pseudo"])}
    metrics = evaluate(item_split, models, k=(10,))["models"]
    return (metrics["als+pseudo"]["cold"]["ndcg@10"], metrics["als+content"]["cold"]["ndcg@10"],
            position_bias(result.records))


def test_pseudo_interactions_beat_content_and_gain_shrinks_with_noise(item_split, run_items,
                                                                    truth_answerer):
    clean, content, bias = _cold_ndcg(item_split, 0.0, run_items, truth_answerer)
    noisy, content2, _ = _cold_ndcg(item_split, 0.9, run_items, truth_answerer)
    assert content == content2
    assert clean > content + 0.05, (clean, content)
    assert (clean - content) > (noisy - content) + 0.05, (clean, noisy, content)
    # the truth fake ignores order: picks agree across shuffles, no first-third excess
    assert bias["agreement_jaccard"] == 1.0
    assert abs(bias["first_third_share"] - bias["first_third_expected"]) < 0.1


def test_pseudo_interactions_help_cold_users_too(synthetic, run_items, truth_answerer):
    from augment.splits import split
    user_split = split(synthetic[0], "user-cold", seed=0, k=3)
    task = PseudoInteractions(user_split.train, cold_users=sorted(user_split.cold_users),
                              n_candidates=40, n_repeats=3, seed=0)
    gains = []
    for noise in (0.0, 0.9):
        result = run_items(task.work_items(), truth_answerer(user_split.dataset, noise=noise))
        assert not result.failures
        models = {**fit_baselines(user_split, seed=0, als=ALS, include=["als"]),
                  **augmented_variants(user_split, result.records, seed=0, als=ALS,
                                       include=["als+pseudo"])}
        cold = {name: m["cold"]["ndcg@10"]
                for name, m in evaluate(user_split, models, k=(10,))["models"].items()}
        gains.append(cold["als+pseudo"] - cold["als"])
    assert gains[0] > 0.1, gains
    assert gains[0] > gains[1] + 0.1, gains
