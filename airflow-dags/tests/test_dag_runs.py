"""End to end: real Airflow runs the DAGs with `dag.test()`, each task a real spark-submit (pyspark
3.5.7's, master local[2] from the Airflow connection) of lakeloop's shaded jars against a
warehouse prepared by `generate`; the Delta tables the jobs wrote are then read back with
delta-rs, a client that shares no code with lakeloop."""

from __future__ import annotations

import datetime as dt
import json
import os

import pendulum
import pytest
from deltalake import DeltaTable

from conftest import ROOT

SPARK_CONN = json.dumps({"conn_type": "spark", "host": "local[2]"})


@pytest.fixture()
def lakeloop_env(generated_warehouse, airflow_db, monkeypatch):
    monkeypatch.setenv("LAKELOOP_WAREHOUSE", str(generated_warehouse))
    monkeypatch.setenv("AIRFLOW_CONN_SPARK_DEFAULT", SPARK_CONN)
    # Small local runs: a 1 GiB driver is plenty and leaves room for the test's own JVMs.
    monkeypatch.setenv("LAKELOOP_SPARK_CONF", json.dumps({"spark.driver.memory": "2g"}))
    return generated_warehouse


def _table(warehouse, name):
    return DeltaTable(os.path.join(warehouse, name)).to_pandas()


def _runs(warehouse):
    """Each run's latest row of the job_runs attempt log (greatest attempt, its end over its start)."""
    runs = _table(warehouse, "job_runs")
    runs = runs.assign(_ended=runs.finished_at.notna()).sort_values(["attempt", "_ended"], kind="stable")
    return runs.groupby(["job", "run_id"]).tail(1)


def _champion(warehouse):
    """The champion versions in model_aliases ([] before anything was published)."""
    if not os.path.isdir(os.path.join(warehouse, "model_aliases", "_delta_log")):
        return []
    aliases = _table(warehouse, "model_aliases")
    return aliases[aliases.alias == "champion"].version.tolist()


def _serve_three_rows(warehouse, day) -> set[str]:
    """A segment as `lakeloop serve` publishes it: three of the day's logged rows answered again
    online under new request ids, in the served landing folder the DAG's first task loads."""
    log = _table(warehouse, "prediction_log")
    rows = log[log.event_date == day].head(3)
    folder = os.path.join(warehouse, "landing", "served", "churn", f"event_date={day}")
    os.makedirs(folder, exist_ok=True)
    lines, ids = [], set()
    for i, r in enumerate(rows.to_dict("records")):
        record = {k: (None if isinstance(v, float) and v != v else v) for k, v in r.items()
                  if k not in ("event_date", "event_time", "request_id", "scores")}
        record.update(request_id=f"served-{i}", event_time=f"{day}T12:00:0{i}Z", scores=list(r["scores"]))
        lines.append(json.dumps(record))
        ids.add(f"served-{i}")
    with open(os.path.join(folder, f"{day}_0_test_000001.jsonl"), "w") as f:
        f.write("\n".join(lines) + "\n")
    return ids


def _states(dag_run):
    return {ti.task_id: str(ti.state) for ti in dag_run.get_task_instances()}


def test_monitoring_run_evaluates_and_drifts_the_day_and_triggers_maintenance(dagbag, lakeloop_env, tmp_path):
    warehouse = lakeloop_env
    dag = dagbag.dags["lakeloop_monitoring"]
    # Logical date 2026-01-13 → data interval [01-12, 01-13): the jobs work on 2026-01-12, two
    # days into the generator's covariate drift of monthly_charges (from day 10). The run's config
    # adds a quality rule that the day's accuracy cannot meet, so evaluate raises a quality alert
    # and the maintenance run is triggered for both reasons.
    strict = tmp_path / "strict.conf"
    strict.write_text(
        f'include file("{ROOT / "configs/local.conf"}")\n'
        "lakeloop.models.churn.quality.rules = [{ metric = accuracy, min = 0.99, granularities"
        ' = ["1 day"] }]\n'
    )
    served = _serve_three_rows(warehouse, dt.date(2026, 1, 12))
    run = dag.test(logical_date=pendulum.datetime(2026, 1, 13, tz="UTC"), run_conf={"config": str(strict)})
    states = _states(run)
    assert str(run.state) == "success", states
    assert states["ingest_served"] == "success"
    assert states["evaluate"] == "success" and states["drift"] == "success"
    assert states["trigger_maintenance"] == "success"
    assert states["healthy"] == "skipped"
    assert states["report"] == "success"
    day = dt.date(2026, 1, 12)

    # the report of the day, written by the monitoring jar under the run's folder
    folder = os.path.join(warehouse, "reports", "churn", str(day))
    written = [os.path.join(d, f) for d, _, fs in os.walk(folder) for f in fs]
    assert any(p.endswith("report.html") for p in written), written
    assert any(p.endswith("summary.png") for p in written), written
    page = open(next(p for p in written if p.endswith("report.html")), encoding="utf-8").read()
    assert "monthly_charges" in page and "as of 2026-01-12" in page

    # job_runs: both jobs under Airflow's run id, for the day, succeeded.
    runs = _runs(warehouse)
    mine = runs[runs.run_id == run.run_id]
    assert sorted(mine.job) == ["drift", "evaluate", "ingest-served", "report"]
    assert set(mine.status) == {"SUCCEEDED"}
    assert set(mine.logical_date) == {day}

    # eval_metrics: the day's row count per model version equals the predictions logged that
    # day, counted here from prediction_log itself.
    metrics = _table(warehouse, "eval_metrics")
    daily = metrics[
        (metrics.run_id == run.run_id)
        & (metrics.granularity == "1 day")
        & (metrics.slice_value == "*")
        & (metrics.window_start.dt.date == day)
    ]
    log = _table(warehouse, "prediction_log")
    # the served rows, loaded by ingest_served before evaluate counted the day
    assert served <= set(log[log.event_date == day].request_id)
    logged = log[log.event_date == day].groupby("model_version").size()
    counts = daily[daily.metric == "count"].set_index("model_version").value
    assert len(logged) > 0
    assert counts.sort_index().astype(int).to_dict() == logged.sort_index().to_dict()
    accuracy = daily[daily.metric == "accuracy"].value
    assert len(accuracy) > 0 and accuracy.between(0.5, 1.0).all()

    # drift_metrics and alerts: monthly_charges drifted against the baseline on that day.
    drift = _table(warehouse, "drift_metrics")
    psi = drift[
        (drift.run_id == run.run_id)
        & (drift.granularity == "1 day")
        & (drift.window_start.dt.date == day)
        & (drift.comparison == "BASELINE")
        & (drift.column == "monthly_charges")
        & (drift.statistic == "psi")
        & (drift.slice_key == "*")
    ]
    assert len(psi) >= 1 and psi.drifted.all()
    alerts = _table(warehouse, "alerts")
    alerts = alerts[(alerts.run_id == run.run_id) & (alerts.window_start.dt.date == day)]
    assert any("monthly_charges" in list(c) for c in alerts[alerts.kind == "drift"].drifted_columns)
    # the quality alert of the day: the rule, and a whole interval below its bound
    quality = alerts[(alerts.kind == "quality") & (alerts.granularity == "1 day") & (alerts.slice_key == "*")]
    assert list(quality.rule) == ["accuracy >= 0.99"]
    assert (quality.ci_high < 0.99).all() and (quality.bound == 0.99).all()

    # The maintenance run was triggered for the same day.
    from airflow.models import DagRun
    from airflow.utils.session import create_session

    with create_session() as session:
        triggered = (
            session.query(DagRun)
            .filter(DagRun.dag_id == "lakeloop_maintenance", DagRun.run_id == f"from_monitoring__{run.run_id}")
            .one()
        )
        assert triggered.conf["date"] == "2026-01-12"
        assert triggered.conf["model"] == "churn"
        assert triggered.conf["reason"] == "quality alert and drift"


@pytest.fixture()
def maintained(dagbag, lakeloop_env, tmp_path_factory):
    """The warehouse after one maintenance run for 2026-01-14 (made once: later tests start from a
    published champion, whatever order they run in). Two epochs through the DAG's `config` param:
    on this data they pass the gate and the compression check (as the reliability suite's train
    and compress runs on the same data show), and the DAG's behaviour does not depend on them."""
    global _MAINTENANCE_RUN
    if _MAINTENANCE_RUN is None:
        quick = tmp_path_factory.mktemp("maintenance") / "two-epochs.conf"
        quick.write_text(
            f'include file("{ROOT / "configs/local.conf"}")\n'
            "lakeloop.train.teacher.epochs = 2\n"
            "lakeloop.train.student.epochs = 2\n"
            + QUICK_TUNE
        )
        _MAINTENANCE_RUN = dagbag.dags["lakeloop_maintenance"].test(
            logical_date=pendulum.datetime(2026, 1, 15, tz="UTC"),
            run_conf={"date": "2026-01-14", "config": str(quick)},
        )
    return lakeloop_env, _MAINTENANCE_RUN


_MAINTENANCE_RUN = None

# A search of 3 configurations for 1 epoch each on 2,000 rows: the DAG's tune task runs and
# train takes its winner; how good the search is, tests/ and the Maven tests check. Batches of
# 32 at 0.01: two epochs from scratch make enough updates to pass the gate on this data.
QUICK_TUNE = (
    "lakeloop.tune.space.learning-rate = [0.01]\n"
    "lakeloop.tune.space.batch-size = [32]\n"
    "lakeloop.tune.samples = 3\n"
    "lakeloop.tune.max-epochs = 1\n"
    "lakeloop.tune.sample-rows = 2000\n"
    "lakeloop.tune.validation-rows = 1000\n"
)


def test_maintenance_run_trains_compresses_publishes_and_verifies(maintained):
    warehouse, run = maintained
    states = _states(run)
    assert str(run.state) == "success", states
    assert states == {
        "tune": "success",
        "train": "success",
        "compress_and_publish": "success",
        "verify_registry": "success",
    }

    runs = _runs(warehouse)
    mine = runs[runs.run_id == run.run_id]
    # (registry verify reads only, so it leaves no job_runs row.)
    assert sorted(mine.job) == ["compress", "train", "tune"]
    # train trained the winner of this run's own search
    trials = _table(warehouse, "tuning_trials")
    searched = trials[trials.run_id == run.run_id]
    assert len(searched) == 3 and searched.winner.sum() == 1
    trained = mine[mine.job == "train"].summary.iloc[0]
    assert dict(trained)["tuned_by"] == run.run_id
    assert set(mine.logical_date) == {dt.date(2026, 1, 14)}
    assert set(mine.status) == {"SUCCEEDED"}

    # The registry: the published model is the champion, derived from a candidate of this run.
    registry = _table(warehouse, "model_registry")
    aliases = _table(warehouse, "model_aliases")
    champion = aliases[(aliases.model_name == "churn") & (aliases.alias == "champion")]
    assert len(champion) == 1
    published = registry[(registry.model_name == "churn") & (registry.run_id == run.run_id)]
    row = published[published.version == champion.version.iloc[0]]
    assert len(row) == 1
    assert row.status.iloc[0] == "published"
    assert row.format.iloc[0] == "lakeloop-compact-v1"
    parent = registry[registry.version == row.parent_version.iloc[0]]
    assert parent.status.iloc[0] == "candidate" and parent.run_id.iloc[0] == run.run_id


def test_maintenance_skips_publishing_when_the_gate_refuses(dagbag, maintained, tmp_path):
    """train's exit code 4 (no candidate passed the gate) skips compress and verify: the run
    succeeds, the champion the earlier maintenance run published stays. One epoch: no model of
    this data reaches the 0.999 accuracy floor, however long it trains."""
    warehouse, _ = maintained

    strict = tmp_path / "strict-gate.conf"
    strict.write_text(
        f'include file("{ROOT / "configs/local.conf"}")\n'
        "lakeloop.train.gate.value-thresholds { accuracy { min = 0.999 } }\n"
        "lakeloop.train.teacher.epochs = 1\n"
        "lakeloop.train.student.epochs = 1\n"
        + QUICK_TUNE
    )
    before = _champion(warehouse)
    assert len(before) == 1, "the maintenance run before this one published no champion"
    run = dagbag.dags["lakeloop_maintenance"].test(
        logical_date=pendulum.datetime(2026, 1, 16, tz="UTC"),
        run_conf={"date": "2026-01-14", "config": str(strict)},
    )
    states = _states(run)
    assert str(run.state) == "success", states
    assert states == {
        "tune": "success",
        "train": "skipped",
        "compress_and_publish": "skipped",
        "verify_registry": "skipped",
    }

    decisions = _table(warehouse, "gate_decisions")
    mine = decisions[decisions.run_id == run.run_id]
    assert len(mine) > 0 and not mine.blessed.any()
    floor = mine[(mine.check_kind == "value") & (mine.metric == "accuracy")]
    assert len(floor) > 0 and (floor.bound == 0.999).all() and not floor.passed.any()
    assert _champion(warehouse) == before
