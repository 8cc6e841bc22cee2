"""Event logs in the shape real shops have, for examples, tests and benchmarks.

:func:`movielens_event_log` turns MovieLens ratings into an e-commerce log:
``customer_id``, ``sku``, ``event_type`` (``view`` / ``cart`` / ``purchase``), ``ts``
(unix seconds), with repeated (customer, sku) pairs, double-click repeats a second
apart, and a catalog with a private column (``supplier_email``) that must never
reach a prompt. :func:`write_synthetic_event_log` writes a large log as Parquet
parts without holding it in memory (the 10M-row benchmark).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from augment.data.dataset import Dataset

__all__ = ["movielens_event_log", "write_example_shop", "write_synthetic_event_log",
           "EVENT_WEIGHTS"]

EVENT_WEIGHTS = {"view": 1.0, "cart": 3.0, "purchase": 5.0}
"""The weights the worked example maps event types to."""


def movielens_event_log(ratings: Dataset | None = None, *, seed: int = 0,
                        data_dir: str | Path | None = None, max_users: int | None = None
                        ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(events, items)`` from MovieLens ratings (every rating, read from ``ratings`` or
    ``load_movielens(data_dir, threshold=0)``).

    Per rating ``r`` at time ``t``: 1-4 views in the two days before ``t`` (a third of
    customers double-click: a second view one second after the first); a cart with
    probability ``(r - 2.5) / 2.5`` (none below 2.5); for a carted item, a purchase with
    probability 0.7 when ``r >= 4``. Ids become ``c<userId>`` and ``sku-<movieId>``.
    Items: ``sku``, ``name`` (the title), ``genres``, ``tags``, ``supplier_email``
    (made-up addresses: the private column of the worked example). Seeded.
    """
    if ratings is None:
        from augment.data.movielens import load_movielens

        ratings = load_movielens(data_dir, threshold=0.0)
    rng = np.random.default_rng(seed)
    inter = ratings.interactions
    if max_users is not None:
        keep = pd.unique(inter["user_id"])[:max_users]
        inter = inter[inter["user_id"].isin(keep)]
    rating = inter["rating"].to_numpy(dtype=float) if "rating" in inter else np.full(
        len(inter), 4.0)
    t = inter["timestamp"].to_numpy(dtype=np.int64)
    users = inter["user_id"].to_numpy()
    items = inter["item_id"].to_numpy()
    n = len(inter)
    views = rng.integers(1, 5, n)
    idx = np.repeat(np.arange(n), views)
    view_ts = t[idx] - rng.integers(60, 2 * 86_400, len(idx))
    double = np.isin(users, pd.unique(users)[rng.random(len(pd.unique(users))) < 1 / 3])
    first_view = np.flatnonzero(double[idx] & (np.diff(np.r_[-1, idx]) != 0))
    carted = rng.random(n) < np.clip((rating - 2.5) / 2.5, 0, 1)
    bought = carted & (rating >= 4) & (rng.random(n) < 0.7)
    parts = [(idx, view_ts, "view"), (idx[first_view], view_ts[first_view] + 1, "view"),
             (np.flatnonzero(carted), t[carted] - 30, "cart"),
             (np.flatnonzero(bought), t[bought], "purchase")]
    events = pd.concat([pd.DataFrame({"customer_id": [f"c{u}" for u in users[rows]],
                                      "sku": [f"sku-{i}" for i in items[rows]],
                                      "event_type": kind, "ts": ts.astype(np.int64)})
                        for rows, ts, kind in parts], ignore_index=True)
    events = events.sort_values(["ts", "customer_id", "sku", "event_type"], kind="stable")
    catalog = ratings.items
    items_df = pd.DataFrame({
        "sku": [f"sku-{i}" for i in catalog["item_id"]],
        "name": catalog["title"].astype(str) if "title" in catalog else "",
        "genres": catalog["genres"].astype(str) if "genres" in catalog else "",
        "tags": catalog["tags"].astype(str) if "tags" in catalog else "",
        "supplier_email": [f"supplier{int(j) % 97}@example.com" for j in range(len(catalog))],
    })
    return events.reset_index(drop=True), items_df


def write_example_shop(folder: str | Path, ratings: Dataset | None = None, *, seed: int = 0,
                       data_dir: str | Path | None = None, part_rows: int = 50_000
                       ) -> dict[str, Path]:
    """The worked example's files in ``folder``: ``events/part-*.parquet`` (the
    :func:`movielens_event_log` log in parts), ``items.csv`` (the catalog) and ``shop.db``
    (SQLite with tables ``events`` and ``products``: the same data, for SQL jobs).
    Existing files are replaced. Returns the paths by name."""
    import sqlite3

    folder = Path(folder)
    events, items = movielens_event_log(ratings, seed=seed, data_dir=data_dir)
    parts = folder / "events"
    parts.mkdir(parents=True, exist_ok=True)
    for old in parts.glob("*.parquet"):
        old.unlink()
    for k, start in enumerate(range(0, len(events), part_rows)):
        events.iloc[start:start + part_rows].to_parquet(parts / f"part-{k:05d}.parquet",
                                                        index=False)
    items.to_csv(folder / "items.csv", index=False)
    db = folder / "shop.db"
    db.unlink(missing_ok=True)
    with sqlite3.connect(db) as con:
        events.to_sql("events", con, index=False)
        items.to_sql("products", con, index=False)
    con.close()
    return {"events": parts, "items": folder / "items.csv", "database": db}


def write_synthetic_event_log(folder: str | Path, n_rows: int, *, n_users: int = 200_000,
                              n_items: int = 50_000, seed: int = 0,
                              part_rows: int = 1_000_000) -> list[Path]:
    """Write an ``n_rows`` event log as Parquet parts ``part-00000.parquet``, ... in
    ``folder``: ``customer_id`` (int64, Zipf-like activity), ``sku`` (int64, popularity
    skewed), ``event_type`` (view 80%, cart 15%, purchase 5%), ``ts`` (int64 seconds).
    Only one part is in memory at a time. Returns the part paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    user_p = 1.0 / np.arange(1, n_users + 1) ** 0.8
    item_p = 1.0 / np.arange(1, n_items + 1) ** 0.9
    user_p, item_p = user_p / user_p.sum(), item_p / item_p.sum()
    kinds = np.array(["view", "cart", "purchase"])
    paths: list[Path] = []
    written = 0
    while written < n_rows:
        m = min(part_rows, n_rows - written)
        frame = pd.DataFrame({
            "customer_id": rng.choice(n_users, m, p=user_p).astype(np.int64),
            "sku": rng.choice(n_items, m, p=item_p).astype(np.int64),
            "event_type": kinds[rng.choice(3, m, p=[0.8, 0.15, 0.05])],
            "ts": (1_600_000_000 + written + np.arange(m)).astype(np.int64),
        })
        path = folder / f"part-{len(paths):05d}.parquet"
        frame.to_parquet(path, index=False)
        paths.append(path)
        written += m
    return paths
