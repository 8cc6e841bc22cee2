"""The report's "Probe" section: the verdict and figures of ``<run folder>/probe/probe.json``
(written by ``augment probe``), when the run folder has one."""

from __future__ import annotations

import json
from pathlib import Path

from augment.report.blocks import Section, Table, Text

__all__ = ["probe_section"]


def probe_section(run_path: Path) -> Section | None:
    """The section, or None when the run folder holds no probe."""
    path = run_path / "probe" / "probe.json"
    if not path.is_file():
        return None
    try:
        figures = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return Section("Probe", [Text(f"{path} could not be read", kind="warning")])
    from augment.probe._output import probe_rows

    rows = probe_rows(figures)
    blocks: list = [
        Text(f"verdict: {figures.get('verdict')}: {figures.get('reason')}",
             kind="p" if figures.get("verdict") == "go" else "warning"),
        Text(f"{figures.get('targets')} validation targets probed before the run "
             f"({figures.get('calls')} provider calls); details in probe/probe.md."),
        Table(rows[0], rows[1:], caption="probe figures (95% bootstrap intervals)")]
    return Section("Probe", blocks)
