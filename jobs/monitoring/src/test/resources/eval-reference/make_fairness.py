"""Independent reference for lakeloop's fairness disparities and custom metrics.

Reads binary.csv (made by make_reference.py) and writes expected_fairness.csv: per group of the
`segment` column, each disparity against a reference group — the named group "a", and per rate
the most favourable group ("best") — computed with scikit-learn (selection rate, recall as the
true positive rate, 1 - specificity as the false positive rate, accuracy), with a direct paired
Poisson(1) bootstrap (2,000 replicates, the same weights for every group of a replicate): the
value, the 2.5 % / 97.5 % percentiles and the replicates' standard deviation. It also writes the
same for two custom metrics over all rows (pandas sums): revenue = sum of s1 over predicted
positives, capture = predicted positives among labeled positives over labeled positives.

MeasuresReferenceTest (Java) evaluates binary.csv with the same fairness groupings and custom
metrics and compares: values to 1e-9, interval bounds within 0.5 bootstrap sd.

Regenerate (from the repository root, with the project venv from bin/setup-python):
    .venv/bin/python jobs/monitoring/src/test/resources/eval-reference/make_fairness.py
test_eval_reference.py checks that the committed file equals what this script produces.
"""
import csv
import os
import sys

import numpy as np
import pandas as pd
from sklearn.metrics import accuracy_score, recall_score

HERE = os.path.dirname(os.path.abspath(__file__))
REPLICATES = 2000
GROUPS = ["a", "b", "c"]
DISPARITIES = [
    "demographic_parity_difference",
    "demographic_parity_ratio",
    "equal_opportunity_difference",
    "equalized_odds_difference",
    "accuracy_difference",
]


def rates(d, w):
    """Per group with scikit-learn: positive rate (all rows), TPR, FPR, accuracy (labeled rows),
    under weights w."""
    out = {}
    for g in GROUPS:
        m = (d["segment"] == g).to_numpy()
        pred = d["prediction"].to_numpy()[m].astype(int)
        wm = w[m]
        lab = d["label"].notna().to_numpy()[m]
        y = d["label"].to_numpy()[m][lab].astype(int)
        p = pred[lab]
        wl = wm[lab]
        out[g] = {
            "pr": np.sum(wm * (pred == 1)) / np.sum(wm),
            "tpr": recall_score(y, p, pos_label=1, sample_weight=wl, zero_division=np.nan),
            "fpr": 1 - recall_score(y, p, pos_label=0, sample_weight=wl, zero_division=np.nan),
            "acc": accuracy_score(y, p, sample_weight=wl),
        }
    return out


def fast_rates(d, w):
    """rates() with NumPy weighted sums, for the bootstrap replicates (checked against rates())."""
    out = {}
    pred = d["prediction"].to_numpy() == 1
    label = d["label"].to_numpy()
    lab = ~np.isnan(label)
    pos = lab & (np.nan_to_num(label) == 1)
    neg = lab & (np.nan_to_num(label, nan=1.0) == 0)
    for g in GROUPS:
        m = (d["segment"] == g).to_numpy()
        wm = w * m
        out[g] = {
            "pr": np.sum(wm * pred) / np.sum(wm),
            "tpr": np.sum(wm * (pos & pred)) / np.sum(wm * pos),
            "fpr": np.sum(wm * (neg & pred)) / np.sum(wm * neg),
            "acc": np.sum(wm * ((pos & pred) | (neg & ~pred))) / np.sum(wm * lab),
        }
    return out


def references(r, reference):
    if reference != "best":
        return {k: reference for k in ["pr", "tpr", "fpr", "acc"]}
    best = {}
    for k in ["pr", "tpr", "acc"]:
        best[k] = max(GROUPS, key=lambda g: r[g][k])
    best["fpr"] = min(GROUPS, key=lambda g: r[g]["fpr"])
    return best


def disparities(r, ref):
    out = {}
    for g in GROUPS:
        out[g] = {
            "demographic_parity_difference": r[g]["pr"] - r[ref["pr"]]["pr"],
            "demographic_parity_ratio": r[g]["pr"] / r[ref["pr"]]["pr"],
            "equal_opportunity_difference": r[g]["tpr"] - r[ref["tpr"]]["tpr"],
            "equalized_odds_difference": max(abs(r[g]["tpr"] - r[ref["tpr"]]["tpr"]),
                                             abs(r[g]["fpr"] - r[ref["fpr"]]["fpr"])),
            "accuracy_difference": r[g]["acc"] - r[ref["acc"]]["acc"],
        }
    return out


def custom(d, w):
    pred = d["prediction"].to_numpy()
    label = d["label"].to_numpy()
    positive = np.nan_to_num(label, nan=0.0) == 1
    return {
        "revenue": np.sum(w * np.where(pred == 1, d["s1"].to_numpy(), 0.0)),
        "capture": np.sum(w * (positive & (pred == 1))) / np.sum(w * positive),
    }


def build(out_dir):
    d = pd.read_csv(os.path.join(HERE, "binary.csv"))
    n = len(d)
    ones = np.ones(n)
    sample = rates(d, ones)
    rng = np.random.default_rng(20261204)
    weights = [rng.poisson(1.0, n).astype(float) for _ in range(REPLICATES)]
    for w in weights[:3]:
        exact, fast = rates(d, w), fast_rates(d, w)
        for g in GROUPS:
            for k in exact[g]:
                assert abs(exact[g][k] - fast[g][k]) < 1e-12, (g, k)
    replicate_rates = [fast_rates(d, w) for w in weights]
    rows = []
    for reference in ["a", "best"]:
        ref = references(sample, reference)  # fixed on the sample, as lakeloop does
        point = disparities(sample, ref)
        draws = [disparities(r, ref) for r in replicate_rates]
        for g in GROUPS:
            for m in DISPARITIES:
                v = np.array([x[g][m] for x in draws])
                lo, hi = np.percentile(v, [2.5, 97.5])
                rows.append([reference, g, m, repr(float(point[g][m])), repr(float(lo)),
                             repr(float(hi)), repr(float(v.std(ddof=1)))])
    point = custom(d, ones)
    draws = [custom(d, w) for w in weights]
    for m in ["revenue", "capture"]:
        v = np.array([x[m] for x in draws])
        lo, hi = np.percentile(v, [2.5, 97.5])
        rows.append(["custom", "*", m, repr(float(point[m])), repr(float(lo)), repr(float(hi)),
                     repr(float(v.std(ddof=1)))])
    with open(os.path.join(out_dir, "expected_fairness.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["reference", "group", "metric", "value", "ci_low", "ci_high", "sd"])
        w.writerows(rows)


if __name__ == "__main__":
    build(sys.argv[1] if len(sys.argv) > 1 else HERE)
