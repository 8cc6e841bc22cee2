"""The probe with the embedded model (SmolLM2-135M) on MovieLens: it finishes and states a
verdict. The demo job is shrunk to its pseudo-interactions on 2 probe targets (4 requests) to
keep the suite short; ``augment probe jobs/movielens-demo.toml`` itself is timed by hand
(README)."""

from __future__ import annotations

import dataclasses

import pytest

from augment.cli.demo import demo_config
from augment.probe import probe


@pytest.mark.local_model
@pytest.mark.realdata
@pytest.mark.slow
def test_the_embedded_model_gets_a_verdict(tmp_path, movielens_dir):
    pytest.importorskip("llama_cpp")
    cfg = demo_config(1, str(tmp_path / "run"), data_dir=str(movielens_dir))
    off = {name: dataclasses.replace(getattr(cfg.tasks, name), enabled=False)
           for name in ("item_attributes", "user_profiles")}
    cfg = dataclasses.replace(cfg, tasks=dataclasses.replace(cfg.tasks, **off))
    result = probe(cfg, targets=2, progress=False)
    assert result.verdict in ("go", "no-go", "unclear")
    assert result.line.startswith(f"verdict: {result.verdict}: ")
    assert result.n_targets == {"pseudo_interactions": 2}
    assert result.calls > 0 and (tmp_path / "run" / "probe" / "probe.json").is_file()
