"""ALSRecommender on synthetic block data whose right answer is known."""

from __future__ import annotations

import warnings

import implicit.utils
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from augment.data import Dataset
from augment.errors import ConfigError
from augment.features import item_text_features, with_item_features
from augment.recommend import ALSRecommender, solve_with_prior

N_USERS, N_ITEMS = 40, 20  # users 0-19 like items 0-9 (block A), users 20-39 items 10-19 (B)


def _block(rng, holdout: float = 0.3, cold=()) -> Dataset:
    rows = []
    for u in range(N_USERS):
        block = range(0, 10) if u < 20 else range(10, 20)
        rows += [(u, i, 1.0) for i in block if rng.random() > holdout]
    inter = pd.DataFrame(rows, columns=["user_id", "item_id", "weight"])
    titles = [("alpha space laser" if i < 10 else "beta garden romance") for i in range(N_ITEMS)]
    items = pd.DataFrame({"item_id": range(N_ITEMS), "title": titles})
    if cold:
        extra = pd.DataFrame({"item_id": list(cold),
                              "title": ["alpha space laser", "beta garden romance"]})
        items = pd.concat([items, extra], ignore_index=True)
    return Dataset(interactions=inter, items=items)


def _model(**kw) -> ALSRecommender:
    return ALSRecommender(**{"factors": 2, "regularization": 0.1, "iterations": 10,
                             "alpha": 5.0, **kw})


def test_block_structure_is_recovered(rng):
    ds = _block(rng)
    m = _model().fit(ds)
    s = m.score(range(N_USERS), range(N_ITEMS))
    assert s.shape == (N_USERS, N_ITEMS)
    # every user scores every in-block item above every out-of-block item
    assert (s[:20, :10].min(axis=1) > s[:20, 10:].max(axis=1)).all()
    assert (s[20:, 10:].min(axis=1) > s[20:, :10].max(axis=1)).all()
    recs = m.recommend([0, 25], k=3)
    assert list(recs.columns) == ["user_id", "item_id", "score", "rank"]
    assert recs.groupby("user_id").size().tolist() == [3, 3]
    seen = set(zip(ds.interactions.user_id, ds.interactions.item_id, strict=True))
    assert not any((u, i) in seen for u, i in zip(recs.user_id, recs.item_id, strict=True))
    n_unseen = 10 - (ds.interactions.user_id == 0).sum()
    top = recs.loc[recs.user_id == 0, "item_id"].tolist()
    assert set(top[:min(3, n_unseen)]) <= set(range(10))  # unseen in-block items come first
    assert recs.loc[recs.user_id == 0, "rank"].tolist() == [1, 2, 3]


def test_cold_items_get_mapped_factors(rng):
    ds = with_item_features(_block(rng, cold=(100, 101)))
    assert ds.item_features.shape[0] == ds.n_items
    mapped = _model(cold_items="mapping").fit(ds)
    assert sorted(mapped.item_vocab.id(mapped.mapped_items)) == [100, 101]
    s = mapped.score(range(N_USERS), [100, 101])
    assert (s[:20, 0] > s[:20, 1]).all() and (s[20:, 1] > s[20:, 0]).all()
    zero = _model(cold_items="zero").fit(ds)
    assert np.all(zero.score(range(N_USERS), [100, 101]) == 0.0)
    # no features: mapping falls back to zero factors
    plain = _model(cold_items="mapping").fit(_block(rng, cold=(100, 101)))
    assert np.all(plain.score([0], [100, 101]) == 0.0)


def test_unknown_ids_score_nan(rng):
    m = _model().fit(_block(rng))
    s = m.score([0, "nobody"], [1, "nothing"])
    assert np.isfinite(s[0, 0]) and np.isnan(s[1]).all() and np.isnan(s[:, 1]).all()
    assert m.recommend(["nobody"], k=5).empty
    assert m.score([], [1]).shape == (0, 1)


def test_negative_weights_push_items_down(rng):
    ds = _block(rng, holdout=0.0)
    inter = ds.interactions
    liked = inter[(inter.user_id == 0) & (inter.item_id == 3)].index
    neutral = ds.replace(interactions=inter.drop(liked))
    disliked = ds.replace(interactions=inter.assign(
        weight=np.where(inter.index.isin(liked), -1.0, inter.weight)))
    a = _model().fit(neutral).score([0], [3])[0, 0]
    b = _model().fit(disliked).score([0], [3])[0, 0]
    assert b < a


def test_deterministic_for_a_seed(rng):
    ds = _block(rng)
    a, b, c = _model(seed=1).fit(ds), _model(seed=1).fit(ds), _model(seed=2).fit(ds)
    assert np.array_equal(a.item_factors, b.item_factors)
    assert np.array_equal(a.user_factors, b.user_factors)
    assert not np.array_equal(a.item_factors, c.item_factors)


def test_no_blas_warning(rng, monkeypatch):
    monkeypatch.setattr(implicit.utils, "_checked_blas_config", False)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        _model().fit(_block(rng))


def test_config_errors(rng):
    with pytest.raises(ConfigError, match="cold_items"):
        ALSRecommender(cold_items="magic")
    with pytest.raises(ConfigError):
        ALSRecommender(factors=0)
    with pytest.raises(ConfigError, match="not fitted"):
        ALSRecommender().score([1], [1])
    ds = _block(rng, cold=(100, 101))
    bad = ds.replace(item_features=sp.csr_matrix(np.ones((3, 2))))
    with pytest.raises(ConfigError, match="item_features has 3 rows"):
        _model().fit(bad)


def test_item_text_features():
    items = pd.DataFrame({"item_id": [1, 2, 3, 4],
                          "title": ["Space War", "Space Love", "Garden", None],
                          "genres": ["Sci-Fi|Action", "Romance", "Sci-Fi", ""],
                          "tags": ["lasers;space", "", "space", ""]})
    x, names = item_text_features(items)
    assert x.shape == (4, len(names)) and "genres:sci-fi" in names and "title:space" in names
    assert "title:war" not in names  # min_df=2 drops words of one item
    norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=1)).ravel())
    assert np.allclose(norms[:3], 1.0) and norms[3] == 0.0
    sims = (x @ x.T).toarray()
    assert sims[0, 2] > sims[0, 1] * 0 and sims[0, 2] > sims[1, 2]
    with pytest.raises(Exception, match="no column 'plot'"):
        item_text_features(items, ["plot"])


def _with_generated(ds: Dataset, picks: dict[int, list[int]], weight: float = 1.0) -> Dataset:
    """``ds`` + generated interactions (``source="generated"``): item -> users who picked it."""
    gen = pd.DataFrame([(u, i, weight) for i, users in picks.items() for u in users],
                       columns=["user_id", "item_id", "weight"]).assign(source="generated")
    inter = pd.concat([ds.interactions.assign(source="observed"), gen], ignore_index=True)
    return ds.replace(interactions=inter)


def test_generated_only_item_folds_in_with_mapped_prior(rng):
    # item 100 reads like block A (title), 101 like block B; only generated picks
    base = with_item_features(_block(rng, cold=(100, 101)))
    ds = _with_generated(base, {100: [0, 1], 101: [20, 21]}, weight=0.3)
    m = _model(regularization=1.0).fit(ds)
    assert sorted(m.item_vocab.id(m.prior_items).tolist()) == [100, 101]
    assert len(m.mapped_items) == 0
    s = m.score(range(N_USERS), [100, 101])
    assert (s[:20, 0] > s[:20, 1]).all() and (s[20:, 1] > s[20:, 0]).all()
    # "fit" puts them in ALS instead: neither mapped nor folded in
    fit = _model(regularization=1.0, generated_items="fit").fit(ds)
    assert len(fit.prior_items) == 0 and len(fit.mapped_items) == 0


def test_picks_move_a_generated_only_item_from_its_mapped_factor(rng):
    # item 100 reads like block A; with no picks it keeps its mapped (A-like) factor,
    # and the more confident the B users' picks, the more B users prefer it
    base = with_item_features(_block(rng, cold=(100, 101)))
    solo = _model(regularization=1.0).fit(base)
    s = solo.score(range(N_USERS), [100])[:, 0]
    gaps = [s[20:].mean() - s[:20].mean()]
    assert gaps[0] < 0
    for w in (0.3, 1.0, 10.0):
        m = _model(regularization=1.0).fit(_with_generated(base, {100: list(range(20, 40))}, w))
        s = m.score(range(N_USERS), [100])[:, 0]
        gaps.append(s[20:].mean() - s[:20].mean())
    assert gaps == sorted(gaps) and gaps[-1] > 0


def test_generated_only_item_with_few_picks_ranks_like_its_features(rng):
    # under ALS's shrinkage towards zero, an item with one weak pick barely scores; centred
    # on its mapped factor, it ranks for its block's users like a mapped cold item
    base = with_item_features(_block(rng, cold=(100, 101)))
    ds = _with_generated(base, {100: [0]}, weight=0.3)
    prior = _model(regularization=5.0).fit(ds)
    shrunk = _model(regularization=5.0, generated_items="fit").fit(ds)
    users = range(1, 20)  # block A users other than the picker
    sp_, ss = prior.score(users, [100, 101]), shrunk.score(users, [100, 101])
    assert (sp_[:, 0] > sp_[:, 1]).all()
    assert np.median(sp_[:, 0]) > np.median(ss[:, 0])


def test_solve_with_prior_matches_implicit_and_interpolates(rng):
    from implicit.cpu.als import user_linear_equation

    other = rng.normal(size=(30, 4)).astype(np.float32)
    conf = sp.csr_matrix(np.array([[0] * 30,
                                   [3.0, 0, -2.0, 0.5, 7.0] + [0] * 25], dtype=np.float32))
    prior = rng.normal(size=(2, 4)).astype(np.float32)
    x = solve_with_prior(conf, other, 2.0, prior)
    assert np.allclose(x[0], prior[0], atol=1e-5)  # no confidences: the prior itself
    # zero prior: implicit 0.7's own normal equations (negatives: |c| - 1, no rhs)
    a, b = user_linear_equation(other.astype(np.float64), other.T.astype(np.float64) @ other,
                                conf, 1, 2.0, 4)
    zero = solve_with_prior(conf[1], other, 2.0, np.zeros((1, 4)))
    assert np.allclose(zero[0], np.linalg.solve(a, b), atol=1e-4)
    # as the picks' confidence grows, the solution leaves the prior for the picks' fit
    picks = other[[0, 1, 4]]
    target = np.linalg.lstsq(picks, np.ones(3), rcond=None)[0]  # min-norm fit of o.x = 1
    far, near = [], []
    for c in (1.0, 10.0, 100.0, 1e5):
        row = sp.csr_matrix(([c, c, c], ([0, 0, 0], [0, 1, 4])), shape=(1, 30))
        v = solve_with_prior(row, other, 2.0, prior[1:])[0]
        far.append(np.linalg.norm(v - prior[1]))
        near.append(np.abs(picks @ v - 1).max())
    assert far == sorted(far) and near == sorted(near, reverse=True)
    assert near[-1] < 1e-2 and np.isfinite(target).all()


def test_generated_fit_is_deterministic(rng):
    ds = _with_generated(with_item_features(_block(rng, cold=(100, 101))), {100: [0, 1, 20]})
    a, b = _model(seed=3).fit(ds), _model(seed=3).fit(ds)
    assert np.array_equal(a.item_factors, b.item_factors)
    assert np.array_equal(a.user_factors, b.user_factors)
    with pytest.raises(ConfigError, match="generated_items"):
        ALSRecommender(generated_items="maybe")
    with pytest.raises(ConfigError, match="prior_scale"):
        ALSRecommender(prior_scale=0)


def test_generated_rows_of_cold_users_move_only_those_users(rng):
    # user 40 is new with one observed block-B item; generated picks say block A
    base = _block(rng)
    new = pd.DataFrame({"user_id": [40], "item_id": [15], "weight": [1.0]})
    ds0 = base.replace(interactions=pd.concat([base.interactions, new], ignore_index=True))
    gen = pd.DataFrame({"user_id": 40, "item_id": [0, 1, 2, 3, 4], "weight": 1.0,
                        "source": "generated"})
    ds = ds0.replace(interactions=pd.concat(
        [ds0.interactions.assign(source="observed"), gen], ignore_index=True))
    plain, m = _model().fit(ds0), _model().fit(ds)
    assert m.user_vocab.id(m.refit_users).tolist() == [40]
    # everyone else, and every item, is exactly as without the generated rows
    assert np.array_equal(m.item_factors, plain.item_factors)
    assert np.array_equal(m.user_factors[:40], plain.user_factors[:40])
    # user 40 got one ALS update over all their rows: now prefers block A
    s = m.score([40], range(N_ITEMS))[0]
    assert s[5:10].mean() > s[10:15].mean()
    assert plain.score([40], range(N_ITEMS))[0][5:10].mean() < s[5:10].mean()
    conf = m.alpha * ds.matrix()[m.refit_users]
    expect = solve_with_prior(conf, m.item_factors, m.refit_scale * m.regularization,
                              np.zeros((1, m.factors)))
    assert np.allclose(m.user_factors[m.refit_users], expect, atol=1e-5)
    same = _model(refit_scale=1.0).fit(ds)  # 1: the sweeps' regularization
    expect = solve_with_prior(conf, same.item_factors, same.regularization,
                              np.zeros((1, same.factors)))
    assert np.allclose(same.user_factors[same.refit_users], expect, atol=1e-5)
    with pytest.raises(ConfigError, match="refit_scale"):
        ALSRecommender(refit_scale=-1)
    # "fit" lets the generated rows into the sweeps (item factors move)
    fit = _model(generated_items="fit").fit(ds)
    assert len(fit.refit_users) == 0 and not np.allclose(fit.item_factors, plain.item_factors)
