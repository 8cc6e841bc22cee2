"""Cold-start splits: item-cold (ColdRec protocol) and user-cold. Seeded and leak-free.

``item-cold``
    20% of the items that have interactions become *cold*: every interaction of
    a cold item leaves training; the cold items are split 50/50 by item into
    validation and test (segment ``"cold"``). The warm interactions are split
    8:1:1 at random into train / validation / test (segment ``"warm"``).

``user-cold``
    20% of the users with more than ``k`` interactions are held out (*cold*):
    each keeps only ``k`` interactions in training (the earliest by
    ``timestamp`` when there is one, else ``k`` at random); the rest of their
    interactions go to validation or test, 50/50 by user (segment ``"cold"``).
    The other users' interactions are split 8:1:1 (segment ``"warm"``).
    With ``folds=K`` (K-fold over users): the users with more than ``k``
    interactions are dealt into K folds (seeded); fold ``fold`` gives the cold
    *test* users and fold ``fold + 1`` (mod K) the cold *validation* users, so
    over ``fold = 0 .. K-1`` every eligible user is a cold test user exactly once
    (K = 10: 10% test and 10% validation users per fold, ``cold_fraction`` unused).

:func:`hold_out_users` removes a "world" group of users before any split (what a
simulated web-knowledge model may learn from; none of them is trained, validated
or scored).

``Split.train`` keeps the full items and users tables, so its vocabularies equal
those of ``Split.dataset``: row indices mean the same thing everywhere.

``Split.known`` (default None) holds held-out interactions that something other
than training knows, e.g. the half of the truth a simulated model answers from
(:func:`augment.testing.simulated.oracle_split`). Like training items they are
excluded from every model's ranking and never scored: the *fold-in* protocol of
strong-generalisation evaluation (Liang et al., 2018), where a held-out user's
fold-in items are given and the rest are ranked among the items not given.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import scipy.sparse as sparse

from augment.data.dataset import Dataset
from augment.errors import ConfigError, DataError

__all__ = ["Split", "split", "hold_out_users", "SPLIT_KINDS"]

SPLIT_KINDS = ("item-cold", "user-cold")


@dataclass(frozen=True)
class Split:
    """A dataset cut into training, validation and test parts."""

    kind: str
    """``"item-cold"`` or ``"user-cold"``."""
    seed: int
    """The seed that produced this split."""
    dataset: Dataset
    """The full dataset."""
    train: Dataset
    """Training interactions only; items/users tables (and vocabularies) of the full dataset."""
    valid: pd.DataFrame
    """Validation interactions with a ``segment`` column (``"warm"`` / ``"cold"``)."""
    test: pd.DataFrame
    """Test interactions with a ``segment`` column (``"warm"`` / ``"cold"``)."""
    cold_items: frozenset
    """Ids of the held-out items (empty for user-cold)."""
    cold_users: frozenset
    """Ids of the held-out users (empty for item-cold)."""
    fold: int | None = None
    """The user fold of a K-fold user-cold split (None: not a fold split)."""
    known: pd.DataFrame | None = None
    """Held-out interactions known outside training (``user_id``, ``item_id``): excluded
    from every ranking like training items, never in ``valid``/``test``. None: none."""

    def seen_matrix(self) -> sparse.csr_matrix:
        """Users x items CSR matrix, nonzero where a pair is excluded from rankings:
        the training interactions (any weight) and :attr:`known`."""
        seen = self.train.matrix().tocsr()
        if self.known is None or len(self.known) == 0:
            return seen
        u = self.dataset.user_vocab.index(self.known["user_id"])
        i = self.dataset.item_vocab.index(self.known["item_id"])
        ok = (u >= 0) & (i >= 0)
        extra = sparse.csr_matrix((np.ones(int(ok.sum()), dtype=seen.dtype), (u[ok], i[ok])),
                                  shape=seen.shape)
        out = (abs(seen) + extra).tocsr()
        out.eliminate_zeros()  # a training pair whose weights sum to 0 stays rankable
        out.data[:] = 1
        return out

    @property
    def warm_items(self) -> frozenset:
        """Items with interactions in the full dataset that are not cold."""
        return frozenset(pd.unique(self.dataset.interactions["item_id"])) - self.cold_items

    def __repr__(self) -> str:
        return (f"Split({self.kind!r}, seed={self.seed}: train={len(self.train.interactions)}, "
                f"valid={len(self.valid)}, test={len(self.test)}, "
                f"cold_items={len(self.cold_items)}, cold_users={len(self.cold_users)}"
                + (f", known={len(self.known)}" if self.known is not None else "") + ")")


def _three_way(n: int, rng: np.random.Generator, ratios=(0.8, 0.1, 0.1)) -> np.ndarray:
    """Assign n rows to parts 0/1/2 in the given proportions (exact counts, random order)."""
    n_valid = int(round(n * ratios[1]))
    n_test = int(round(n * ratios[2]))
    part = np.zeros(n, dtype=np.int8)
    part[:n_valid] = 1
    part[n_valid:n_valid + n_test] = 2
    return rng.permutation(part)


def _halves(ids: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    ids = rng.permutation(ids)
    half = len(ids) // 2
    return ids[:half], ids[half:]


def _frame(df: pd.DataFrame, segment: str) -> pd.DataFrame:
    return df.assign(segment=segment)


def _item_cold(ds: Dataset, rng: np.random.Generator, frac: float):
    inter = ds.interactions
    codes, uniques = pd.factorize(inter["item_id"])  # one hash pass; the rest reads codes
    items = pd.Index(uniques).sort_values().to_numpy()
    n_cold = int(math.floor(len(items) * frac + 0.5))
    if n_cold < 2 or n_cold >= len(items):
        raise DataError(f"item-cold needs more items: {len(items)} items with interactions "
                        f"give {n_cold} cold items (need 2 or more and some warm ones)")
    cold = rng.choice(items, size=n_cold, replace=False)
    valid_items, test_items = _halves(np.sort(cold), rng)
    # per distinct item: 0 warm, 1 cold validation, 2 cold test
    kind = pd.Series(np.zeros(len(uniques), dtype=np.int8), index=pd.Index(uniques))
    kind[valid_items], kind[test_items] = 1, 2
    row_kind = kind.to_numpy()[codes]
    warm_rows = np.flatnonzero(row_kind == 0)
    part = _three_way(len(warm_rows), rng)
    # each part taken from ``inter`` once, by row positions (ascending: the log's order)
    cold_valid = np.flatnonzero(row_kind == 1)
    cold_test = np.flatnonzero(row_kind == 2)
    valid = _segments(inter, warm_rows[part == 1], cold_valid)
    test = _segments(inter, warm_rows[part == 2], cold_test)
    return (inter.iloc[warm_rows[part == 0]], valid, test, frozenset(cold.tolist()),
            frozenset())


def _segments(inter: pd.DataFrame, warm: np.ndarray, cold: np.ndarray) -> pd.DataFrame:
    """The rows at positions ``warm`` then ``cold``, with ``segment`` "warm" / "cold" (one
    take of ``inter``: the same frame as concatenating the two parts)."""
    segment = pa.concat_arrays([pa.repeat("warm", len(warm)), pa.repeat("cold", len(cold))])
    return inter.iloc[np.concatenate([warm, cold])].assign(
        segment=pd.array(segment, dtype=pd.Series(["warm"]).dtype))


def _user_folds(eligible: np.ndarray, rng: np.random.Generator, folds: int, fold: int
                ) -> tuple[np.ndarray, np.ndarray]:
    """(validation users, test users) of ``fold``: folds ``fold + 1`` and ``fold``."""
    if len(eligible) < 2 * folds:
        raise DataError(f"user-cold with {folds} folds needs at least {2 * folds} users with "
                        f"more than k interactions; {len(eligible)} qualify")
    dealt = rng.permutation(np.sort(eligible))
    parts = np.array_split(dealt, folds)
    return np.sort(parts[(fold + 1) % folds]), np.sort(parts[fold])


def _user_cold(ds: Dataset, rng: np.random.Generator, frac: float, k: int,
               folds: int | None = None, fold: int = 0):
    inter = ds.interactions
    counts = inter.groupby("user_id", sort=True).size()
    eligible = counts.index[counts > k].to_numpy()
    if folds is not None:
        valid_users, test_users = _user_folds(eligible, rng, folds, fold)
        cold = np.concatenate([valid_users, test_users])
    else:
        n_cold = int(math.floor(len(counts) * frac + 0.5))
        if n_cold < 2 or n_cold > len(eligible):
            raise DataError(f"user-cold needs more users with more than k={k} interactions: "
                            f"{len(eligible)} of {len(counts)} users qualify, {n_cold} are "
                            "needed")
        cold = rng.choice(eligible, size=n_cold, replace=False)
        valid_users, test_users = _halves(np.sort(cold), rng)
    is_cold = inter["user_id"].isin(cold).to_numpy()
    cold_df = inter[is_cold]
    # order each cold user's rows: by timestamp when present, else at random
    key = rng.random(len(cold_df))
    order = cold_df.assign(_key=key)
    sort_by = ["user_id", "timestamp", "_key"] if "timestamp" in inter.columns else ["user_id",
                                                                                       "_key"]
    order = order.sort_values(sort_by, kind="stable")
    kept = order.groupby("user_id", sort=False).cumcount().to_numpy() < k
    cold_train = order[kept].drop(columns="_key")
    rest = order[~kept].drop(columns="_key")
    warm = inter[~is_cold]
    part = _three_way(len(warm), rng)
    train = pd.concat([warm[part == 0], cold_train])
    valid = pd.concat([_frame(warm[part == 1], "warm"),
                       _frame(rest[rest["user_id"].isin(valid_users)], "cold")])
    test = pd.concat([_frame(warm[part == 2], "warm"),
                      _frame(rest[rest["user_id"].isin(test_users)], "cold")])
    return train, valid, test, frozenset(), frozenset(cold.tolist())


def split(dataset: Dataset, kind: str = "item-cold", *, seed: int = 0, cold_fraction: float = 0.2,
          k: int = 3, folds: int | None = None, fold: int = 0) -> Split:
    """Split ``dataset`` for a cold-start protocol (see the module docstring).

    ``kind`` is ``"item-cold"`` or ``"user-cold"``; ``cold_fraction`` the share of
    items (or users) held out; ``k`` the interactions a cold user keeps in
    training; ``folds``/``fold`` (user-cold only) the K-fold over users. The same
    seed (and fold) gives the same split.
    """
    if folds is not None:
        if kind != "user-cold":
            raise ConfigError("folds apply to user-cold splits only", key="folds")
        if folds < 2 or not 0 <= fold < folds:
            raise ConfigError(f"need folds >= 2 and 0 <= fold < folds, got folds={folds}, "
                              f"fold={fold}", key="fold")
    if kind not in SPLIT_KINDS:
        raise ConfigError(f"unknown split '{kind}'; use one of {', '.join(SPLIT_KINDS)}",
                          key="split")
    if not 0 < cold_fraction < 1:
        raise ConfigError(f"cold_fraction must be between 0 and 1, got {cold_fraction}",
                          key="cold_fraction")
    if k < 0:
        raise ConfigError(f"k must be >= 0, got {k}", key="k")
    rng = np.random.default_rng(seed)
    if kind == "item-cold":
        parts = _item_cold(dataset, rng, cold_fraction)
    else:
        parts = _user_cold(dataset, rng, cold_fraction, k, folds, fold)
    train_df, valid, test, cold_items, cold_users = parts
    users = dataset.users
    if users is None:
        users = pd.DataFrame({"user_id": pd.unique(dataset.interactions["user_id"])})
    train = dataset.replace(interactions=train_df.reset_index(drop=True), users=users,
                            name=f"{dataset.name}[{kind} train]")
    return Split(kind=kind, seed=seed, dataset=dataset, train=train,
                 valid=valid.reset_index(drop=True), test=test.reset_index(drop=True),
                 cold_items=cold_items, cold_users=cold_users,
                 fold=fold if folds is not None else None)


def hold_out_users(dataset: Dataset, share: float, *, seed: int = 0
                   ) -> tuple[Dataset, pd.DataFrame]:
    """``(platform dataset, world interactions)``: a random ``share`` of the users with
    interactions (seeded) and all their interactions leave the dataset.

    The platform dataset keeps the items table whole and only the other users; the
    world interactions belong to users none of whom is in the platform dataset, so
    nothing learned from them can carry a platform user's interaction.
    """
    if not 0 < share < 1:
        raise ConfigError(f"the world share must be between 0 and 1, got {share}",
                          key="world_share")
    inter = dataset.interactions
    users = np.sort(pd.unique(inter["user_id"]))
    n_world = int(math.floor(len(users) * share + 0.5))
    if n_world < 1 or n_world >= len(users):
        raise DataError(f"a world share of {share} of {len(users)} users leaves no world or "
                        "no platform users")
    rng = np.random.default_rng([seed, 0x3051D])
    world = set(rng.choice(users, size=n_world, replace=False).tolist())
    is_world = inter["user_id"].isin(world).to_numpy()
    platform_users = (None if dataset.users is None else
                      dataset.users[~dataset.users["user_id"].isin(world)].reset_index(drop=True))
    platform = dataset.replace(interactions=inter[~is_world].reset_index(drop=True),
                               users=platform_users, name=f"{dataset.name}[platform]")
    return platform, inter[is_world].reset_index(drop=True)
