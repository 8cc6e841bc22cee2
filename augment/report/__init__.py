"""The run report: Markdown + a self-contained HTML page with embedded plots.

``write_report(run_dir)`` reads a run folder (see :mod:`augment.jobs.rundir`)
and writes ``report.md`` (figures under ``plots/``) and ``report.html``
(figures as data URIs). Missing pieces render as "not run".
"""

from augment.report.build import build_sections, write_report

__all__ = ["write_report", "build_sections"]
