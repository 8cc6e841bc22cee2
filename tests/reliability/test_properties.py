"""Property tests (hypothesis) of the loaders, the validators and the cache keys."""

from __future__ import annotations

import math

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from augment.data import dataset_from_frames
from augment.data.tables import MAX_ABS_WEIGHT
from augment.errors import DataError
from augment.providers.base import Request
from augment.schemas import validate
from augment.tasks import item_attributes_schema

WEIGHTS = st.one_of(st.floats(allow_nan=True, allow_infinity=True),
                    st.floats(-10, 10), st.integers(-5, 5))


@settings(max_examples=150, deadline=None)
@given(st.lists(WEIGHTS, min_size=1, max_size=30))
def test_the_loader_keeps_only_finite_weights_in_range(weights):
    inter = pd.DataFrame({"user_id": range(len(weights)), "item_id": 1, "weight": weights})
    nan = [i for i, w in enumerate(weights) if math.isnan(float(w))]  # checked first
    bad = nan or [i for i, w in enumerate(weights) if not (abs(float(w)) <= MAX_ABS_WEIGHT)]
    try:
        ds = dataset_from_frames(inter)
    except DataError as exc:
        assert bad and exc.row == bad[0] + 1 and exc.column == "weight"
    else:
        assert not bad
        assert all(math.isfinite(w) for w in ds.interactions["weight"])


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
                    | st.text(max_size=50),
                    lambda inner: st.lists(inner, max_size=5)
                    | st.dictionaries(st.text(max_size=10), inner, max_size=5), max_leaves=20)


@settings(max_examples=200, deadline=None)
@given(JSON)
def test_validation_never_raises_and_names_a_path(value):
    errors = validate(value, item_attributes_schema(["Drama", "Comedy"]))
    assert isinstance(errors, list) and all(isinstance(e, str) and e for e in errors)


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(st.sampled_from(["temperature", "max_tokens", "top_p", "seed"]),
                       st.integers(0, 100), max_size=4),
       st.text(min_size=1, max_size=40), st.text(min_size=1, max_size=40))
def test_cache_keys_ignore_key_order_and_see_every_message_change(params, a, b):
    def req(p, text):
        return Request(messages=({"role": "user", "content": text},),
                       schema={"type": "object", "required": [], "properties": {}},
                       schema_name="x", params=p, prompt_version="v1")

    reordered = dict(reversed(list(params.items())))
    assert req(params, a).key("p", "m") == req(reordered, a).key("p", "m")
    assert (req(params, a).key("p", "m") == req(params, b).key("p", "m")) == (a == b)
    assert req(params, a).key("p", "m") != req(params, a).key("p", "m2")
