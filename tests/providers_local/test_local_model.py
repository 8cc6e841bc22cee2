"""The real SmolLM2-135M through llama.cpp: grammar-constrained answers validate (marker
local_model)."""

from __future__ import annotations

import asyncio
import json

import jsonschema
import pytest

from augment.errors import PermanentProviderError
from augment.providers.base import Provider, Request
from augment.providers.local import LocalProvider

pytestmark = pytest.mark.local_model

GENRES = ["Action", "Adventure", "Animation", "Comedy", "Crime", "Drama", "Fantasy",
          "Horror", "Romance", "Sci-Fi", "Thriller"]
ITEM_SCHEMA = {
    "type": "object",
    "properties": {
        "title": {"type": "string", "maxLength": 60},
        "genres": {"type": "array", "items": {"enum": GENRES}, "minItems": 1, "maxItems": 3,
                   "uniqueItems": True},
        "tags": {"type": "array", "items": {"type": "string", "maxLength": 20}, "maxItems": 3},
        "summary": {"type": "string", "maxLength": 80},
    },
    "required": ["title", "genres", "tags", "summary"],
    "additionalProperties": False,
}
SYSTEM = ("You are a film expert. Answer with one JSON object describing the movie: its title, "
          "up to 3 genres, up to 3 short tags and a one-sentence summary.")
MOVIES = ["Toy Story (1995)", "Heat (1995)", "Alien (1979)"]


def item_request(title: str, **params) -> Request:
    return Request(({"role": "system", "content": SYSTEM},
                    {"role": "user", "content": f"Movie: {title}"}),
                   ITEM_SCHEMA, "item_attributes", params)


def pick_schema(candidates: list[str]) -> dict:
    return {"type": "object",
            "properties": {"ids": {"type": "array", "items": {"enum": candidates},
                                   "minItems": 1, "maxItems": 3, "uniqueItems": True}},
            "required": ["ids"], "additionalProperties": False}


def test_is_a_provider(smollm2_provider):
    assert isinstance(smollm2_provider, Provider)
    assert smollm2_provider.model == "SmolLM2-135M-Instruct.Q4_1.gguf"


def test_item_attributes_validate(smollm2_provider):
    for title in MOVIES:
        c = asyncio.run(smollm2_provider.complete(item_request(title)))
        record = json.loads(c.text)
        jsonschema.validate(record, ITEM_SCHEMA)
        assert set(record["genres"]) <= set(GENRES)
        assert c.usage.input_tokens > 10 and 0 < c.usage.output_tokens <= 512
        assert c.model == "SmolLM2-135M-Instruct.Q4_1.gguf"


def test_constant_system_prompt_is_reused(smollm2_provider):
    asyncio.run(smollm2_provider.complete(item_request("Heat (1995)")))
    c = asyncio.run(smollm2_provider.complete(item_request("Jumanji (1995)")))
    # the system message's tokens came from the previous call's key/value cache
    assert c.usage.cached_tokens >= 30
    assert c.usage.cached_tokens < c.usage.input_tokens


def test_ids_come_from_the_candidate_list(smollm2_provider):
    candidates = [f"m{i}" for i in range(101, 141)]  # 40 candidate ids
    req = Request(({"role": "system", "content": "You pick movies a user will like."},
                   {"role": "user", "content": "User liked Alien and Heat. Candidates: "
                    + ", ".join(candidates) + ". Answer with the ids of up to 3 picks."}),
                  pick_schema(candidates), "pick")
    c = asyncio.run(smollm2_provider.complete(req))
    out = json.loads(c.text)
    jsonschema.validate(out, pick_schema(candidates))
    assert 1 <= len(out["ids"]) <= 3 and set(out["ids"]) <= set(candidates)


def test_same_request_same_answer_and_concurrent_calls(smollm2_provider):
    req = item_request("Toy Story (1995)", temperature=0.8, seed=7)

    async def three():
        other = LocalProvider(n_threads=1)  # shares the loaded model
        return await asyncio.gather(smollm2_provider.complete(req), other.complete(req),
                                    smollm2_provider.complete(item_request("Alien (1979)")))

    a, b, c = asyncio.run(three())
    assert a.text == b.text
    jsonschema.validate(json.loads(c.text), ITEM_SCHEMA)


def test_context_overflow_is_a_permanent_error_with_a_fix(smollm2_provider):
    small = LocalProvider(n_ctx=128, n_threads=1)
    req = item_request("Heat (1995) " + "a very long description " * 60)
    with pytest.raises(PermanentProviderError, match="raise n_ctx"):
        asyncio.run(small.complete(req))


def test_object_picks_never_repeat_an_id(smollm2_provider):
    from augment.schemas import load_schema, validate
    from augment.tasks.pseudo_interactions import check_picks
    from augment.tasks.schema_tools import with_enum

    candidates = [str(u) for u in (208, 449, 375, 96, 275, 178, 294, 595, 453, 141)]
    schema = with_enum(load_schema("pseudo_interactions_cold_item"),
                       ["properties", "users", "items", "properties", "user_id"], candidates)
    cards = [{"user_id": u, "recently_liked": ["Heat (1995)", "Alien (1979)"]} for u in candidates]
    req = Request(({"role": "system", "content": "Pick the users who would watch the movie, "
                    "each with a confidence. Answer with JSON."},
                   {"role": "user", "content": "Movie: Aliens (1986). Candidates: "
                    + json.dumps(cards)}), schema, "pseudo_interactions_cold_item",
                  {"max_tokens": 256})
    out = json.loads(asyncio.run(smollm2_provider.complete(req)).text)
    assert validate(out, schema) == []
    ids = [p["user_id"] for p in out["users"]]
    assert ids == [c for c in candidates if c in ids]  # in the enum's order, so no repeat
    assert check_picks(out, candidates=candidates, lists=("users",), id_field="user_id") == []
