"""Spark MLlib ALS reads every row of the enriched export and learns as well as implicit.

Marked ``spark`` (and ``realdata``, ``slow``): needs the ``[spark]`` extra, Java 17 and
MovieLens in ``AUGMENT_DATA_DIR``; skipped when pyspark is not installed. Spark's
regularization is the one ``bench/spark_als.py`` chose on validation.
"""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.spark, pytest.mark.realdata, pytest.mark.slow]


def test_spark_als_on_the_enriched_export(movielens_dir, tmp_path):
    pytest.importorskip("pyspark")
    from bench import _spark as S

    run = S.enriched_movielens(movielens_dir, tmp_path / "spark")
    assert run.counts["by_source"]["generated"] > 0
    implicit = S.implicit_als(run)
    spark = S.spark_session(1)
    try:
        got = S.spark_als(spark, run, grid=S.CHOSEN)
    finally:
        spark.stop()
    assert got["rows_read"] == run.counts["rows"] == len(run.data.interactions)
    assert got["rows_read_by_source"] == run.counts["by_source"]
    ratio = got["warm_recall@20"] / implicit["warm_recall@20"]
    assert ratio >= 0.85, (got, implicit)
