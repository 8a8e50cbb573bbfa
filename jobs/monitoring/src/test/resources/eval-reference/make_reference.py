"""Independent reference for lakeloop's evaluate metrics.

Generates small, seeded prediction data sets (binary, multiclass, regression) as CSV, and the
metrics scikit-learn / NumPy compute on them, per slice ('*' = all rows, then each value of
the `segment` column), into expected.csv; and a direct Poisson bootstrap of the headline metrics
(scikit-learn with sample weights, 2,000 replicates) into expected_ci.csv. EvaluationReferenceTest (Java) evaluates the same
CSVs with lakeloop's engine and compares: 1e-9 for exact metrics, 1e-3 for the AUCs.

Regenerate (from the repository root, with the project venv from bin/setup-python):
    .venv/bin/python jobs/monitoring/src/test/resources/eval-reference/make_reference.py
test_eval_reference.py checks that the committed files equal what this script produces.
"""
import csv
import os
import sys

import numpy as np
from sklearn.metrics import (
    accuracy_score,
    f1_score,
    average_precision_score,
    brier_score_loss,
    confusion_matrix,
    log_loss,
    mean_absolute_error,
    mean_squared_error,
    precision_recall_fscore_support,
    r2_score,
    roc_auc_score,
)
from sklearn.preprocessing import label_binarize

HERE = os.path.dirname(os.path.abspath(__file__))
SEGMENTS = ["a", "b", "c"]
BINARY_CLASSES = ["no", "yes"]
MULTI_CLASSES = ["red", "green", "blue"]


def _times(rng, n):
    # All on 2026-01-05 (UTC), so one daily window holds every row.
    secs = np.sort(rng.integers(0, 86400, n))
    return [f"2026-01-05 {s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}" for s in secs]


def make_binary(rng, n=1500):
    seg = rng.choice(SEGMENTS, n, p=[0.5, 0.3, 0.2])
    x = rng.normal(size=n)
    y = (rng.random(n) < 1 / (1 + np.exp(-(1.2 * x + (seg == "b") * 0.5)))).astype(int)
    p1 = 1 / (1 + np.exp(-(x + rng.normal(scale=0.8, size=n))))
    # A saturated model writes probabilities of exactly 0 and 1 (about 2 % of rows here, some of
    # them wrong): log-loss then depends on where they are clipped (scikit-learn >= 1.3: the
    # float64 machine epsilon, no longer 1e-15).
    certain = np.random.default_rng(11).random(n) < 0.02
    p1 = np.where(certain, (x > 0).astype(float), p1)
    labeled = rng.random(n) < 0.85
    pred = (p1 >= 0.5).astype(int)
    return dict(seg=seg, y=y, scores=np.column_stack([1 - p1, p1]), pred=pred, labeled=labeled)


def make_multiclass(rng, n=1200):
    seg = rng.choice(SEGMENTS, n, p=[0.4, 0.4, 0.2])
    y = rng.integers(0, 3, n)
    logits = rng.normal(size=(n, 3)) + 1.5 * np.eye(3)[y]
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    scores = e / e.sum(axis=1, keepdims=True)
    labeled = rng.random(n) < 0.9
    return dict(seg=seg, y=y, scores=scores, pred=scores.argmax(axis=1), labeled=labeled)


def make_regression(rng, n=1000):
    seg = rng.choice(SEGMENTS, n, p=[0.5, 0.25, 0.25])
    y = np.round(rng.normal(10, 3, n), 1)
    y[rng.random(n) < 0.03] = 0.0  # zero labels: ignored by MAPE, counted
    pred = y + rng.normal(0, 1.5, n)
    labeled = rng.random(n) < 0.8
    return dict(seg=seg, y=y.astype(float), scores=None, pred=pred, labeled=labeled)


def write_data(path, d, task):
    n = len(d["seg"])
    rng_times = np.random.default_rng(7)
    times = _times(rng_times, n)
    k = 0 if d["scores"] is None else d["scores"].shape[1]
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["request_id", "event_time", "segment", "prediction", "label"]
                   + [f"s{j}" for j in range(k)])
        for i in range(n):
            label = repr(float(d["y"][i])) if d["labeled"][i] else ""
            row = [f"{task}-{i:05d}", times[i], d["seg"][i], repr(float(d["pred"][i])), label]
            row += [repr(float(v)) for v in (d["scores"][i] if k else [])]
            w.writerow(row)


def prf(y, pred, classes, out):
    labels = list(range(len(classes)))
    p, r, f, s = precision_recall_fscore_support(y, pred, labels=labels, zero_division=0)
    for j, c in enumerate(classes):
        out[f"precision:{c}"], out[f"recall:{c}"], out[f"f1:{c}"] = p[j], r[j], f[j]
    for avg in ["macro", "weighted"]:
        pa, ra, fa, _ = precision_recall_fscore_support(
            y, pred, labels=labels, average=avg, zero_division=0)
        out[f"precision_{avg}"], out[f"recall_{avg}"], out[f"f1_{avg}"] = pa, ra, fa
    cm = confusion_matrix(y, pred, labels=labels)
    for a, ca in enumerate(classes):
        for b, cb in enumerate(classes):
            out[f"confusion:{ca}:{cb}"] = cm[a, b]


def ece(conf, hit, bins=10):
    idx = np.minimum((conf * bins).astype(int), bins - 1)
    total = 0.0
    for b in range(bins):
        m = idx == b
        if m.any():
            total += m.sum() / len(conf) * abs(hit[m].mean() - conf[m].mean())
    return total


def metrics(task, d, mask):
    out = {}
    lab = mask & d["labeled"]
    out["count"] = mask.sum()
    out["labeled_count"] = lab.sum()
    out["labeled_share"] = lab.sum() / mask.sum()
    y, pred = d["y"][lab], d["pred"][lab]
    if task == "regression":
        out["mae"] = mean_absolute_error(y, pred)
        out["rmse"] = np.sqrt(mean_squared_error(y, pred))
        out["r2"] = r2_score(y, pred)
        nz = y != 0
        out["mape"] = np.mean(np.abs((y[nz] - pred[nz]) / y[nz]))
        out["mape_zero_labels"] = (~nz).sum()
        out["mean_prediction"] = pred.mean()
        out["mean_label"] = y.mean()
        return out
    scores = d["scores"][lab]
    yi, pi = y.astype(int), pred.astype(int)
    classes = BINARY_CLASSES if task == "binary" else MULTI_CLASSES
    out["accuracy"] = accuracy_score(yi, pi)
    prf(yi, pi, classes, out)
    out["log_loss"] = log_loss(yi, scores, labels=list(range(len(classes))))
    if task == "binary":
        out["roc_auc"] = roc_auc_score(yi, scores[:, 1])
        out["pr_auc"] = average_precision_score(yi, scores[:, 1])
        out["brier"] = brier_score_loss(yi, scores[:, 1])
        out["ece"] = ece(scores[:, 1], yi.astype(float))
        out["positive_rate"] = np.mean(d["pred"][mask] == 1)
        out["mean_score"] = np.mean(d["scores"][mask][:, 1])
    else:
        out["roc_auc"] = roc_auc_score(yi, scores, multi_class="ovr", average="macro")
        onehot = label_binarize(yi, classes=list(range(len(classes))))
        out["pr_auc"] = average_precision_score(onehot, scores, average="macro")
        out["ece"] = ece(scores.max(axis=1), (pi == yi).astype(float))
    return out


BOOTSTRAP_REPLICATES = 2000
BOOTSTRAP_METRICS = {
    "binary": ["accuracy", "f1_macro", "roc_auc", "log_loss", "brier"],
    "regression": ["mae", "rmse", "r2"],
}


def weighted_metrics(task, y, pred, scores, w):
    """The headline metrics of labeled rows under bootstrap weights w, with scikit-learn."""
    if task == "regression":
        return {
            "mae": mean_absolute_error(y, pred, sample_weight=w),
            "rmse": np.sqrt(mean_squared_error(y, pred, sample_weight=w)),
            "r2": r2_score(y, pred, sample_weight=w),
        }
    yi, pi = y.astype(int), pred.astype(int)
    return {
        "accuracy": accuracy_score(yi, pi, sample_weight=w),
        "f1_macro": f1_score(yi, pi, labels=[0, 1], average="macro", sample_weight=w,
                             zero_division=0),
        "roc_auc": roc_auc_score(yi, scores[:, 1], sample_weight=w),
        "log_loss": log_loss(yi, scores, labels=[0, 1], sample_weight=w),
        "brier": brier_score_loss(yi, scores[:, 1], sample_weight=w),
    }


def bootstrap(task, d, rng, confidence=0.95):
    """A direct Poisson(1) bootstrap over all rows (unlabeled ones included, as lakeloop does),
    metrics on the labeled rows: percentile interval and standard deviation per metric."""
    lab = d["labeled"]
    y, pred = d["y"][lab], d["pred"][lab]
    scores = None if d["scores"] is None else d["scores"][lab]
    draws = {m: [] for m in BOOTSTRAP_METRICS[task]}
    for _ in range(BOOTSTRAP_REPLICATES):
        w = rng.poisson(1.0, len(d["y"]))[lab].astype(float)
        for m, v in weighted_metrics(task, y, pred, scores, w).items():
            draws[m].append(v)
    alpha = 1 - confidence
    out = []
    for m, v in draws.items():
        v = np.array(v)
        lo, hi = np.percentile(v, [100 * alpha / 2, 100 * (1 - alpha / 2)])
        out.append([task, m, repr(float(lo)), repr(float(hi)), repr(float(v.std(ddof=1)))])
    return out


def build(outdir):
    rng = np.random.default_rng(20260105)
    rows = []
    intervals = []
    for task, make in [("binary", make_binary), ("multiclass", make_multiclass),
                       ("regression", make_regression)]:
        d = make(rng)
        write_data(os.path.join(outdir, f"{task}.csv"), d, task)
        slices = [("*", "*", np.ones(len(d["seg"]), bool))]
        slices += [("segment", s, d["seg"] == s) for s in SEGMENTS]
        for key, value, mask in slices:
            for name, v in metrics(task, d, mask).items():
                rows.append([task, key, value, name, repr(float(v))])
        if task in BOOTSTRAP_METRICS:
            intervals += bootstrap(task, d, np.random.default_rng(99))
    with open(os.path.join(outdir, "expected.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["task", "slice_key", "slice_value", "metric", "value"])
        w.writerows(rows)
    with open(os.path.join(outdir, "expected_ci.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["task", "metric", "ci_low", "ci_high", "sd"])
        w.writerows(intervals)


if __name__ == "__main__":
    build(sys.argv[1] if len(sys.argv) > 1 else HERE)
