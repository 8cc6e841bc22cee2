"""MovieLens ``ml-latest-small``: find it locally or download it, then load it.

Where it looks, in order:

1. ``data_dir`` (the folder holding ``ml-latest-small/``, or that folder itself);
2. ``$AUGMENT_DATA_DIR`` (the folder holding ``ml-latest-small/``);
3. the cache (``cache_dir``, else ``$AUGMENT_CACHE_DIR``, else ``~/.cache/augment``),
   downloading the official GroupLens zip there when it is absent.

A download is checked twice: the zip against ``zip_sha256`` (when known) and every
extracted file against the md5 sums GroupLens publishes (:data:`MOVIELENS_MD5`).
Extraction goes to a temporary folder renamed into place only when every check
passed, so a failed or interrupted download never leaves a folder that looks complete.

Ratings become implicit feedback by a documented rule: a rating ``>= threshold``
is a positive interaction with weight ``weight``; with ``negative_threshold`` set,
a rating ``<= negative_threshold`` is a negative one with weight ``-weight``
(implicit's ALS reads negative values as "disliked"); other ratings are dropped.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import shutil
import tempfile
import urllib.request
import zipfile
from collections.abc import Mapping
from pathlib import Path
from urllib.error import URLError

import numpy as np
import pandas as pd

from augment.data.dataset import Dataset
from augment.data.genres import NO_GENRES
from augment.data.tables import read_table, require_columns
from augment.errors import DataError

__all__ = ["load_movielens", "download_movielens", "find_movielens", "MOVIELENS_URL",
           "MOVIELENS_MD5"]

log = logging.getLogger(__name__)

FOLDER = "ml-latest-small"
MOVIELENS_URL = "https://files.grouplens.org/datasets/movielens/ml-latest-small.zip"
MOVIELENS_MD5: dict[str, str] = {
    "README.txt": "9bc20a696092024abe52696ee6c5837f",
    "links.csv": "316913f95cdad64c745ca22f3630e230",
    "movies.csv": "ed94fab72b62442ef8150d9446e000d6",
    "ratings.csv": "325a6f09399d1c45671f187505e1a100",
    "tags.csv": "1b2d21a7be1cc23d327b11155a4a6aea",
}
"""md5 of every file of ``ml-latest-small/`` as GroupLens distributes it."""
MOVIELENS_ZIP_SHA256: str | None = None
"""sha256 of the official zip, checked when set (the per-file md5s are always checked)."""

_YEAR = re.compile(r"\((\d{4})(?:[-\u2013]\d{0,4})?\)\s*$")


def _digest(path: Path, algo: str) -> str:
    h = hashlib.new(algo)
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _is_complete(folder: Path) -> bool:
    return (folder / "ratings.csv").is_file() and (folder / "movies.csv").is_file()


def find_movielens(data_dir: str | Path | None = None) -> Path | None:
    """The local ``ml-latest-small`` folder from ``data_dir`` or ``$AUGMENT_DATA_DIR``."""
    if data_dir is not None:
        base = Path(data_dir)
        for cand in (base / FOLDER, base):
            if _is_complete(cand):
                return cand
        raise DataError(f"no {FOLDER}/ratings.csv and movies.csv here; pass the folder that "
                        f"holds {FOLDER}/", file=str(base))
    env = os.environ.get("AUGMENT_DATA_DIR")
    if env and _is_complete(Path(env) / FOLDER):
        return Path(env) / FOLDER
    if env:
        log.warning("AUGMENT_DATA_DIR=%s has no %s/; using the cache", env, FOLDER)
    return None


def _cache_dir(cache_dir: str | Path | None) -> Path:
    if cache_dir is not None:
        return Path(cache_dir)
    env = os.environ.get("AUGMENT_CACHE_DIR")
    return Path(env) if env else Path.home() / ".cache" / "augment"


def download_movielens(cache_dir: str | Path | None = None, *, url: str = MOVIELENS_URL,
                       zip_sha256: str | None = MOVIELENS_ZIP_SHA256,
                       md5: Mapping[str, str] = MOVIELENS_MD5, timeout: float = 60.0) -> Path:
    """Download and verify ``ml-latest-small`` into the cache; return its folder.

    Does nothing when the cache already holds a verified copy. Raises
    :class:`~augment.errors.DataError` when the download fails or a checksum differs.
    """
    cache = _cache_dir(cache_dir)
    target = cache / FOLDER
    if _is_complete(target):
        return target
    cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache, prefix=".download-") as tmp:
        zpath = Path(tmp) / f"{FOLDER}.zip"
        log.info("downloading %s", url)
        try:
            with urllib.request.urlopen(url, timeout=timeout) as resp, zpath.open("wb") as out:
                shutil.copyfileobj(resp, out)
        except (URLError, OSError, ValueError) as e:
            raise DataError(f"cannot download {url} ({e}); download it by hand and set "
                            f"AUGMENT_DATA_DIR to the folder holding {FOLDER}/") from e
        if zip_sha256 is not None and _digest(zpath, "sha256") != zip_sha256.lower():
            raise DataError(f"sha256 of the download from {url} differs from the expected "
                            f"{zip_sha256}; the file is corrupt or changed, retry or download "
                            "it by hand", file=str(zpath))
        out_dir = Path(tmp) / "extract"
        try:
            with zipfile.ZipFile(zpath) as zf:
                zf.extractall(out_dir)
        except zipfile.BadZipFile as e:
            raise DataError(f"the download from {url} is not a zip file; retry",
                            file=str(zpath)) from e
        extracted = out_dir / FOLDER
        for name, expected in md5.items():
            path = extracted / name
            if not path.is_file():
                raise DataError(f"the zip from {url} lacks {FOLDER}/{name}", file=str(zpath))
            if _digest(path, "md5") != expected:
                raise DataError(f"md5 of {FOLDER}/{name} differs from the published {expected}; "
                                "the download is corrupt or changed, retry", file=str(path))
        if not _is_complete(target):
            extracted.rename(target)
    log.info("MovieLens ready in %s", target)
    return target


def _items(folder: Path) -> pd.DataFrame:
    movies_file = folder / "movies.csv"
    movies = read_table(movies_file)
    require_columns(movies, ["movieId", "title", "genres"], file=str(movies_file))
    items = pd.DataFrame({
        "item_id": movies["movieId"].astype("int64"),
        "title": movies["title"].astype(str).str.strip(),
        "genres": movies["genres"].astype(str).replace(NO_GENRES, ""),
    })
    tags_file = folder / "tags.csv"
    if tags_file.is_file():
        tags = read_table(tags_file)
        require_columns(tags, ["movieId", "tag"], file=str(tags_file))
        tags = tags.dropna(subset=["tag"])
        tags = tags.assign(tag=tags["tag"].astype(str).str.strip())
        tags = tags[tags["tag"] != ""].drop_duplicates(subset=["movieId", "tag"])
        joined = tags.groupby("movieId", sort=False)["tag"].agg(";".join)
        items["tags"] = items["item_id"].map(joined).fillna("").astype(str)
    else:
        items["tags"] = ""
    year = items["title"].str.extract(_YEAR, expand=False)
    items["year"] = pd.to_numeric(year, errors="coerce").astype("Int64")
    return items


def load_movielens(data_dir: str | Path | None = None, *, threshold: float = 3.5,
                   weight: float = 1.0, negative_threshold: float | None = None,
                   cache_dir: str | Path | None = None, url: str = MOVIELENS_URL) -> Dataset:
    """MovieLens ``ml-latest-small`` as an implicit-feedback :class:`Dataset`.

    Interactions: ``user_id``, ``item_id`` (movieId), ``weight`` (``weight`` for a
    rating ``>= threshold``; ``-weight`` for a rating ``<= negative_threshold``
    when given; other ratings dropped), ``timestamp`` (unix seconds), ``rating``.
    Items: every movie, with ``item_id``, ``title``, ``genres`` (``|``-separated,
    empty when none is listed), ``tags`` (the users' tags, ``;``-joined) and
    ``year`` (from the title; missing when absent).
    """
    folder = find_movielens(data_dir)
    if folder is None:
        folder = download_movielens(cache_dir, url=url)
    ratings_file = folder / "ratings.csv"
    ratings = read_table(ratings_file)
    require_columns(ratings, ["userId", "movieId", "rating", "timestamp"], file=str(ratings_file))
    rating = ratings["rating"].to_numpy(dtype=float)
    w = np.where(rating >= threshold, float(weight), np.nan)
    if negative_threshold is not None:
        if negative_threshold >= threshold:
            raise DataError(f"negative_threshold ({negative_threshold}) must be below threshold "
                            f"({threshold})")
        w = np.where(rating <= negative_threshold, -float(weight), w)
    keep = ~np.isnan(w)
    interactions = pd.DataFrame({
        "user_id": ratings["userId"].to_numpy(dtype="int64")[keep],
        "item_id": ratings["movieId"].to_numpy(dtype="int64")[keep],
        "weight": w[keep],
        "timestamp": ratings["timestamp"].to_numpy(dtype="int64")[keep],
        "rating": rating[keep],
    })
    log.info("MovieLens: kept %d of %d ratings", int(keep.sum()), len(ratings))
    return Dataset(interactions=interactions, items=_items(folder), name="movielens-small")
