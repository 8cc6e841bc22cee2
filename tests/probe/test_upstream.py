"""The default probe asks the attribute and profile tasks about a probe-sized share of the
job's targets (not the whole task), with the job's own requests: a later run reuses them."""

from __future__ import annotations

import math
from collections import Counter

import pytest
from pipeline_fakes import FakeFactory, request_data
from probe_fakes import world_job

from augment.errors import ConfigError
from augment.jobs import parse_job
from augment.pipeline import load_job_data, run_job, split_job_data
from augment.probe import probe_split
from augment.tasks.targets import item_targets

ATTRS, PROFILES, PSEUDO = "item_attributes", "user_profiles", "pseudo_interactions"


def _job(world_folder, out, extra: str):
    cfg = parse_job(world_job(world_folder, out, extra_tasks=extra, sample="30",
                              n_candidates=20))
    return cfg, split_job_data(load_job_data(cfg.data), cfg.split)


def _task(request) -> str:
    return str(request.schema_name).split("_cold_")[0].removesuffix("_batch")


def _asked(factory: FakeFactory) -> Counter:
    return Counter(_task(r) for r in factory.requests)


def _keys(factory: FakeFactory, task: str) -> set[str]:
    return {r.key(f.name, f.model) for f in factory.fakes for r in f.history
            if _task(r) == task}


ONE_BY_ONE = """
[tasks.item_attributes]
provider = "fake"
sample = 40
[tasks.user_profiles]
provider = "fake"
sample = 15
"""


def test_the_default_probe_asks_attributes_for_its_share_and_the_run_reuses_them(
        world_folder, tmp_path):
    out = tmp_path / "run"
    cfg, sp = _job(world_folder, out, ONE_BY_ONE)
    plans: list[dict] = []
    first = FakeFactory(world_folder)
    result = probe_split(cfg, sp, provider_factory=first, targets=6, on_plan=plans.append)
    probed = set(result.figures["target_ids"])
    asked = _asked(first)
    # the attribute task: the probed cold items it covers, plus 6/30 of its 40 targets
    order = [str(i) for i in item_targets(sp, 40, cfg.split.seed)]
    covered = [i for i in order if i in probed]
    want = set(covered) | set(order[:math.ceil(6 / 30 * 40)])
    got = {request_data(r)["item_id"] for r in first.requests if _task(r) == ATTRS}
    assert covered and got == want and asked[ATTRS] == len(want) < 40
    # profiles: 6/30 of the task's 15 targets; picks: 2 repeats per probed target
    assert asked[PROFILES] == math.ceil(6 / 30 * 15) and asked[PSEUDO] == 2 * 6
    # the plan printed before any call counted these requests, not the whole tasks
    assert plans[0]["upstream"] == "probe"
    assert plans[0]["probe_requests"] == sum(asked.values()) == result.calls
    assert result.figures["tasks"][ATTRS]["requests"] == len(want)

    later = FakeFactory(world_folder)
    run_job(cfg, provider_factory=later, progress=False)
    # the probe's attribute requests are the run's: none is asked again, the rest is
    assert not _keys(later, ATTRS) & _keys(first, ATTRS)
    assert _asked(later)[ATTRS] == 40 - len(want)


def test_profiles_of_a_job_without_attributes_are_reused(world_folder, tmp_path):
    out = tmp_path / "run"
    cfg, sp = _job(world_folder, out, '[tasks.user_profiles]\nprovider = "fake"\nsample = 15\n')
    first = FakeFactory(world_folder)
    probe_split(cfg, sp, provider_factory=first, targets=6)
    assert _asked(first)[PROFILES] == math.ceil(6 / 30 * 15) and not _asked(first)[ATTRS]
    later = FakeFactory(world_folder)
    run_job(cfg, provider_factory=later, progress=False)
    assert not _keys(later, PROFILES) & _keys(first, PROFILES)
    assert _asked(later)[PROFILES] == 15 - math.ceil(6 / 30 * 15)


def test_upstream_full_asks_the_whole_tasks_and_the_plan_says_so(world_folder, tmp_path):
    cfg, sp = _job(world_folder, tmp_path / "run", ONE_BY_ONE)
    plans: list[dict] = []
    first = FakeFactory(world_folder)
    probe_split(cfg, sp, provider_factory=first, targets=6, upstream="full",
                on_plan=plans.append)
    asked = _asked(first)
    assert asked[ATTRS] == 40 and asked[PROFILES] == 15 and asked[PSEUDO] == 2 * 6
    assert plans[0]["probe_requests"] == sum(asked.values())


def test_a_pseudo_only_probe_is_reused_for_its_targets(world_folder, tmp_path):
    """No upstream task: the default probe's pick requests are the full run's."""
    cfg, sp = _job(world_folder, tmp_path / "run", "")
    first = FakeFactory(world_folder)
    result = probe_split(cfg, sp, provider_factory=first, targets=6)
    probed = set(result.figures["target_ids"])
    later = FakeFactory(world_folder)
    run_job(cfg, provider_factory=later, progress=False)
    again = [r for r in later.requests if str(request_data(r)["item"]["item_id"]) in probed]
    assert not again and len(later.requests) == 2 * 30 - 2 * 6


def test_upstream_must_be_probe_or_full(world):
    cfg, sp = world
    with pytest.raises(ConfigError, match="upstream"):
        probe_split(cfg, sp, upstream="some", targets=4)
