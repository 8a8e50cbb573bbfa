"""What lakeloop's DAGs share: where the jars, the config and the Spark connection are, and the
operator that submits one lakeloop job with spark-submit.

Everything a deployment changes comes from the environment of the Airflow workers (read when a
DAG file is parsed; no file or network I/O happens then) or from the DAG's params at trigger time:

  LAKELOOP_HOME            the lakeloop checkout or install (default: the folder above airflow-dags)
  LAKELOOP_MONITORING_JAR  default $LAKELOOP_HOME/jobs/monitoring/target/lakeloop-monitoring.jar
  LAKELOOP_MODELING_JAR    default $LAKELOOP_HOME/jobs/modeling/target/lakeloop-modeling.jar
  LAKELOOP_CONFIG          the HOCON file the jobs read (default $LAKELOOP_HOME/configs/local.conf;
                           param `config` overrides it per run)
  LAKELOOP_MODEL           the model the DAGs look after (default: churn; param `model`)
  LAKELOOP_SPARK_CONN_ID   the Airflow Spark connection (default: spark_default); its host is the
                           master (local[2], yarn, spark://host:7077, k8s://...), its extra JSON may
                           set deploy-mode and spark-binary (spark-submit must be on the PATH)
  LAKELOOP_SPARK_CONF      a JSON object of Spark settings laid over DEFAULT_SPARK_CONF
  LAKELOOP_POOL            the Airflow pool every lakeloop task of both DAGs runs in (default:
                           lakeloop). One pool per warehouse, of one slot: a deployment with
                           several warehouses gives each its own pool name. Airflow never creates
                           it: `airflow pools set lakeloop 1 "..."` (README); a task in a pool that
                           does not exist stays `scheduled` and never runs.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any, Mapping, Sequence

from airflow.providers.apache.spark.operators.spark_submit import SparkSubmitOperator
from airflow.sdk.exceptions import AirflowSkipException

from lakeloop_ops.spark_defaults import (  # noqa: F401 (DEFAULT_SPARK_CONF re-exported)
    DEFAULT_SPARK_CONF,
    MAIN_CLASSES,
    spark_conf,
)

HOME = Path(os.environ.get("LAKELOOP_HOME") or Path(__file__).resolve().parents[2])
MONITORING_JAR = os.environ.get("LAKELOOP_MONITORING_JAR") or str(
    HOME / "jobs/monitoring/target/lakeloop-monitoring.jar"
)
MODELING_JAR = os.environ.get("LAKELOOP_MODELING_JAR") or str(
    HOME / "jobs/modeling/target/lakeloop-modeling.jar"
)
CONFIG = os.environ.get("LAKELOOP_CONFIG") or str(HOME / "configs/local.conf")
MODEL = os.environ.get("LAKELOOP_MODEL") or "churn"
SPARK_CONN_ID = os.environ.get("LAKELOOP_SPARK_CONN_ID") or "spark_default"
# Delta's default S3 log store is safe for one writing driver per table at a time, and
# max_active_runs=1 only keeps two runs of the same DAG apart: a monitoring run's report and the
# maintenance run it triggers both write job_runs. One pool of one slot per warehouse runs every
# lakeloop job of both DAGs one after the other.
POOL = os.environ.get("LAKELOOP_POOL") or "lakeloop"

# Each lakeloop command: its main class and the jar that holds it.
JARS = {"monitoring": MONITORING_JAR, "modeling": MODELING_JAR}
JOBS: dict[str, tuple[str, str]] = {
    command: (main_class, JARS[module]) for command, (main_class, module) in MAIN_CLASSES.items()
}


def day_that_ended(dag_run: Any) -> str:
    """The day a monitoring run works on when no ``date`` param names one: the start of its data
    interval, the day that just ended. A run triggered without a logical date (``airflow dags
    trigger`` without ``--logical-date``, the REST API's ``logical_date: null``) has no data
    interval: the day before the one it was triggered on, the day Airflow's daily timetable infers
    for a manual run that has one."""
    start = dag_run.data_interval_start or dag_run.run_after - timedelta(days=1)
    return start.strftime("%Y-%m-%d")


def run_day(dag_run: Any) -> str:
    """The day a maintenance run works on when no ``date`` param names one: its logical date's, or
    for a run triggered without a logical date the day it was triggered on."""
    return (dag_run.logical_date or dag_run.run_after).strftime("%Y-%m-%d")


# What the DAGs' templates may call besides Airflow's own (each DAG's user_defined_macros).
MACROS = {"lakeloop_day_that_ended": day_that_ended, "lakeloop_run_day": run_day}

# The day a monitoring run works on: its `date` param, else the day that just ended.
DAY = "{{ params.date or lakeloop_day_that_ended(dag_run) }}"

# What lakeloop's exit codes mean (README, "Commands"): the run itself succeeded in each case.
DRIFT_FOUND = 3
# `evaluate --fail-on-alert` exits with the same code when a window broke a quality rule.
QUALITY_ALERT = 3


def maintenance_reason(evaluated: dict | None, drifted: dict | None) -> str | None:
    """Why the monitoring run triggers maintenance, from the outcomes of evaluate and drift (their
    XCom: ``{"exit_code", "outcome"}``), or None when neither raised an alert."""
    reasons = []
    if evaluated and evaluated.get("exit_code") == QUALITY_ALERT:
        reasons.append("quality alert")
    if drifted and drifted.get("exit_code") == DRIFT_FOUND:
        reasons.append("drift")
    return " and ".join(reasons) or None
GATE_REFUSED = 4

DEFAULT_ARGS: dict[str, Any] = {
    "owner": "lakeloop",
    # Every lakeloop job is keyed on (job, run id): a retry with Airflow's run_id finishes or
    # redoes the same run and never adds rows twice, so retrying is safe.
    "retries": 2,
    "retry_delay": timedelta(minutes=5),
    "retry_exponential_backoff": True,
    "execution_timeout": timedelta(hours=4),
}

COMMON_PARAMS_DOC = (
    "Params: `config` (the HOCON file the jobs read, default `$LAKELOOP_CONFIG` or"
    " `configs/local.conf`), `model` (default `$LAKELOOP_MODEL` or `churn`). The Spark master comes"
    " from the Airflow connection `$LAKELOOP_SPARK_CONN_ID` (default `spark_default`), jars from"
    " `$LAKELOOP_MONITORING_JAR` / `$LAKELOOP_MODELING_JAR`, extra Spark settings from"
    " `$LAKELOOP_SPARK_CONF` (JSON)."
)


class LakeloopSubmitOperator(SparkSubmitOperator):
    """spark-submit of one lakeloop command whose exit codes that report an outcome (not a failure)
    become results: a code in ``outcome_exit_codes`` is returned (so XCom carries it to a branch)
    and a code in ``skip_exit_codes`` skips the task and everything that needs it. Any other
    non-zero code fails the task as usual (and Airflow retries it).

    The driver's exit code reaches spark-submit in client deploy mode (the default); in cluster
    mode Spark only reports whether the driver failed, so outcomes there read as failures.
    """

    def __init__(
        self,
        *,
        command: str,
        outcome_exit_codes: Mapping[int, str] | None = None,
        skip_exit_codes: Mapping[int, str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.command = command
        self.outcome_exit_codes = dict(outcome_exit_codes or {})
        self.skip_exit_codes = dict(skip_exit_codes or {})

    def execute(self, context: Any) -> dict[str, Any]:
        try:
            super().execute(context)
        except Exception:
            code = getattr(getattr(self._hook, "_submit_sp", None), "returncode", None)
            if code in self.outcome_exit_codes:
                self.log.info("lakeloop %s exited %s: %s", self.command, code, self.outcome_exit_codes[code])
                return {"exit_code": code, "outcome": self.outcome_exit_codes[code]}
            if code in self.skip_exit_codes:
                raise AirflowSkipException(
                    f"lakeloop {self.command} exited {code}: {self.skip_exit_codes[code]}"
                ) from None
            raise
        return {"exit_code": 0, "outcome": "ok"}


def lakeloop_job(
    command: str,
    args: Sequence[str],
    *,
    task_id: str | None = None,
    **kwargs: Any,
) -> LakeloopSubmitOperator:
    """The task that runs ``lakeloop <command> <args>`` with the run's config, model and run id,
    in the warehouse's pool (one slot: no other lakeloop job of either DAG runs meanwhile).

    Airflow's ``run_id`` becomes lakeloop's run id, so a retry of the task is a rerun of the same
    lakeloop run (which changes nothing once it succeeded).
    """
    main_class, jar = JOBS[command]
    task_id = task_id or command
    return LakeloopSubmitOperator(
        task_id=task_id,
        command=command,
        conn_id=SPARK_CONN_ID,
        application=jar,
        java_class=main_class,
        # Airflow's run id, which every run has (a run triggered without a logical date has no
        # `ds`): the Spark application is named after the lakeloop run it is
        name=f"lakeloop-{command}-{{{{ params.model }}}}-{{{{ run_id }}}}",
        conf=spark_conf(),
        application_args=[
            "--config",
            "{{ params.config }}",
            "--model",
            "{{ params.model }}",
            "--run-id",
            "{{ run_id }}",
            *args,
        ],
        verbose=False,
        pool=POOL,
        pool_slots=1,
        **kwargs,
    )
