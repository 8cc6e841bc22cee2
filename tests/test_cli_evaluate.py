"""The CLI in-process: `augment evaluate` on a small folder, and errors as one line + exit 2."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from augment.cli import COMMANDS, build_parser, main


@pytest.fixture
def folder(tmp_path, rng):
    rows = []
    for u in range(60):
        for i in rng.choice(np.arange(u % 2, 120, 2), size=10, replace=False):
            rows.append((f"u{u}", f"i{i}", 1.0))
    pd.DataFrame(rows, columns=["user_id", "item_id", "weight"]).to_csv(
        tmp_path / "interactions.csv", index=False)
    pd.DataFrame({"item_id": [f"i{i}" for i in range(120)],
                  "title": [("red dragon" if i % 2 == 0 else "blue whale") for i in range(120)],
                  "genres": ["Action" if i % 2 == 0 else "Drama" for i in range(120)]}
                 ).to_parquet(tmp_path / "items.parquet")
    return tmp_path


def test_evaluate_writes_metrics_and_prints_table(folder, tmp_path, capsys):
    out = tmp_path / "run"
    rc = main(["evaluate", "--data", str(folder), "--split", "item-cold", "--seed", "0",
               "--out", str(out), "--k", "5", "10"])
    assert rc == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["split"] == "item-cold" and metrics["k"] == [5, 10] and metrics["seed"] == 0
    assert set(metrics["models"]) == {"random", "popularity", "content_knn", "als", "als+content"}
    assert set(metrics["models"]["als"]) == {"cold", "warm", "all"}
    assert [p.name for p in out.iterdir()] == ["metrics.json"]  # no temporary file left
    printed = capsys.readouterr().out
    assert "| cold    | content_knn |" in printed and "recall@10" in printed
    assert metrics["protocol"]["recall"] == "hits@k / |relevant|"
    assert "all cold items" in metrics["protocol"]["candidates"]["cold"]
    assert "recall_capped@10" in metrics["models"]["als"]["cold"]
    assert "protocol: ColdRec item-cold" in printed


def test_user_cold_and_model_subset(folder, capsys):
    rc = main(["evaluate", "--data", str(folder), "--split", "user-cold", "--models", "random",
               "popularity", "--k", "5"])
    assert rc == 0
    printed = capsys.readouterr().out
    assert "popularity" in printed and "content_knn" not in printed


def test_error_is_one_line_and_exit_2(tmp_path, capsys):
    (tmp_path / "interactions.csv").write_text("user_id,item,weight\nu1,i1,1\n")
    rc = main(["evaluate", "--data", str(tmp_path)])
    err = capsys.readouterr().err
    assert rc == 2
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "interactions.csv" in err and "column 'item_id'" in err and "did you mean 'item'" in err


def test_missing_data_folder(tmp_path, capsys):
    assert main(["evaluate", "--data", str(tmp_path / "nope")]) == 2
    assert "neither 'movielens-small' nor an existing folder" in capsys.readouterr().err


def test_usage_errors_return_2(capsys):
    assert main(["evaluate", "--split", "diagonal"]) == 2
    assert main([]) == 2
    assert main(["--help"]) == 0
    assert "evaluate" in capsys.readouterr().out


def test_registry():
    assert "evaluate" in COMMANDS
    parser = build_parser()
    args = parser.parse_args(["evaluate"])
    assert args.data == "movielens-small" and args.k == [10, 20] and args.split == "item-cold"


@pytest.mark.slow
@pytest.mark.realdata
def test_evaluate_movielens(movielens_dir, tmp_path, capsys):
    rc = main(["evaluate", "--data", "movielens-small", "--data-dir", str(movielens_dir),
               "--split", "item-cold", "--seed", "0", "--out", str(tmp_path)])
    assert rc == 0
    m = json.loads((tmp_path / "metrics.json").read_text())["models"]
    cold = {n: m[n]["cold"]["recall@20"] for n in m}
    assert cold["content_knn"] > 2 * cold["random"] and cold["als+content"] > 2 * cold["random"]
    assert cold["als"] < 1.5 * cold["random"]
    assert m["als"]["warm"]["recall@20"] > m["popularity"]["warm"]["recall@20"]


def test_provider_and_budget_errors_exit_3_others_2() -> None:
    from augment.errors import BudgetExceeded, ConfigError, DataError, ProviderError

    assert ProviderError("x").exit_code == 3
    assert BudgetExceeded("x").exit_code == 3
    assert ConfigError("x").exit_code == 2
    assert DataError("x").exit_code == 2
