"""Probe before you pay: a job's tasks on a few validation targets, measured, and a verdict.

```python
import augment
result = augment.probe("jobs/movielens-demo.toml")     # or a JobConfig
print(result.verdict, result.reason)                   # "go" | "no-go" | "unclear"
```

:func:`probe` draws N validation cold targets of the job's split (seeded, in the
job's own target order; default 1.5% of the full job's pseudo-interaction targets,
at least 20, at most what validation holds), runs the job's tasks on them through
the job's Engine and run-folder store (so a later ``augment run`` reuses every
answer), and measures per task validity at first attempt, tokens, seconds and
cost per target; for pseudo-interactions the pick precision and recall against
held-out validation truth with bootstrap 95% CIs, next to random picks among the
same candidates and the LLM-free generator's picks, their lifts, position and
popularity bias; for attributes genre F1 when the items have genres. The verdict
figure is the cross-fitted cold recall@20 ratio of the enriched model over the
best LLM-free model on the probe targets (:mod:`augment.probe.gain`); the rule is
:mod:`augment.probe.verdict`. ``split.test`` is never read.
"""

import sys
import types
from typing import Any

from augment.probe._probe import FORMAT, ProbeResult, probe, probe_split
from augment.probe.quality import (
    bias_quality,
    genre_quality,
    majority_genre_quality,
    pick_precision,
)

__all__ = ["probe", "probe_split", "ProbeResult", "FORMAT", "pick_precision", "genre_quality",
           "majority_genre_quality", "bias_quality"]


class _CallableModule(types.ModuleType):
    """``augment.probe`` is this package and the function: ``augment.probe(job)`` calls
    :func:`probe` (a package attribute cannot be both otherwise)."""

    def __call__(self, *args: Any, **kwargs: Any) -> ProbeResult:
        return probe(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
