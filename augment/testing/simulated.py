"""A simulated LLM for benchmarks and tests ONLY: it answers from held-out truth.

Never use it to enrich real data: it reads the answers from interactions that
a real model could not see. It exists to measure what the pipeline is worth
when the generated data has a known quality (``noise`` = share of answers
replaced at random), with the real engine, schemas, checks, votes and
enrichment in the path. It is deliberately not registered in
:func:`augment.providers.get_provider`; import it by module path::

    from augment.testing.simulated import SimulatedProvider, oracle_split
    scored, oracle = oracle_split(split, seed=0)       # disjoint: never score what it knows
    provider = SimulatedProvider(oracle, split.dataset.items, noise=0.25, seed=0)

**Leakage rule.** What the provider knows and what is scored must be disjoint.
:func:`oracle_split` cuts every cold target's held-out interactions (cold items
in an item-cold split, cold users in a user-cold one; validation and test) in
two: the *oracle* part goes to the provider, the rest stays in the returned
split's ``valid``/``test`` and alone is scored. Evaluate every model on that
returned split.

How requests are read (robust to prompt wording): the candidates are the
``enum`` of the request schema's id field (the tasks constrain picks to it); the
target id is read from the JSON inside the first user message's ``<data>``
block (``item.item_id``, ``user.user_id``, ``item_id`` or ``items[].item_id``).

Answers:

- ``pseudo_interactions_cold_item``: the candidate users with an oracle
  interaction with the item; ``pseudo_interactions_cold_user``: the candidate
  items in the user's oracle interactions (positives; no negatives). Each pick
  is, with probability ``noise``, replaced by a random non-picked candidate.
  With ``correlated=True`` (default) the noise is drawn per target, not per
  request: the repeats with shuffled candidates make the *same* mistakes, as a
  model with a wrong belief would, so voting cannot wash them out.
- ``item_attributes`` (single or batch): the item's real genres (limited to the
  schema's genre enum) and tags, each dropped with probability
  ``attribute_drop`` (default ``noise``; one genre is always kept, the schema
  needs one), and its title as summary. The drop is drawn per item (the same
  for every ``seed``, so cached answers stay valid across seeds).

Every confidence is ``"high"`` (noise is not signalled through confidence).
"""

from __future__ import annotations

import json
import re
import zlib
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from augment.errors import ConfigError, PermanentProviderError
from augment.providers.base import Completion, Request, Usage
from augment.splits import Split

__all__ = ["SimulatedProvider", "oracle_split", "NAME"]

NAME = "simulated"
_DATA = re.compile(r"<data>\n(.*)\n</data>", re.DOTALL)


def oracle_split(split: Split, *, fraction: float = 0.5, seed: int = 0
                 ) -> tuple[Split, pd.DataFrame]:
    """``(scored split, oracle interactions)`` with the two disjoint.

    For each cold target (cold item for ``item-cold``, cold user for
    ``user-cold``), ``floor(fraction * n)`` of its ``n`` cold validation/test
    interactions (drawn at random with ``seed``) move to the oracle; the others
    stay. Warm rows and ``split.train`` are untouched. The returned split's
    ``known`` is the oracle (added to any ``known`` it had), so evaluation excludes
    the oracle pairs from every model's ranking, as training items are: recommending
    an interaction the provider was told about is neither a hit nor a miss (the
    fold-in protocol; see :mod:`augment.splits`).
    """
    if not 0.0 < fraction < 1.0:
        raise ConfigError(f"fraction must be within (0, 1), got {fraction}", key="fraction")
    col = "item_id" if split.kind == "item-cold" else "user_id"
    rng = np.random.default_rng([seed, 0x0AC1E])
    oracle_parts, kept = [], {}
    for part in ("valid", "test"):
        df = getattr(split, part)
        cold = df[df["segment"] == "cold"]
        key = rng.random(len(cold))
        rank = (cold.assign(_key=key).groupby(col)["_key"].rank(method="first") - 1).to_numpy()
        n = cold.groupby(col)[col].transform("size").to_numpy()
        to_oracle = rank < np.floor(fraction * n)
        oracle_parts.append(cold[to_oracle])
        drop = cold.index[to_oracle]
        kept[part] = df.drop(index=drop).reset_index(drop=True)
    oracle = pd.concat(oracle_parts, ignore_index=True).drop(columns="segment")
    known = oracle if split.known is None else pd.concat([split.known, oracle],
                                                         ignore_index=True)
    return replace(split, valid=kept["valid"], test=kept["test"], known=known), oracle


def _data(request: Request) -> Any:
    for m in request.messages:
        if m.get("role") == "user":
            found = _DATA.search(m.get("content", ""))
            if found:
                return json.loads(found.group(1))
    raise PermanentProviderError("simulated provider: no <data> block in the request")


def _enum(schema: Mapping[str, Any], path: list[str]) -> list[str]:
    node: Any = schema
    for k in path:
        node = node.get(k, {}) if isinstance(node, Mapping) else {}
    return [str(v) for v in node.get("enum", [])] if isinstance(node, Mapping) else []


def _split_list(value: Any, seps: str) -> list[str]:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return []
    text = str(value)
    for s in seps[1:]:
        text = text.replace(s, seps[0])
    return [t.strip() for t in text.split(seps[0]) if t.strip()]


class SimulatedProvider:
    """Answers pseudo-interaction and item-attribute requests from truth, with set noise.

    Benchmarks and tests only (see the module docstring).

    Args:
        oracle: interactions the provider may know (``user_id``, ``item_id``,
            ``weight``; only positive weights count), from :func:`oracle_split`.
        items: items table with ``item_id`` and optionally ``genres`` (``|``) and
            ``tags`` (``;``) and ``title``.
        noise: share of pseudo-interaction picks replaced at random (0..1).
        attribute_drop: share of genres/tags dropped (default: ``noise``).
        correlated: draw the noise per target (same mistakes in every repeat).
        seed: seeds the noise.
        model: model name in records and cache keys (default ``"oracle-noise<noise>"``).
    """

    def __init__(self, oracle: pd.DataFrame, items: pd.DataFrame, *, noise: float = 0.0,
                 attribute_drop: float | None = None, correlated: bool = True,
                 seed: int = 0, model: str | None = None) -> None:
        if not 0.0 <= noise <= 1.0:
            raise ConfigError(f"noise must be within [0, 1], got {noise}", key="noise")
        self.name = NAME
        self.noise = float(noise)
        self.attribute_drop = self.noise if attribute_drop is None else float(attribute_drop)
        self.correlated = correlated
        self.seed = seed
        self.model = model or f"oracle-noise{self.noise:g}"
        pos = oracle[oracle["weight"] > 0]
        self._users_of: dict[str, set[str]] = {}
        self._items_of: dict[str, set[str]] = {}
        for u, i in zip(pos["user_id"].astype(str), pos["item_id"].astype(str), strict=True):
            self._users_of.setdefault(i, set()).add(u)
            self._items_of.setdefault(u, set()).add(i)
        self._attrs: dict[str, dict[str, Any]] = {}
        for row in items.to_dict("records"):
            genres = list(dict.fromkeys(g for g in _split_list(row.get("genres"), "|")
                                        if g != "(no genres listed)"))
            self._attrs[str(row["item_id"])] = {
                "genres": genres, "tags": list(dict.fromkeys(
                    t[:40] for t in _split_list(row.get("tags"), ";|"))),
                "title": str(row.get("title") or row["item_id"])}
        self.calls = 0

    # -- randomness -------------------------------------------------------------------------
    def _rng(self, *parts: Any) -> np.random.Generator:
        return np.random.default_rng([self.seed, *(zlib.crc32(str(p).encode()) for p in parts)])

    def _noisy_picks(self, truth: set[str], candidates: list[str], target: str,
                     request: Request) -> list[str]:
        ordered = sorted(candidates)
        picks = [c for c in ordered if c in truth]
        if self.noise == 0 or not picks:
            return self._in_order(picks, candidates)
        rng = (self._rng("pick", target) if self.correlated
               else self._rng("pick", target, request.key(self.name, self.model)))
        replaced = rng.random(len(picks)) < self.noise
        pool = [c for c in rng.permutation(ordered).tolist() if c not in set(picks)]
        out = [p for p, r in zip(picks, replaced, strict=True) if not r]
        out += pool[: int(replaced.sum())]
        return self._in_order(out, candidates)

    @staticmethod
    def _in_order(picks: list[str], candidates: list[str]) -> list[str]:
        chosen = set(picks)
        return [c for c in candidates if c in chosen]

    # -- answers ----------------------------------------------------------------------------
    def _cold_item(self, request: Request) -> dict[str, Any]:
        data = _data(request)
        target = str(data["item"]["item_id"])
        cands = _enum(request.schema, ["properties", "users", "items", "properties", "user_id"])
        picks = self._noisy_picks(self._users_of.get(target, set()), cands, target, request)
        return {"users": [{"user_id": u, "confidence": "high"} for u in picks]}

    def _cold_user(self, request: Request) -> dict[str, Any]:
        data = _data(request)
        target = str(data["user"]["user_id"])
        cands = _enum(request.schema,
                      ["properties", "positives", "items", "properties", "item_id"])
        picks = self._noisy_picks(self._items_of.get(target, set()), cands, target, request)
        return {"positives": [{"item_id": i, "confidence": "high"} for i in picks],
                "negatives": []}

    def _attributes(self, item_id: str, allowed: list[str]) -> dict[str, Any]:
        attrs = self._attrs.get(item_id, {"genres": [], "tags": [], "title": item_id})
        # drawn per item and drop share only (not ``seed``): cached answers stay right
        rng = np.random.default_rng([zlib.crc32(f"attr:{item_id}".encode()),
                                     int(self.attribute_drop * 1000)])
        genres = [g for g in attrs["genres"] if not allowed or g in allowed]
        if not genres:
            genres = [allowed[0]] if allowed else ["unknown"]
        keep = rng.random(len(genres)) >= self.attribute_drop
        if not keep.any():
            keep[int(rng.integers(len(genres)))] = True
        tags = [t for t, r in zip(attrs["tags"], rng.random(len(attrs["tags"])), strict=True)
                if r >= self.attribute_drop]
        return {"genres": [g for g, k in zip(genres, keep, strict=True) if k][:5],
                "tags": tags[:10], "summary": attrs["title"][:300]}

    def _item_attributes(self, request: Request) -> dict[str, Any]:
        data = _data(request)
        props = request.schema.get("properties", {})
        if "items" in props and "genres" not in props:  # a batch
            entry = props["items"].get("items", {})
            allowed = _enum(entry, ["properties", "genres", "items"])
            return {"items": [{"item_id": str(e["item_id"]),
                               **self._attributes(str(e["item_id"]), allowed)}
                              for e in data["items"]]}
        allowed = _enum(request.schema, ["properties", "genres", "items"])
        return self._attributes(str(data["item_id"]), allowed)

    async def complete(self, request: Request) -> Completion:
        """Answer one request from the oracle (no latency, no network)."""
        self.calls += 1
        name = request.schema_name
        if name == "pseudo_interactions_cold_item":
            out = self._cold_item(request)
        elif name == "pseudo_interactions_cold_user":
            out = self._cold_user(request)
        elif name.startswith("item_attributes"):
            out = self._item_attributes(request)
        else:
            raise PermanentProviderError(
                f"the simulated provider answers item_attributes and pseudo_interactions "
                f"requests only, not {name!r}; use a real provider for this task")
        text = json.dumps(out, ensure_ascii=False)
        usage = Usage(input_tokens=sum(len(m.get("content", "")) for m in request.messages) // 4,
                      output_tokens=len(text) // 4 + 1)
        return Completion(text=text, usage=usage, model=self.model)
