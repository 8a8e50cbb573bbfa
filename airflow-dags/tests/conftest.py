"""Shared set-up of the DAG tests: a private AIRFLOW_HOME (set before Airflow is imported, since
Airflow reads its configuration on import), the DAG folder as Airflow itself loads it, and, for
the end-to-end tests, a real Airflow database and a lakeloop warehouse prepared by `generate`."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DAGS = ROOT / "airflow-dags"
VENV_BIN = Path(sys.executable).parent

_AIRFLOW_HOME = Path(tempfile.mkdtemp(prefix="lakeloop-airflow-"))
os.environ.update(
    {
        "AIRFLOW_HOME": str(_AIRFLOW_HOME),
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
        # spark-submit (from the venv's pyspark 3.5.7) must be on the PATH the hook searches.
        "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "SPARK_LOCAL_IP": "127.0.0.1",
        "LAKELOOP_HOME": str(ROOT),
    }
)
os.environ.pop("LAKELOOP_SPARK_CONF", None)
# The DAGs' pool is the default one, `lakeloop`, which airflow_db creates as README says.
os.environ.pop("LAKELOOP_POOL", None)


def pytest_sessionfinish(session, exitstatus):
    shutil.rmtree(_AIRFLOW_HOME, ignore_errors=True)


def load_dagbag():
    """The DAG folder loaded the way Airflow 3's DAG processor loads a bundle."""
    from airflow.dag_processing.dagbag import BundleDagBag

    return BundleDagBag(dag_folder=DAGS, bundle_path=DAGS)


@pytest.fixture(scope="session")
def dagbag():
    return load_dagbag()


@pytest.fixture(scope="session")
def airflow_db():
    """A migrated SQLite metadata database in the private AIRFLOW_HOME, with the pool every
    lakeloop task runs in, made by the command README gives."""
    for command in (
        ["db", "migrate"],
        ["pools", "set", "lakeloop", "1", "lakeloop jobs writing one warehouse: one at a time"],
    ):
        subprocess.run(
            [str(VENV_BIN / "airflow"), *command],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
    return _AIRFLOW_HOME


def run_lakeloop(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """bin/lakeloop with the given arguments; fails the test with its output if it fails."""
    proc = subprocess.run(
        [str(ROOT / "bin/lakeloop"), *args],
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        raise AssertionError(
            f"bin/lakeloop {' '.join(args)} exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
        )
    return proc


@pytest.fixture(scope="session")
def generated_warehouse(tmp_path_factory):
    """Two weeks of the demo model's traffic (drift from day 10), written by `generate`."""
    warehouse = tmp_path_factory.mktemp("warehouse")
    run_lakeloop(
        "generate", "--rows", "20000", "--days", "14", "--run-id", "dag-test-generate",
        env={"LAKELOOP_WAREHOUSE": str(warehouse)},
    )
    return warehouse
