"""Bad input: one line naming file/row/column, a documented exit code, no traceback."""

from __future__ import annotations

import json
import os

import pandas as pd
import pytest
from cli_helpers import write_job

from augment.data import dataset_from_frames
from augment.errors import DataError
from augment.recommend import ALSRecommender

BAD_WEIGHTS = ["inf", "-inf", "1e309", "1e308", "1e30", "nan"]


def _folder(tmp_path, weight: str):
    folder = tmp_path / f"w{abs(hash(weight))}"
    folder.mkdir()
    (folder / "interactions.csv").write_text(
        "user_id,item_id,weight\n1,10,1.0\n1,11,2.0\n2,10," + weight + "\n2,12,1.0\n")
    (folder / "items.csv").write_text("item_id,title\n10,A\n11,B\n12,C\n")
    return folder


@pytest.mark.parametrize("weight", BAD_WEIGHTS)
def test_loader_rejects_non_finite_and_huge_weights(tmp_path, weight):
    with pytest.raises(DataError) as info:
        dataset_from_frames(_folder(tmp_path, weight) / "interactions.csv")
    assert info.value.row == 3 and info.value.column == "weight"
    assert "interactions.csv" in str(info.value)


@pytest.mark.parametrize("weight", ["inf", "1e30"])
def test_evaluate_exits_2_with_one_line_on_bad_weights(tmp_path, cli, weight):
    code, out, err = cli("evaluate", "--data", _folder(tmp_path, weight))
    assert code == 2
    assert err.count("\n") == 1 and "row 3" in err and "'weight'" in err
    assert "Traceback" not in err and "NaN" not in err


def test_als_never_sees_a_non_finite_weight():
    inter = pd.DataFrame({"user_id": [1, 1, 2], "item_id": [1, 2, 1],
                          "weight": [1.0, float("inf"), 1.0]})
    from augment.data import Dataset

    ds = Dataset(inter, pd.DataFrame({"item_id": [1, 2]}))
    with pytest.raises(DataError, match="not finite"):
        ALSRecommender(factors=4, iterations=2).fit(ds)


def test_numpy_reprs_are_gone_from_messages(tmp_path):
    path = tmp_path / "items.csv"
    path.write_text("item_id,title\n1,A\n1,B\n")
    inter = pd.DataFrame({"user_id": [1], "item_id": [1], "weight": [1.0]})
    with pytest.raises(DataError) as info:
        dataset_from_frames(inter, path)
    assert "np.int64" not in str(info.value) and "duplicate item_id 1 " in str(info.value)


def test_missing_item_is_a_one_line_warning(tmp_path, cli):
    folder = tmp_path / "d"
    folder.mkdir()
    rows = [f"{u},{i},1.0" for u in range(1, 21) for i in range(1, 16) if (u + i) % 3]
    (folder / "interactions.csv").write_text("user_id,item_id,weight\n" + "\n".join(rows) + "\n")
    (folder / "items.csv").write_text("item_id,title\n" + "\n".join(
        f"{i},T{i}" for i in range(1, 15)) + "\n")  # item 15 missing
    code, out, err = cli("evaluate", "--data", folder, "--models", "popularity")
    warn = [ln for ln in err.splitlines() if "warning" in ln]
    assert len(warn) == 1 and "not in" in warn[0] and "warnings.warn" not in err


def test_evaluate_help_says_items_are_optional(cli):
    code, out, err = cli("evaluate", "--help")
    assert code == 0 and "optionally" in " ".join(out.split())


# -- run / report on broken run folders ------------------------------------------------------
@pytest.fixture
def job(tmp_path, small_data, truth_fake):
    return write_job(tmp_path, small_data)


def _one_line(err: str) -> str:
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


def test_output_dir_that_is_a_file(tmp_path, job, cli):
    target = tmp_path / "afile"
    target.write_text("x")
    code, _, err = cli("run", job, "--out", target, "--no-progress")
    assert code == 2 and "is a file" in _one_line(err)


@pytest.mark.parametrize("content", ["[]", "{not json", "dir"])
def test_broken_manifest_is_one_line_and_force_gets_past_it(tmp_path, job, cli, content):
    run = tmp_path / "run"
    run.mkdir()
    if content == "dir":
        (run / "manifest.json").mkdir()
    else:
        (run / "manifest.json").write_text(content)
    code, _, err = cli("run", job, "--out", run, "--no-progress")
    assert code == 2 and "manifest" in _one_line(err)
    code, _, err = cli("report", run)
    assert code == 2 and "manifest" in _one_line(err)
    code, out, err = cli("run", job, "--out", run, "--no-progress", "--force")
    assert code == 0, err
    assert json.loads((run / "manifest.json").read_text())["status"] == "complete"


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores file permissions")
def test_read_only_run_folder(tmp_path, job, cli):  # pragma: no cover - not run as root
    run = tmp_path / "ro"
    run.mkdir()
    run.chmod(0o500)
    code, _, err = cli("run", job, "--out", run, "--no-progress")
    assert code == 2 and _one_line(err)


def test_read_only_file_system_is_one_line(tmp_path, job, cli, monkeypatch):
    """EROFS (a read-only mount) as the OS raises it, wherever the first write happens."""
    import augment.files as files

    def refuse(*a, **k):
        raise OSError(30, "Read-only file system", str(tmp_path / "run" / "manifest.json"))

    monkeypatch.setattr(files.tempfile, "mkstemp", refuse)
    code, _, err = cli("run", job, "--out", tmp_path / "run", "--no-progress")
    line = _one_line(err)
    assert code == 2 and "Read-only file system" in line and "manifest.json" in line
    code, _, err = cli("report", tmp_path / "run")
    assert code == 2


def test_an_unexpected_error_is_one_line_and_the_traceback_needs_debug(tmp_path, job, cli,
                                                                       monkeypatch):
    import augment.pipeline as pipeline

    def bug(*a, **k):
        raise RuntimeError("boom")

    monkeypatch.setattr(pipeline, "run_job", bug)
    code, _, err = cli("run", job, "--no-progress")
    assert code == 70 and "internal error RuntimeError: boom" in _one_line(err)
    code, _, err = cli("--debug", "run", job, "--no-progress")
    assert code == 70 and "Traceback" in err


# -- validate -----------------------------------------------------------------------------------
def test_validate_clips_a_huge_value(tmp_path, cli):
    path = tmp_path / "r.jsonl"
    path.write_text(json.dumps({"genres": ["Drama"], "tags": [], "summary": "x" * 2_000_000})
                    + "\n")
    code, out, err = cli("validate", "--schema", "item_attributes", path)
    assert code == 1
    assert len(out) < 2000 and "more characters" in out


def test_validate_rejects_negative_max_rows(tmp_path, cli):
    path = tmp_path / "r.jsonl"
    path.write_text("{}\n")
    code, out, err = cli("validate", "--schema", "item_attributes", path, "--max-rows", "-1")
    assert code == 2 and "must be 0 or more" in err


def test_a_directory_given_as_a_file_is_called_a_folder(tmp_path, cli):
    code, out, err = cli("validate", "--schema", "item_attributes", tmp_path)
    assert code == 2 and "is a folder" in _one_line(err)
    folder = tmp_path / "data"
    (folder / "interactions.csv").mkdir(parents=True)
    code, out, err = cli("evaluate", "--data", folder)
    assert code == 2 and "is a folder" in _one_line(err)
