"""The bad-input corpus of ``bench/reliability.py``: broken data, jobs, run folders, schemas
and records, each given to a command; and the check that its end is clean."""

from __future__ import annotations

import contextlib
import io
import json
import logging
from pathlib import Path
from typing import Any

GOOD_INTER = "user_id,item_id,weight\n" + "\n".join(
    f"{u},{i},1.0" for u in range(1, 31) for i in range(1, 41) if (u * 7 + i) % 4 == 0) + "\n"
GOOD_ITEMS = "item_id,title,genres\n" + "\n".join(
    f"{i},Film {i},Drama|Comedy" for i in range(1, 41)) + "\n"

DATA_DEFECTS: dict[str, dict[str, Any]] = {
    "missing-column": {"interactions.csv": GOOD_INTER.replace("user_id", "uid", 1)},
    "nan-weight": {"interactions.csv": GOOD_INTER.replace(",1.0\n", ",nan\n", 1)},
    "inf-weight": {"interactions.csv": GOOD_INTER.replace(",1.0\n", ",inf\n", 1)},
    "1e309-weight": {"interactions.csv": GOOD_INTER.replace(",1.0\n", ",1e309\n", 1)},
    "1e30-weight": {"interactions.csv": GOOD_INTER.replace(",1.0\n", ",1e30\n", 1)},
    "text-weight": {"interactions.csv": GOOD_INTER.replace(",1.0\n", ",lots\n", 1)},
    "duplicate-pair": {"interactions.csv": GOOD_INTER + GOOD_INTER.splitlines()[1] + "\n"},
    "empty-file": {"interactions.csv": ""},
    "header-only": {"interactions.csv": "user_id,item_id,weight\n"},
    "not-utf8": {"interactions.csv": GOOD_INTER.encode() + b"1,\xff\xfe,1.0\n"},
    "file-is-a-folder": {"interactions.csv/": None},
    "missing-id": {"interactions.csv": GOOD_INTER.replace("\n1,", "\n,", 1)},
    "corrupt-parquet": {"interactions.parquet": b"PAR1 this is not parquet"},
    "no-interactions": {"notes.txt": "nothing here"},
    "duplicate-item": {"items.csv": GOOD_ITEMS + "1,Again,Drama\n"},
    "items-without-id": {"items.csv": GOOD_ITEMS.replace("item_id", "id", 1)},
    "unclosed-quote": {"interactions.csv": GOOD_INTER.replace("\n2,", '\n"2,', 1)},
}

JOB = """name = "bad-{name}"
[data]
source = "{data}"
[tasks.item_attributes]
provider = "fake"
sample = 4
[engine]
concurrency = 2
[enrich]
weight = 0.5
[als]
factors = 8
iterations = 2
"""

JOB_DEFECTS: dict[str, Any] = {
    "missing-file": None,
    "job-is-a-folder": "dir",
    "invalid-toml": "name = \n[data",
    "unknown-key": JOB + "[engine.extra]\nfoo = 1\n",
    "wrong-type": JOB.replace("concurrency = 2", 'concurrency = "two"'),
    "zero-concurrency": JOB.replace("concurrency = 2", "concurrency = 0"),
    "api-key-in-job": JOB.replace('provider = "fake"', 'provider = "fake"\napi_key = "sk-x"'),
    "unknown-provider": JOB.replace('provider = "fake"', 'provider = "skynet"'),
    "failure-rate-2": JOB.replace("concurrency = 2", "concurrency = 2\nmax_failure_rate = 2"),
    "not-utf8": b"name = \"\xff\xfe\"\n",
    "missing-data": JOB.replace("{data}", "/nonexistent/data/folder"),
    "compatible-without-url": JOB.replace('provider = "fake"', 'provider = "openai-compatible"'),
}


def _write(folder: Path, files: dict[str, Any]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        if name.endswith("/"):
            (folder / name.rstrip("/")).mkdir()
        elif isinstance(content, bytes):
            (folder / name).write_bytes(content)
        else:
            (folder / name).write_text(content)
    return folder


def _data(work: Path, name: str) -> Path:
    files = {"interactions.csv": GOOD_INTER, "items.csv": GOOD_ITEMS}
    defect = DATA_DEFECTS[name]
    if name == "no-interactions" or {"interactions.parquet", "interactions.csv/"} & set(defect):
        files.pop("interactions.csv")
    files.update(defect)
    return _write(work / "data" / name, files)


def bad_input_cases(work: Path) -> list[dict[str, Any]]:
    """Every case: ``{"name", "argv", "expect": exit codes, "folder": where to look for
    leftovers}``."""
    cases: list[dict[str, Any]] = []
    good = _write(work / "data" / "good", {"interactions.csv": GOOD_INTER,
                                           "items.csv": GOOD_ITEMS})
    for name in DATA_DEFECTS:
        data = _data(work, name)
        cases.append({"name": f"evaluate/data/{name}", "argv": ["evaluate", "--data", str(data),
                                                                "--models", "popularity"]})
        job = work / "jobs" / f"data-{name}.toml"
        job.parent.mkdir(parents=True, exist_ok=True)
        job.write_text(JOB.format(name=name, data=data))
        cases.append({"name": f"run/data/{name}",
                      "argv": ["run", str(job), "--out", str(work / "runs" / f"data-{name}"),
                               "--no-progress"], "folder": work / "runs" / f"data-{name}"})
    for argv in (["--data", str(work / "nowhere")], ["--data", str(good), "--k", "0"],
                 ["--data", str(good), "--seed", "abc"], ["--data", str(good), "--split", "x"]):
        cases.append({"name": f"evaluate/args/{' '.join(argv[2:]) or 'missing'}",
                      "argv": ["evaluate", *argv]})
    for name, content in JOB_DEFECTS.items():
        job = work / "jobs" / f"{name}.toml"
        if content == "dir":
            job.mkdir(parents=True)
        elif isinstance(content, bytes):
            job.write_bytes(content)
        elif content is not None:
            job.write_text(content.format(name=name, data=good))
        out = work / "runs" / f"job-{name}"
        cases.append({"name": f"run/job/{name}", "folder": out,
                      "argv": ["run", str(job), "--out", str(out), "--no-progress"]})
        cases.append({"name": f"estimate/job/{name}", "argv": ["estimate", str(job)]})
    runs = work / "runs"
    folders = {"missing": None, "no-manifest": {}, "manifest-list": {"manifest.json": "[]"},
               "manifest-corrupt": {"manifest.json": "{not json"},
               "manifest-dir": {"manifest.json/": None}}
    for name, files in folders.items():
        folder = runs / f"folder-{name}"
        if files is not None:
            _write(folder, files)
        cases.append({"name": f"report/{name}", "argv": ["report", str(folder)],
                      "folder": folder})
    afile = runs / "a-file"
    afile.write_text("x")
    cases.append({"name": "report/a-file", "argv": ["report", str(afile)]})
    good_job = work / "jobs" / "good.toml"
    good_job.write_text(JOB.format(name="good", data=good))
    for name in ("a-file", "folder-manifest-list", "folder-manifest-dir",
                 "folder-manifest-corrupt"):
        cases.append({"name": f"run/out/{name}", "folder": runs / name,
                      "argv": ["run", str(good_job), "--out", str(runs / name), "--no-progress"]})
    rec = work / "records"
    _write(rec, {"huge.jsonl": json.dumps({"genres": ["Drama"], "tags": [],
                                           "summary": "x" * 5_000_000}) + "\n",
                 "notjson.jsonl": "{oops\n[1, 2\n", "empty.jsonl": "",
                 "records.txt": "{}\n", "bad.parquet": b"not parquet",
                 "latin1.jsonl": b"{\"summary\": \"caf\xe9\"}\n", "ok.jsonl": "{}\n",
                 "schema-not-json.json": "{", "schema-invalid.json": '{"type": 5}'})
    validate = [
        ("missing-file", ["item_attributes", rec / "nope.jsonl"], {2}),
        ("folder", ["item_attributes", rec], {2}),
        ("bad-suffix", ["item_attributes", rec / "records.txt"], {2}),
        ("unknown-schema", ["no_such_schema", rec / "ok.jsonl"], {2}),
        ("schema-not-json", [rec / "schema-not-json.json", rec / "ok.jsonl"], {2}),
        ("schema-invalid", [rec / "schema-invalid.json", rec / "ok.jsonl"], {2}),
        ("empty", ["item_attributes", rec / "empty.jsonl"], {2}),
        ("not-json", ["item_attributes", rec / "notjson.jsonl"], {1}),
        ("huge-value", ["item_attributes", rec / "huge.jsonl"], {1}),
        ("corrupt-parquet", ["item_attributes", rec / "bad.parquet"], {2}),
        ("latin1", ["item_attributes", rec / "latin1.jsonl"], {2}),
    ]
    for name, (schema, path), codes in validate:
        cases.append({"name": f"validate/{name}", "expect": codes,
                      "argv": ["validate", "--schema", str(schema), str(path)]})
    cases.append({"name": "validate/max-rows-negative", "argv": [
        "validate", "--schema", "item_attributes", str(rec / "ok.jsonl"), "--max-rows", "-1"]})
    return cases


def run_case(case: dict[str, Any], env: dict[str, str]) -> tuple[bool, str]:
    """Run one case in this process; ``(clean, why not)``."""
    from augment.cli import main

    out, err = io.StringIO(), io.StringIO()
    root = logging.getLogger()
    handlers = list(root.handlers)
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        for h in handlers:
            root.removeHandler(h)
        try:
            code = main(case["argv"])
        except SystemExit as exc:  # pragma: no cover - main returns codes
            code = exc.code if isinstance(exc.code, int) else 2
        except BaseException as exc:  # noqa: BLE001 - an escaped exception is not clean
            return False, f"raised {type(exc).__name__}: {exc}"[:300]
        finally:
            for h in list(root.handlers):
                root.removeHandler(h)
            for h in handlers:
                root.addHandler(h)
    stderr, stdout = err.getvalue(), out.getvalue()
    expect = case.get("expect", {2})
    errors = [ln for ln in stderr.splitlines() if ": error:" in ln or "usage:" in ln.lower()]
    problems = []
    if code not in expect:
        problems.append(f"exit {code} not in {sorted(expect)}")
    if "Traceback" in stderr or "Traceback" in stdout:
        problems.append("traceback")
    if code == 2 and len([e for e in errors if ": error:" in e]) != 1:
        problems.append(f"{len(errors)} error lines")
    if any(len(ln) > 1500 for ln in (stderr + stdout).splitlines()):
        problems.append("a line longer than 1500 characters")
    folder = case.get("folder")
    if folder is not None and Path(folder).is_dir():
        if list(Path(folder).rglob(".*.tmp")):
            problems.append("temporary files left")
        manifest = Path(folder) / "manifest.json"
        if manifest.is_file():
            try:
                status = json.loads(manifest.read_text()).get("status")
            except (ValueError, AttributeError):
                status = "unreadable"
            if status in ("running", "complete") and code != 0:
                problems.append(f"manifest left '{status}'")
    return not problems, "; ".join(problems) + f" | {stderr.strip()[:200]}"
