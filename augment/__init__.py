"""augment: fix cold start in recommender systems with LLM-generated, schema-validated data.

The path of the data: load (:mod:`augment.data`) → split (:mod:`augment.splits`) →
generate (:mod:`augment.tasks` + :mod:`augment.engine` + :mod:`augment.providers`) →
validate (:mod:`augment.schemas`) → enrich (:mod:`augment.enrich`) → train
(:mod:`augment.recommend`) → evaluate (:mod:`augment.evaluation`) → report
(:mod:`augment.report`). Jobs (:mod:`augment.jobs`) run the whole path into a run folder.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from augment.data import (
        ColumnMapping,
        Dataset,
        FeedbackRule,
        Vocabulary,
        load_dataset,
        load_mapped,
        load_movielens,
        read_mapped,
    )
    from augment.engine import Engine, EngineConfig, Estimate, PriceTable, RunResult, WorkItem
    from augment.enrich import augmented_variants, enrich
    from augment.errors import (
        AugmentError,
        BatchesInFlight,
        BudgetExceeded,
        ConfigError,
        DataError,
        ProviderError,
        SchemaError,
        ValidationFailed,
    )
    from augment.evaluation import evaluate, fit_baselines, format_table
    from augment.jobs import JobConfig, RunDir, job_hash, load_job
    from augment.pipeline import estimate_job, run_job
    from augment.providers import Completion, FakeProvider, Provider, Request, Usage, get_provider
    from augment.recommend import ALSRecommender
    from augment.report import write_report
    from augment.schemas import load_schema, validate
    from augment.splits import Split, split
    from augment.tasks import ItemAttributes, PseudoInteractions, UserProfiles, position_bias
    from augment.tuning import EnrichmentChoice, auto_variants, choose_enrichment

__version__ = "0.1.0"

# Exports are imported on first use (PEP 562), so `import augment` and the CLI start fast
# and the heavy libraries (implicit, scikit-learn, the SDKs) load only when needed.
_EXPORTS: dict[str, str] = {
    "Dataset": "augment.data",
    "Vocabulary": "augment.data",
    "load_dataset": "augment.data",
    "load_movielens": "augment.data",
    "ColumnMapping": "augment.data",
    "FeedbackRule": "augment.data",
    "read_mapped": "augment.data",
    "load_mapped": "augment.data",
    "Engine": "augment.engine",
    "EngineConfig": "augment.engine",
    "Estimate": "augment.engine",
    "PriceTable": "augment.engine",
    "RunResult": "augment.engine",
    "WorkItem": "augment.engine",
    "augmented_variants": "augment.enrich",
    "enrich": "augment.enrich",
    "AugmentError": "augment.errors",
    "BatchesInFlight": "augment.errors",
    "BudgetExceeded": "augment.errors",
    "ConfigError": "augment.errors",
    "DataError": "augment.errors",
    "ProviderError": "augment.errors",
    "SchemaError": "augment.errors",
    "ValidationFailed": "augment.errors",
    "evaluate": "augment.evaluation",
    "fit_baselines": "augment.evaluation",
    "format_table": "augment.evaluation",
    "JobConfig": "augment.jobs",
    "RunDir": "augment.jobs",
    "job_hash": "augment.jobs",
    "load_job": "augment.jobs",
    "run_job": "augment.pipeline",
    "estimate_job": "augment.pipeline",
    "Completion": "augment.providers",
    "FakeProvider": "augment.providers",
    "Provider": "augment.providers",
    "Request": "augment.providers",
    "Usage": "augment.providers",
    "get_provider": "augment.providers",
    "ALSRecommender": "augment.recommend",
    "write_report": "augment.report",
    "load_schema": "augment.schemas",
    "validate": "augment.schemas",
    "Split": "augment.splits",
    "split": "augment.splits",
    "ItemAttributes": "augment.tasks",
    "PseudoInteractions": "augment.tasks",
    "UserProfiles": "augment.tasks",
    "position_bias": "augment.tasks",
    "choose_enrichment": "augment.tuning",
    "auto_variants": "augment.tuning",
    "EnrichmentChoice": "augment.tuning",
}


def __getattr__(name: str) -> Any:
    if name == "probe":  # the package, callable as the function (augment.probe(job))
        return importlib.import_module("augment.probe")
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'augment' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


__all__ = [
    "__version__",
    # data and splits
    "Dataset",
    "Vocabulary",
    "load_dataset",
    "load_movielens",
    "ColumnMapping",
    "FeedbackRule",
    "read_mapped",
    "load_mapped",
    "Split",
    "split",
    # generation
    "Provider",
    "Request",
    "Completion",
    "Usage",
    "FakeProvider",
    "get_provider",
    "Engine",
    "EngineConfig",
    "Estimate",
    "PriceTable",
    "RunResult",
    "WorkItem",
    "load_schema",
    "validate",
    "ItemAttributes",
    "UserProfiles",
    "PseudoInteractions",
    "position_bias",
    # enrichment, training, evaluation
    "enrich",
    "augmented_variants",
    "choose_enrichment",
    "auto_variants",
    "EnrichmentChoice",
    "ALSRecommender",
    "evaluate",
    "fit_baselines",
    "format_table",
    # jobs and reports
    "JobConfig",
    "RunDir",
    "job_hash",
    "load_job",
    "run_job",
    "estimate_job",
    "probe",
    "write_report",
    # errors
    "AugmentError",
    "BatchesInFlight",
    "BudgetExceeded",
    "ConfigError",
    "DataError",
    "ProviderError",
    "SchemaError",
    "ValidationFailed",
]
