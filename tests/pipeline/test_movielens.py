"""The pipeline on MovieLens (small) with a fake answering from the held-out truth."""

from __future__ import annotations

import json

import pytest

from augment.jobs import RunDir, parse_job
from augment.pipeline import run_job
from augment.providers.fake import FakeProvider

pytestmark = pytest.mark.realdata


def _ml_pairs(data_dir) -> set[tuple[str, str]]:
    from augment.data import load_movielens

    inter = load_movielens(data_dir).interactions
    inter = inter[inter["weight"] > 0]
    return set(zip(inter["user_id"].astype(str), inter["item_id"].astype(str), strict=True))


def test_movielens_end_to_end_with_a_fake(tmp_path, movielens_dir):
    job = parse_job(f"""
name = "ml-fake"
[data]
source = "movielens-small"
data_dir = "{movielens_dir}"
[tasks.item_attributes]
provider = "fake"
sample = 20
items_per_request = 5
[tasks.user_profiles]
provider = "fake"
sample = 10
[tasks.pseudo_interactions]
provider = "fake"
sample = 10
n_repeats = 2
n_candidates = 10
[enrich]
weight = 0.3
[als]
iterations = 8
""")
    from pipeline_fakes import truth_answer

    fakes: list[FakeProvider] = []
    pairs = _ml_pairs(movielens_dir)

    def factory(tc):
        fakes.append(FakeProvider(fn=truth_answer(pairs)))
        return fakes[-1]

    path = run_job(job, out=tmp_path / "run", provider_factory=factory, progress=False)
    run = RunDir(path)
    assert run.status == "complete"
    assert sum(f.calls for f in fakes) == 4 + 10 + 20  # 20 items in batches of 5
    assert run.manifest["tasks"]["item_attributes"]["records"] == 20  # batches split per item
    metrics = json.loads((path / "metrics.json").read_text())
    assert {"als", "als+content", "als+attributes", "als+pseudo", "als+augmented"} <= set(
        metrics["models"])
    for model in metrics["models"].values():
        assert model["cold"]["recall@20"] is not None
    diag = run.read_diagnostics()
    assert diag["popularity"]["measured_on"] == "users"
    assert (path / "report.html").stat().st_size > 10_000
