"""Job files: TOML -> validated, typed :class:`JobConfig` with every default filled in.

A job file has the sections ``[data] [split] [tasks.<task>] [engine] [enrich]
[als] [evaluation] [output]``; every key is optional. It is validated against
``schemas/job.schema.json``; errors name the key and its line. API keys never
belong in a job file (they come from the environment) and are rejected.

A task table present in the file is enabled unless it says ``enabled = false``;
an absent task is disabled.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from augment.data.feedback import FeedbackRule
from augment.data.mapping import ColumnMapping
from augment.engine.types import EngineConfig
from augment.errors import ConfigError
from augment.jobs._validate import validate_job_dict
from augment.recommend import ALSConfig
from augment.tuning import EnrichConfig

__all__ = [
    "TASK_NAMES", "DataConfig", "SplitConfig", "GenerationParams", "TaskConfig", "TasksConfig",
    "EngineConfig", "EnrichConfig", "ALSConfig", "EvaluationConfig", "OutputConfig",
    "JobConfig", "load_job", "parse_job", "job_hash",
]

TASK_NAMES = ("item_attributes", "user_profiles", "pseudo_interactions")
"""The job-file sections of the registered tasks (``augment.tasks.TASKS``), in run order."""


@dataclass(frozen=True)
class DataConfig:
    """Where the interactions and the catalog come from, and how they are read.

    Either ``source`` (MovieLens or a folder in augment's own layout) or
    ``interactions`` (any table, read through ``columns`` and ``feedback``; see
    ``augment.data.read_mapped``).
    """

    source: str = "movielens-small"
    """``"movielens-small"`` or a folder holding interactions + items (CSV or Parquet);
    ignored when ``interactions`` is set."""
    data_dir: str | None = None
    """Folder holding ``ml-latest-small/``; None = ``AUGMENT_DATA_DIR``, else download."""
    interactions: str | dict[str, Any] | None = None
    """The interactions table: a CSV/TSV/Parquet file or a folder of Parquet parts (path),
    ``{query = "SELECT ..."}`` or ``{table = "events"}`` through ``url``, or
    ``{duckdb = "SELECT ... FROM 'log/*.parquet'"}``."""
    items: str | dict[str, Any] | None = None
    """The items table, in the same forms (None = items without text)."""
    url: str | None = None
    """SQLAlchemy URL of the database of ``{query}`` / ``{table}`` sources (no password:
    use ``url_env``)."""
    url_env: str | None = None
    """Name of an environment variable holding the URL (for URLs with a password)."""
    columns: ColumnMapping = field(default_factory=ColumnMapping)
    """Which column is the user, the item, the feedback, the timestamp; text and private
    item columns."""
    feedback: FeedbackRule = field(default_factory=FeedbackRule)
    """How the feedback column becomes one weight per (user, item)."""
    write_back: str | None = None
    """SQL sources: also write the enriched interactions and features to this new table
    (and ``<table>_item_features``, ``<table>_user_features``) of the same database."""

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> DataConfig:
        """From a validated ``[data]`` table."""
        raw = dict(raw)
        if "columns" in raw:
            raw["columns"] = ColumnMapping.from_dict(raw["columns"])
        if "feedback" in raw:
            raw["feedback"] = FeedbackRule.from_dict(raw["feedback"])
        url = raw.get("url")
        if url and _URL_PASSWORD.search(url):
            raise ConfigError("the database URL holds a password; put the URL in an "
                              "environment variable and name it in data.url_env",
                              key="data.url")
        cfg = cls(**raw)
        cfg.columns.check()
        cfg.feedback.check(has_feedback=cfg.columns.feedback is not None)
        if cfg.write_back is not None and not cfg.is_sql():
            raise ConfigError("write_back needs a SQL source (interactions = {query = ...} or "
                              "{table = ...} with data.url); the enriched data is in the run "
                              "folder as Parquet anyway", key="data.write_back")
        return cfg

    def is_sql(self) -> bool:
        """True when the interactions come from a SQL query or table."""
        return isinstance(self.interactions, dict) and bool(
            {"query", "table"} & set(self.interactions))

    def database_url(self) -> str | None:
        """``url``, or the value of the ``url_env`` variable."""
        if self.url_env:
            value = os.environ.get(self.url_env)
            if not value:
                raise ConfigError(f"environment variable {self.url_env} is not set; export the "
                                  "database URL in it", key="data.url_env")
            return value
        return self.url


_URL_PASSWORD = re.compile(r"^[a-z0-9+]+://[^/@:]*:[^/@]+@", re.IGNORECASE)


@dataclass(frozen=True)
class SplitConfig:
    """The cold-start protocol."""

    kind: Literal["item-cold", "user-cold"] = "item-cold"
    """``"item-cold"`` (held-out items) or ``"user-cold"`` (users with short histories)."""
    seed: int = 0
    """Seed of the split (and of every seeded step downstream)."""
    k: int = 3
    """user-cold only: interactions of history each cold user keeps."""


@dataclass(frozen=True)
class GenerationParams:
    """Generation parameters sent with every request of a task."""

    temperature: float = 0.2
    """Sampling temperature (0 = greedy)."""
    max_tokens: int = 512
    """Upper bound on output tokens per answer."""
    top_p: float | None = None
    """Nucleus sampling mass (None = provider default)."""
    seed: int | None = None
    """Sampling seed where the provider supports one (None = not sent)."""

    def as_request_params(self) -> dict[str, Any]:
        """The ``Request.params`` dict (unset values left out)."""
        return {k: v for k, v in dataclasses.asdict(self).items() if v is not None}


@dataclass(frozen=True)
class TaskConfig:
    """One generation task: which model, how many targets, how requests are shaped."""

    enabled: bool = False
    """Run this task (True when its table is in the job file, unless it says otherwise)."""
    provider: Literal["local", "openai", "openai-compatible", "anthropic", "fake"] = "local"
    """Provider name for ``augment.providers.get_provider`` (``"openai-compatible"`` needs
    ``base_url``; ``"fake"`` answers plausible schema-valid data offline, for dry runs)."""
    model: str | None = None
    """Model name; None = the provider's default."""
    base_url: str | None = None
    """OpenAI-compatible endpoint (vLLM, Ollama, llama.cpp server), e.g. http://localhost:11434/v1."""
    sample: int | None = 100
    """Number of targets (items or users) to generate for; None (``"all"`` in TOML) = all."""
    items_per_request: int = 1
    """Targets packed into one request."""
    n_repeats: int = 1
    """Requests per target (pseudo-interactions: candidate order is shuffled per repeat)."""
    n_candidates: int = 20
    """Candidates shown per request (pseudo-interactions)."""
    rounds: int = 1
    """Rounds of pseudo-interaction requests for cold users: each round adds the kept
    picks to the user's profile and shows new candidates (``n_repeats`` more requests
    per cold user and round). Cold items take one round."""
    params: GenerationParams = field(default_factory=GenerationParams)
    """Generation parameters."""


@dataclass(frozen=True)
class TasksConfig:
    """The three built-in tasks."""

    item_attributes: TaskConfig = field(default_factory=TaskConfig)
    """Attributes per item from its title and text."""
    user_profiles: TaskConfig = field(default_factory=TaskConfig)
    """A preference profile per user from their history."""
    pseudo_interactions: TaskConfig = field(
        default_factory=lambda: TaskConfig(n_repeats=3, n_candidates=20))
    """Which candidate users (items) would interact with a cold item (user)."""

    def enabled(self) -> list[str]:
        """Names of the enabled tasks, in run order."""
        return [n for n in TASK_NAMES if getattr(self, n).enabled]


@dataclass(frozen=True)
class EvaluationConfig:
    """What is measured."""

    k: tuple[int, ...] = (10, 20)
    """Cut-offs of recall, NDCG, hit rate and precision."""


@dataclass(frozen=True)
class OutputConfig:
    """Where the run folder goes."""

    dir: str = "runs/job"
    """Run folder, relative to the current directory (default ``runs/<job name>``)."""


@dataclass(frozen=True)
class JobConfig:
    """A whole job, every default filled in. Build with :func:`load_job` or directly."""

    name: str = "job"
    """Job name (default: the file name without ``.toml``)."""
    data: DataConfig = field(default_factory=DataConfig)
    """Input data."""
    split: SplitConfig = field(default_factory=SplitConfig)
    """Cold-start split."""
    tasks: TasksConfig = field(default_factory=TasksConfig)
    """Generation tasks."""
    engine: EngineConfig = field(default_factory=EngineConfig)
    """Engine limits (``augment.engine.EngineConfig``)."""
    enrich: EnrichConfig = field(default_factory=EnrichConfig)
    """Enrichment (``augment.tuning.EnrichConfig``)."""
    als: ALSConfig = field(default_factory=ALSConfig)
    """ALS hyper-parameters (``augment.recommend.ALSConfig``)."""
    evaluation: EvaluationConfig = field(default_factory=EvaluationConfig)
    """Evaluation cut-offs."""
    output: OutputConfig = field(default_factory=OutputConfig)
    """Run folder."""
    prices: str | dict[str, dict[str, dict[str, float]]] | None = None
    """Prices for models the shipped table lacks: a JSON prices file, or provider -> model ->
    rates (USD per 1M tokens), so any model can have a budget."""

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (tuples as lists, None kept)."""
        return json.loads(json.dumps(dataclasses.asdict(self)))

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, name: str | None = None) -> JobConfig:
        """Build from a *validated* job dict (as parsed from TOML), filling defaults."""
        from augment.tasks.registry import TASKS

        tasks = {}
        defaults = TasksConfig()
        multi = [n for n in TASK_NAMES if TASKS[n].multi_round]
        for task in TASK_NAMES:
            raw = dict(data.get("tasks", {}).get(task, {"enabled": False}))
            raw.setdefault("enabled", True)
            if raw.get("sample") == "all":
                raw["sample"] = None
            if task not in multi and raw.get("rounds", 1) != 1:
                raise ConfigError(f"tasks.{task}.rounds: only {' and '.join(multi)} runs in "
                                  "rounds; remove the key", key=f"tasks.{task}.rounds")
            if (raw.get("enabled") and raw.get("provider") == "openai-compatible"
                    and not raw.get("base_url")):
                raise ConfigError("provider 'openai-compatible' needs base_url, e.g. "
                                  '"http://localhost:8000/v1"', key=f"tasks.{task}.base_url")
            params = GenerationParams(**raw.pop("params", {}))
            tasks[task] = dataclasses.replace(getattr(defaults, task), params=params, **raw)
        enrich = dict(data.get("enrich", {}))
        if "confidence" in enrich:
            enrich["confidence"] = {str(k): float(v) for k, v in enrich["confidence"].items()}
        evaluation = dict(data.get("evaluation", {}))
        if "k" in evaluation:
            evaluation["k"] = tuple(evaluation["k"])
        job_name = data.get("name", name or "job")
        output = OutputConfig(**{"dir": f"runs/{job_name}", **data.get("output", {})})
        return cls(name=job_name, data=DataConfig.from_dict(data.get("data", {})),
                   split=SplitConfig(**data.get("split", {})), tasks=TasksConfig(**tasks),
                   engine=EngineConfig(**data.get("engine", {})), enrich=EnrichConfig(**enrich),
                   als=ALSConfig(**data.get("als", {})),
                   evaluation=EvaluationConfig(**evaluation), output=output,
                   prices=data.get("prices"))


def parse_job(text: str, *, file: str | None = None, name: str | None = None) -> JobConfig:
    """Parse and validate job TOML text. ``file`` is only used in error messages."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"line (\d+)", str(exc))
        line = getattr(exc, "lineno", None) or (int(found.group(1)) if found else None)
        raise ConfigError(f"not valid TOML: {exc}. Fix the syntax and run again",
                          file=file, line=line) from exc
    validate_job_dict(data, text, file)
    try:
        return JobConfig.from_dict(data, name=name)
    except ConfigError as exc:
        if exc.file is not None or file is None:
            raise
        raise ConfigError(str(exc), file=file) from exc  # name the job file too


def load_job(path: str | Path) -> JobConfig:
    """Read, validate and type a job file. Raises ConfigError naming key and line."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ConfigError("job file not found; check the path (shipped jobs live in jobs/)",
                          file=str(path)) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read the job file: {exc}", file=str(path)) from exc
    cfg = parse_job(text, file=str(path), name=path.stem)
    if isinstance(cfg.prices, str) and not Path(cfg.prices).is_absolute():
        cfg = dataclasses.replace(cfg, prices=str(path.parent / cfg.prices))
    return cfg


_HASH_EXCLUDED = {
    ("name",), ("output",), ("data", "data_dir"), ("data", "write_back"), ("data", "url_env"),
    ("engine", "concurrency"), ("engine", "requests_per_minute"),
    ("engine", "tokens_per_minute"), ("engine", "max_cost_usd"), ("engine", "timeout_s"),
    ("engine", "max_retries"), ("engine", "backoff_initial_s"), ("engine", "backoff_max_s"),
    ("engine", "progress"), ("engine", "max_failure_rate"), ("engine", "mode"),
    ("engine", "wait"), ("engine", "poll_initial_s"), ("engine", "poll_max_s"),
    ("engine", "batch_max_requests"), ("engine", "truncation_max_tokens"), ("prices",),
}


_DATA_DEFAULTS: dict[str, Any] = {
    "interactions": None, "items": None, "url": None,
    "columns": json.loads(json.dumps(dataclasses.asdict(ColumnMapping()))),
    "feedback": json.loads(json.dumps(dataclasses.asdict(FeedbackRule()))),
}


def _hash_denoise(enrich: dict[str, Any]) -> None:
    """``enrich.denoise_quantile`` as hashed: equal to the hash of a job written before
    ``"auto"`` existed exactly when the job means the same (before, a number under an
    "auto" weight was ignored and the tuner chose; with a fixed weight it was applied)."""
    q = enrich["denoise_quantile"]
    if enrich["weight"] == "auto":
        enrich["denoise_quantile"] = 0.1 if q == "auto" else {"fixed": q}
    elif q == "auto":
        enrich["denoise_quantile"] = None


def job_hash(config: JobConfig) -> str:
    """A stable hash of what determines a run's records and metrics.

    Excluded (they change where or how fast, not what): the job name, the
    output folder, the data folder, the prices and the engine's throughput limits,
    budget, timeout, retries, mode (online or batch) and its polling. Key order and
    the TOML layout never matter.
    """
    data = config.to_dict()
    for key, default in _DATA_DEFAULTS.items():  # [data] keys added later hash as before
        if data["data"].get(key) == default:
            data["data"].pop(key)
    for task in data["tasks"].values():  # keys added later hash as before at their default
        if task.get("rounds") == 1:
            task.pop("rounds")
    if data["enrich"].get("use_flagged") is False:
        data["enrich"].pop("use_flagged")
    _hash_denoise(data["enrich"])
    for path in _HASH_EXCLUDED:
        node = data
        for key in path[:-1]:
            node = node[key]
        node.pop(path[-1], None)
    payload = json.dumps({"job_format": 1, **data}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]
