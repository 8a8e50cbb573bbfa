"""The whole demo loop with the warehouse on s3a:// against a real S3-compatible server
(moto_server, started here on loopback) through configs/s3.conf, credentials only from the
environment; the tables it wrote are then read from the bucket with delta-rs."""

from __future__ import annotations

import hashlib
import json
import subprocess

import boto3

from conftest import BUCKET, KEY, LOCKS, PREFIX, ROOT, SECRET, TABLES, base_env, latest_runs, read_s3, run_lakeloop

def test_demo_writes_every_table_to_the_bucket(demo_on_s3):
    out, s3, endpoint, _ = demo_on_s3
    assert f"warehouse s3a://{BUCKET}/{PREFIX}" in out
    for name in TABLES:
        listed = s3.list_objects_v2(Bucket=BUCKET, Prefix=f"{PREFIX}/{name}/_delta_log/")
        assert listed["KeyCount"] > 0, f"no Delta log for {name} in the bucket"
    runs = latest_runs(read_s3(endpoint, "job_runs"))
    assert set(runs.status) == {"SUCCEEDED"}, runs[["job", "run_id", "status"]]
    assert {"generate", "ingest", "evaluate", "drift", "tune", "train", "compress", "score", "ingest-served"} <= set(runs.job)


def test_every_table_was_committed_under_the_commit_lock_and_released(demo_on_s3):
    """With lakeloop.s3.commit-lock set, each Delta table the demo wrote has its lease item, taken
    at least once per commit in its log (fence counts the leases), and none is still held."""
    _, s3, endpoint, _ = demo_on_s3
    dynamodb = boto3.client(
        "dynamodb", endpoint_url=endpoint, aws_access_key_id=KEY, aws_secret_access_key=SECRET,
        region_name="us-east-1",
    )
    for name in TABLES:
        path = f"s3a://{BUCKET}/{PREFIX}/{name}"
        item = dynamodb.get_item(TableName=LOCKS, Key={"table_path": {"S": path}}, ConsistentRead=True).get("Item")
        assert item is not None, f"no commit lock was taken for {path}"
        assert "owner" not in item, f"the lease of {path} is still held: {item}"
        listed = s3.list_objects_v2(Bucket=BUCKET, Prefix=f"{PREFIX}/{name}/_delta_log/", MaxKeys=1000)
        commits = [o["Key"] for o in listed.get("Contents", []) if o["Key"].endswith(".json")]
        assert int(item["fence"]["N"]) >= len(commits) > 0, (path, item, len(commits))


def test_the_published_champion_lives_in_the_bucket_and_serves_the_later_days(demo_on_s3):
    out, s3, endpoint, _ = demo_on_s3
    registry = read_s3(endpoint, "model_registry")
    aliases = read_s3(endpoint, "model_aliases")
    champion = aliases[(aliases.model_name == "churn") & (aliases.alias == "champion")].version.iloc[0]
    row = registry[(registry.model_name == "churn") & (registry.version == champion)].iloc[0]
    assert row.status == "published"
    prefix = f"s3a://{BUCKET}/{PREFIX}/models/churn/"
    assert row.artifact_uri.startswith(prefix)
    # The artifact's bytes, fetched from the bucket by another client, hash to the registry's SHA-256.
    body = s3.get_object(Bucket=BUCKET, Key=row.artifact_uri[len(f"s3a://{BUCKET}/"):])["Body"].read()
    assert len(body) == row.size_bytes
    assert hashlib.sha256(body).hexdigest() == row.sha256

    log = read_s3(endpoint, "prediction_log")
    served = log[log.model_version == str(champion)]
    assert len(served) > 0
    metrics = read_s3(endpoint, "eval_metrics")
    # the later days' evaluation (the demo's served day, stamped today, has no labels yet)
    scored = metrics[(metrics.model_version == str(champion)) & (metrics.metric == "accuracy") & (metrics.slice_value == "*")
                     & (metrics.run_id == "demo-evaluate-later")]
    assert len(scored) > 0 and scored.value.between(0.5, 1.0).all()


def test_every_table_opens_with_delta_rs_and_holds_what_spark_sees(demo_on_s3, demo_copy):
    """delta-rs shares no code with lakeloop or Spark: plain Delta tables any client can open.
    delta-rs reads the bucket; lakeloop's `query` reads the object-by-object copy of it on local
    disk (the demo's own jobs already read every table through s3a://), in the suite's warm JVM."""
    endpoint = demo_on_s3[2]
    union = " union all ".join(f"select '{t}' as name, count(*) as n from {t}" for t in TABLES)
    out = run_lakeloop("query", union, "--format", "json", env=base_env(LAKELOOP_WAREHOUSE=str(demo_copy))).stdout
    spark_counts = {}
    for line in out.splitlines():
        if line.startswith("{"):
            row = json.loads(line)
            spark_counts[row["name"]] = int(row["n"])
    assert set(spark_counts) == set(TABLES), out
    for name in TABLES:
        rows = read_s3(endpoint, name)
        assert len(rows) == spark_counts[name], name
        assert len(rows) > 0, name


def test_a_service_loads_the_champion_from_the_bucket_and_predicts_what_score_logged(demo_on_s3):
    """lakeloop's Spark-free consumer API (PublishedModels) reading the registry with Delta Kernel
    and the artifact through s3a://, in a separate JVM, predicts the probabilities `score` logged
    for the rows the champion served."""
    _, _, endpoint, env = demo_on_s3
    aliases = read_s3(endpoint, "model_aliases")
    champion = int(aliases[(aliases.model_name == "churn") & (aliases.alias == "champion")].version.iloc[0])
    log = read_s3(endpoint, "prediction_log")
    # what score logged (the demo's HTTP-served rows, `online-*`, are the server's own answers)
    log = log[~log.request_id.str.startswith("online-")]
    served = log[log.model_version == str(champion)].sort_values("request_id").head(200)
    features = ["monthly_charges", "data_usage_gb", "tenure_months", "support_calls", "plan", "device"]
    rows = "\n".join(
        json.dumps({f: (None if v != v else v) for f, v in zip(features, r)})
        for r in served[features].itertuples(index=False)
    )
    classpath = (ROOT / "jobs/modeling/target/classpath.txt").read_text().strip()
    proc = subprocess.run(
        ["java", "-cp", classpath, str(ROOT / "tests/ConsumePublished.java"),
         f"s3a://{BUCKET}/{PREFIX}", "churn@champion"],
        input=rows, env=env, capture_output=True, text=True,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = proc.stdout.strip().splitlines()
    assert lines[0] == f"loaded churn/{champion}"
    predicted = [[float(x) for x in line.split(",")] for line in lines[1:]]
    assert len(predicted) == len(served) > 0
    for got, logged in zip(predicted, served.scores):
        assert max(abs(a - b) for a, b in zip(got, logged)) < 1e-5
