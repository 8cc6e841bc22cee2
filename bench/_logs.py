"""Log setup shared by the benchmark scripts run as ``python -m bench.<name>``."""

from __future__ import annotations

import logging

QUIET = ("augment.engine", "augment.recommend", "augment.enrich", "augment.evaluation",
         "augment.features", "augment.tuning")
"""Library loggers that log per fit or per request: warnings only in a benchmark's output."""


def bench_logging() -> None:
    """INFO lines with a timestamp on stderr; the per-fit/per-request loggers kept quiet."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    for name in QUIET:
        logging.getLogger(name).setLevel(logging.WARNING)
