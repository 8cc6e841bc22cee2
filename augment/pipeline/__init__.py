"""The whole path for users: a job config -> a run folder with records, metrics and a report.

```python
from augment.jobs import load_job
from augment.pipeline import run_job, estimate_job
cfg = load_job("jobs/movielens-demo.toml")
print(estimate_job(cfg))          # requests, tokens and cost per task, no call made
run_dir = run_job(cfg)            # resumable: run it again after a crash or Ctrl-C
```
"""

from augment.pipeline._estimate import TaskEstimate, estimate_job
from augment.pipeline._job_data import load_job_data, split_job_data
from augment.pipeline._run import run_job, with_output
from augment.providers.pool import ProviderFactory

__all__ = [
    "run_job",
    "estimate_job",
    "TaskEstimate",
    "ProviderFactory",
    "load_job_data",
    "split_job_data",
    "with_output",
]
