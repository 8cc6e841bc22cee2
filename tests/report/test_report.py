"""The report of a synthetic run folder: tables, embedded images, escaping, "not run"."""

from __future__ import annotations

import base64
import re
from html.parser import HTMLParser

import pytest
from report_fixtures import INJECTION, MODELS, synthetic_metrics

from augment.errors import ConfigError
from augment.jobs import RunDir, parse_job
from augment.report import build_sections, write_report
from augment.report.blocks import fmt
from augment.report.markdown import render_markdown
from augment.report.metrics_sections import headline_metric

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


class _Collector(HTMLParser):
    """Collects tags, attributes and text so tests check structure, not substrings."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def _parse(html: str) -> _Collector:
    c = _Collector()
    c.feed(html)
    return c


def test_html_has_metrics_table_and_embedded_pngs(synthetic_run):
    md_path, html_path = write_report(synthetic_run)
    html = html_path.read_text(encoding="utf-8")
    parsed = _parse(html)
    text = " ".join(parsed.text)
    for model in MODELS:
        assert model in text
    assert "recall@20" in text and "cold users/items" in text
    imgs = [a["src"] for t, a in parsed.tags if t == "img"]
    assert len(imgs) == 3  # cold/warm, tokens, popularity
    for src in imgs:
        assert src.startswith("data:image/png;base64,")
        assert base64.b64decode(src.split(",", 1)[1])[:8] == PNG_MAGIC
    assert md_path.name == "report.md"


def test_html_is_self_contained(synthetic_run):
    _, html_path = write_report(synthetic_run)
    parsed = _parse(html_path.read_text(encoding="utf-8"))
    tags = [t for t, _ in parsed.tags]
    assert "script" not in tags and "link" not in tags
    for _, attrs in parsed.tags:
        for name in ("src", "href"):
            value = attrs.get(name)
            if value is not None:
                assert value.startswith(("data:", "#")), value


def test_model_output_is_escaped(synthetic_run):
    _, html_path = write_report(synthetic_run)
    html = html_path.read_text(encoding="utf-8")
    parsed = _parse(html)
    # the injection shows up as text, never as a tag
    assert [t for t, _ in parsed.tags if t == "script"] == []
    assert not [a for t, a in parsed.tags if t == "img" and a.get("onerror")]
    assert "&lt;script&gt;" in html
    assert INJECTION.replace('"', '\\"') in "".join(parsed.text)  # shown in a sample
    assert "<script" not in html.lower()


def test_markdown_has_table_plots_and_escapes(synthetic_run):
    md_path, _ = write_report(synthetic_run)
    md = md_path.read_text(encoding="utf-8")
    assert ("| model | recall@10 | recall@20 | ndcg@10 | ndcg@20 | hit_rate@10 | hit_rate@20 "
            "| precision@10 | precision@20 | coverage@10 | coverage@20 | popularity@10 "
            "| popularity@20 |") in md
    for name in ("cold_warm", "tokens", "popularity"):
        assert f"(plots/{name}.png)" in md
        assert (synthetic_run.plots_dir / f"{name}.png").read_bytes()[:8] == PNG_MAGIC
    # the failure table cell with the injection is escaped; a sample with ``` gets a longer fence
    assert "&lt;script&gt;" in md.split("## Sample records")[0]
    assert "````json" in md


def test_gains_are_computed_against_baselines(synthetic_run):
    _, _, sections = build_sections(synthetic_run)
    gains = next(s for s in sections if s.title == "Gain from augmentation")
    table = gains.blocks[-1]
    assert table.header[-2:] == ["vs als", "vs als+content"]
    metrics = synthetic_run.read_metrics()["models"]
    row = next(r for r in table.rows if r[:3] == ["als+augmented", "cold", "recall@20"])
    expected = metrics["als+augmented"]["cold"]["recall@20"] - metrics["als"]["cold"]["recall@20"]
    assert row[4].startswith(f"{expected:+.4f}")


def test_validity_rates_and_failure_reasons(synthetic_run):
    _, _, sections = build_sections(synthetic_run)
    validity = next(s for s in sections if s.title == "Validity and failures")
    rates = {r[0]: r[1:] for r in validity.blocks[0].rows}
    assert rates["item_attributes"] == [5, 1, "83.3%"]
    assert rates["user_profiles"] == [3, 2, "60.0%"]
    assert rates["pseudo_interactions"] == [4, 0, "100.0%"]
    reasons = {(r[0], r[1]): r[2] for r in validity.blocks[1].rows}
    assert reasons == {("item_attributes", "validation"): 1, ("user_profiles", "provider"): 1,
                       ("user_profiles", "validation"): 1}


def test_empty_run_renders_not_run(tmp_path):
    run = RunDir(tmp_path / "run").start(parse_job("", name="fresh"))
    md_path, html_path = write_report(run)
    html = html_path.read_text(encoding="utf-8")
    assert html.count('class="notrun"') >= 5
    assert "did not finish (status: running)" in html
    assert "<img" not in html
    assert "*Not run:* evaluation" in md_path.read_text(encoding="utf-8")


def test_folder_without_manifest_still_renders(tmp_path, rng):
    run = RunDir(tmp_path)
    run.write_metrics({"split": "item-cold", "seed": 0, "k": [10, 20],
                       "models": {"als": synthetic_metrics(rng)["models"]["als"]}})
    _, html_path = write_report(run)
    html = html_path.read_text(encoding="utf-8")
    assert "no manifest.json" in html and "Not run: augmented variants" in html


def test_failed_run_shows_error(tmp_path):
    run = RunDir(tmp_path).start(parse_job(""))
    run.fail(RuntimeError("provider <down>"))
    _, html_path = write_report(run)
    assert "status: failed: RuntimeError: provider &lt;down&gt;" in html_path.read_text()


def test_missing_folder_is_config_error(tmp_path):
    with pytest.raises(ConfigError):
        write_report(tmp_path / "nope")


def test_rewrite_replaces_report(synthetic_run):
    write_report(synthetic_run)
    synthetic_run.write_metrics({"models": {}})
    _, html_path = write_report(synthetic_run)
    assert "no metrics.json" in html_path.read_text()
    leftovers = [p.name for p in synthetic_run.path.iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []


def test_headline_metric_prefers_largest_k():
    metrics = {"k": [5, 50], "models": {"a": {"cold": {"recall@5": 0.1, "recall@50": 0.3}}}}
    assert headline_metric(metrics) == "recall@50"
    assert headline_metric({"models": {"a": {"cold": {"recall@7": 1.0}}}}) == "recall@7"
    assert headline_metric({"models": {}}) is None


def test_fmt_and_markdown_cells():
    assert fmt(None) == "—" and fmt(float("nan")) == "—" and fmt(0.123456) == "0.1235"
    assert fmt(12345.6) == "12,346" and fmt(True) == "yes"
    from augment.report.blocks import Section, Table

    md = render_markdown("t", [Section("S", [Table(["a"], [["x|y\nz<b>"]])])], {})
    row = [line for line in md.splitlines() if line.startswith("| x")][0]
    assert row == r"| x\|y z&lt;b&gt; |"
    assert re.search(r"^## S$", md, re.M)
