"""Job files and run folders: a TOML job -> a typed JobConfig -> one run folder."""

from augment.jobs.config import (
    TASK_NAMES,
    ALSConfig,
    DataConfig,
    EngineConfig,
    EnrichConfig,
    EvaluationConfig,
    GenerationParams,
    JobConfig,
    OutputConfig,
    SplitConfig,
    TaskConfig,
    TasksConfig,
    job_hash,
    load_job,
    parse_job,
)
from augment.jobs.demo import demo_job
from augment.jobs.rundir import RunDir, atomic_write_bytes, atomic_write_text

__all__ = [
    "TASK_NAMES",
    "ALSConfig",
    "DataConfig",
    "EngineConfig",
    "EnrichConfig",
    "EvaluationConfig",
    "GenerationParams",
    "JobConfig",
    "OutputConfig",
    "SplitConfig",
    "TaskConfig",
    "TasksConfig",
    "job_hash",
    "load_job",
    "parse_job",
    "demo_job",
    "RunDir",
    "atomic_write_bytes",
    "atomic_write_text",
]
