"""The demo's report, as a reader sees it: `bin/lakeloop demo` (on moto S3, shared with
test_s3_demo.py) ends with `report`, which writes the HTML page and the PNG summary into the
bucket; the page, copied to local disk, is rendered in headless Chromium (Debian's, via
bin/setup-chromium) at desktop and phone widths. The page must load without a console error, an
exception or any network request, and its charts and tables must hold the run's numbers, checked
against the Delta tables read with delta-rs and, for the ROC curve, against scikit-learn."""

from __future__ import annotations

import re
import struct

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from browser import render
from conftest import BUCKET, PREFIX, table


@pytest.fixture(scope="module")
def report(demo_on_s3, demo_copy, tmp_path_factory):
    out, s3, _, _ = demo_on_s3
    # the demo prints where its report is: in the bucket
    match = re.search(r"open (s3a://\S+/report\.html)", out)
    assert match, out[-3000:]
    key = match.group(1).removeprefix(f"s3a://{BUCKET}/")
    assert key.startswith(f"{PREFIX}/reports/churn/")
    s3.head_object(Bucket=BUCKET, Key=key)
    s3.head_object(Bucket=BUCKET, Key=key.replace("report.html", "summary.png"))
    html = demo_copy / key.removeprefix(PREFIX + "/")
    shots = tmp_path_factory.mktemp("report-shots")
    wide = render(html, shots / "wide.png", width=1280)
    narrow = render(html, shots / "narrow.png", width=420)
    return html, wide, narrow, demo_copy


def _section(dom: str, name: str) -> str:
    start = dom.index(f'<section id="{name}">')
    return dom[start : dom.index("</section>", start)]


def _values(svg: str, estimated: bool | None = None) -> list[tuple[float, float]]:
    """The points of a chart's lines; with `estimated`, only the versions' realized lines (False)
    or their estimated, dashed ones (True), not the rules' bound lines."""
    points = []
    for name, series in re.findall(r'data-series="([^"]*)" data-values="([^"]*)"', svg):
        if estimated is not None and not (
            name.startswith("v") and name.endswith(" estimated") == estimated
        ):
            continue
        for pair in series.split():
            x, y = pair.split(",")
            points.append((float(x), float(y)))
    return points


def test_the_report_renders_without_errors_or_network_at_desktop_and_phone_width(report):
    html, wide, narrow, _ = report
    for page in (wide, narrow):
        assert page.errors() == [], page.errors()
        assert page.failed_requests == []
        # the page's script ran to its end and wired every table for sorting
        assert 'data-ready="1"' in page.dom
        assert page.dom.count('data-sortable="ready"') == page.dom.count('class="sortable"') >= 3
    # nothing overflows a phone-sized window sideways; both screenshots are real PNGs
    assert narrow.size[0] <= 420, narrow.size
    for shot, width in ((wide.screenshot, 1280), (narrow.screenshot, 420)):
        data = shot.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        assert struct.unpack(">I", data[16:20])[0] == width
        assert len(data) > 50_000  # charts and text, not a blank page


def test_the_headline_names_the_champion_the_gate_and_the_open_alerts(report):
    _, wide, _, warehouse = report
    aliases = table(warehouse, "model_aliases")
    champion = int(aliases[(aliases.model_name == "churn") & (aliases.alias == "champion")].version.iloc[0])
    headline = _section(wide.dom, "headline")
    assert re.search(rf'id="champion"><h3>Champion</h3><div class="big">churn/{champion}<', headline)
    gate = table(warehouse, "gate_decisions")
    winner = gate[gate.winner & (gate.run_id == "demo-compress")].candidate.iloc[0]
    assert f"blessed: {winner}" in headline
    alerts = table(warehouse, "alerts")
    shown = re.search(r'id="open-alerts"><h3>Open alerts</h3><div class="big bad">(\d+)<', headline)
    assert shown and int(shown.group(1)) > 0
    assert int(shown.group(1)) <= len(alerts)


def test_quality_charts_are_drawn_from_eval_metrics(report):
    _, wide, _, warehouse = report
    quality = _section(wide.dom, "quality")
    view = quality[quality.index('data-view="1 day|*|*"') :]
    view = view[: view.index("</div>")] if "</div>" in view else view
    accuracy = view[view.index('data-metric="accuracy"') :]
    accuracy = accuracy[: accuracy.index("</figure>")]
    metrics = table(warehouse, "eval_metrics")
    # solid lines: the realized accuracy; dashed: its estimate without labels (CBPE)
    for estimated, metric in ((False, "accuracy"), (True, "estimated_accuracy")):
        drawn = sorted(_values(accuracy, estimated))
        daily = metrics[
            (metrics.granularity == "1 day") & (metrics.slice_key == "*") & (metrics.metric == metric)
        ].dropna(subset=["value"])
        expected = sorted(
            (float(pd.Timestamp(d).date().toordinal() - pd.Timestamp("1970-01-01").date().toordinal()), v)
            for d, v in zip(daily.window_start, daily.value)
        )
        assert drawn == expected, metric
        assert len(expected) > 10, metric
    # every chart of the visible view has lines and a title
    assert view.count("<polyline") >= 8
    assert view.count('class="chart-title"') >= 8


def test_custom_metrics_are_charted_and_the_fairness_tables_hold_eval_metrics(report):
    _, wide, _, warehouse = report
    metrics = table(warehouse, "eval_metrics")
    # churn.conf's custom metric is charted with the configured ones, from its eval_metrics rows
    quality = _section(wide.dom, "quality")
    view = quality[quality.index('data-view="1 day|*|*"') :]
    revenue = view[view.index('data-metric="revenue_at_risk"') :]
    revenue = revenue[: revenue.index("</figure>")]
    as_of = pd.Timestamp(re.search(r"as of (\d{4}-\d{2}-\d{2})", wide.dom).group(1)).date()
    daily = metrics[
        (metrics.granularity == "1 day")
        & (metrics.slice_key == "*")
        & (metrics.metric == "revenue_at_risk")
        & (metrics.window_date <= as_of)  # the served day is evaluated after the report
    ].dropna(subset=["value"])
    assert len(daily) > 10 and (daily.ci_low < daily.value).all() and (daily.value < daily.ci_high).all()
    assert sorted(v for _, v in _values(revenue, False)) == sorted(daily.value)
    # its fairness grouping (region): one table per granularity x version of the latest window,
    # each cell the eval_metrics value of that group and disparity
    fairness = _section(wide.dom, "fairness")
    rows = metrics[metrics.slice_key == "fairness:region"]
    rows = rows[rows.window_date <= as_of]
    checked = 0
    for (granularity, version), g in rows.groupby(["granularity", "model_version"]):
        latest = g[g.window_start == g.window_start.max()]
        title = f"fairness:region — version {version}, window of {granularity} from "
        assert title in fairness, title
        part = fairness[fairness.index(title) :]
        body = part[: part.index("</table>")]
        for group, cells in re.findall(r"<tr><td>([^<]+)</td>(.*?)</tr>", body):
            values = re.findall(r'<td data-v="([^"]+)" class="num">', cells)[:5]
            for metric, shown in zip(
                ["demographic_parity_difference", "demographic_parity_ratio",
                 "equal_opportunity_difference", "equalized_odds_difference", "accuracy_difference"],
                values,
            ):
                want = latest[(latest.slice_value == group) & (latest.metric == metric)].value
                assert len(want) == 1 and abs(float(shown) - float(want.iloc[0])) < 1e-9, (group, metric)
                checked += 1
    assert checked >= 25  # 5 regions and '*', 5 disparities, at least one window


def test_roc_curves_match_scikit_learn_on_the_same_day(report):
    _, wide, _, warehouse = report
    curves = _section(wide.dom, "curves")
    day = re.search(r"Labeled predictions of (\d{4}-\d{2}-\d{2})", curves).group(1)
    as_of = re.search(r"as of (\d{4}-\d{2}-\d{2})", wide.dom).group(1)
    log = table(warehouse, "prediction_log")
    labels = table(warehouse, "labels")
    # the labels known by the report's date (label_date from that day to it), the latest per
    # request (ties: the greater), as evaluate --date pairs them
    labels = labels[
        (labels.label_date >= pd.Timestamp(day).date()) & (labels.label_date <= pd.Timestamp(as_of).date())
    ]
    labels = labels.sort_values(["request_id", "label_time", "label"]).groupby("request_id").tail(1)
    joined = log[(log.model_name == "churn") & (log.event_date == pd.Timestamp(day).date())].merge(
        labels[["request_id", "label"]], on="request_id"
    )
    joined = joined[joined.label.isin([0.0, 1.0])]
    pills = re.findall(r'data-version="([^"]+)" data-roc-auc="([^"]+)"', curves)
    assert pills
    for version, auc in pills:
        rows = joined[joined.model_version == version]
        score = np.array([s[1] for s in rows.scores])
        exact = roc_auc_score(rows.label.to_numpy(), score)
        assert abs(float(auc) - exact) <= 1e-3, (version, auc, exact)
    roc = _values(curves[curves.index('id="roc"') :])
    assert roc[0] == (0.0, 0.0) and (1.0, 1.0) in roc


def test_drift_table_and_histograms_hold_the_windows_statistics(report):
    _, wide, _, warehouse = report
    drift_html = _section(wide.dom, "drift")
    window = re.search(r"Window of (\S+ \S+) starting (\d{4}-\d{2}-\d{2})", drift_html)
    granularity, start = window.group(1), window.group(2)
    drift = table(warehouse, "drift_metrics")
    rows = drift[
        (drift.model_name == "churn")
        & (drift.granularity == granularity)
        & (drift.window_start.dt.date == pd.Timestamp(start).date())
        & (drift.slice_key == "*")  # the report's table is of all rows
    ]
    body = drift_html[drift_html.index('id="drift-table"') :]
    body = body[: body.index("</table>")]
    assert body.count("<tr") == len(rows) + 1
    assert body.count('<tr class="drifted"') == int(rows.drifted.fillna(False).sum()) > 0
    drifted_psi = rows[(rows.statistic == "psi") & rows.drifted.fillna(False)].column.unique()
    for column in drifted_psi:
        figure = re.search(rf'<figure data-column="{column}">(.*?)</figure>', drift_html, re.S)
        assert figure, column
        assert "(drifted)" in figure.group(1)
        assert figure.group(1).count('class="bar"') >= 4


def test_training_compression_and_lineage_are_filled(report):
    _, wide, _, warehouse = report
    training = _section(wide.dom, "training")
    registry = table(warehouse, "model_registry")
    versions = registry[registry.model_name == "churn"]
    assert training.count("<tr>") == len(versions) + 1
    # learning curves from the registry's per-epoch metrics, one line per trained version
    loss = training[training.index('id="loss-curves"') :]
    trained = [m for m in versions.metrics if any(k == "epochs" for k, _ in m)]
    assert loss[: loss.index("</figure>")].count("<polyline") == len(trained) >= 2
    # the published model's per-layer sparsity, as the registry holds it
    published = versions[versions.status == "published"].iloc[0]
    layers = {k: v for k, v in published.metrics if k.startswith("layer.") and k.endswith(".sparsity")}
    bars = re.findall(r'data-series="v\d+" data-category="layer (\d+)" data-value="([^"]+)"', training)
    assert {f"layer.{i}.sparsity": float(v) for i, v in bars} == pytest.approx(layers)
    lineage = _section(wide.dom, "lineage")
    for run in ("demo-evaluate", "demo-drift", "demo-train", "demo-compress"):
        assert f"<td>{run}</td>" in lineage
    assert "prediction_log@v" in lineage and "eval_metrics@v" in lineage


def test_data_quality_lists_the_latest_windows_checks_failed_first(report):
    """The demo breaks its last day's log: the section holds every constraint_checks row of the
    windows containing that day, the failed ones (and only they) first and marked."""
    _, wide, _, warehouse = report
    checks = table(warehouse, "constraint_checks")
    checks = checks[checks.model_name == "churn"]
    day = checks[checks.granularity == "1 day"].window_start.max()
    latest = checks[(checks.window_start <= day) & (checks.window_end > day)]
    section = _section(wide.dom, "data-quality")
    body = section[section.index('id="constraint-checks"') :]
    body = body[: body.index("</table>")]
    rows = re.findall(r"<tr( class=\"failed\")?><td>([^<]+)</td>", body)
    assert len(rows) == len(latest) > 0
    failed = latest[~latest.passed]
    assert [bool(c) for c, _ in rows] == [True] * len(failed) + [False] * (len(latest) - len(failed))
    assert sorted(n for c, n in rows if c) == sorted(failed.constraint_name) != []
    assert f"{len(failed)} of {len(latest)} constraint checks failed" in section


def test_drift_per_region_has_a_table_per_slice_behind_the_selector(report):
    """The demo measures drift per region: the latest day's statistics of each region are a
    table of their own, hidden until the selector picks it (the page's script ran at load)."""
    _, wide, _, warehouse = report
    drift_html = _section(wide.dom, "drift")
    start = re.search(r"Window of \S+ \S+ starting (\d{4}-\d{2}-\d{2})", drift_html).group(1)
    drift = table(warehouse, "drift_metrics")
    rows = drift[
        (drift.model_name == "churn")
        & (drift.granularity == "1 day")
        & (drift.window_start.dt.date == pd.Timestamp(start).date())
        & (drift.slice_key == "region")
    ]
    values = sorted(rows.slice_value.unique())
    assert len(values) == 5
    options = re.findall(r'<option value="([^"]+)"', drift_html[drift_html.index('id="drift-slice"') :])
    assert options[: 1 + len(values)] == ["*"] + [f"region={v}" for v in values]
    for v in values:
        view = re.search(
            rf'<div data-view-group="drift-slice" data-view="region={v}"( hidden="")?>(.*?)</table>', drift_html, re.S
        )
        assert view and view.group(1), v  # hidden while "all rows" is selected
        assert view.group(2).count("<tr") == (rows.slice_value == v).sum() + 1
