"""The diabetes regression reference of RealDataPipelineTest (Java).

data(folder): writes diabetes.csv.gz, scikit-learn's diabetes data (Efron, Hastie, Johnstone and
Tibshirani 2004, "Least Angle Regression"; 442 patients, 10 baseline variables unscaled, the
disease progression one year later), one row each: the 10 features and the target.

reference(folder): splits the rows exactly as lakeloop's train does (a hash of each request id,
`diabetes-<row>`, salted and seeded: Spark's xxhash64, computed here with pyspark), fits
scikit-learn's MLPRegressor on the rows train learns from (its training and validation rows) with
the features and the target standardised on them, as lakeloop does, and writes expected.json: the
split's sizes and the held-out R² of the MLP (and of ordinary least squares, for scale).

Run by hand from the repository root after changing the split or the data:
    .venv/bin/python jobs/modeling/src/test/resources/diabetes-reference/make_reference.py
"""
import gzip
import io
import json
import pathlib
import sys

HERE = pathlib.Path(__file__).resolve().parent
SEED = 17  # lakeloop.train.seed
HOLDOUT = 0.2  # lakeloop.train.holdout-fraction
VALIDATION = 0.2  # the test's lakeloop.train.validation-fraction
FEATURES = ["age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6"]


def data(folder):
    from sklearn.datasets import load_diabetes

    x, y = load_diabetes(return_X_y=True, scaled=False)
    text = io.StringIO()
    text.write(",".join(FEATURES + ["target"]) + "\n")
    for row, target in zip(x, y):
        text.write(",".join(repr(float(v)) for v in list(row) + [target]) + "\n")
    raw = io.BytesIO()
    with gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as out:
        out.write(text.getvalue().encode("ascii"))
    (pathlib.Path(folder) / "diabetes.csv.gz").write_bytes(raw.getvalue())


def split(ids):
    """Each request id's split as TrainExamples makes it (every row is in the window)."""
    from pyspark.sql import SparkSession, functions as F

    spark = SparkSession.builder.master("local[1]").getOrCreate()
    df = spark.createDataFrame([(i,) for i in ids], "request_id string")

    def uniform(salt):
        h = F.xxhash64(F.col("request_id"), F.lit(salt), F.lit(SEED).cast("long"))
        return F.pmod(h, F.lit(1_000_000).cast("long")) / 1_000_000.0

    df = df.select(
        "request_id",
        F.when(uniform("holdout") < HOLDOUT, "holdout")
        .when(uniform("validation") < VALIDATION, "validation")
        .otherwise("train")
        .alias("split"),
    )
    out = {r.request_id: r.split for r in df.collect()}
    spark.stop()
    return out


def reference(folder):
    import numpy as np
    import pandas as pd
    from sklearn.compose import TransformedTargetRegressor
    from sklearn.linear_model import LinearRegression
    from sklearn.metrics import r2_score
    from sklearn.neural_network import MLPRegressor
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    rows = pd.read_csv(HERE / "diabetes.csv.gz")
    ids = [f"diabetes-{i}" for i in range(len(rows))]
    parts = split(ids)
    held = np.array([parts[i] == "holdout" for i in ids])
    x, y = rows[FEATURES].to_numpy(), rows["target"].to_numpy()

    def fitted(estimator):
        model = TransformedTargetRegressor(
            regressor=make_pipeline(StandardScaler(), estimator), transformer=StandardScaler()
        )
        return model.fit(x[~held], y[~held])

    mlp = fitted(
        MLPRegressor(hidden_layer_sizes=(32,), early_stopping=True, max_iter=2000, random_state=0)
    )
    ols = fitted(LinearRegression())
    expected = {
        "rows": int(len(rows)),
        "holdout_rows": int(held.sum()),
        "train_and_validation_rows": int((~held).sum()),
        "mlp_r2": float(r2_score(y[held], mlp.predict(x[held]))),
        "ols_r2": float(r2_score(y[held], ols.predict(x[held]))),
        "mlp": "MLPRegressor(hidden_layer_sizes=(32,), early_stopping=True, max_iter=2000,"
        " random_state=0), features and target standardised",
    }
    (pathlib.Path(folder) / "expected.json").write_text(json.dumps(expected, indent=2) + "\n")
    return expected


if __name__ == "__main__":
    data(HERE)
    print(reference(HERE), file=sys.stderr)
