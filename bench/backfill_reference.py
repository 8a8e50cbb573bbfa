"""The textbook way to backfill a small model's monitoring, for bench/backfill: one Python process
reads prediction_log and labels (the deltalake package), pairs each prediction with its request's
latest label, and computes with pandas, NumPy and SciPy, per day and per week (weeks
start on Monday) and per slice (all rows, each region, each plan):
  - quality: rows, labeled rows, accuracy, macro F1, log loss, exact ROC-AUC;
  - drift against the baseline window: for each numeric feature the two-sample KS statistic and
    PSI over the baseline's deciles, for each categorical feature PSI and the chi-square test, and
    PSI of the predicted class.
No bootstrap intervals, no estimated metrics, no writes: less than lakeloop's jobs do, so the ratio
flatters the reference. Prints one JSON line with the seconds of each part and the number of
values computed.

    .venv/bin/python bench/backfill_reference.py WAREHOUSE BASELINE_FROM BASELINE_UNTIL
"""

import json
import sys
import time

import numpy as np
import pandas as pd
from deltalake import DeltaTable
from scipy import stats

NUMERIC = ["monthly_charges", "data_usage_gb", "tenure_months", "support_calls"]
CATEGORICAL = ["plan", "device"]
SLICES = ["region", "plan"]


def quality_values(y, p, s):
    """Accuracy, macro F1, log loss and the exact (rank) ROC-AUC of one group, in NumPy."""
    values = [float(np.mean(y == p))]
    f1 = []
    for k in (0.0, 1.0):
        tp, fp, fn = np.sum((p == k) & (y == k)), np.sum((p == k) & (y != k)), np.sum((p != k) & (y == k))
        f1.append(2 * tp / (2 * tp + fp + fn) if tp + fp + fn > 0 else 0.0)
    values.append(float(np.mean(f1)))
    c = np.clip(s, 1e-15, 1 - 1e-15)
    values.append(float(-np.mean(y * np.log(c) + (1 - y) * np.log(1 - c))))
    positives = int(y.sum())
    if 0 < positives < len(y):
        ranks = stats.rankdata(s)
        values.append(float((ranks[y == 1].sum() - positives * (positives + 1) / 2) / (positives * (len(y) - positives))))
    return values


def psi(expected, actual):
    e = np.clip(expected / max(expected.sum(), 1), 1e-4, None)
    a = np.clip(actual / max(actual.sum(), 1), 1e-4, None)
    return float(np.sum((a - e) * np.log(a / e)))


def main(warehouse, baseline_from, baseline_until):
    t0 = time.perf_counter()
    pred = DeltaTable(f"{warehouse}/prediction_log").to_pandas()
    labels = DeltaTable(f"{warehouse}/labels").to_pandas()
    t_read = time.perf_counter()

    latest = labels.sort_values(["request_id", "label_time"]).drop_duplicates("request_id", keep="last")
    rows = pred.merge(latest[["request_id", "label"]], on="request_id", how="left")
    rows["day"] = rows["event_time"].dt.floor("D")
    rows["week"] = (rows["event_time"] - pd.to_timedelta(rows["event_time"].dt.day_of_week, unit="D")).dt.floor("D")
    rows["score1"] = rows["scores"].map(lambda s: s[1])
    t_join = time.perf_counter()

    quality = 0
    for granularity in ["day", "week"]:
        for slice_column in [None] + SLICES:
            keys = [granularity] if slice_column is None else [granularity, slice_column]
            for _, g in rows.groupby(keys, sort=True):
                labeled = g[g["label"].notna()]
                if len(labeled) == 0:
                    continue
                y, p, s = labeled["label"].to_numpy(), labeled["prediction"].to_numpy(), labeled["score1"].to_numpy()
                quality += 2 + len(quality_values(y, p, s))
    t_quality = time.perf_counter()

    base = rows[(rows["event_time"] >= pd.Timestamp(baseline_from, tz="UTC")) & (rows["event_time"] < pd.Timestamp(baseline_until, tz="UTC"))]
    edges = {c: np.unique(np.quantile(base[c].dropna(), np.linspace(0, 1, 11)[1:-1])) for c in NUMERIC}
    base_num = {c: base[c].dropna().to_numpy() for c in NUMERIC}
    base_hist = {c: np.bincount(np.searchsorted(edges[c], base_num[c], side="right"), minlength=len(edges[c]) + 1) for c in NUMERIC}
    categories = {c: sorted(base[c].dropna().unique()) for c in CATEGORICAL + ["prediction"]}
    base_counts = {c: base[c].value_counts().reindex(categories[c], fill_value=0).to_numpy() for c in categories}
    drift = 0
    for granularity in ["day", "week"]:
        for _, g in rows.groupby(granularity, sort=True):
            for c in NUMERIC:
                v = g[c].dropna().to_numpy()
                if len(v) == 0:
                    continue
                stats.ks_2samp(base_num[c], v)
                psi(base_hist[c], np.bincount(np.searchsorted(edges[c], v, side="right"), minlength=len(edges[c]) + 1))
                drift += 2
            for c in categories:
                counts = g[c].value_counts().reindex(categories[c], fill_value=0).to_numpy()
                psi(base_counts[c], counts)
                drift += 1
                if c != "prediction" and counts.sum() > 0:
                    stats.chi2_contingency(np.vstack([base_counts[c], counts]) + 0.5)
                    drift += 1
    t_drift = time.perf_counter()
    print(json.dumps({
        "read_seconds": round(t_read - t0, 2),
        "join_seconds": round(t_join - t_read, 2),
        "quality_seconds": round(t_quality - t_join, 2),
        "drift_seconds": round(t_drift - t_quality, 2),
        "quality_values": quality,
        "drift_values": drift,
        "rows": len(pred),
    }))


if __name__ == "__main__":
    main(*sys.argv[1:4])
