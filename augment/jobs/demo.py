"""The demo job, built in code so ``augment demo`` works from any installation.

``jobs/movielens-demo.toml`` in the source tree mirrors :func:`demo_job`; a
test keeps the two equal.
"""

from __future__ import annotations

from augment.jobs.config import (
    EngineConfig,
    GenerationParams,
    JobConfig,
    OutputConfig,
    SplitConfig,
    TaskConfig,
    TasksConfig,
)

__all__ = ["demo_job"]


def demo_job(output_dir: str = "runs/movielens-demo") -> JobConfig:
    """MovieLens (small), item-cold split, the embedded local model, small samples."""
    params = GenerationParams(temperature=0.2, max_tokens=384, seed=0)
    tasks = TasksConfig(
        item_attributes=TaskConfig(enabled=True, provider="local", sample=30, params=params),
        user_profiles=TaskConfig(enabled=True, provider="local", sample=20, params=params),
        pseudo_interactions=TaskConfig(enabled=True, provider="local", sample=10, n_repeats=2,
                                       n_candidates=10, params=params),
    )
    return JobConfig(name="movielens-demo", split=SplitConfig(kind="item-cold", seed=0),
                     tasks=tasks, engine=EngineConfig(concurrency=1),
                     output=OutputConfig(dir=output_dir))
