"""User profiles: recent history within a token budget, liked/disliked, checks."""

from __future__ import annotations

import pandas as pd
import pytest

from augment.data import Dataset
from augment.tasks import UserProfiles
from augment.tasks.prompts import CHARS_PER_TOKEN


@pytest.fixture
def history() -> Dataset:
    items = pd.DataFrame({"item_id": range(50), "title": [f"Title {i:02d}" for i in range(50)],
                          "genres": ["Drama|Comedy" if i % 2 else "Horror" for i in range(50)]})
    inter = pd.DataFrame({"user_id": [7] * 50, "item_id": range(50),
                          "weight": [1.0 if i % 5 else -1.0 for i in range(50)],
                          "timestamp": range(50)})
    return Dataset(inter, items)


def test_history_is_most_recent_first_and_cut_to_the_budget(history, data_of):
    task = UserProfiles(history, token_budget=100)
    hist = task.history(7)
    assert hist[0]["title"] == "Title 49" and hist[1]["title"] == "Title 48"
    assert 3 <= len(hist) < 50
    assert len(str(hist)) <= 100 * CHARS_PER_TOKEN * 1.2
    assert hist[4]["reaction"] == "disliked" and hist[0]["reaction"] == "liked"  # item 45
    item = task.work_items()[0]
    assert data_of(item.request)["history"] == hist
    assert item.meta == {"task": "user_profiles", "user_id": 7, "schema_id": task.schema_id,
                         "prompt_version": task.prompt_version}
    assert "never guess anything about the person" in item.request.messages[0]["content"]
    big = UserProfiles(history, token_budget=5000).history(7)
    assert len(big) == 50


def test_generated_attributes_join_the_history(history):
    attrs = pd.DataFrame({"item_id": [49], "genres": [["Drama"]], "tags": [["slow"]],
                          "summary": ["Quiet."]})
    hist = UserProfiles(history, attributes=attrs).history(7)
    assert hist[0]["generated_tags"] == ["slow"]


def test_a_genre_liked_and_disliked_counts_as_neither(history, run_items):
    answers = [{"liked_genres": ["Drama", "Comedy"], "disliked_genres": ["Drama", "Horror"],
                "themes": ["Slow burn", "slow burn ", "heists"], "summary": "Mixed."}]
    from augment.providers.fake import FakeProvider
    result = run_items(UserProfiles(history).work_items(), provider=FakeProvider(answers))
    rec = result.records[0]
    assert rec["attempts"] == 1 and rec["output"]["disliked_genres"] == ["Drama", "Horror"]
    frame = UserProfiles(history).to_frame(result.records)
    assert list(frame["user_id"]) == [7] and frame["schema_id"].notna().all()
    row = frame.iloc[0]
    assert row["liked_genres"] == ["Comedy"] and row["disliked_genres"] == ["Horror"]
    assert row["themes"] == ["Slow burn", "heists"]  # repeats dropped, first spelling kept


def test_only_keeps_each_users_request():
    """``work_items(only=...)``: the chosen users' requests, as in the full list."""
    items = pd.DataFrame({"item_id": range(6), "title": [f"Title {i}" for i in range(6)]})
    inter = pd.DataFrame({"user_id": [1, 1, 2, 3, 3, 3], "item_id": [0, 1, 2, 3, 4, 5],
                          "weight": 1.0})
    task = UserProfiles(Dataset(inter, items), user_ids=[3, 1, 2], genres=None)
    full = {w.key: w.request for w in task.work_items()}
    some = task.work_items(only={2, 3})
    assert len(full) == 3 and [w.meta["user_id"] for w in some] == [3, 2]
    assert all(full[w.key] == w.request for w in some)
