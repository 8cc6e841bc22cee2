"""Job files: validation errors name key and line; defaults; hash stability; shipped jobs."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from augment.engine import EngineConfig
from augment.errors import ConfigError
from augment.jobs import (
    JobConfig,
    demo_job,
    job_hash,
    load_job,
    parse_job,
)

REPO = Path(__file__).resolve().parents[2]
SHIPPED = sorted((REPO / "jobs").glob("*.toml"))


def _error(text: str) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        parse_job(text, file="job.toml")
    return info.value


def test_unknown_key_names_line_and_suggests():
    err = _error('[split]\nkind = "item-cold"\n\nsed = 3\n')
    assert err.key == "split.sed"
    assert err.line == 4
    assert "did you mean 'seed'" in str(err)
    assert "job.toml, line 4" in str(err)


def test_unknown_task_table_suggests_task_name():
    err = _error("[data]\n\n[tasks.item_attribute]\nsample = 3\n")
    assert err.key == "tasks.item_attribute"
    assert err.line == 3
    assert "item_attributes" in str(err)


def test_wrong_type_names_line():
    err = _error("[engine]\nconcurrency = 4\ntimeout_s = 10\nmax_retries = \"five\"\n")
    assert err.key == "engine.max_retries"
    assert err.line == 4
    assert "expected integer" in str(err)


def test_wrong_type_inside_inline_table():
    err = _error('[tasks.item_attributes]\nprovider = "openai"\n'
                 'params = { max_tokens = 100, temperature = "hot" }\n')
    assert err.key == "tasks.item_attributes.params.temperature"
    assert err.line == 3


def test_bad_enum_suggests():
    err = _error('[split]\nkind = "item_cold"\n')
    assert err.key == "split.kind"
    assert err.line == 2
    assert "did you mean 'item-cold'" in str(err)


def test_bad_provider_enum():
    err = _error('[tasks.user_profiles]\nprovider = "opnai"\n')
    assert err.key == "tasks.user_profiles.provider" and err.line == 2
    assert "openai" in str(err)


def test_several_problems_listed_first_by_line():
    err = _error('[als]\nfactors = 0\n[enrich]\nweight = -1\n')
    assert err.key == "als.factors" and err.line == 2
    assert "enrich.weight" in str(err)


def test_missing_file():
    with pytest.raises(ConfigError) as info:
        load_job("/nonexistent/job.toml")
    assert info.value.file == "/nonexistent/job.toml"
    assert "not found" in str(info.value)


def test_toml_syntax_error_has_line():
    err = _error('[data]\nsource = "x"\nbroken =\n')
    assert err.line == 3


@pytest.mark.parametrize("text, key", [
    ('[tasks.item_attributes]\napi_key = "abc"\n', "tasks.item_attributes.api_key"),
    ('[tasks.item_attributes]\nOPENAI_API_KEY = "abc"\n', "tasks.item_attributes.OPENAI_API_KEY"),
    ('[engine]\ntoken = "abc"\n', "engine.token"),
    ('[tasks.pseudo_interactions]\nmodel = "sk-proj-abcdefghijklmnop1234"\n',
     "tasks.pseudo_interactions.model"),
])
def test_key_like_field_is_rejected(text, key):
    err = _error(text)
    assert err.key == key
    assert err.line == 2
    assert "environment" in str(err)
    assert "abcdefghijklmnop" not in str(err)


def test_token_limits_are_not_mistaken_for_secrets():
    cfg = parse_job("[engine]\ntokens_per_minute = 1000\n"
                    "[tasks.item_attributes]\nparams = {max_tokens = 64}\n")
    assert cfg.engine.tokens_per_minute == 1000
    assert cfg.tasks.item_attributes.params.max_tokens == 64


def test_defaults_filled_in():
    cfg = parse_job("", name="empty")
    assert cfg == dataclasses.replace(JobConfig(name="empty"), output=cfg.output)
    assert cfg.output.dir == "runs/empty"
    assert cfg.split.kind == "item-cold" and cfg.split.seed == 0
    assert cfg.enrich.weight == "auto"
    assert cfg.evaluation.k == (10, 20)
    assert cfg.tasks.enabled() == []
    assert cfg.engine == EngineConfig()


def test_present_task_is_enabled_and_sample_all():
    cfg = parse_job('[tasks.pseudo_interactions]\nsample = "all"\n'
                    '[tasks.user_profiles]\nenabled = false\n')
    assert cfg.tasks.enabled() == ["pseudo_interactions"]
    assert cfg.tasks.pseudo_interactions.sample is None
    assert cfg.tasks.pseudo_interactions.n_repeats == 3  # task-specific default kept


def test_enrich_weight_number_and_confidence():
    cfg = parse_job("[enrich]\nweight = 0.25\nconfidence = {high = 1.0, low = 0.1}\n")
    assert cfg.enrich.weight == 0.25
    assert cfg.enrich.confidence == {"high": 1.0, "low": 0.1}


def test_hash_stable_under_layout_and_key_order():
    a = parse_job('[split]\nkind = "item-cold"\nseed = 1\n[als]\nfactors = 32\n')
    b = parse_job('# comment\n[als]\nfactors = 32\n\n[split]\nseed = 1\nkind = "item-cold"\n')
    assert job_hash(a) == job_hash(b)
    assert len(job_hash(a)) == 16


def test_rounds_default_one_keeps_old_hashes():
    base = parse_job("[tasks.pseudo_interactions]\nsample = 5\n")
    one = parse_job("[tasks.pseudo_interactions]\nsample = 5\nrounds = 1\n")
    three = parse_job("[tasks.pseudo_interactions]\nsample = 5\nrounds = 3\n")
    assert base.tasks.pseudo_interactions.rounds == 1
    assert three.tasks.pseudo_interactions.rounds == 3
    assert job_hash(base) == job_hash(one) != job_hash(three)
    # the shipped demo job hashes as before the key existed (run folders stay resumable)
    from augment.jobs.config import load_job
    assert job_hash(load_job(REPO / "jobs" / "movielens-demo.toml")) == "b34c0ade950e99af"
    with pytest.raises(ConfigError, match="rounds"):
        parse_job("[tasks.pseudo_interactions]\nrounds = 0\n")
    with pytest.raises(ConfigError, match="only pseudo_interactions runs in rounds"):
        parse_job("[tasks.item_attributes]\nrounds = 2\n")


def test_hash_ignores_name_output_and_throughput_but_not_content():
    base = parse_job("[split]\nseed = 1\n", name="a")
    other_place = parse_job('[split]\nseed = 1\n[output]\ndir = "elsewhere"\n'
                            "[engine]\nconcurrency = 2\nmax_cost_usd = 3\n", name="b")
    assert job_hash(base) == job_hash(other_place)
    assert job_hash(base) != job_hash(parse_job("[split]\nseed = 2\n"))
    assert job_hash(base) != job_hash(parse_job("[split]\nseed = 1\n[tasks.item_attributes]\n"))


def test_hash_is_pinned():
    # Changing the JobConfig defaults or the hash recipe changes every run's identity:
    # update this value only on purpose (and note it in the CHANGELOG).
    assert job_hash(JobConfig()) == job_hash(parse_job(""))
    assert job_hash(JobConfig()) == "e1933566a03e1b42"


def test_sections_parse_into_their_components_configs():
    from augment.engine import EngineConfig
    from augment.recommend import ALSConfig
    from augment.tuning import EnrichConfig

    cfg = parse_job("[engine]\nconcurrency = 3\nmax_cost_usd = 1.5\n[als]\nfactors = 8\n")
    assert cfg.engine == EngineConfig(concurrency=3, max_cost_usd=1.5)
    assert cfg.als == ALSConfig(factors=8) and cfg.enrich == EnrichConfig()


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_shipped_jobs_validate(path):
    cfg = load_job(path)
    assert cfg.name == path.stem
    assert cfg.tasks.enabled()
    assert cfg.output.dir == f"runs/{path.stem}"


def test_shipped_jobs_cover_the_providers():
    providers = {load_job(p).tasks.item_attributes.provider for p in SHIPPED}
    assert providers >= {"local", "openai", "anthropic"}
    ollama = load_job(REPO / "jobs" / "movielens-ollama.toml")
    assert ollama.tasks.item_attributes.base_url == "http://localhost:11434/v1"


def test_demo_toml_mirrors_demo_job():
    assert load_job(REPO / "jobs" / "movielens-demo.toml") == demo_job()
    assert demo_job().tasks.enabled() == ["item_attributes", "user_profiles",
                                          "pseudo_interactions"]


def test_defaults_match_the_library():
    import inspect

    from augment.enrich import DEFAULT_CONFIDENCE_WEIGHTS
    from augment.recommend import ALSRecommender

    sig = inspect.signature(ALSRecommender.__init__).parameters
    for name, value in JobConfig().als.params().items():
        assert sig[name].default == value, name
    assert JobConfig().enrich.confidence == DEFAULT_CONFIDENCE_WEIGHTS


def test_denoise_quantile_auto_is_a_value_of_its_own_and_old_hashes_hold():
    assert JobConfig().enrich.denoise_quantile == "auto"
    auto = parse_job("[enrich]\nweight = \"auto\"\n")
    fixed = parse_job("[enrich]\nweight = \"auto\"\ndenoise_quantile = 0.1\n")
    assert fixed.enrich.denoise_quantile == 0.1
    # before "auto" existed, 0.1 was the default and was ignored under an "auto" weight:
    # the default keeps its hash, a fixed quantile (now honoured) gets a new one
    assert job_hash(auto) == job_hash(JobConfig()) != job_hash(fixed)
    w = parse_job("[enrich]\nweight = 0.4\ndenoise_quantile = 0.2\n")
    assert job_hash(w) != job_hash(parse_job("[enrich]\nweight = 0.4\n"))
    with pytest.raises(ConfigError, match="denoise_quantile"):
        parse_job("[enrich]\ndenoise_quantile = \"sometimes\"\n")




def test_job_sections_are_the_registered_tasks():
    from augment.jobs.config import TASK_NAMES
    from augment.tasks import TASKS

    assert tuple(TASKS) == TASK_NAMES
    from augment.jobs import TasksConfig

    assert [f.name for f in dataclasses.fields(TasksConfig)] == list(TASKS)
