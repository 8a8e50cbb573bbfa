"""lakeloop_monitoring: every day, the model's quality and drift for the day that just ended."""

from __future__ import annotations

import pendulum
from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.providers.standard.operators.trigger_dagrun import TriggerDagRunOperator
from airflow.sdk import DAG, Param, get_current_context, task
from airflow.timetables.interval import CronDataIntervalTimetable
from airflow.task.trigger_rule import TriggerRule

from lakeloop_ops import (
    COMMON_PARAMS_DOC,
    CONFIG,
    DEFAULT_ARGS,
    DRIFT_FOUND,
    MODEL,
    DAY,
    MACROS,
    POOL,
    QUALITY_ALERT,
    lakeloop_job,
    maintenance_reason,
)

DOC = f"""
### lakeloop monitoring

Once a day, for the day that just ended: the start of the run's data interval
(`{{{{ data_interval_start | ds }}}}`; for a scheduled run that is `{{{{ ds }}}}`, for a manual one
the day before it was triggered, with or without a logical date). A manual run with a `date`
param (`airflow dags trigger lakeloop_monitoring --conf '{{"date": "2026-01-13"}}'`) works on
that day instead:

0. **ingest_served** — `lakeloop ingest-served --date DAY`: the traffic `lakeloop serve` answered
   on DAY (published by the server to `<warehouse>/landing/served/<model>/event_date=DAY/`) into
   `prediction_log` through ingest's checks, so evaluate and drift see online traffic too; rows
   loaded before are skipped, and a day without served traffic loads nothing and succeeds;
1. **evaluate** — `lakeloop evaluate --date DAY --fail-on-alert`: quality per model version,
   window and slice into `eval_metrics` (windows whose labels may still change are
   re-evaluated), judged by the model's quality rules; exit code 3 means the run succeeded and
   a window broke a rule (an `alerts` row of kind `quality`) — an outcome, not a failure;
2. **drift** — `lakeloop drift --date DAY --fail-on-drift`: drift of every feature, score and
   label into `drift_metrics`, an `alerts` row per drifted comparison; exit code 3 likewise
   means drift found;
3. **branch** — a quality alert or drift → **trigger_maintenance** starts
   `lakeloop_maintenance` for the same day (train → compress/publish → verify), with the reason
   (`quality alert`, `drift`, or both) in the triggered run's conf; otherwise **healthy**.
4. **report** — `lakeloop report --date DAY`: the HTML report and PNG summary of the day under
   `<warehouse>/reports/<model>/DAY/<run id>/`; it runs once drift is done, whether drift
   succeeded or failed (trigger rule `all_done`), so a failing day still gets its picture.

Airflow's `run_id` is lakeloop's run id: a retried task reruns the same lakeloop run, which
changes nothing once it succeeded.

**Schedule.** `@daily` over data intervals (UTC): the run for day D starts after D ends and
evaluates D. **catchup is off**: a newly deployed DAG would otherwise queue one Spark run per
missed day; `lakeloop evaluate --since D0` and `drift --since D0` backfill any range in one scan
instead. **max_active_runs is 1**: consecutive days re-evaluate overlapping windows (the label
delay). **Every spark-submit task runs in the pool `{POOL}`** (one slot, one pool per warehouse,
`$LAKELOOP_POOL`), shared with `lakeloop_maintenance`: Delta's default S3 log store is safe for one
writing driver per table at a time, and without the pool the maintenance run this run triggers
would `tune` (writing `job_runs`) while `report` writes `job_runs` too; max_active_runs keeps only
two runs of the same DAG apart. The branch, the trigger and healthy write nothing and stay out of
the pool. The pool must exist (`airflow pools set {POOL} 1 "..."`): a task in a missing pool is
never scheduled.

{COMMON_PARAMS_DOC} `date` (YYYY-MM-DD, default: the day that just ended).
"""

with DAG(
    dag_id="lakeloop_monitoring",
    description="Daily model quality and drift; an alert of either triggers lakeloop_maintenance",
    schedule=CronDataIntervalTimetable("@daily", timezone="UTC"),
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    params={
        "date": Param(None, type=["null", "string"], format="date", description="day to monitor"),
        "config": Param(CONFIG, type="string", description="HOCON file the jobs read"),
        "model": Param(MODEL, type="string", description="model to monitor"),
    },
    user_defined_macros=MACROS,
    tags=["lakeloop", "monitoring"],
    doc_md=DOC,
) as dag:
    ingest_served = lakeloop_job("ingest-served", ["--date", DAY], task_id="ingest_served")
    evaluate = lakeloop_job(
        "evaluate",
        ["--date", DAY, "--fail-on-alert"],
        outcome_exit_codes={QUALITY_ALERT: "a quality rule broke (alerts written)"},
    )
    drift = lakeloop_job(
        "drift",
        ["--date", DAY, "--fail-on-drift"],
        outcome_exit_codes={DRIFT_FOUND: "drift found (alerts written)"},
    )

    @task.branch(task_id="branch_on_alerts")
    def branch_on_alerts(evaluated: dict | None, drifted: dict | None) -> str:
        """Maintenance when evaluate raised a quality alert or drift found drift (the reason goes
        to the triggered run's conf), else nothing to do."""
        reason = maintenance_reason(evaluated, drifted)
        if reason is None:
            return "healthy"
        get_current_context()["ti"].xcom_push(key="reason", value=reason)
        return "trigger_maintenance"

    trigger = TriggerDagRunOperator(
        task_id="trigger_maintenance",
        trigger_dag_id="lakeloop_maintenance",
        trigger_run_id="from_monitoring__{{ run_id }}",
        conf={
            "date": DAY,
            "config": "{{ params.config }}",
            "model": "{{ params.model }}",
            "reason": "{{ ti.xcom_pull(task_ids='branch_on_alerts', key='reason') }}",
        },
        skip_when_already_exists=True,
    )
    healthy = EmptyOperator(task_id="healthy")

    report = lakeloop_job("report", ["--date", DAY], trigger_rule=TriggerRule.ALL_DONE)

    ingest_served >> evaluate >> drift >> report
    branch_on_alerts(evaluate.output, drift.output) >> [trigger, healthy]
