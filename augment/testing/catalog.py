"""Large synthetic catalogs for scale benchmarks and tests: seeded, vectorised, with signal.

:func:`synthetic_catalog` draws a users x items interaction log of a given size with
the shape of real logs and a structure a recommender (and a simulated LLM) can find:

- **power-law popularity and activity**: item ``r``-th most popular has weight
  ``r ** -popularity_exponent``; users' activity follows the same law with
  ``activity_exponent`` (every user has at least ``min_per_user`` interactions);
- **latent clusters**: every user and item belongs to one of ``n_clusters``; a user's
  interaction falls in their own cluster with probability ``own_share`` (else anywhere),
  and within a cluster items are drawn by popularity;
- **item text**: a title made of cluster-specific words (so TF-IDF retrieval finds the
  cluster), a year, and two MovieLens genres (the cluster's), ``|``-separated.

Sizes default to the shape of MovieLens 25M scaled down: 162,000 users and 62,000 items
at 25,000,000 interactions, ``(n / 25M) ** 0.7`` of each below. Every step is NumPy on
whole arrays (a few rounds of sampling and de-duplication), never a Python loop over
interactions, so 25M interactions take about a minute and under 2 GiB.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from augment.data.dataset import Dataset
from augment.errors import ConfigError

__all__ = ["SyntheticCatalog", "synthetic_catalog", "catalog_shape", "ML25M_SHAPE"]

ML25M_SHAPE = (162_000, 62_000, 25_000_000)
"""(users, items, interactions) of MovieLens 25M, the top of the scale benchmark."""

GENRES = ("Action", "Adventure", "Animation", "Children", "Comedy", "Crime", "Documentary",
          "Drama", "Fantasy", "Film-Noir", "Horror", "IMAX", "Musical", "Mystery", "Romance",
          "Sci-Fi", "Thriller", "War", "Western")
_MODEL_ROUNDS = 4
"""Rounds of draws from the cluster/popularity model; later rounds fill heavy users'
remaining pairs uniformly (their popular items are taken by then)."""
_ADJECTIVES = np.array(["silent", "broken", "golden", "last", "hidden", "wild", "dark", "lost",
                        "bright", "cold", "secret", "final", "little", "great", "red", "blue"])
_SYLLABLES = np.array(["ka", "lo", "mi", "ru", "ta", "ne", "so", "vi", "da", "pe", "zu", "ro",
                       "fa", "gi", "ho", "xe"])


@dataclass(frozen=True)
class SyntheticCatalog:
    """A generated dataset and its known structure."""

    dataset: Dataset
    """``interactions`` (user_id, item_id int64; weight 1.0; timestamp int64), ``items``
    (item_id, title, genres, year) and ``users`` (user_id)."""
    user_cluster: np.ndarray
    """Cluster of user id ``u`` at index ``u - 1``."""
    item_cluster: np.ndarray
    """Cluster of item id ``i`` at index ``i - 1``."""


def catalog_shape(n_interactions: int, exponent: float = 0.7) -> tuple[int, int]:
    """``(n_users, n_items)`` for a catalog of ``n_interactions``: MovieLens 25M's shape
    scaled by ``(n_interactions / 25M) ** exponent`` (at least 50 users and 50 items)."""
    users, items, total = ML25M_SHAPE
    f = (n_interactions / total) ** exponent
    return max(50, round(users * f)), max(50, round(items * f))


def _power_law(rng: np.random.Generator, n: int, exponent: float) -> np.ndarray:
    """Weights ``rank ** -exponent`` in a random order, summing to 1."""
    w = np.arange(1, n + 1, dtype=np.float64) ** -exponent
    w = rng.permutation(w)
    return w / w.sum()


def _activity(rng: np.random.Generator, n_users: int, n_items: int, total: int,
              exponent: float, minimum: int) -> np.ndarray:
    """Interactions per user: ``minimum + lam * w_u`` for power-law weights ``w``, capped
    at a quarter of the catalog, with ``lam`` found by bisection so the counts sum
    exactly to ``total`` (the rounding remainder goes to the largest fractions)."""
    cap = max(minimum, n_items // 4)
    if n_users * cap < total or n_users * minimum > total:
        raise ConfigError(f"{total} interactions do not fit {n_users} users x {n_items} items "
                          f"with {minimum} to a quarter of the catalog each; change the users "
                          "or items", key="n_users")
    w = _power_law(rng, n_users, exponent)

    def fill(lam: float) -> np.ndarray:
        return np.minimum(minimum + lam * w, cap)

    lo, hi = 0.0, float(total) / w.min()
    for _ in range(200):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if fill(mid).sum() < total else (lo, mid)
    exact = fill(lo)
    counts = np.floor(exact).astype(np.int64)
    short = total - int(counts.sum())
    frac = np.where(counts < cap, exact - counts, -1.0)
    counts[np.argsort(-frac, kind="stable")[:short]] += 1
    return counts


def _sorted_unique(keys: np.ndarray) -> np.ndarray:
    """``np.unique`` by a stable sort, which merges the sorted keys kept from earlier rounds
    with the new ones in about linear time (NumPy 2's hash-based unique is far slower)."""
    keys = np.sort(keys, kind="stable")
    return keys[np.concatenate([[True], keys[1:] != keys[:-1]])] if len(keys) else keys


def _draw_items(rng: np.random.Generator, clusters: np.ndarray, cum: np.ndarray,
                order: np.ndarray) -> np.ndarray:
    """One item per entry of ``clusters``, by popularity within that cluster.

    ``cum`` is the cumulative within-cluster popularity of the items sorted by cluster
    (``order``), shifted so that cluster ``c`` spans ``(c, c + 1]``.
    """
    pos = np.searchsorted(cum, clusters + rng.random(len(clusters)), side="left")
    return order[np.minimum(pos, len(order) - 1)]


def synthetic_catalog(n_interactions: int, *, n_users: int | None = None,
                      n_items: int | None = None, n_clusters: int = 20,
                      own_share: float = 0.8, popularity_exponent: float = 0.9,
                      activity_exponent: float = 0.8, min_per_user: int = 8,
                      seed: int = 0) -> SyntheticCatalog:
    """A seeded catalog of exactly ``n_interactions`` distinct (user, item) pairs.

    ``n_users`` / ``n_items`` default to :func:`catalog_shape`. The same arguments give
    the same catalog. See the module docstring for the model.
    """
    if n_interactions < 1:
        raise ConfigError(f"n_interactions must be >= 1, got {n_interactions}",
                          key="n_interactions")
    if not 0.0 <= own_share <= 1.0 or n_clusters < 1:
        raise ConfigError("own_share must be within [0, 1] and n_clusters >= 1",
                          key="own_share")
    du, di = catalog_shape(n_interactions)
    n_users, n_items = n_users or du, n_items or di
    rng = np.random.default_rng(seed)
    item_cluster = rng.integers(0, n_clusters, n_items)
    user_cluster = rng.integers(0, n_clusters, n_users)
    popularity = _power_law(rng, n_items, popularity_exponent)
    order = np.lexsort((np.arange(n_items), item_cluster))
    mass = np.bincount(item_cluster, weights=popularity, minlength=n_clusters)
    sorted_cl = item_cluster[order]
    within = np.cumsum(popularity[order])
    start = np.concatenate([[0.0], np.cumsum(mass)[:-1]])
    cum = sorted_cl + (within - start[sorted_cl]) / np.maximum(mass[sorted_cl], 1e-300)
    counts = _activity(rng, n_users, n_items, n_interactions, activity_exponent, min_per_user)

    users = np.zeros(0, dtype=np.int64)
    items = np.zeros(0, dtype=np.int64)
    need = counts.copy()
    for rounds in range(60):  # draw what is missing, drop repeated pairs, until all are full
        if not need.any():
            break
        u = np.repeat(np.arange(n_users, dtype=np.int64), need)
        if rounds < _MODEL_ROUNDS:
            own = rng.random(len(u)) < own_share
            cl = np.where(own, user_cluster[u],
                          rng.choice(n_clusters, size=len(u), p=mass / mass.sum()))
            drawn = _draw_items(rng, cl, cum, order)
        else:  # the few pairs heavy users still lack: uniform over the catalog
            drawn = rng.integers(0, n_items, len(u))
        # a user never has more than ``counts`` (only ``need`` is drawn, repeats drop out)
        keys = _sorted_unique(np.concatenate([users * n_items + items, u * n_items + drawn]))
        users, items = keys // n_items, keys % n_items
        need = counts - np.bincount(users, minlength=n_users)
    else:
        raise ConfigError("could not draw enough distinct pairs; add items", key="n_items")
    # shuffle each user's items (keys came sorted by item) and stamp them in that order
    perm = np.lexsort((rng.random(len(users)), users))
    users, items = users[perm], items[perm]
    interactions = pd.DataFrame({
        "user_id": users + 1, "item_id": items + 1,
        "weight": np.ones(len(users), dtype=np.float64),
        "timestamp": 1_000_000_000 + rng.integers(0, 10**8, len(users)).cumsum() // 10**4})
    return SyntheticCatalog(
        dataset=Dataset(interactions=interactions, items=_items_table(rng, item_cluster),
                        users=pd.DataFrame({"user_id": np.arange(1, n_users + 1)}),
                        name=f"synthetic-{n_interactions}"),
        user_cluster=user_cluster, item_cluster=item_cluster)


def _items_table(rng: np.random.Generator, item_cluster: np.ndarray) -> pd.DataFrame:
    """Titles of an adjective and two cluster words, a year, the cluster's two genres."""
    n, n_clusters = len(item_cluster), int(item_cluster.max()) + 1
    # each cluster owns 4 invented words (two syllables each) and two genres
    words = pd.Series(_SYLLABLES[rng.integers(0, len(_SYLLABLES), (n_clusters * 4, 2))]
                      .astype(object).sum(axis=1))
    pick = item_cluster * 4 + rng.integers(0, 4, (2, n))
    genre = rng.permutation(np.repeat(np.arange(len(GENRES)),
                                      -(-2 * n_clusters // len(GENRES))))[:2 * n_clusters]
    genre = genre.reshape(n_clusters, 2)
    same = genre[:, 0] == genre[:, 1]
    genre[same, 1] = (genre[same, 1] + 1) % len(GENRES)
    names = np.array(GENRES, dtype=object)
    year = rng.integers(1950, 2024, n)
    title = (pd.Series(_ADJECTIVES[rng.integers(0, len(_ADJECTIVES), n)]).str.title() + " "
             + words.to_numpy()[pick[0]] + " " + words.to_numpy()[pick[1]]
             + " (" + pd.Series(year).astype(str) + ")")
    return pd.DataFrame({
        "item_id": np.arange(1, n + 1, dtype=np.int64), "title": title,
        "genres": names[genre[item_cluster, 0]] + "|" + names[genre[item_cluster, 1]],
        "year": year})
