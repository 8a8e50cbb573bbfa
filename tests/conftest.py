"""Shared pieces of the operations tests (tests/): the project's paths, lakeloop run through
bin/lakeloop or a real spark-submit (pyspark 3.5.7's, from .venv), and Delta tables read back
with delta-rs."""

from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import boto3
import pandas as pd
import pytest
from deltalake import DeltaTable

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent

def load_module(path: Path, name: str):
    """A Python file of the project loaded as a module, without its package (or Airflow)."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# The DAGs' spark-submit facts (main classes; Spark settings: Java 17 module openings for the
# driver, DL4J's clock).
_SUBMIT = load_module(ROOT / "airflow-dags/lakeloop_ops/spark_defaults.py", "lakeloop_spark_defaults")
DEFAULT_SPARK_CONF = _SUBMIT.DEFAULT_SPARK_CONF
CLASSES = {
    command: (main_class, ROOT / f"jobs/{module}/target/lakeloop-{module}.jar")
    for command, (main_class, module) in _SUBMIT.MAIN_CLASSES.items()
}


def base_env(**extra: str) -> dict[str, str]:
    """The environment lakeloop's processes run with: the venv's Spark first on the PATH."""
    env = dict(os.environ)
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    env["SPARK_LOCAL_IP"] = "127.0.0.1"
    env.update(extra)
    return env


def _check(proc: subprocess.CompletedProcess, what: str) -> subprocess.CompletedProcess:
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).splitlines()[-60:])
        raise AssertionError(f"{what} exited {proc.returncode}\n{tail}")
    return proc


def run_lakeloop(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """bin/lakeloop with the given arguments; fails the test with its output if it fails."""
    proc = subprocess.run(
        [str(ROOT / "bin/lakeloop"), *args], env=env or base_env(), capture_output=True, text=True
    )
    return _check(proc, "bin/lakeloop " + " ".join(args))


def spark_submit_command(
    master: str,
    command: str,
    *args: str,
    deploy_mode: str = "client",
    conf: dict[str, str] | None = None,
) -> list[str]:
    """The spark-submit command line of one lakeloop job's main class from its shaded jar."""
    main_class, jar = CLASSES[command]
    settings = {"spark.executor.memory": "2g", **DEFAULT_SPARK_CONF, **(conf or {})}
    cmd = [str(VENV_BIN / "spark-submit"), "--master", master, "--deploy-mode", deploy_mode]
    for k, v in settings.items():
        cmd += ["--conf", f"{k}={v}"]
    return cmd + ["--class", main_class, str(jar), *args]


def spark_submit(
    master: str,
    command: str,
    *args: str,
    env: dict[str, str],
    deploy_mode: str = "client",
    conf: dict[str, str] | None = None,
) -> subprocess.CompletedProcess:
    """A real spark-submit of one lakeloop job; fails the test with its output if it fails."""
    cmd = spark_submit_command(master, command, *args, deploy_mode=deploy_mode, conf=conf)
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    return _check(proc, " ".join(cmd))


def table(warehouse, name: str, version: int | None = None) -> pd.DataFrame:
    """A lakeloop table read with delta-rs."""
    return DeltaTable(os.path.join(str(warehouse), name), version=version).to_pandas()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# The lakeloop tables (common/.../table/Tables.java).
TABLES = [
    "prediction_log", "labels", "eval_metrics", "profiles", "drift_metrics", "alerts",
    "model_registry", "model_aliases", "gate_decisions", "quarantine", "job_runs",
]
BUCKET = "lakeloop-demo"
PREFIX = "lakehouse"
KEY, SECRET = "lakeloop-test-key", "lakeloop-test-secret"


@pytest.fixture(scope="session")
def moto():
    port = free_port()
    proc = subprocess.Popen(
        [str(VENV_BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    s3 = boto3.client(
        "s3", endpoint_url=endpoint, aws_access_key_id=KEY, aws_secret_access_key=SECRET,
        region_name="us-east-1",
    )
    try:
        for _ in range(100):
            try:
                s3.list_buckets()
                break
            except Exception:
                time.sleep(0.2)
        s3.create_bucket(Bucket=BUCKET)
        yield endpoint, s3
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.fixture(scope="session")
def demo_on_s3(moto):
    """`bin/lakeloop demo` with configs/s3.conf and the warehouse in the moto bucket."""
    endpoint, s3 = moto
    env = base_env(
        LAKELOOP_WAREHOUSE=f"s3a://{BUCKET}/{PREFIX}",
        LAKELOOP_S3_ENDPOINT=endpoint,
        LAKELOOP_S3_PATH_STYLE="true",
        LAKELOOP_S3_SSL="false",
        AWS_ACCESS_KEY_ID=KEY,
        AWS_SECRET_ACCESS_KEY=SECRET,
        AWS_REGION="us-east-1",
    )
    proc = run_lakeloop("demo", "--config", str(ROOT / "configs/s3.conf"), env=env)
    return proc.stdout, s3, endpoint, env


def read_s3(endpoint, name):
    """A table of the demo warehouse in the bucket, read with delta-rs."""
    options = {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": KEY,
        "AWS_SECRET_ACCESS_KEY": SECRET,
        "AWS_REGION": "us-east-1",
        "AWS_ALLOW_HTTP": "true",
        "AWS_VIRTUAL_HOSTED_STYLE_REQUEST": "false",
    }
    return DeltaTable(f"s3://{BUCKET}/{PREFIX}/{name}", storage_options=options).to_pandas()


@pytest.fixture(scope="session")
def demo_copy(demo_on_s3, tmp_path_factory):
    """The demo warehouse copied object by object from the bucket to local disk: Delta tables
    keep working wherever their files are."""
    s3 = demo_on_s3[1]
    root = tmp_path_factory.mktemp("demo-copy") / "lakehouse"
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=PREFIX + "/"):
        for obj in page.get("Contents", []):
            target = root / obj["Key"][len(PREFIX) + 1 :]
            target.parent.mkdir(parents=True, exist_ok=True)
            s3.download_file(BUCKET, obj["Key"], str(target))
    return root
