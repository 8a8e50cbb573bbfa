"""lakeloop_maintenance: batch update, distillation, compression and publishing of the model."""

from __future__ import annotations

import pendulum
from airflow.sdk import DAG, Param

from lakeloop_ops import (
    COMMON_PARAMS_DOC,
    CONFIG,
    DEFAULT_ARGS,
    GATE_REFUSED,
    MACROS,
    MODEL,
    POOL,
    lakeloop_job,
)

# The logical date the jobs work on: the `date` param (set by lakeloop_monitoring), else the
# run's own logical date, else (a run triggered without one) the day it was triggered on.
DATE = "{{ params.date or lakeloop_run_day(dag_run) }}"

DOC = f"""
### lakeloop maintenance

Triggered by `lakeloop_monitoring` when drift is found (or by hand, with a `date` param):

1. **tune** — `lakeloop tune --date D`: a hyper-parameter search (`lakeloop.tune`, successive
   halving by default) on train's split of the same days; every trial goes to `tuning_trials`;
2. **train** — `lakeloop train --date D --set lakeloop.train.from-tuning=latest`: trains the
   search's winning configuration on the newest labeled data, distils a student, gates both
   against the champion; the winner becomes the `challenger`. Exit code 4 (nothing passed the
   gate: the champion stays) **skips** the rest;
3. **compress_and_publish** — `lakeloop compress --date D`: prunes and int8-quantizes the
   challenger, checks it against the uncompressed model on the same held-out rows, registers it
   as `published` and moves the `champion` alias to it by compare-and-set. Exit code 4 (no
   compressed attempt held) skips the rest, the champion stays;
4. **verify_registry** — `lakeloop registry verify MODEL`: every artifact of the model re-hashed
   against its registry row (fails on a missing or changed file).

Airflow's `run_id` is lakeloop's run id: a retry reruns the same lakeloop run, and a run that
succeeded changes nothing when rerun. Not scheduled (`schedule=None`, so catchup does not apply);
**max_active_runs is 1** because two trainings at once would race for the `challenger` alias
(compare-and-set lets one win). **Every task runs in the pool `{POOL}`** (one slot, one pool per
warehouse, `$LAKELOOP_POOL`), shared with `lakeloop_monitoring`: Delta's default S3 log store is
safe for one writing driver per table at a time, and the monitoring run that triggers this one is
still writing (its `report`, into `job_runs` as `tune` does) when this run starts. The pool must
exist (`airflow pools set {POOL} 1 "..."`): a task in a missing pool is never scheduled.

{COMMON_PARAMS_DOC} `date` (YYYY-MM-DD, default: the run's logical date, or for a run triggered
without one the day it was triggered on): `airflow dags trigger lakeloop_maintenance --conf
'{{"date": "2026-01-13"}}'`.
"""

with DAG(
    dag_id="lakeloop_maintenance",
    description="tune -> train -> compress and publish -> verify, when monitoring asks for it",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    params={
        "date": Param(None, type=["null", "string"], format="date", description="logical date"),
        "config": Param(CONFIG, type="string", description="HOCON file the jobs read"),
        "model": Param(MODEL, type="string", description="model to update"),
    },
    user_defined_macros=MACROS,
    tags=["lakeloop", "maintenance"],
    doc_md=DOC,
) as dag:
    tune = lakeloop_job("tune", ["--date", DATE])
    train = lakeloop_job(
        "train",
        ["--date", DATE, "--set", "lakeloop.train.from-tuning=latest"],
        skip_exit_codes={GATE_REFUSED: "no candidate passed the quality gate; the champion stays"},
    )
    compress = lakeloop_job(
        "compress",
        ["--date", DATE],
        task_id="compress_and_publish",
        skip_exit_codes={GATE_REFUSED: "no compressed attempt held; the champion stays"},
    )
    verify = lakeloop_job("registry", ["verify", "{{ params.model }}", "--date", DATE], task_id="verify_registry")

    tune >> train >> compress >> verify
