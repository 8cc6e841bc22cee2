"""``augment probe``: the plan before any call, the table, the verdict line, exit 0 / 4."""

from __future__ import annotations

import json

from probe_fakes import world_job


def _use(monkeypatch, module: str, cls: str) -> None:
    from augment.providers import registry

    monkeypatch.setitem(registry.PROVIDERS, "fake", (module, cls))


def test_go_exits_0_with_the_plan_table_and_verdict(cli, world_folder, tmp_path, monkeypatch):
    from pipeline_fakes import TruthFake

    monkeypatch.setattr(TruthFake, "folder", world_folder)
    monkeypatch.setattr(TruthFake, "instances", [])
    _use(monkeypatch, "pipeline_fakes", "TruthFake")  # picks every real pair it is shown
    job = tmp_path / "job.toml"
    job.write_text(world_job(world_folder, tmp_path / "run"))
    code, out, err = cli("probe", job, "--no-progress", "--targets", "20")
    assert code == 0, out + err
    lines = out.splitlines()
    assert lines[0].startswith("probe: 20 validation targets")
    assert lines[1].startswith("estimated cost: probe $")
    assert any(line.startswith("pick precision: model") for line in lines)
    assert lines[-1].startswith("verdict: go: cold recall@")
    written = json.loads((tmp_path / "run" / "probe" / "probe.json").read_text())
    assert written["verdict"] == "go" and written["format"] == "augment.probe/1"
    assert (tmp_path / "run" / "probe" / "probe.md").read_text().count("verdict: go") == 1


def test_no_go_exits_4(cli, world_folder, tmp_path, monkeypatch):
    _use(monkeypatch, "probe_fakes", "NoPicks")
    job = tmp_path / "job.toml"
    job.write_text(world_job(world_folder, tmp_path / "run"))
    code, out, err = cli("probe", job, "--no-progress", "--out", tmp_path / "p")
    assert code == 4, out + err
    assert out.splitlines()[-1].startswith("verdict: no-go: ")
    assert json.loads((tmp_path / "p" / "probe.json").read_text())["verdict"] == "no-go"
    assert not (tmp_path / "run" / "probe").exists()


def test_the_exit_codes_are_documented(cli):
    code, out, _ = cli("probe", "--help")
    assert code == 0
    text = " ".join(out.split())
    assert "4 probe verdict no-go or unclear" in text and "70 internal error" in text


def test_a_probe_larger_than_the_job_says_so_and_upstream_is_passed(cli, world_folder,
                                                                     tmp_path, monkeypatch):
    _use(monkeypatch, "probe_fakes", "NoPicks")
    job = tmp_path / "job.toml"
    job.write_text(world_job(world_folder, tmp_path / "run", sample="5"))
    code, out, err = cli("probe", job, "--no-progress", "--upstream", "full", "--out",
                         tmp_path / "p")
    assert code == 4, out + err
    lines = out.splitlines()
    assert lines[0].startswith("probe: 20 validation targets") and "the full job has 5" in lines[0]
    assert lines[2].startswith("note: this probe is larger than the job (20 targets")
    plan = json.loads((tmp_path / "p" / "probe.json").read_text())["plan"]
    assert plan["upstream"] == "full" and plan["targets"] == 20
    code, _, err = cli("probe", job, "--upstream", "some")
    assert code == 2 and "--upstream" in err
