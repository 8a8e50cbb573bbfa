"""The DAG files: they import cleanly, have the tasks, order and settings they promise, and their
templated fields render the lakeloop command lines a given day needs."""

from __future__ import annotations

import copy
import uuid

import pendulum
import pytest

from conftest import ROOT, load_dagbag

DAG_IDS = {"lakeloop_monitoring", "lakeloop_maintenance"}


@pytest.fixture(scope="module")
def dagbag():
    """The DAGs as a worker parses them: a DagBag of this module's own, since dag.test() in
    test_dag_runs runs tasks in the test process and leaves its run's conf in the session
    DagBag's Param objects."""
    return load_dagbag()


def test_dag_folder_imports_without_errors(dagbag):
    assert dagbag.import_errors == {}
    assert set(dagbag.dag_ids) == DAG_IDS


@pytest.mark.parametrize("dag_id", sorted(DAG_IDS))
def test_dag_settings_are_deliberate(dagbag, dag_id):
    dag = dagbag.dags[dag_id]
    assert dag.catchup is False
    assert dag.max_active_runs == 1
    assert "lakeloop" in dag.tags
    assert dag.doc_md and "max_active_runs" in dag.doc_md and "pool" in dag.doc_md
    for t in dag.tasks:
        assert t.retries == 2, t.task_id
        assert t.owner == "lakeloop"


def test_every_lakeloop_job_of_both_dags_runs_in_the_one_pool(dagbag):
    """One pool of one slot per warehouse serialises every spark-submit of both DAGs
    (test_dag_runs checks it under a real scheduler); the tasks that write nothing stay out."""
    import lakeloop_ops

    assert lakeloop_ops.POOL == "lakeloop"  # the pool README creates; LAKELOOP_POOL renames it
    pooled, others = set(), set()
    for dag_id in sorted(DAG_IDS):
        for t in dagbag.dags[dag_id].tasks:
            if isinstance(t, lakeloop_ops.LakeloopSubmitOperator):
                assert (t.pool, t.pool_slots) == (lakeloop_ops.POOL, 1), t.task_id
                pooled.add(t.task_id)
            else:
                assert t.pool != lakeloop_ops.POOL, t.task_id
                others.add(t.task_id)
    assert pooled == {
        "ingest_served", "evaluate", "drift", "report",
        "tune", "train", "compress_and_publish", "verify_registry",
    }
    assert others == {"branch_on_alerts", "trigger_maintenance", "healthy"}


def _edges(dag):
    return {(t.task_id, d) for t in dag.tasks for d in t.downstream_task_ids}


def test_monitoring_evaluates_then_drifts_then_branches(dagbag):
    dag = dagbag.dags["lakeloop_monitoring"]
    assert {t.task_id for t in dag.tasks} == {
        "ingest_served", "evaluate", "drift", "branch_on_alerts", "trigger_maintenance", "healthy",
        "report",
    }
    assert _edges(dag) == {
        ("ingest_served", "evaluate"),
        ("evaluate", "drift"),
        ("drift", "report"),
        ("evaluate", "branch_on_alerts"),
        ("drift", "branch_on_alerts"),
        ("branch_on_alerts", "trigger_maintenance"),
        ("branch_on_alerts", "healthy"),
    }
    assert dag.get_task("trigger_maintenance").trigger_dag_id == "lakeloop_maintenance"
    # the report is written whether drift succeeded or failed
    assert dag.get_task("report").trigger_rule == "all_done"
    # A daily schedule over data intervals: the run for a day starts when the day has ended.
    from airflow.timetables.interval import CronDataIntervalTimetable

    assert isinstance(dag.timetable, CronDataIntervalTimetable)
    assert dag.timetable.summary == "0 0 * * *"


def test_maintenance_trains_then_compresses_then_verifies(dagbag):
    dag = dagbag.dags["lakeloop_maintenance"]
    assert not dag.timetable.can_be_scheduled
    assert _edges(dag) == {
        ("tune", "train"),
        ("train", "compress_and_publish"),
        ("compress_and_publish", "verify_registry"),
    }


@pytest.mark.parametrize(
    "evaluated, drifted, reason",
    [
        (3, 0, "quality alert"),
        (0, 3, "drift"),
        (3, 3, "quality alert and drift"),
        (0, 0, None),
        (None, None, None),
    ],
)
def test_maintenance_follows_a_quality_alert_or_drift(evaluated, drifted, reason):
    from lakeloop_ops import maintenance_reason

    def outcome(code):
        return None if code is None else {"exit_code": code}

    assert maintenance_reason(outcome(evaluated), outcome(drifted)) == reason


def test_without_an_alert_the_branch_is_healthy(dagbag):
    task = dagbag.dags["lakeloop_monitoring"].get_task("branch_on_alerts")
    assert task.python_callable({"exit_code": 0}, None) == "healthy"


def _run(dag, run_id, run_after, logical_date=None, conf=None):
    """The run as Airflow's API hands it to a worker: a run with a logical date has the data
    interval Airflow 3 infers from when it runs (a scheduled run is due when its interval ends, a
    manual one covers the interval that ended before it); a run triggered without a logical date
    (`airflow dags trigger` without `--logical-date`) has neither."""
    from airflow.sdk.api.datamodels._generated import DagRun
    from airflow.serialization.encoders import coerce_to_core_timetable

    interval = None
    if logical_date is not None:
        interval = coerce_to_core_timetable(dag.timetable).infer_manual_data_interval(run_after=run_after)
    return DagRun(
        dag_id=dag.dag_id, run_id=run_id, logical_date=logical_date,
        data_interval_start=interval and interval.start, data_interval_end=interval and interval.end,
        run_after=run_after, start_date=run_after, end_date=None, run_type="manual", state="running",
        conf=conf, consumed_asset_events=[], partition_key=None,
    )


def _context(task, dag, dag_run):
    """The template context Airflow's task runner builds for the task in that run (it leaves out
    `ds`, `ds_nodash` and the data interval when the run has no logical date). Built on a copy of
    the DAG and of the task's params: merging the run's conf sets the values of their Param
    objects, which a worker parses afresh for every task but the session's dagbag shares between
    tests."""
    from airflow.sdk.api.datamodels._generated import TIRunContext
    from airflow.sdk.execution_time.task_runner import RuntimeTaskInstance

    dag = copy.deepcopy(dag)
    task = dag.get_task(task.task_id)
    task.params = copy.deepcopy(task.params)  # the DAG's copy still shares them
    ti = RuntimeTaskInstance.model_construct(
        id=uuid.uuid4(), task_id=task.task_id, dag_id=dag.dag_id, run_id=dag_run.run_id, try_number=1,
        map_index=-1, task=task, max_tries=2, dag_version_id=uuid.uuid4(),
        _ti_context_from_server=TIRunContext(dag_run=dag_run, max_tries=2),
    )
    return ti.get_template_context()


def _render(task, dag, dag_run):
    """The task's application_args rendered as Airflow renders them in that run; its spark-submit
    name, which names the lakeloop run, checked on the way."""
    context = _context(task, dag, dag_run)
    env = dag.get_template_env()
    name = task.render_template(task.name, context, jinja_env=env)
    assert name == f"lakeloop-{task.command}-{context['params']['model']}-{dag_run.run_id}"
    return task.render_template(task.application_args, context, jinja_env=env)


def test_monitoring_commands_render_for_the_day_that_ended(dagbag):
    dag = dagbag.dags["lakeloop_monitoring"]
    day = pendulum.datetime(2026, 1, 14, tz="UTC")
    run_id = "scheduled__2026-01-14T00:00:00+00:00"
    scheduled = _run(dag, run_id, day.add(days=1), logical_date=day)
    evaluate = dag.get_task("evaluate")
    args = _render(evaluate, dag, scheduled)
    assert args == [
        "--config", str(ROOT / "configs/local.conf"), "--model", "churn",
        "--run-id", run_id, "--date", "2026-01-14", "--fail-on-alert",
    ]
    assert evaluate._java_class == "io.lakeloop.monitoring.evaluate.EvaluateJob"
    assert evaluate.application == str(ROOT / "jobs/monitoring/target/lakeloop-monitoring.jar")
    drift = dag.get_task("drift")
    assert _render(drift, dag, scheduled)[-3:] == ["--date", "2026-01-14", "--fail-on-drift"]
    assert drift._java_class == "io.lakeloop.monitoring.drift.DriftJob"
    # A manual run triggered during the 15th covers the interval that ended then: the 14th,
    # whatever its logical date, and with none (then Airflow gives it no data interval).
    at = day.add(days=1, hours=9)
    for logical_date in (at, day.subtract(days=30), None):
        manual = _render(evaluate, dag, _run(dag, "manual__x", at, logical_date=logical_date))
        assert manual[-3:] == ["--date", "2026-01-14", "--fail-on-alert"], logical_date
    # By hand with a `date` param: that day, for every job and for the maintenance it triggers.
    by_hand = _run(dag, "manual__y", at, conf={"date": "2026-01-03"})
    for task_id in ("ingest_served", "evaluate", "drift", "report"):
        args = _render(dag.get_task(task_id), dag, by_hand)
        assert args[args.index("--date") + 1] == "2026-01-03", task_id
    trigger = dag.get_task("trigger_maintenance")
    assert _render_conf(trigger, dag, by_hand)["date"] == "2026-01-03"
    assert _render_conf(trigger, dag, scheduled)["date"] == "2026-01-14"


def _render_conf(trigger, dag, dag_run):
    """The conf trigger_maintenance gives the run it triggers, but its `reason` (an XCom)."""
    conf = {k: v for k, v in trigger.conf.items() if k != "reason"}
    return trigger.render_template(conf, _context(trigger, dag, dag_run), jinja_env=dag.get_template_env())


def test_maintenance_takes_the_date_from_its_params(dagbag):
    dag = dagbag.dags["lakeloop_maintenance"]
    day = pendulum.datetime(2026, 1, 20, tz="UTC")
    train = dag.get_task("train")
    # train takes the configuration the run's tune task found
    assert _render(train, dag, _run(dag, "r", day, logical_date=day, conf={"date": "2026-01-12"}))[-4:] == [
        "--date", "2026-01-12", "--set", "lakeloop.train.from-tuning=latest"
    ]
    assert _render(train, dag, _run(dag, "r", day, logical_date=day))[-4:-2] == ["--date", "2026-01-20"]
    # Triggered by hand without a logical date (`airflow dags trigger lakeloop_maintenance`): the
    # `date` param, else the day it was triggered on.
    at = day.add(days=3, hours=17)
    assert _render(train, dag, _run(dag, "manual__x", at, conf={"date": "2026-01-12"}))[-4:-2] == [
        "--date", "2026-01-12"
    ]
    assert _render(train, dag, _run(dag, "manual__x", at))[-4:-2] == ["--date", "2026-01-23"]
    tune = dag.get_task("tune")
    assert _render(tune, dag, _run(dag, "r", day, logical_date=day, conf={"date": "2026-01-12"}))[-2:] == [
        "--date", "2026-01-12"
    ]
    assert tune._java_class == "io.lakeloop.modeling.tune.TuneJob"
    assert train._java_class == "io.lakeloop.modeling.train.TrainJob"
    assert train.application == str(ROOT / "jobs/modeling/target/lakeloop-modeling.jar")
    verify = _render(dag.get_task("verify_registry"), dag, _run(dag, "r", day, logical_date=day, conf={"model": "fraud"}))
    assert verify[verify.index("verify") + 1] == "fraud"
    # DL4J's training needs one native thread per task and a local clock (README).
    assert train.conf["spark.executorEnv.OMP_NUM_THREADS"] == "1"
    assert "SystemClockTimeSource" in train.conf["spark.driver.extraJavaOptions"]
    # A cluster-mode driver on a standalone worker gets no Java 17 module openings of its own.
    assert "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED" in train.conf["spark.driver.extraJavaOptions"]


def test_spark_settings_come_from_the_environment(monkeypatch):
    import lakeloop_ops

    monkeypatch.setenv("LAKELOOP_SPARK_CONF", '{"spark.executor.memory": "8g", "spark.executorEnv.OMP_NUM_THREADS": 2}')
    conf = lakeloop_ops.spark_conf()
    assert conf["spark.executor.memory"] == "8g"
    assert conf["spark.executorEnv.OMP_NUM_THREADS"] == "2"
    monkeypatch.setenv("LAKELOOP_SPARK_CONF", "[1, 2]")
    with pytest.raises(ValueError, match="JSON object"):
        lakeloop_ops.spark_conf()
    monkeypatch.setenv("LAKELOOP_SPARK_CONF", "{oops")
    with pytest.raises(ValueError, match="not valid JSON"):
        lakeloop_ops.spark_conf()
