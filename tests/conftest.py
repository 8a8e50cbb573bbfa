"""Shared pieces of the operations tests (tests/): the project's paths, lakeloop run through
bin/lakeloop or a real spark-submit (pyspark 3.5.7's, from .venv), and Delta tables read back
with delta-rs."""

from __future__ import annotations

import atexit
import importlib.util
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
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
THROUGHPUT_GC = _SUBMIT.THROUGHPUT_GC
CLASSES = {
    command: (main_class, ROOT / f"jobs/{module}/target/lakeloop-{module}.jar")
    for command, (main_class, module) in _SUBMIT.MAIN_CLASSES.items()
}
# `bin/lakeloop batch` under spark-submit: the dispatcher's main class in the app module's jar,
# with the modeling jar (every job, shaded with their dependencies) beside it (spark_submit_batch).
DISPATCHER = ("io.lakeloop.app.Lakeloop", ROOT / "app/target/lakeloop-app-0.1.0-SNAPSHOT.jar")
JOBS_JAR = ROOT / "jobs/modeling/target/lakeloop-modeling.jar"


def base_env(**extra: str) -> dict[str, str]:
    """The environment lakeloop's processes run with: the venv's Spark first on the PATH."""
    env = dict(os.environ)
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    env["SPARK_LOCAL_IP"] = "127.0.0.1"
    env.update(extra)
    return env


# bin/test starts the suites' JVMs with C1 alone and Spark's expressions interpreted
# (JAVA_TOOL_OPTIONS): most live for seconds on small data beside the other lane, where C2's compile
# threads and compiling each query's generated Java cost more CPU than they save. A JVM that lives
# for minutes gets the full JIT back (the demo); the batch JVM and the server run as users run them,
# so the suites also run Spark's generated code (docs/TESTING.md, "JIT" and "Codegen").
SUITE_JVM_OPTIONS = os.environ.get("JAVA_TOOL_OPTIONS")
C1_ONLY = "-XX:TieredStopAtLevel=1"


def full_jit(env: dict[str, str]) -> dict[str, str]:
    """`env` with the suites' JVM options but without C1-only: for a JVM that lives for minutes."""
    env = dict(env)
    options = [o for o in env.get("JAVA_TOOL_OPTIONS", "").split() if o != C1_ONLY]
    if options:
        env["JAVA_TOOL_OPTIONS"] = " ".join(options)
    else:
        env.pop("JAVA_TOOL_OPTIONS", None)
    return env


def as_users_run(env: dict[str, str]) -> dict[str, str]:
    """`env` without the suites' JVM options: full JIT and Spark's generated code."""
    env = dict(env)
    if SUITE_JVM_OPTIONS and env.get("JAVA_TOOL_OPTIONS") == SUITE_JVM_OPTIONS:
        del env["JAVA_TOOL_OPTIONS"]
    return env


def _check(proc: subprocess.CompletedProcess, what: str) -> subprocess.CompletedProcess:
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).splitlines()[-60:])
        raise AssertionError(f"{what} exited {proc.returncode}\n{tail}")
    return proc


class _Batch:
    """One `bin/lakeloop batch` JVM for the whole pytest process: a command run through it pays
    for its own work, not for starting Java and Spark again (25-30 s a command on two cores)."""

    PREFIX = "lakeloop-batch "

    def __init__(self) -> None:
        self.proc: subprocess.Popen | None = None
        self.log_path: Path | None = None

    def run(self, args: list[str]) -> subprocess.CompletedProcess:
        if self.proc is None or self.proc.poll() is not None:
            # The JVM's log (Spark's and lakeloop's, every command's) goes to a file of its own; a
            # failing command's message quotes its end.
            fd, name = tempfile.mkstemp(prefix="lakeloop-batch-", suffix=".log")
            self.log_path = Path(name)
            with os.fdopen(fd, "w") as log:
                self.proc = subprocess.Popen(
                    [str(ROOT / "bin/lakeloop"), "batch"], env=as_users_run(base_env()), text=True,
                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log,
                )
            atexit.register(self.close)
        self.proc.stdin.write(json.dumps(args) + "\n")
        self.proc.stdin.flush()
        for line in self.proc.stdout:
            if line.startswith(self.PREFIX):
                answer = json.loads(line[len(self.PREFIX):])
                stderr = answer["stderr"]
                if answer["exit"] != 0:
                    tail = "\n".join(self.log_path.read_text(errors="replace").splitlines()[-40:])
                    stderr += f"\n(the batch JVM's log, {self.log_path}, ends with:)\n{tail}"
                return subprocess.CompletedProcess(["bin/lakeloop", *args], answer["exit"], answer["stdout"], stderr)
        raise AssertionError(f"the batch JVM ended (exit {self.proc.wait()}) while running {args}")

    def close(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.stdin.close()
            self.proc.wait(timeout=120)


_BATCH = _Batch()


def _warm_args(args: tuple[str, ...], env: dict[str, str] | None) -> list[str] | None:
    """The arguments to run in the shared batch JVM, or None when the run needs a JVM of its own:
    an environment that differs from base_env() in more than the warehouse (faults armed, S3
    credentials, ...), or Spark settings of its own (another master)."""
    extra = {} if env is None else {k: v for k, v in env.items() if os.environ.get(k) != v}
    warehouse = extra.pop("LAKELOOP_WAREHOUSE", None)
    extra.pop("PATH", None)
    extra.pop("SPARK_LOCAL_IP", None)
    if extra or any(a.startswith("lakeloop.spark.") for a in args):
        return None
    if warehouse is None:
        return list(args)
    return [*args, "--set", "lakeloop.warehouse=" + json.dumps(warehouse)]


def run_lakeloop(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """bin/lakeloop with the given arguments; fails the test with its output if it fails. Runs in
    the process's shared batch JVM unless the run needs a JVM of its own (see _warm_args); a test
    that kills the process or runs two at once starts its own with subprocess."""
    warm = _warm_args(args, env)
    if warm is not None:
        return _check(_BATCH.run(warm), "bin/lakeloop " + " ".join(args))
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
    """The spark-submit command line of one lakeloop job's main class from its shaded jar (or of
    the dispatcher for `batch`)."""
    main_class, jar = DISPATCHER if command == "batch" else CLASSES[command]
    if command == "batch":
        args = ("batch", *args)
    settings = {"spark.executor.memory": "2g", **DEFAULT_SPARK_CONF, **(conf or {})}
    cmd = [str(VENV_BIN / "spark-submit"), "--master", master, "--deploy-mode", deploy_mode]
    for k, v in settings.items():
        cmd += ["--conf", f"{k}={v}"]
    if command == "batch":
        cmd += ["--jars", str(JOBS_JAR)]
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


def spark_submit_batch(
    master: str,
    commands: list[list[str]],
    *args: str,
    env: dict[str, str],
    conf: dict[str, str] | None = None,
    during=None,
) -> subprocess.CompletedProcess:
    """One spark-submit of `batch` that runs the commands one after the other in one driver and
    one set of executors. `during(proc)`, if given, is called while the application runs (a
    test's fault: a worker killed). See _run_batch."""
    return _run_batch(spark_submit_command(master, "batch", *args, conf=conf), commands, env, during)


def run_batch(commands: list[list[str]], *args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    """A `bin/lakeloop batch` JVM of its own (what the shared one cannot take: faults armed,
    another master given in `args`) running the commands one after the other. See _run_batch."""
    return _run_batch([str(ROOT / "bin/lakeloop"), "batch", *args], commands, env, None)


def _run_batch(cmd: list[str], commands: list[list[str]], env: dict[str, str], during) -> subprocess.CompletedProcess:
    """Runs a batch command line fed the commands; fails the test naming the first command that
    failed. Its output: stdout holds the commands' answers, stderr the JVM's log."""
    lines = "".join(json.dumps(c) + "\n" for c in commands)
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(cmd, env=env, stdin=subprocess.PIPE, stdout=out, stderr=err, text=True)
        try:
            proc.stdin.write(lines)
            proc.stdin.close()
            if during is not None:
                during(proc)
            proc.wait()
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        out.seek(0)
        err.seek(0)
        done = _check(subprocess.CompletedProcess(cmd, proc.returncode, out.read(), err.read()), " ".join(cmd))
    answers = [json.loads(l[len(_Batch.PREFIX):]) for l in done.stdout.splitlines() if l.startswith(_Batch.PREFIX)]
    assert len(answers) == len(commands), done.stdout[-3000:] + done.stderr[-3000:]
    for command, answer in zip(commands, answers):
        if answer["exit"] != 0:
            raise AssertionError(f"{' '.join(command)} exited {answer['exit']} in the batch\n{answer['stderr'][-4000:]}")
    return done


def wait_for_pause(marker: Path, proc: subprocess.Popen, what: str, timeout: float) -> tuple[str, int]:
    """Waits until a JVM armed with LAKELOOP_PAUSE_AT pauses: it creates `marker`, then writes
    "<point> <pid>" and a newline into it (the whole line is awaited). Fails the test when `proc`
    exits first or `timeout` seconds pass; `what` names the run in the message. The point and the
    pid of the paused JVM."""
    deadline = time.monotonic() + timeout
    while not (marker.exists() and marker.read_text().endswith("\n")):
        if proc.poll() is not None:
            raise AssertionError(f"{what} exited {proc.returncode} before it paused")
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not pause in {timeout / 60:.0f} minutes")
        time.sleep(0.2)
    point, pid = marker.read_text().split()
    return point, int(pid)


def cell_text(value) -> str:
    """A table cell as exact text: arrays, maps and structs as JSON with every element, floats in
    their shortest round-trip form (repr of numpy arrays elides above 1,000 elements and keeps 8
    digits), so two cells are equal as text exactly when they are equal."""
    return json.dumps(_plain(value), sort_keys=True, default=str)


def _plain(value):
    if hasattr(value, "tolist"):  # numpy arrays and scalars
        value = value.tolist()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, float) and value != value:
        return "NaN"
    return value


def verified_intact(stdout: str, versions: int) -> bool:
    """Whether `registry verify` said every one of `versions` artifacts is intact."""
    return f"verified {versions} artifact(s): {versions} intact, 0 missing or changed" in stdout


def attempt_order(runs: pd.DataFrame) -> pd.DataFrame:
    """job_runs is an attempt log (a row when an attempt starts, one when it ends): its rows in
    order, each attempt's start before its end."""
    ended = runs.finished_at.notna()
    return runs.assign(_ended=ended).sort_values(["attempt", "_ended"], kind="stable").drop(columns="_ended")


def latest_runs(runs: pd.DataFrame) -> pd.DataFrame:
    """Each run's state: its latest row, the greatest attempt and, of that attempt, its end."""
    return attempt_order(runs).groupby(["job", "run_id"]).tail(1).reset_index(drop=True)


def table(warehouse, name: str, version: int | None = None) -> pd.DataFrame:
    """A lakeloop table read with delta-rs."""
    return DeltaTable(os.path.join(str(warehouse), name), version=version).to_pandas()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# The lakeloop tables (common/.../table/Tables.java).
TABLES = [
    "prediction_log", "labels", "eval_metrics", "profiles", "drift_metrics", "constraint_checks", "alerts",
    "model_registry", "model_aliases", "gate_decisions", "quarantine", "job_runs", "calibrations",
]
BUCKET = "lakeloop-demo"
PREFIX = "lakehouse"
KEY, SECRET = "lakeloop-test-key", "lakeloop-test-secret"
# The S3 demo's commit lock (lakeloop.s3.commit-lock): a DynamoDB table on the same moto server.
LOCKS = "lakeloop_commit_locks"


@pytest.fixture(scope="session")
def generated(tmp_path_factory):
    """Two weeks of the demo model's generated traffic (20,000 predictions, delayed labels,
    malformed rows; seed 42), made once for every suite that starts from it. Never written to:
    tests copy it first."""
    warehouse = tmp_path_factory.mktemp("generated") / "lakehouse"
    run_lakeloop(
        "generate", "--rows", "20000", "--days", "14", "--run-id", "gen",
        env=base_env(LAKELOOP_WAREHOUSE=str(warehouse)),
    )
    return warehouse


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
        # created as README tells users to: one string partition key, table_path
        boto3.client(
            "dynamodb", endpoint_url=endpoint, aws_access_key_id=KEY, aws_secret_access_key=SECRET,
            region_name="us-east-1",
        ).create_table(
            TableName=LOCKS,
            KeySchema=[{"AttributeName": "table_path", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "table_path", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        yield endpoint, s3
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.fixture(scope="session")
def pushgateway():
    """Debian's Prometheus Pushgateway on loopback (bin/setup-prometheus installs it): the S3
    demo's batch jobs push their run metrics to it; test_serving.py has Prometheus scrape it."""
    binary = shutil.which("prometheus-pushgateway")
    assert binary, "Debian's prometheus-pushgateway is not installed: run bin/setup-prometheus"
    port = free_port()
    proc = subprocess.Popen(
        # no persistence file: Debian's build defaults to one in /var/lib, shared across runs
        [binary, f"--web.listen-address=127.0.0.1:{port}", "--persistence.file="],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(url + "/-/ready", timeout=2)
                break
            except OSError:
                time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.fixture(scope="session")
def demo_on_s3(moto, pushgateway):
    """`bin/lakeloop demo` with configs/s3.conf and the warehouse in the moto bucket, every commit
    under the commit lock in moto's DynamoDB; its jobs push their run metrics to the session's
    Pushgateway."""
    endpoint, s3 = moto
    env = base_env(
        LAKELOOP_PUSHGATEWAY=pushgateway,
        LAKELOOP_WAREHOUSE=f"s3a://{BUCKET}/{PREFIX}",
        LAKELOOP_S3_ENDPOINT=endpoint,
        LAKELOOP_S3_PATH_STYLE="true",
        LAKELOOP_S3_SSL="false",
        LAKELOOP_COMMIT_LOCK_TABLE=LOCKS,
        LAKELOOP_COMMIT_LOCK_ENDPOINT=endpoint,
        AWS_ACCESS_KEY_ID=KEY,
        AWS_SECRET_ACCESS_KEY=SECRET,
        AWS_REGION="us-east-1",
    )
    # 20,000 generated rows (the default demo has 200,000) and 2 training epochs (20 and 30 by
    # default): every stage still runs, passes its gate and publishes (2 epochs do on this data:
    # the reliability suite's train and compress, the maintenance DAG's run). The regression
    # model's part is left out (the demo says so): RegressionLoopTest (Maven) covers that loop.
    quick = [
        "--set", "lakeloop.generate.rows=20000",
        "--set", "lakeloop.train.teacher.epochs=2", "--set", "lakeloop.train.student.epochs=2",
        "--set", 'lakeloop.demo.regression-model=""',
    ]
    proc = run_lakeloop("demo", "--config", str(ROOT / "configs/s3.conf"), *quick, env=full_jit(env))
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
