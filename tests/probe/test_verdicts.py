"""The probe's verdict on simulated models of known quality (oracle split: the simulated model
answers from one half of the held-out truth, the probe scores the other half)."""

from __future__ import annotations

from augment.probe import probe_split


def test_the_oracle_at_precision_1_gets_go(world, oracle, tmp_path):
    cfg, _ = world
    scored, _, simulated = oracle
    result = probe_split(cfg, scored, provider_factory=simulated(1.0),
                         store=tmp_path / "e.sqlite")
    assert result.verdict == "go", result.reason
    assert result.exit_code == 0
    assert result.n_targets == {"pseudo_interactions": 20}  # the floor of 20
    picks = result.figures["picks"]
    assert picks["precision"]["value"] > picks["random"]["precision"]["value"]
    assert picks["lift_precision_over_llm_free"]["diff"] > 0
    assert result.figures["gain"]["low"] > 1.0


def test_the_no_signal_model_gets_no_go(world, oracle, tmp_path):
    cfg, _ = world
    scored, _, simulated = oracle
    result = probe_split(cfg, scored, provider_factory=simulated(0.0),
                         store=tmp_path / "e.sqlite")
    assert result.verdict == "no-go", result.reason
    assert result.exit_code == 4
    assert result.figures["picks"]["hits"] == 0  # wrong picks are never held-out positives


def test_a_model_answering_like_the_llm_free_generator_is_not_go(world, oracle, tmp_path):
    from augment.evaluation.tuned import fit_tuned_baselines
    from augment.testing.llm_free import LLMFreeProvider

    cfg, _ = world
    scored, _, _ = oracle
    tb = fit_tuned_baselines(scored, 0, include=("retriever",))
    free = LLMFreeProvider(tb.models["retriever"], user_ids=scored.dataset.user_vocab.ids,
                           item_ids=scored.dataset.item_vocab.ids, picks=8, model="free-like")
    result = probe_split(cfg, scored, provider_factory=lambda tc: free,
                         store=tmp_path / "e.sqlite")
    assert result.verdict in ("no-go", "unclear"), result.reason


class _Poisoned:
    """A test frame that fails the test on any use."""

    def __getattr__(self, name):
        raise AssertionError(f"split.test was read (.{name})")

    def __len__(self):
        raise AssertionError("split.test was read (len)")


def test_the_probe_never_reads_the_test_rows(world, oracle, tmp_path):
    import dataclasses

    cfg, _ = world
    scored, _, simulated = oracle
    clean = probe_split(cfg, scored, provider_factory=simulated(1.0),
                        store=tmp_path / "a.sqlite")
    poisoned = probe_split(cfg, dataclasses.replace(scored, test=_Poisoned()),
                           provider_factory=simulated(1.0), store=tmp_path / "b.sqlite")
    assert poisoned.verdict == clean.verdict
    for key in ("gain", "picks", "bias", "target_ids"):
        assert poisoned.figures[key] == clean.figures[key], key


def test_a_provider_that_fails_every_request_raises(world, tmp_path):
    import pytest

    from augment.errors import PermanentProviderError, ProviderError
    from augment.providers.fake import FakeProvider

    def refuse(request):
        raise PermanentProviderError("401 invalid key", provider="fake")

    cfg, sp = world
    with pytest.raises(ProviderError, match="every pseudo_interactions request of the probe"):
        probe_split(cfg, sp, provider_factory=lambda tc: FakeProvider(fn=refuse),
                    store=tmp_path / "e.sqlite")
