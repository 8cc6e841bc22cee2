"""The tasks on real MovieLens rows (marker realdata): prompts, records, enrichment."""

from __future__ import annotations

import pytest

from augment.data import load_movielens
from augment.enrich import enrich
from augment.splits import split
from augment.tasks import ItemAttributes, PseudoInteractions, position_bias

pytestmark = pytest.mark.realdata


def test_movielens_pipeline_with_a_fake(movielens_dir, run_items, truth_answerer, data_of):
    sp = split(load_movielens(movielens_dir), "item-cold", seed=0)
    cold = sorted(sp.cold_items)[:20]
    attrs = ItemAttributes(sp.train, item_ids=cold, items_per_request=10)
    genres = attrs.schema["properties"]["genres"]["items"]["enum"]
    assert "Sci-Fi" in genres and "(no genres listed)" not in genres

    def describe(request):
        return {"items": [{"item_id": e["item_id"], "genres": e.get("genres", ["Drama"])[:3]
                           or ["Drama"], "tags": [], "summary": e["title"][:300]}
                          for e in data_of(request)["items"]]}

    rec_a = run_items(attrs.work_items(), describe).records
    assert len(attrs.to_frame(rec_a)) == 20
    pseudo = PseudoInteractions(sp.train, cold_items=cold[:10], n_candidates=30, n_repeats=2)
    rec_p = run_items(pseudo.work_items(), truth_answerer(sp.dataset)).records
    assert position_bias(rec_p)["n_targets"] == 10
    out = enrich(sp.train, rec_a + rec_p)
    assert out.item_features.shape[0] == sp.train.n_items
    assert set(out.interactions["source"]) == {"observed", "generated"}
    assert len(sp.train.interactions) < len(out.interactions)
    assert "source" not in sp.train.interactions
