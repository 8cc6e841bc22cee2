"""Task ``pseudo_interactions``: interactions the log lacks, picked from candidates.

Two directions, one task:

- **cold items** (``direction="item"``): for an item with no interactions, which
  of the candidate users (:class:`~augment.tasks.retrieval.UserCandidates`)
  would interact with it, each with a confidence ``high``/``medium``/``low``.
- **cold users** (``direction="user"``): for a user with a short history, which
  candidate items (:class:`~augment.tasks.retrieval.ItemCandidates`) they would
  like (positives) and which not (negatives).

Ids are strings in the prompt and an ``enum`` over the candidates in the
request's schema (in the order the prompt lists them, which is the order a
grammar-constrained local model writes its picks in), and are checked again
after validation (in the candidate set, no duplicates, not in the user's
history, positives and negatives disjoint).
Because LLMs favour what they read first, every target is asked ``n_repeats``
times with the candidates in a different (seeded) order; votes are aggregated
by :func:`~augment.tasks.votes.aggregate_votes` and the position bias measured by
:func:`~augment.tasks.votes.position_bias`.

**Rounds** (cold users only). With ``rounds=R > 1``, a cold user is asked again
after each round with fresh candidates: :meth:`PseudoInteractions.next_round`
takes the round's records, adds the kept positive picks to the user's profile
(the retriever treats them as liked; the prompt lists them as
``probably_likes``) and excludes every candidate already shown. A user with 3
known items thus reaches items a 3-item profile cannot retrieve; each round
costs ``n_repeats`` more requests per cold user. Cold items take one round.

Only the split's *train* Dataset is read: a cold item's held-out interactions
never reach a prompt or a candidate generator.
"""

from __future__ import annotations

import copy
from collections.abc import Collection, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from augment.data.dataset import Dataset
from augment.engine.types import WorkItem
from augment.errors import ConfigError
from augment.tasks.base import JobContext, Task
from augment.tasks.item_attributes import ItemAttributes, attributes_frame
from augment.tasks.prompts import DATA_RULES, data_block, item_texts, make_item, redact_value
from augment.tasks.records import py_id
from augment.tasks.retrieval import ItemCandidates, UserCandidates, item_text_matrix
from augment.tasks.schema_tools import load_task_schema, schema_id, with_enum
from augment.tasks.targets import pseudo_targets
from augment.tasks.user_profiles import UserProfiles, profiles_frame
from augment.tasks.votes import aggregate_votes

__all__ = ["PseudoInteractions", "check_picks", "pseudo_schemas"]

NAME = "pseudo_interactions"
PROMPT_VERSION = "pseudo_interactions/1"
_ITEM_PATH = ["properties", "users", "items", "properties", "user_id"]
_USER_PATHS = (["properties", "positives", "items", "properties", "item_id"],
               ["properties", "negatives", "items", "properties", "item_id"])


def pseudo_schemas(n_candidates: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """The shipped cold-item and cold-user schemas with pick lists of at most
    ``n_candidates`` entries."""
    item = load_task_schema("pseudo_interactions_cold_item")
    user = load_task_schema("pseudo_interactions_cold_user")
    for schema, lists in ((item, ("users",)), (user, ("positives", "negatives"))):
        for name in lists:
            prop = schema["properties"][name]
            prop["maxItems"] = min(int(prop.get("maxItems", n_candidates)), n_candidates)
    return item, user


def check_picks(output: Mapping[str, Any], *, candidates: Iterable[str],
                history: Iterable[str] = (), lists: tuple[str, ...], id_field: str) -> list[str]:
    """Errors of a pick answer: unknown ids, duplicates, ids from the history, overlap.

    ``lists`` names the output lists (``("users",)`` or ``("positives", "negatives")``);
    ids are compared as strings.
    """
    cand = {str(c) for c in candidates}
    hist = {str(h) for h in history}
    errors: list[str] = []
    picked: dict[str, set[str]] = {}
    for name in lists:
        ids = [str(e.get(id_field)) for e in output.get(name, []) if isinstance(e, Mapping)]
        picked[name] = set(ids)
        for i in sorted(set(ids) - cand):
            errors.append(f"{name}: {id_field} {i} is not one of the candidates; choose only "
                          "listed ids")
        for i in sorted({i for i in ids if ids.count(i) > 1}):
            errors.append(f"{name}: {id_field} {i} appears more than once; list each id once")
        for i in sorted(set(ids) & hist):
            errors.append(f"{name}: {id_field} {i} is already in the user's history; leave it out")
    if len(lists) == 2:
        for i in sorted(picked[lists[0]] & picked[lists[1]]):
            errors.append(f"{id_field} {i} is in both {lists[0]} and {lists[1]}; put it in one "
                          "list")
    return errors


class _Groups:
    """Values grouped by a key's row index (stable: a group keeps the input order).

    ``get(key_id)`` returns ``(values, weights)`` as Python lists (``[]`` for an
    unknown key or one without rows).
    """

    def __init__(self, keys: np.ndarray, values: np.ndarray, weights: np.ndarray | None,
                 vocab: Any) -> None:
        order = np.argsort(keys, kind="stable")
        sorted_keys = keys[order]
        self._bounds = np.searchsorted(sorted_keys, np.arange(len(vocab) + 1))
        self._values = values[order]
        self._weights = weights[order] if weights is not None else None
        self._vocab = vocab

    def get(self, key_id: Any) -> tuple[list[Any], list[Any]]:
        k = int(self._vocab.index([key_id])[0])
        if k < 0:
            return [], []
        lo, hi = self._bounds[k], self._bounds[k + 1]
        weights = self._weights[lo:hi].tolist() if self._weights is not None else []
        return self._values[lo:hi].tolist(), weights


class PseudoInteractions(Task):
    """Build pseudo-interaction requests for cold items and/or cold users.

    - ``train``: the split's train Dataset (training interactions only).
    - ``cold_items`` / ``cold_users``: targets of each direction.
    - ``n_candidates``: candidates per target; ``n_repeats``: orders per target (>= 1).
    - ``seed``: seeds the candidate shuffles.
    - ``attributes`` / ``profiles``: optional generated item attributes / user
      profiles (``to_frame`` outputs) used to describe items and users.
    - ``history_items``: liked items shown per candidate user.
    - ``item_schema`` / ``user_schema``: the schemas (shipped names by default).
    - ``rounds``: rounds of requests for cold users (>= 1; see the module docstring).
      :meth:`work_items` gives the first round; :meth:`next_round` the next task.

    ```python
    task = PseudoInteractions(train, cold_users=users, rounds=3)
    records = []
    while task is not None:
        got = engine.run(task.work_items()).records
        records += got
        task = task.next_round(got)
    ```
    """

    name = NAME
    description = "pseudo-interactions"
    prompt_version = PROMPT_VERSION
    produces = "interactions"
    multi_round = True

    @classmethod
    def for_job(cls, ctx: JobContext) -> PseudoInteractions:
        """Cold items or cold users in seeded order
        (:func:`~augment.tasks.targets.pseudo_targets`), described with the attributes
        and profiles generated before; pick lists bounded by ``n_candidates``."""
        tc = ctx.settings[NAME]
        items, users = pseudo_targets(ctx.split, tc.sample, ctx.seed)
        item_schema, user_schema = pseudo_schemas(tc.n_candidates)
        attributes = ctx.records.get(ItemAttributes.name)
        profiles = ctx.records.get(UserProfiles.name)
        return cls(ctx.split.train, cold_items=items, cold_users=users,
                   item_schema=item_schema, user_schema=user_schema,
                   n_candidates=tc.n_candidates, n_repeats=tc.n_repeats, seed=ctx.seed,
                   attributes=attributes_frame(attributes) if attributes else None,
                   profiles=profiles_frame(profiles) if profiles else None,
                   params=tc.params.as_request_params(), rounds=tc.rounds)

    def later_round_items(self, items: Sequence[WorkItem]) -> list[WorkItem]:
        """The cold-user requests: later rounds ask every cold user again."""
        return [i for i in items if i.meta.get("direction") == "user"]

    def __init__(self, train: Dataset, *, cold_items: Iterable[Any] = (),
                 cold_users: Iterable[Any] = (), n_candidates: int = 30, n_repeats: int = 3,
                 seed: int = 0, attributes: pd.DataFrame | None = None,
                 profiles: pd.DataFrame | None = None, history_items: int = 5,
                 popularity_weight: float = 0.3,
                 item_schema: str | Path | Mapping[str, Any] = "pseudo_interactions_cold_item",
                 user_schema: str | Path | Mapping[str, Any] = "pseudo_interactions_cold_user",
                 params: Mapping[str, Any] | None = None, rounds: int = 1) -> None:
        if n_repeats < 1 or n_candidates < 1:
            raise ConfigError("n_repeats and n_candidates must be >= 1", key="n_repeats")
        if rounds < 1:
            raise ConfigError(f"rounds must be >= 1, got {rounds}", key="rounds")
        self.train = train
        self.cold_items = [py_id(i) for i in cold_items]
        self.cold_users = [py_id(u) for u in cold_users]
        self.n_candidates = n_candidates
        self.n_repeats = n_repeats
        self.seed = seed
        self.history_items = history_items
        self.params = dict(params or {})
        self.rounds = rounds
        self.round = 0
        """This task's round (0 = the first)."""
        self._picked: dict[Any, list[Any]] = {}  # cold user -> positives kept in earlier rounds
        self._shown: dict[Any, set[Any]] = {}  # cold user -> candidates shown in earlier rounds
        self.item_schema = load_task_schema(item_schema)
        self.user_schema = load_task_schema(user_schema)
        self._texts = item_texts(train.items, max_chars=300)
        extra: dict[Any, dict[str, Any]] = {}
        if attributes is not None and len(attributes):
            for row in attributes.to_dict("records"):
                fields = {k: row[k] for k in ("genres", "tags", "summary") if k in row}
                extra[row["item_id"]] = fields
                self._texts.setdefault(row["item_id"], {}).update(
                    {f"generated_{k}": v for k, v in fields.items()})
        self._profiles = ({r["user_id"]: {k: r[k] for k in ("liked_genres", "disliked_genres",
                                                             "themes", "summary") if k in r}
                           for r in profiles.to_dict("records")}
                          if profiles is not None and len(profiles) else {})
        text = item_text_matrix(train, extra=extra)
        self._user_cands = UserCandidates(train, item_text=text) if self.cold_items else None
        self._item_cands = (ItemCandidates(train, item_text=text,
                                           popularity_weight=popularity_weight)
                            if self.cold_users else None)
        inter = train.interactions
        # most recent first (stable: ties keep the log's order; no timestamp: last first)
        if "timestamp" in inter.columns:
            recent = (inter[["timestamp"]].assign(_row=np.arange(len(inter)))
                      .sort_values(["timestamp"], ascending=False, kind="stable")["_row"]
                      .to_numpy())
        else:
            recent = np.arange(len(inter))[::-1]
        # grouped arrays instead of a Python list per user and a set per item (25M
        # interactions would be GBs of objects): a target reads its slice when asked
        self._hist = _Groups(train.user_vocab.index(inter["user_id"])[recent],
                             inter["item_id"].to_numpy()[recent],
                             inter["weight"].to_numpy()[recent], train.user_vocab)
        self._owners = _Groups(train.item_vocab.index(inter["item_id"]),
                               inter["user_id"].to_numpy(), None, train.item_vocab)
        self._cards: dict[Any, dict[str, Any]] = {}
        # redacted once per user / item: a candidate appears in many prompts
        self._sent_users: dict[Any, dict[str, Any]] = {}
        self._sent_items: dict[Any, dict[str, Any]] = {}

    # -- descriptions -----------------------------------------------------------------------
    def _user_card(self, user_id: Any) -> dict[str, Any]:
        card = self._cards.get(user_id)
        if card is not None:
            return card
        card = {"user_id": str(user_id)}
        if user_id in self._profiles:
            card["profile"] = self._profiles[user_id]
        items, weights = self._hist.get(user_id)
        liked: list[str] = []
        for i, w in zip(items, weights, strict=True):
            if len(liked) >= self.history_items:
                break
            if w > 0:
                liked.append(self._texts.get(i, {}).get("title", str(i)))
        card["recently_liked"] = liked
        self._cards[user_id] = card
        return card

    def _sent_user(self, user_id: Any) -> dict[str, Any]:
        """The candidate user's card as a prompt shows it (redacted; built once)."""
        card = self._sent_users.get(user_id)
        if card is None:
            card = self._sent_users[user_id] = redact_value(self._user_card(user_id))
        return card

    def _sent_item(self, item_id: Any) -> dict[str, Any]:
        """The item's card as a prompt shows it (redacted; built once)."""
        card = self._sent_items.get(item_id)
        if card is None:
            card = self._sent_items[item_id] = redact_value(self._item_card(item_id))
        return card

    def _cold_user_card(self, user_id: Any) -> dict[str, Any]:
        """The target user's card: with earlier rounds' picks as ``probably_likes``."""
        card = self._user_card(user_id)
        picked = self._picked.get(user_id)
        if not picked:
            return card
        return {**card, "probably_likes": [self._texts.get(i, {}).get("title", str(i))
                                           for i in picked[:self.history_items]]}

    def _item_card(self, item_id: Any) -> dict[str, Any]:
        fields = self._texts.get(item_id, {})
        keep = {k: v for k, v in fields.items() if k in ("title", "genres", "generated_genres",
                                                          "generated_tags", "year")}
        return {"item_id": str(item_id), **keep}

    def _orders(self, target_index: int, candidates: list[Any]) -> list[list[Any]]:
        rng = np.random.default_rng([self.seed, target_index])
        return [[candidates[j] for j in rng.permutation(len(candidates))]
                for _ in range(self.n_repeats)]

    # -- requests ---------------------------------------------------------------------------
    def work_items(self, only: Collection[Any] | None = None) -> list[WorkItem]:
        """``n_repeats`` work items per cold item and per cold user (shuffled candidates).

        ``only``: the targets to build requests for (the others are skipped); each keeps
        the requests it has in the whole list, so a later full run reuses them."""
        out: list[WorkItem] = []
        for t, item_id in enumerate(self.cold_items if self.round == 0 else ()):
            if only is not None and item_id not in only:
                continue
            assert self._user_cands is not None
            cands = [py_id(u) for u in self._user_cands.candidates(item_id, self.n_candidates)]
            if cands:
                out.extend(self._item_requests(t, item_id, cands))
        for t, user_id in enumerate(self.cold_users):
            if only is not None and user_id not in only:
                continue
            assert self._item_cands is not None
            cands = [py_id(i) for i in self._item_cands.candidates(
                user_id, self.n_candidates, also_liked=self._picked.get(user_id, ()),
                exclude=self._shown.get(user_id, ()))]
            if cands:
                out.extend(self._user_requests(t, user_id, cands))
        return out

    def next_round(self, records: Iterable[Mapping[str, Any]], *, threshold: float = 0.5
                   ) -> PseudoInteractions | None:
        """The task of the next round for cold users, or None after the last round.

        ``records`` are this round's records (others are ignored). Positives kept
        by :func:`~augment.tasks.votes.aggregate_votes` (``threshold``) join each
        user's profile; every candidate shown so far is excluded from the next
        candidates.
        """
        if self.round + 1 >= self.rounds or not self.cold_users:
            return None
        mine = [r for r in records if r.get("direction") == "user"
                and int(r.get("round") or 0) == self.round]
        nxt = copy.copy(self)
        nxt.round = self.round + 1
        nxt._picked = {u: list(v) for u, v in self._picked.items()}
        nxt._shown = {u: set(v) for u, v in self._shown.items()}
        for rec in mine:
            nxt._shown.setdefault(rec["user_id"], set()).update(rec.get("candidates", []))
        votes = aggregate_votes(mine, threshold=threshold)
        positives = votes[votes["label"] > 0]
        for u, i in zip(positives["user_id"], positives["item_id"], strict=True):
            nxt._picked.setdefault(u, []).append(i)
        return nxt

    def _item_requests(self, t: int, item_id: Any, cands: list[Any]) -> list[WorkItem]:
        system = (
            "You predict who will enjoy a new item in a recommender system. From the "
            "candidate users (each described by items they liked), pick those likely to "
            "interact with the item, with a confidence (high, medium or low). Pick only "
            "listed user_ids; leave out users who would not; an empty list is allowed.\n"
            + DATA_RULES)
        # the cold item is new: nobody has it, but check it anyway against each pick's history
        owners = {str(u) for u in self._owners.get(item_id)[0]}
        items = []
        for r, order in enumerate(self._orders(t, cands)):
            # the enum follows the prompt's order: a no-repeat grammar writes picks in it
            schema = with_enum(self.item_schema, _ITEM_PATH, [str(c) for c in order])
            user = ("Which of these users would interact with the item?\n"
                    + data_block({"item": self._sent_item(item_id),
                                  "candidates": [self._sent_user(u) for u in order]},
                                 redacted=True))

            def check(output: Any, _c: list[Any] = order) -> list[str]:
                return check_picks(output, candidates=map(str, _c), history=owners,
                                   lists=("users",), id_field="user_id")

            items.append(make_item(
                key=f"{NAME}:item:{item_id}:r{r}", system=system, user=user, schema=schema,
                schema_name="pseudo_interactions_cold_item", prompt_version=PROMPT_VERSION,
                check=check, params=self.params,
                meta={"task": NAME, "direction": "item", "item_id": item_id, "repeat": r,
                      "candidates": order, "schema_id": schema_id(self.item_schema)}))
        return items

    def _user_requests(self, t: int, user_id: Any, cands: list[Any]) -> list[WorkItem]:
        system = (
            "You predict the taste of a user with a short history in a recommender system. "
            "From the candidate items, pick those the user would like (positives) and those "
            "they would not (negatives), each with a confidence (high, medium or low). Pick "
            "only listed item_ids; an item goes in at most one list; lists may be empty.\n"
            + DATA_RULES)
        history = self._hist.get(user_id)[0]
        items = []
        stream = len(self.cold_items) + t + self.round * (len(self.cold_items)
                                                          + len(self.cold_users))
        tag = f":g{self.round}" if self.round else ""  # round 0 keeps the one-round keys
        for r, order in enumerate(self._orders(stream, cands)):
            schema = self.user_schema  # enums in the prompt's order, as for cold items
            for path in _USER_PATHS:
                schema = with_enum(schema, path, [str(c) for c in order])
            user = ("Which candidate items would this user like, and which not?\n"
                    + data_block({"user": redact_value(self._cold_user_card(user_id)),
                                  "candidates": [self._sent_item(i) for i in order]},
                                 redacted=True))

            def check(output: Any, _c: list[Any] = order) -> list[str]:
                return check_picks(output, candidates=map(str, _c), history=map(str, history),
                                   lists=("positives", "negatives"), id_field="item_id")

            items.append(make_item(
                key=f"{NAME}:user:{user_id}{tag}:r{r}", system=system, user=user,
                schema=schema, schema_name="pseudo_interactions_cold_user",
                prompt_version=PROMPT_VERSION, check=check, params=self.params,
                meta={"task": NAME, "direction": "user", "user_id": user_id, "repeat": r,
                      "round": self.round, "candidates": order,
                      "schema_id": schema_id(self.user_schema)}))
        return items

    # -- records ----------------------------------------------------------------------------
    def to_frame(self, records: Iterable[Mapping[str, Any]], *, threshold: float = 0.5
                 ) -> pd.DataFrame:
        """Aggregated pseudo-interactions (see :func:`~augment.tasks.votes.aggregate_votes`)."""
        return aggregate_votes(records, threshold=threshold)
