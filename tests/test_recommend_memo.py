"""The memoised ALS sweeps and mappings give exactly what a fresh fit gives."""

from __future__ import annotations

import numpy as np
import pandas as pd

from augment import recommend
from augment.data import Dataset
from augment.features import with_item_features
from augment.recommend import ALSRecommender


def _data(rng, cold=()) -> Dataset:
    rows = [(u, i, 1.0) for u in range(60) for i in rng.choice(40, 8, replace=False)
            if i not in cold]
    inter = pd.DataFrame(rows, columns=["user_id", "item_id", "weight"])
    items = pd.DataFrame({"item_id": range(40),
                          "title": [("red" if i % 2 else "blue") + f" film {i}"
                                    for i in range(40)]})
    return with_item_features(Dataset(inter, items))


def _fit(ds, **kw):
    return ALSRecommender(factors=4, regularization=1.0, iterations=5, alpha=5.0, **kw).fit(ds)


def test_memoised_fit_equals_a_fresh_fit(rng):
    ds = _data(rng, cold=(3, 7))
    recommend._SWEEPS.clear()
    recommend._MAPS.clear()
    fresh = _fit(ds)
    assert len(recommend._SWEEPS) == 1 and len(recommend._MAPS) == 1
    again = _fit(ds)  # served from the memo
    np.testing.assert_array_equal(fresh.user_factors, again.user_factors)
    np.testing.assert_array_equal(fresh.item_factors, again.item_factors)
    recommend._SWEEPS.clear()
    recommend._MAPS.clear()
    third = _fit(ds)  # recomputed
    np.testing.assert_array_equal(fresh.item_factors, third.item_factors)


def test_other_data_or_parameters_are_not_served_from_the_memo(rng):
    recommend._SWEEPS.clear()
    ds = _data(rng)
    a = _fit(ds)
    b = _fit(ds, seed=1)
    other = ds.replace(interactions=ds.interactions.iloc[5:])
    c = _fit(other)
    assert len(recommend._SWEEPS) == 3
    assert not np.array_equal(a.user_factors, b.user_factors)
    assert not np.array_equal(a.user_factors, c.user_factors)
    # generated rows are folded in after the same sweeps: one more memo entry at most
    gen = pd.DataFrame({"user_id": [0, 1], "item_id": [39, 39], "weight": [1.0, 1.0]})
    extra = ds.replace(interactions=pd.concat(
        [ds.interactions.assign(source="observed"), gen.assign(source="generated")],
        ignore_index=True))
    _fit(extra)
    assert len(recommend._SWEEPS) <= 4
