"""The probe's answers are the full run's: a later ``run_job`` of the job calls no provider
for what the probe asked. With ``upstream="full"`` (or no upstream task) that is every
request, the probed targets' picks included; with the default ``upstream="probe"`` the
attribute and profile requests of the probe's share (the picks' prompts then differ)."""

from __future__ import annotations

import json

from pipeline_fakes import FakeFactory, request_data
from probe_fakes import world_job

from augment.jobs import parse_job
from augment.pipeline import load_job_data, run_job, split_job_data
from augment.probe import probe_split

UPSTREAM = """
[tasks.item_attributes]
provider = "fake"
sample = 30
items_per_request = 5
[tasks.user_profiles]
provider = "fake"
sample = 15
"""


def _target(request) -> str | None:
    if not request.schema_name.startswith("pseudo_interactions"):
        return None
    data = request_data(request)
    return str(data["item"]["item_id"] if "item" in data else data["user"]["user_id"])


def test_a_later_run_makes_no_call_for_the_probed_targets(world_folder, tmp_path):
    """``upstream="full"``: attributes and profiles in full, so the picks' prompts are the
    full run's."""
    out = tmp_path / "run"
    cfg = parse_job(world_job(world_folder, out, extra_tasks=UPSTREAM, sample="30",
                              n_candidates=20))
    sp = split_job_data(load_job_data(cfg.data), cfg.split)
    first = FakeFactory(world_folder)
    result = probe_split(cfg, sp, provider_factory=first, targets=8, upstream="full")
    probed = set(result.figures["target_ids"])
    assert len(probed) == 8 and result.calls == len(first.requests) > 0
    assert json.loads((out / "probe" / "probe.json").read_text())["verdict"] == result.verdict

    later = FakeFactory(world_folder)
    run_job(cfg, provider_factory=later, progress=False)
    asked = [(r.schema_name, _target(r)) for r in later.requests]
    # every attribute batch and profile was asked by the probe: none is asked again
    assert not [a for a in asked if not a[0].startswith("pseudo_interactions")]
    # no pseudo-interaction request of a probed target is asked again...
    assert not [a for a in asked if a[1] in probed]
    # ... and every other target of the job is asked (2 repeats each)
    manifest = json.loads((out / "manifest.json").read_text())
    n_pseudo = manifest["tasks"]["pseudo_interactions"]["records"]
    assert len(asked) == 2 * 30 - 2 * 8 and n_pseudo == 2 * 30
    assert not set(later.request_keys()) & set(first.request_keys())
    # the run's report shows the probe made before it
    report = (out / "report.md").read_text()
    assert "## Probe" in report and f"verdict: {result.verdict}: " in report
    # probing again asks nothing: every answer is in the store
    again = FakeFactory(world_folder)
    second = probe_split(cfg, sp, provider_factory=again, targets=8, upstream="full")
    assert second.calls == 0 and not again.requests
    assert second.figures["gain"] == result.figures["gain"]
