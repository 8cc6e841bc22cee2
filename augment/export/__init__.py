"""Export: the enriched training data written out for trainers other than ours.

One home for every way enriched data leaves augment:

- :func:`export_enriched` (:mod:`augment.export.enriched`): what ``augment run`` writes
  to ``RUN_DIR/enriched/`` — the chosen model's interactions (``source`` = observed /
  generated) and its item and user features in long form, as Parquet for any trainer;
- :func:`export_spark` / :func:`export_run` (:mod:`augment.export.spark`): ``augment export
  RUN_DIR --format spark`` — integer-indexed interactions partitioned by ``source`` that
  Spark MLlib's ALS reads directly (recipe: the README's Scale section).
"""

from augment.export.enriched import export_enriched
from augment.export.spark import FORMATS, export_run, export_spark

__all__ = ["export_enriched", "export_spark", "export_run", "FORMATS"]
