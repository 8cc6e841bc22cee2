"""Build the report's sections from a run folder and write report.md and report.html."""

from __future__ import annotations

import logging
from pathlib import Path

from augment.errors import ConfigError
from augment.jobs.config import TASK_NAMES
from augment.jobs.rundir import RunDir, atomic_write_bytes, atomic_write_text
from augment.report.blocks import Figure, Section
from augment.report.data_sections import data_section
from augment.report.html import render_html
from augment.report.markdown import render_markdown
from augment.report.metrics_sections import metrics_sections
from augment.report.probe_section import probe_section
from augment.report.run_sections import (
    diagnostics_section,
    flagged_section,
    generation_sections,
    overview_section,
    samples_section,
)

__all__ = ["build_sections", "write_report"]

log = logging.getLogger(__name__)


def build_sections(run_dir: str | Path | RunDir) -> tuple[str, str, list[Section]]:
    """(title, subtitle, sections) of the report of ``run_dir``."""
    run = run_dir if isinstance(run_dir, RunDir) else RunDir(run_dir)
    manifest = run.manifest
    tasks = [t for t in TASK_NAMES if t in set(run.tasks_with_records())]
    tasks += [t for t in run.tasks_with_records() if t not in TASK_NAMES]
    records = {task: run.read_records(task) for task in tasks}
    for task in (manifest.get("models") or {}):
        records.setdefault(task, [])
    sections = [overview_section(run, manifest), data_section(manifest),
                *metrics_sections(run.read_metrics()),
                *generation_sections(run, manifest, records), flagged_section(records),
                diagnostics_section(run.read_diagnostics()), samples_section(records)]
    probed = probe_section(run.path)
    if probed is not None:
        sections.insert(2, probed)
    title = f"augment report: {manifest.get('job_name') or run.path.name}"
    subtitle = (f"status {manifest.get('status', 'unknown')} · job hash "
                f"{manifest.get('job_hash') or '—'} · {run.path}")
    return title, subtitle, sections


def write_report(run_dir: str | Path | RunDir) -> tuple[Path, Path]:
    """Write ``report.md`` (+ ``plots/*.png``) and ``report.html``; return both paths."""
    run = run_dir if isinstance(run_dir, RunDir) else RunDir(run_dir)
    if not run.path.is_dir():
        raise ConfigError("run folder not found; run the job first (augment run <job.toml>)",
                          file=str(run.path))
    title, subtitle, sections = build_sections(run)
    figure_paths = {}
    for section in sections:
        for block in section.blocks:
            if isinstance(block, Figure):
                atomic_write_bytes(run.plots_dir / f"{block.name}.png", block.png)
                figure_paths[block.name] = f"plots/{block.name}.png"
    md_path = atomic_write_text(run.report_md, render_markdown(title, sections, figure_paths))
    html_path = atomic_write_text(run.report_html, render_html(title, subtitle, sections))
    log.info("report written: %s, %s", md_path, html_path)
    return md_path, html_path
