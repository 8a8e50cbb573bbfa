"""Independent reference for lakeloop's estimated metrics: NannyML's CBPE on the same data.

Generates seeded prediction data (binary and multiclass) over ten days, 1,500 rows a day: days
1-5 (2026-01-01..05) are the reference period, with labels; from day 6 the features shift
(covariate drift, the relation to the label unchanged). The models' scores are over-confident
(miscalibrated) on purpose, so calibration matters. NannyML 0.13.1's CBPE is fitted on the
reference days and estimates every day (chunk_period="D"); expected.csv holds its estimates
and the realized values. EstimationReferenceTest (Java) fits lakeloop's calibration on the same
reference days, evaluates the same rows and compares within 0.01.

Regenerate (NannyML is not in the project venv: its dependencies are large — FLAML, LightGBM,
plotly, statsmodels, ... — so CI checks only that the committed data files are what data() makes,
test_cbpe_reference.py; expected.csv is NannyML's output from this command):
    python3 -m venv /tmp/nm && /tmp/nm/bin/pip install nannyml==0.13.1
    /tmp/nm/bin/python jobs/monitoring/src/test/resources/cbpe-reference/make_reference.py
"""
import csv
import gzip
import io
import os

import numpy as np
import pandas as pd

HERE = os.path.dirname(os.path.abspath(__file__))
DAYS = 10
REFERENCE_DAYS = 5
PER_DAY = 1500


def _times(rng):
    out = []
    for d in range(DAYS):
        secs = np.sort(rng.integers(0, 86400, PER_DAY))
        out += [
            f"2026-01-{d + 1:02d} {s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}" for s in secs
        ]
    return np.array(out)


def _features(rng, dims):
    day = np.repeat(np.arange(DAYS), PER_DAY)
    shift = np.where(day >= REFERENCE_DAYS, 0.8, 0.0)
    return day, rng.normal(size=(DAYS * PER_DAY, dims)) + shift[:, None]


def make_binary(rng):
    day, x = _features(rng, 1)
    x = x[:, 0]
    truth = 1 / (1 + np.exp(-(1.3 * x - 0.4)))
    y = (rng.random(len(x)) < truth).astype(int)
    # over-confident: twice the true log-odds, plus noise the model cannot see
    p1 = 1 / (1 + np.exp(-(2.6 * x - 0.8 + rng.normal(scale=0.5, size=len(x)))))
    p1 = np.round(p1, 6)
    scores = np.column_stack([1 - p1, p1])
    return day, y, scores, (p1 >= 0.5).astype(int)


def make_multiclass(rng):
    day, x = _features(rng, 2)
    w = np.array([[1.2, -0.6], [-0.9, 1.1], [-0.3, -0.5]])
    logits = x @ w.T
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    truth = e / e.sum(axis=1, keepdims=True)
    y = np.array([rng.choice(3, p=t) for t in truth])
    model = 2.2 * logits + rng.normal(scale=0.4, size=logits.shape)
    e = np.exp(model - model.max(axis=1, keepdims=True))
    scores = e / e.sum(axis=1, keepdims=True)
    scores = np.round(scores[:, :2], 6)
    scores = np.column_stack([scores, np.round(1 - scores.sum(axis=1), 6)])
    return day, y, scores, scores.argmax(axis=1)


def write_data(path, times, y, scores, pred):
    k = scores.shape[1]
    # gzip without a timestamp, so the same data gives the same bytes
    with gzip.GzipFile(path, "wb", mtime=0) as raw, io.TextIOWrapper(raw, newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["request_id", "event_time", "prediction", "label"] + [f"s{j}" for j in range(k)])
        for i in range(len(y)):
            w.writerow([f"r{i}", times[i], int(pred[i]), int(y[i])] + [f"{v:.6f}" for v in scores[i]])


def cbpe(task, times, y, scores, pred):
    os.environ["NML_DISABLE_USAGE_LOGGING"] = "1"  # no network
    import nannyml as nml

    k = scores.shape[1]
    df = pd.DataFrame({"timestamp": pd.to_datetime(times), "y_true": y, "y_pred": pred})
    for j in range(k):
        df[f"s{j}"] = scores[:, j]
    reference = df[df["timestamp"] < "2026-01-06"]
    if task == "binary":
        metrics = ["accuracy", "precision", "recall", "f1", "roc_auc"]
        est = nml.CBPE(
            problem_type="classification_binary",
            y_pred_proba="s1",
            y_pred="y_pred",
            y_true="y_true",
            timestamp_column_name="timestamp",
            metrics=metrics,
            chunk_period="D",
        )
    else:
        metrics = ["accuracy", "precision", "recall", "f1", "roc_auc"]
        est = nml.CBPE(
            problem_type="classification_multiclass",
            y_pred_proba={j: f"s{j}" for j in range(k)},
            y_pred="y_pred",
            y_true="y_true",
            timestamp_column_name="timestamp",
            metrics=metrics,
            chunk_period="D",
        )
    est.fit(reference)
    # both tools calibrate here (NannyML only where cross-validation shows calibration helps)
    if task == "binary":
        assert est.needs_calibration
    else:
        assert all(type(c).__name__ == "IsotonicCalibrator" for c in est._calibrators.values())
    result = est.estimate(df).filter(period="analysis").to_df()
    rows = []
    for _, r in result.iterrows():
        day = pd.Timestamp(r[("chunk", "start_date")]).strftime("%Y-%m-%d")
        for m in metrics:
            rows.append((task, day, m, float(r[(m, "value")]), float(r[(m, "realized")])))
    return rows


def data(out=HERE):
    """Writes the data files; returns per task what NannyML is run on."""
    made = {}
    for task, make in [("binary", make_binary), ("multiclass", make_multiclass)]:
        rng = np.random.default_rng(20261203 if task == "binary" else 20261204)
        times = _times(rng)
        day, y, scores, pred = make(rng)
        write_data(os.path.join(out, f"{task}.csv.gz"), times, y, scores, pred)
        made[task] = (times, y, scores, pred)
    return made


def build(out=HERE):
    rows = []
    for task, (times, y, scores, pred) in data(out).items():
        rows += cbpe(task, times, y, scores, pred)
    with open(os.path.join(out, "expected.csv"), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["task", "day", "metric", "nannyml", "realized"])
        for r in rows:
            w.writerow([r[0], r[1], r[2], repr(r[3]), repr(r[4])])


if __name__ == "__main__":
    build()
