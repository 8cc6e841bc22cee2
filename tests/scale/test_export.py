"""The Spark export: int32 indices, weights, source partitions, every row, and the CLI."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from augment.cli import main
from augment.data import Dataset
from augment.errors import ConfigError, DataError
from augment.export import export_run, export_spark


def _inter() -> pd.DataFrame:
    return pd.DataFrame({"user_id": ["u1", "u2", "u1", "u3"], "item_id": [10, 11, 12, 10],
                         "weight": [1.0, 1.0, 0.4, -0.3],
                         "source": ["observed", "observed", "generated", "generated"]})


def test_spark_layout_every_row_and_indices(tmp_path):
    inter = _inter()
    data = Dataset(interactions=inter, items=pd.DataFrame({"item_id": [12, 11, 10, 99]}))
    counts = export_spark(inter, tmp_path / "x", user_vocab=data.user_vocab,
                          item_vocab=data.item_vocab)
    assert counts == {"rows": 4, "by_source": {"generated": 2, "observed": 2}, "users": 3,
                      "items": 4}
    parts = sorted(p.name for p in (tmp_path / "x" / "interactions").iterdir())
    assert parts == ["source=generated", "source=observed"]
    back = pd.read_parquet(tmp_path / "x" / "interactions")
    assert len(back) == 4 and back["user"].dtype == np.int32 and back["item"].dtype == np.int32
    users = pd.read_parquet(tmp_path / "x" / "users.parquet")
    items = pd.read_parquet(tmp_path / "x" / "items.parquet")
    joined = back.merge(users, on="user").merge(items, on="item")
    pairs = {(u, int(i), round(float(w), 3), str(s)) for u, i, w, s in
             joined[["user_id", "item_id", "weight", "source"]].itertuples(index=False)}
    assert pairs == {(u, i, w, s) for u, i, w, s in inter.itertuples(index=False)}
    # the run's vocabularies give the indices: item 12 is index 0 (first in items)
    assert items.set_index("item_id").loc[12, "item"] == 0
    assert json.loads((tmp_path / "x" / "_SUCCESS.json").read_text())["rows"] == 4


def test_missing_column_and_unknown_id_are_clear_errors(tmp_path):
    with pytest.raises(DataError, match="weight"):
        export_spark(_inter().drop(columns="weight"), tmp_path / "a")
    data = Dataset(interactions=_inter().iloc[:2], items=pd.DataFrame({"item_id": [10, 11]}))
    with pytest.raises(DataError, match="row 4, column .user_id."):
        export_spark(_inter(), tmp_path / "b", user_vocab=data.user_vocab,
                     item_vocab=data.item_vocab)


def test_export_run_and_cli(tmp_path, capsys):
    run = tmp_path / "run"
    with pytest.raises(ConfigError, match="no enriched interactions"):
        export_run(run)
    (run / "enriched").mkdir(parents=True)
    _inter().to_parquet(run / "enriched" / "interactions.parquet", index=False)
    assert main(["export", str(run), "--format", "spark"]) == 0
    assert "exported 4 interactions (generated 2, observed 2)" in capsys.readouterr().out
    assert len(pd.read_parquet(run / "export" / "spark" / "interactions")) == 4
    assert main(["export", str(tmp_path / "nope")]) == 2
