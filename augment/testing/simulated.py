"""A simulated LLM for benchmarks and tests ONLY: it answers from held-out truth.

Never use it to enrich real data: it reads the answers from interactions that
a real model could not see. It exists to measure what the pipeline is worth
when the generated data has a known quality (``precision`` = share of picks
that are real held-out positives), with the real engine, schemas, checks,
votes and enrichment in the path. It is deliberately not registered in
:func:`augment.providers.get_provider`; import it by module path::

    from augment.testing.simulated import SimulatedProvider, oracle_split
    scored, oracle = oracle_split(split, seed=0)       # disjoint: never score what it knows
    provider = SimulatedProvider(oracle, split.dataset.items, precision=0.25, picks=10,
                                 held_out=held_out_positives(split), seed=0)

**Leakage rule.** What the provider knows and what is scored must be disjoint.
:func:`oracle_split` cuts every cold target's held-out interactions (cold items
in an item-cold split, cold users in a user-cold one; validation and test) in
two: the *oracle* part goes to the provider, the rest stays in the returned
split's ``valid``/``test`` and alone is scored. Evaluate every model on that
returned split.

**Picks** (pseudo-interaction requests). A model of precision ``p`` with a
budget of ``picks`` per request: ``B ~ Binomial(picks, p)`` slots are true
picks, drawn from the candidates the oracle knows as positives (at most as many
as there are: fewer when the candidates hold fewer), and the other
``picks - B`` slots are *wrong* picks, drawn from the candidates that are **not
held-out positives of the target at all** (``held_out``: oracle and scored
parts alike, so no "noise" pick is a lucky hit). ``p = 0`` carries no signal:
every request gets ``picks`` wrong picks, whatever the truth; the number of
picks never depends on the truth except through the cap on true picks. The draw
is seeded per target and candidate set, so the repeats of a request (shuffled
candidates) get the same picks, as a model with a wrong belief would give.
``pseudo_interactions_cold_item`` answers are users, ``_cold_user`` ones are
positive items (no negatives). Every confidence is ``"high"``.

``item_attributes`` (single or batch): the item's real genres (limited to the
schema's genre enum) and tags, each dropped with probability ``attribute_drop``
(one genre is always kept, the schema needs one), and its title as summary.
"""

from __future__ import annotations

import zlib
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from augment.errors import ConfigError, PermanentProviderError
from augment.providers.base import Completion, Request
from augment.splits import Split
from augment.testing._picks import (
    completion,
    pick_request,
    picks_answer,
    request_data,
    schema_enum,
    stable_rng,
)

__all__ = ["SimulatedProvider", "oracle_split", "held_out_positives", "NAME"]

NAME = "simulated"


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


def held_out_positives(split: Split) -> pd.DataFrame:
    """Every positive validation/test interaction of ``split`` and its ``known`` pairs
    (``user_id``, ``item_id``): what a wrong pick must never be."""
    parts = [split.valid, split.test] + ([split.known] if split.known is not None else [])
    both = pd.concat([p[p["weight"] > 0] if "weight" in p.columns else p for p in parts],
                     ignore_index=True)
    return both[["user_id", "item_id"]].drop_duplicates().reset_index(drop=True)


def _split_list(value: Any, seps: str) -> list[str]:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return []
    text = str(value)
    for s in seps[1:]:
        text = text.replace(s, seps[0])
    return [t.strip() for t in text.split(seps[0]) if t.strip()]


class SimulatedProvider:
    """Answers pseudo-interaction and item-attribute requests from truth at a set precision.

    Benchmarks and tests only (see the module docstring).

    Args:
        oracle: interactions the provider may know (``user_id``, ``item_id``,
            ``weight``; only positive weights count), from :func:`oracle_split`.
        items: items table with ``item_id`` and optionally ``genres`` (``|``) and
            ``tags`` (``;``) and ``title``.
        precision: share of the pick slots that are true picks (0..1).
        picks: picks per request (the pick budget).
        held_out: pairs a wrong pick must avoid (:func:`held_out_positives`); the
            oracle's positive pairs are always avoided too.
        attribute_drop: share of genres/tags dropped from attribute answers.
        seed: seeds the draws.
        model: model name in records and cache keys (default ``"oracle-p<precision>"``).
    """

    def __init__(self, oracle: pd.DataFrame, items: pd.DataFrame, *, precision: float = 1.0,
                 picks: int = 10, held_out: pd.DataFrame | None = None,
                 attribute_drop: float = 0.0, seed: int = 0, model: str | None = None) -> None:
        if not 0.0 <= precision <= 1.0:
            raise ConfigError(f"precision must be within [0, 1], got {precision}",
                              key="precision")
        if picks < 1:
            raise ConfigError(f"picks must be >= 1, got {picks}", key="picks")
        self.name = NAME
        self.precision = float(precision)
        self.picks = int(picks)
        self.attribute_drop = float(attribute_drop)
        self.seed = seed
        self.model = model or f"oracle-p{self.precision:g}-n{self.picks}"
        pos = oracle[oracle["weight"] > 0]
        self._users_of: dict[str, set[str]] = {}
        self._items_of: dict[str, set[str]] = {}
        for u, i in zip(pos["user_id"].astype(str), pos["item_id"].astype(str), strict=True):
            self._users_of.setdefault(i, set()).add(u)
            self._items_of.setdefault(u, set()).add(i)
        self._avoid_users: dict[str, set[str]] = {k: set(v) for k, v in self._users_of.items()}
        self._avoid_items: dict[str, set[str]] = {k: set(v) for k, v in self._items_of.items()}
        if held_out is not None:
            for u, i in zip(held_out["user_id"].astype(str), held_out["item_id"].astype(str),
                            strict=True):
                self._avoid_users.setdefault(i, set()).add(u)
                self._avoid_items.setdefault(u, set()).add(i)
        self._attrs: dict[str, dict[str, Any]] = {}
        for row in items.to_dict("records"):
            genres = list(dict.fromkeys(g for g in _split_list(row.get("genres"), "|")
                                        if g != "(no genres listed)"))
            self._attrs[str(row["item_id"])] = {
                "genres": genres, "tags": list(dict.fromkeys(
                    t[:40] for t in _split_list(row.get("tags"), ";|"))),
                "title": str(row.get("title") or row["item_id"])}
        self.calls = 0

    def choose(self, truth: set[str], avoid: set[str], candidates: list[str], target: str
               ) -> list[str]:
        """The picks for one request: true ones from ``truth``, wrong ones outside ``avoid``."""
        ordered = sorted(candidates)
        rng = stable_rng(self.seed, "pick", target, "|".join(ordered))
        n_true_slots = int(rng.binomial(self.picks, self.precision))
        true = [c for c in ordered if c in truth]
        wrong = [c for c in ordered if c not in avoid and c not in truth]
        got = rng.permutation(true)[:n_true_slots].tolist() if true else []
        got += rng.permutation(wrong)[:self.picks - n_true_slots].tolist() if wrong else []
        return got

    def _pseudo(self, request: Request) -> dict[str, Any]:
        direction, target, cands, _ = pick_request(request)
        if direction == "item":
            truth, avoid = self._users_of.get(target, set()), self._avoid_users.get(target, set())
        else:
            truth, avoid = self._items_of.get(target, set()), self._avoid_items.get(target, set())
        return picks_answer(direction, self.choose(truth, avoid, cands, target), cands)

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
        data = request_data(request)
        props = request.schema.get("properties", {})
        if "items" in props and "genres" not in props:  # a batch
            entry = props["items"].get("items", {})
            allowed = schema_enum(entry, ["properties", "genres", "items"])
            return {"items": [{"item_id": str(e["item_id"]),
                               **self._attributes(str(e["item_id"]), allowed)}
                              for e in data["items"]]}
        allowed = schema_enum(request.schema, ["properties", "genres", "items"])
        return self._attributes(str(data["item_id"]), allowed)

    async def complete(self, request: Request) -> Completion:
        """Answer one request from the oracle (no latency, no network)."""
        self.calls += 1
        name = request.schema_name
        if name.startswith("pseudo_interactions"):
            out = self._pseudo(request)
        elif name.startswith("item_attributes"):
            out = self._item_attributes(request)
        else:
            raise PermanentProviderError(
                f"the simulated provider answers item_attributes and pseudo_interactions "
                f"requests only, not {name!r}; use a real provider for this task")
        return completion(request, out, self.model)
