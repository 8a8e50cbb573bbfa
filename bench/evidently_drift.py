"""Times Evidently's data drift preset on the drift bench's data (bench/README.md).

Reads the baseline day and the first --rows predictions of the window day straight from the
Parquet files of a bench warehouse's prediction_log (written once by bench/drift, so every file
is live), keeps the 20 features plus the positive-class score, and runs Evidently's
DataDriftPreset (its defaults pick the statistics per column) with the baseline as reference.
Prints one Markdown line with the rows, columns and seconds.
"""

import argparse
import glob
import os
import time

import pandas as pd
import pyarrow.parquet as pq

NUMERIC = [f"n{i:02d}" for i in range(1, 15)]
CATEGORICAL = [f"c{i:02d}" for i in range(1, 7)]


def load(warehouse, day, rows):
    files = sorted(glob.glob(os.path.join(warehouse, "prediction_log", f"event_date={day}", "*.parquet")))
    if not files:
        raise SystemExit(f"no Parquet files for {day} under {warehouse}; run bench/drift --generate-only first")
    parts, have = [], 0
    for f in files:
        t = pq.read_table(f, columns=NUMERIC + CATEGORICAL + ["scores"]).to_pandas()
        parts.append(t)
        have += len(t)
        if have >= rows:
            break
    df = pd.concat(parts, ignore_index=True).head(rows)
    df["score"] = df.pop("scores").map(lambda s: None if s is None else s[1])
    return df


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--warehouse", required=True)
    p.add_argument("--rows", type=int, default=1_000_000)
    a = p.parse_args()
    from evidently import DataDefinition, Dataset, Report
    from evidently.presets import DataDriftPreset

    t0 = time.perf_counter()
    ref = load(a.warehouse, "2026-01-01", a.rows)
    cur = load(a.warehouse, "2026-01-02", a.rows)
    loaded = time.perf_counter() - t0
    definition = DataDefinition(numerical_columns=NUMERIC + ["score"], categorical_columns=CATEGORICAL)
    t1 = time.perf_counter()
    reference = Dataset.from_pandas(ref, data_definition=definition)
    current = Dataset.from_pandas(cur, data_definition=definition)
    snapshot = Report([DataDriftPreset()]).run(current, reference)
    seconds = time.perf_counter() - t1
    metrics = snapshot.dict().get("metrics", [])
    print(
        f"| Evidently {__import__('evidently').__version__} DataDriftPreset | {len(ref):,} reference"
        f" + {len(cur):,} current rows x {len(NUMERIC) + len(CATEGORICAL) + 1} columns |"
        f" {seconds:.1f} s (+ {loaded:.1f} s reading Parquet into pandas) | {len(metrics)} metric results |"
    )


if __name__ == "__main__":
    main()
