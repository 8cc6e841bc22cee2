"""`augment validate` on JSONL and Parquet records, good and bad, with exit codes."""

from __future__ import annotations

import json

import pandas as pd

from augment.files import write_records_parquet

GOOD = {"genres": ["Drama"], "tags": ["family"], "summary": "A family drama."}


def _jsonl(path, rows):
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows),
                    encoding="utf-8")
    return path


def test_valid_jsonl_exits_0(tmp_path, cli):
    path = _jsonl(tmp_path / "ok.jsonl", [GOOD, {**GOOD, "genres": ["Comedy", "Drama"]}])
    code, out, err = cli("validate", "--schema", "item_attributes", path)
    assert code == 0, err
    assert "all 2 records valid" in out


def test_invalid_jsonl_names_each_bad_row_and_exits_1(tmp_path, cli):
    rows = [GOOD, {**GOOD, "genres": []}, "", "{not json", {"genres": ["A"], "tags": []}]
    path = _jsonl(tmp_path / "bad.jsonl", rows)
    code, out, _ = cli("validate", "--schema", "item_attributes", path)
    assert code == 1
    lines = out.splitlines()
    assert any("line 2:" in line and "$.genres" in line for line in lines)
    assert any("line 4:" in line and "not valid JSON" in line for line in lines)
    assert any("line 5:" in line and "summary" in line for line in lines)
    assert not any("line 1:" in line for line in lines)
    assert "3 of 4 records invalid" in out  # the blank line 3 is not a record


def test_parquet_of_plain_rows_and_of_run_records(tmp_path, cli):
    plain = tmp_path / "plain.parquet"
    pd.DataFrame([{"genres": ["Drama"], "tags": ["x"], "summary": "ok"},
                  {"genres": ["Drama"], "tags": ["x"], "summary": ""}]).to_parquet(plain)
    code, out, _ = cli("validate", "--schema", "item_attributes", plain)
    assert code == 1 and "row 2:" in out and "$.summary" in out and "row 1:" not in out
    # the run-folder layout: provenance columns + the record in "output" (JSON text)
    records = tmp_path / "item_attributes.parquet"
    write_records_parquet(records, [
        {"key": "item_attributes:1", "item_id": 1, "model": "m", "output": GOOD},
        {"key": "item_attributes:2", "item_id": 2, "model": "m",
         "output": {**GOOD, "tags": ["a", ""]}}])  # an empty tag
    code, out, _ = cli("validate", "--schema", "item_attributes", records)
    assert code == 1 and "row 2: output.tags" in out and "1 of 2 records invalid" in out
    write_records_parquet(records, [{"key": "k", "output": GOOD}])
    assert cli("validate", "--schema", "item_attributes", records)[0] == 0


def test_schema_file_and_read_errors_exit_2(tmp_path, cli):
    schema = tmp_path / "mine.schema.json"
    schema.write_text(json.dumps({"type": "object", "required": ["x"],
                                  "properties": {"x": {"type": "integer"}}}))
    data = _jsonl(tmp_path / "r.jsonl", [{"x": 1}, {"x": "one"}])
    code, out, _ = cli("validate", "--schema", schema, data)
    assert code == 1 and "line 2: $.x" in out
    code, _, err = cli("validate", "--schema", "no_such_schema", data)
    assert code == 2 and "not found" in err
    code, _, err = cli("validate", "--schema", "item_attributes", tmp_path / "missing.jsonl")
    assert code == 2 and "not found" in err
    (tmp_path / "r.csv").write_text("a,b\n")
    code, _, err = cli("validate", "--schema", "item_attributes", tmp_path / "r.csv")
    assert code == 2 and "unsupported file type" in err
    (tmp_path / "empty.jsonl").write_text("\n")
    code, _, err = cli("validate", "--schema", "item_attributes", tmp_path / "empty.jsonl")
    assert code == 2 and "no records" in err
    code, _, err = cli("validate", data)  # --schema is required
    assert code == 2
