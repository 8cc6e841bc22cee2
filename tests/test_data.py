"""Loading Datasets from DataFrames, CSV and Parquet, and every bad-input error."""

from __future__ import annotations

import pandas as pd
import pytest

from augment.data import load_dataset
from augment.data.loaders import dataset_from_frames
from augment.errors import AugmentError, DataError, DataWarning

INTER = "user_id,item_id,weight,timestamp\nu1,i1,1.0,10\nu1,i2,2.0,11\nu2,i1,-1,12\n"
ITEMS = "item_id,title,genres\ni1,Alpha,Action|Comedy\ni2,Beta,Drama\ni3,Gamma,\n"


def _write(folder, inter=INTER, items=ITEMS):
    (folder / "interactions.csv").write_text(inter, encoding="utf-8")
    if items is not None:
        (folder / "items.csv").write_text(items, encoding="utf-8")
    return folder


def test_load_folder_csv(tmp_path):
    ds = load_dataset(_write(tmp_path))
    assert len(ds.interactions) == 3
    assert list(ds.item_vocab.ids) == ["i1", "i2", "i3"]
    assert ds.interactions["weight"].tolist() == [1.0, 2.0, -1.0]
    m = ds.matrix()
    assert m.shape == (2, 3) and m[1, 0] == -1.0


def test_load_parquet_and_frames_agree(tmp_path):
    inter = pd.DataFrame({"user_id": [1, 1, 2], "item_id": [5, 6, 5], "weight": [1.0, 1.0, 1.0]})
    items = pd.DataFrame({"item_id": [5, 6, 7], "title": ["a", "b", "c"]})
    inter.to_parquet(tmp_path / "interactions.parquet")
    items.to_parquet(tmp_path / "items.parquet")
    a = load_dataset(tmp_path)
    b = load_dataset(interactions=inter, items=items)
    assert list(a.item_vocab.ids) == list(b.item_vocab.ids) == [5, 6, 7]
    assert (a.matrix() != b.matrix()).nnz == 0


def test_items_optional_and_unknown_items_added(tmp_path):
    ds = load_dataset(_write(tmp_path, items=None))
    assert set(ds.items["item_id"]) == {"i1", "i2"}
    _write(tmp_path, items="item_id,title\ni1,Alpha\n")
    with pytest.warns(DataWarning, match="1 interacted items"):
        ds = load_dataset(tmp_path)
    assert set(ds.items["item_id"]) == {"i1", "i2"}


def test_ids_of_different_types_are_matched(tmp_path):
    ds = dataset_from_frames(pd.DataFrame({"user_id": [1], "item_id": ["7"], "weight": [1]}),
                             pd.DataFrame({"item_id": [7, 8]}))
    assert ds.n_items == 2


def _error(tmp_path, inter=INTER, items=ITEMS) -> DataError:
    _write(tmp_path, inter, items)
    with pytest.raises(DataError) as info:
        load_dataset(tmp_path)
    assert isinstance(info.value, AugmentError)
    return info.value


def test_missing_file(tmp_path):
    with pytest.raises(DataError, match="interactions.csv") as info:
        load_dataset(tmp_path)
    assert info.value.file == str(tmp_path)
    with pytest.raises(DataError, match="file not found") as info:
        load_dataset(interactions=tmp_path / "nope.csv")
    assert info.value.file.endswith("nope.csv")
    with pytest.raises(DataError, match="folder not found"):
        load_dataset(tmp_path / "absent")


def test_misnamed_column_suggests_close_name(tmp_path):
    err = _error(tmp_path, inter="userId,item_id,weight\nu1,i1,1\n")
    assert err.column == "user_id" and "did you mean 'userId'" in str(err)
    assert "interactions.csv" in str(err)
    err = _error(tmp_path, inter="user_id,item_id,wieght\nu1,i1,1\n")
    assert err.column == "weight" and "'wieght'" in str(err)


def test_missing_column_lists_columns(tmp_path):
    err = _error(tmp_path, inter="user_id,item_id\nu1,i1\n")
    assert err.column == "weight" and "['user_id', 'item_id']" in str(err)


def test_non_numeric_weight_names_row(tmp_path):
    err = _error(tmp_path, inter="user_id,item_id,weight\nu1,i1,1\nu1,i2,lots\n")
    assert (err.row, err.column) == (2, "weight")
    assert "row 2" in str(err) and "'lots'" in str(err) and "interactions.csv" in str(err)


def test_nan_ids(tmp_path):
    err = _error(tmp_path, inter="user_id,item_id,weight\nu1,i1,1\nu2,,1\nu3,i2,1\n")
    assert (err.row, err.column) == (2, "item_id")
    err = _error(tmp_path, items="item_id,title\ni1,a\n,b\n")
    assert (err.row, err.column) == (2, "item_id") and err.file.endswith("items.csv")


def test_duplicate_pairs(tmp_path):
    err = _error(tmp_path, inter="user_id,item_id,weight\nu1,i1,1\nu2,i1,1\nu1,i1,3\n")
    assert err.row == 3 and "first at row 1" in str(err) and err.column == "item_id"
    err = _error(tmp_path, items="item_id,title\ni1,a\ni2,b\ni1,c\n")
    assert err.row == 3 and err.file.endswith("items.csv")


def test_empty_table(tmp_path):
    err = _error(tmp_path, inter="user_id,item_id,weight\n")
    assert "no data rows" in str(err) and err.file.endswith("interactions.csv")
    err = _error(tmp_path, inter="")
    assert "empty" in str(err)
    with pytest.raises(DataError, match="no rows"):
        dataset_from_frames(pd.DataFrame({"user_id": [], "item_id": [], "weight": []}))


def test_not_utf8(tmp_path):
    (tmp_path / "interactions.csv").write_bytes(
        b"user_id,item_id,weight\nu1,i1,1\nu2,caf\xe9,1\n")
    with pytest.raises(DataError, match="UTF-8") as info:
        load_dataset(tmp_path)
    assert (info.value.row, info.value.column) == (2, "item_id")
    assert "row 2" in str(info.value) and "column 'item_id'" in str(info.value)


def test_bad_timestamp_and_suffix(tmp_path):
    err = _error(tmp_path, inter="user_id,item_id,weight,timestamp\nu1,i1,1,x\n")
    assert (err.row, err.column) == (1, "timestamp")
    (tmp_path / "x.json").write_text("{}")
    with pytest.raises(DataError, match="unknown file type"):
        load_dataset(interactions=tmp_path / "x.json")
