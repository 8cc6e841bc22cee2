"""MovieLens: the loader on the real folder (realdata) and the download path on local zips."""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

import pytest

from augment.data import download_movielens, load_movielens
from augment.data.movielens import MOVIELENS_MD5
from augment.errors import DataError

MOVIES = ("movieId,title,genres\n1,Toy Story (1995),Adventure|Animation\n"
          "2,Nothing (no year),(no genres listed)\n3,\"Thing, The (1982)\",Horror\n")
RATINGS = ("userId,movieId,rating,timestamp\n1,1,4.0,10\n1,2,3.0,11\n1,3,1.0,12\n"
           "2,1,3.5,13\n2,3,5.0,14\n")
TAGS = "userId,movieId,tag,timestamp\n1,1,pixar,1\n2,1,fun,2\n2,1,pixar,3\n"
FILES = {"movies.csv": MOVIES, "ratings.csv": RATINGS, "tags.csv": TAGS}


def _md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()


def _zip(tmp_path: Path, files: dict[str, str]) -> Path:
    path = tmp_path / "ml.zip"
    with zipfile.ZipFile(path, "w") as zf:
        for name, text in files.items():
            zf.writestr(f"ml-latest-small/{name}", text)
    return path


def test_download_verifies_and_loads(tmp_path, monkeypatch):
    monkeypatch.delenv("AUGMENT_DATA_DIR", raising=False)
    z = _zip(tmp_path, FILES)
    md5 = {n: _md5(t) for n, t in FILES.items()}
    sha = hashlib.sha256(z.read_bytes()).hexdigest()
    cache = tmp_path / "cache"
    folder = download_movielens(cache, url=z.as_uri(), zip_sha256=sha, md5=md5)
    assert folder == cache / "ml-latest-small" and (folder / "tags.csv").is_file()
    # a second call finds the cache and downloads nothing
    z.unlink()
    assert download_movielens(cache, url=z.as_uri(), md5=md5) == folder
    monkeypatch.setenv("AUGMENT_CACHE_DIR", str(cache))
    ds = load_movielens(url="file:///nonexistent.zip")
    assert ds.interactions[["user_id", "item_id"]].values.tolist() == [[1, 1], [2, 1], [2, 3]]
    items = ds.items.set_index("item_id")
    assert items.loc[1, "tags"] == "pixar;fun"
    assert items.loc[2, "genres"] == "" and items.loc[1, "genres"] == "Adventure|Animation"
    assert items.loc[1, "year"] == 1995 and items.loc[3, "year"] == 1982
    assert items["year"].isna().sum() == 1


def test_download_rejects_bad_checksums(tmp_path):
    z = _zip(tmp_path, FILES)
    md5 = {n: _md5(t) for n, t in FILES.items()}
    cache = tmp_path / "cache"
    with pytest.raises(DataError, match="sha256"):
        download_movielens(cache, url=z.as_uri(), zip_sha256="0" * 64, md5=md5)
    with pytest.raises(DataError, match="md5 of ml-latest-small/ratings.csv"):
        download_movielens(cache, url=z.as_uri(), md5={**md5, "ratings.csv": "0" * 32})
    with pytest.raises(DataError, match="lacks"):
        download_movielens(cache, url=z.as_uri(), md5={**md5, "links.csv": "0" * 32})
    # nothing half-written looks complete
    assert not (cache / "ml-latest-small").exists()
    assert list(cache.iterdir()) == []


def test_download_failure_says_what_to_do(tmp_path):
    with pytest.raises(DataError, match="AUGMENT_DATA_DIR"):
        download_movielens(tmp_path, url=(tmp_path / "missing.zip").as_uri())
    (tmp_path / "junk.zip").write_text("not a zip")
    with pytest.raises(DataError, match="not a zip"):
        download_movielens(tmp_path, url=(tmp_path / "junk.zip").as_uri(), md5={})


def test_negatives_and_bad_folder(tmp_path):
    folder = tmp_path / "ml-latest-small"
    folder.mkdir()
    for name, text in FILES.items():
        (folder / name).write_text(text)
    ds = load_movielens(tmp_path, threshold=4.0, negative_threshold=2.0, weight=2.0)
    got = ds.interactions[["user_id", "item_id", "weight"]].values.tolist()
    assert got == [[1, 1, 2.0], [1, 3, -2.0], [2, 3, 2.0]]
    assert load_movielens(folder).n_items == 3  # the folder itself works too
    with pytest.raises(DataError, match="holds ml-latest-small"):
        load_movielens(tmp_path / "nowhere")


@pytest.mark.realdata
def test_real_movielens(movielens_dir):
    ds = load_movielens(movielens_dir)
    assert ds.n_items == 9742 and ds.n_users == 609
    assert len(ds.interactions) == 61716  # ratings >= 3.5 of 100836
    assert ds.interactions["weight"].eq(1.0).all()
    assert ds.interactions.duplicated(["user_id", "item_id"]).sum() == 0
    items = ds.items.set_index("item_id")
    assert items.loc[1, "title"] == "Toy Story (1995)" and items.loc[1, "year"] == 1995
    assert "pixar" in items.loc[1, "tags"]
    assert not items["genres"].str.contains("no genres").any()


@pytest.mark.realdata
def test_real_files_match_published_md5(movielens_dir):
    for name, expected in MOVIELENS_MD5.items():
        path = movielens_dir / "ml-latest-small" / name
        assert hashlib.md5(path.read_bytes()).hexdigest() == expected


def test_env_data_dir_is_used_before_the_cache(tmp_path, monkeypatch):
    folder = tmp_path / "data" / "ml-latest-small"
    folder.mkdir(parents=True)
    for name, text in FILES.items():
        (folder / name).write_text(text)
    monkeypatch.setenv("AUGMENT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("AUGMENT_CACHE_DIR", str(tmp_path / "cache"))
    ds = load_movielens(url="file:///nonexistent.zip")  # would fail if it tried to download
    assert ds.n_items == 3 and not (tmp_path / "cache").exists()
