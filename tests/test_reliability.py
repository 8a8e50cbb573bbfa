"""Reliability under faults, with real JVMs: each scenario starts `bin/lakeloop` with a fault armed
at a named point (lakeloop's `Faults`: LAKELOOP_PAUSE_AT makes the JVM stop there and say so), the
test SIGKILLs the whole process group at that moment, then reruns the same run id without the
fault. Every table the job writes must then hold exactly what a clean run on a copy of the same
warehouse wrote (content compared cell by cell with delta-rs, no lakeloop code), and job_runs must
tell the truth about the killed attempt. Task failures (LAKELOOP_FAIL_AT: the first attempt of
every even-numbered partition throws) under `local[2,4]` must give the clean result too. The
scenarios and their results are summed up in docs/RELIABILITY.md."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from conftest import (
    ROOT, attempt_order, base_env, cell_text, latest_runs, run_batch, run_lakeloop, table, verified_intact,
    wait_for_pause,
)

DATE, SINCE = "2026-01-14", "2026-01-01"
EVALUATE = ["evaluate", "--date", DATE, "--since", SINCE, "--run-id", "rel-evaluate"]
DRIFT = ["drift", "--date", DATE, "--since", "2026-01-08", "--run-id", "rel-drift"]
TRAIN = [
    "train", "--date", DATE, "--run-id", "rel-train",
    "--set", "lakeloop.train.teacher.epochs=2", "--set", "lakeloop.train.student.epochs=2",
]
WRITES = {
    "evaluate": ["eval_metrics", "quarantine"],
    "drift": ["profiles", "drift_metrics", "alerts"],
}


def _env(warehouse: Path, **extra: str) -> dict[str, str]:
    return base_env(LAKELOOP_WAREHOUSE=str(warehouse), **extra)


@pytest.fixture(scope="module")
def template(generated):
    """Two weeks of generated traffic (20,000 predictions, delayed labels, malformed rows): the
    session's shared warehouse, copied before every change."""
    return generated


@pytest.fixture(scope="module")
def evaluated(template, tmp_path_factory):
    """The template after a clean evaluate: where the drift scenarios start (drift reads nothing
    evaluate wrote, but every warehouse compared then has the same history)."""
    warehouse = tmp_path_factory.mktemp("reliability-evaluated") / "lakehouse"
    shutil.copytree(template, warehouse)
    run_lakeloop(*EVALUATE, env=_env(warehouse))
    return warehouse


@pytest.fixture(scope="module")
def clean(evaluated, tmp_path_factory):
    """The same jobs run once each without any fault: the reference every scenario must reach."""
    warehouse = tmp_path_factory.mktemp("reliability-clean") / "lakehouse"
    shutil.copytree(evaluated, warehouse)
    run_lakeloop(*DRIFT, env=_env(warehouse))
    return warehouse


def _copy(template: Path, tmp_path: Path) -> Path:
    warehouse = tmp_path / "lakehouse"
    shutil.copytree(template, warehouse)
    return warehouse


def _kill_at(warehouse: Path, point: str, args: list[str], tmp_path: Path) -> None:
    """Runs lakeloop until it reaches `point`, then SIGKILLs its process group. `tmp_path` holds
    the pause marker and the killed JVM's log: one directory per kill."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    marker = tmp_path / "paused-at"
    log = (tmp_path / "killed.log").open("w")
    env = _env(warehouse, LAKELOOP_PAUSE_AT=point, LAKELOOP_PAUSE_MARKER=str(marker))
    proc = subprocess.Popen(
        [str(ROOT / "bin/lakeloop"), *args], env=env, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        try:
            paused, _ = wait_for_pause(marker, proc, f"lakeloop {args[0]} (armed at {point})", 900)
        except AssertionError as e:
            raise AssertionError(f"{e}:\n" + (tmp_path / "killed.log").read_text()[-4000:]) from None
        assert paused == point
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=120)
        log.close()
    assert proc.returncode == -signal.SIGKILL


def _content(warehouse: Path, name: str) -> pd.DataFrame:
    """A table's rows in a canonical order, nested values as text, for an exact comparison."""
    return _canonical(table(warehouse, name))


def _canonical(df: pd.DataFrame) -> pd.DataFrame:
    df = df.copy()
    for c in df.columns:
        if df[c].dtype == object:
            df[c] = df[c].map(cell_text)
    return df.sort_values(list(df.columns)).reset_index(drop=True)


def _attempts(warehouse: Path, job: str, run_id: str) -> pd.DataFrame:
    """The run's rows of the job_runs attempt log, in order: each attempt's start, then its end."""
    runs = table(warehouse, "job_runs")
    return attempt_order(runs[(runs.job == job) & (runs.run_id == run_id)])


def _assert_same_as_clean(warehouse: Path, clean: Path, job: str) -> None:
    for name in WRITES[job]:
        pd.testing.assert_frame_equal(_content(warehouse, name), _content(clean, name), check_exact=True)


# The points of each job, in the order a run reaches them: a run id is killed at the first, its
# retry at the second, the next retry at the third (an Airflow task whose retries keep dying), then
# rerun to the end. Every point is still the whole JVM SIGKILLed there; the chain leaves each
# attempt the state all earlier killed attempts left, which a retry must cope with anyway.
KILL_CHAINS = {
    "evaluate": (EVALUATE, ["scan", "delta.write:eval_metrics", "ledger.before-finish"]),
    "drift": (DRIFT, ["scan", "delta.write:drift_metrics", "ledger.before-finish"]),
}


@pytest.mark.parametrize("job", list(KILL_CHAINS))
def test_a_job_killed_at_each_point_in_turn_and_rerun_converges_to_the_clean_result(
    template, evaluated, clean, tmp_path, job
):
    """Killed at its scan, its Delta write, then after its last commit before the ledger's finish:
    each killed attempt leaves its own RUNNING row and no end; the attempt killed at the ledger ran
    over what the earlier ones left and had committed everything, and the tables already equal the
    clean run's; the rerun succeeds as the next attempt and changes nothing, nor does one more."""
    args, points = KILL_CHAINS[job]
    warehouse = _copy(evaluated if job == "drift" else template, tmp_path)
    for n, point in enumerate(points, start=1):
        _kill_at(warehouse, point, args, tmp_path / f"kill-{n}")
        killed = _attempts(warehouse, job, args[-1])
        assert (killed.attempt.tolist(), killed.status.tolist()) == (list(range(1, n + 1)), ["RUNNING"] * n), point
    # everything was committed before the last kill
    _assert_same_as_clean(warehouse, clean, job)
    run_lakeloop(*args, env=_env(warehouse))
    after = _attempts(warehouse, job, args[-1])
    assert after.status.iloc[-1] == "SUCCEEDED" and after.attempt.iloc[-1] == len(points) + 1
    _assert_same_as_clean(warehouse, clean, job)
    # the run succeeded: another run may say "already done" but must not write a second copy
    run_lakeloop(*args, env=_env(warehouse))
    _assert_same_as_clean(warehouse, clean, job)


def test_failed_tasks_are_retried_and_give_the_clean_result(template, clean, tmp_path):
    """evaluate, then drift, in one JVM of their own (`batch`) with task failures armed and
    `local[2,4]` (a task gets 4 attempts)."""
    warehouse = _copy(template, tmp_path)
    env = _env(
        warehouse,
        LAKELOOP_FAIL_AT="scan,delta.write:eval_metrics,delta.write:drift_metrics",
    )
    # run_batch fails on a command that does not succeed
    log = run_batch([EVALUATE, DRIFT], "--set", "lakeloop.spark.master=local[2,4]", env=env).stderr
    # each armed point really failed a task (Spark's warning names the injected exception): the
    # log up to evaluate's end for evaluate, after it for drift
    evaluate_end = f"job=evaluate run_id={EVALUATE[-1]} status=SUCCEEDED"
    assert evaluate_end in log, log[-4000:]
    logs = dict(zip(("evaluate", "drift"), log.split(evaluate_end, 1)))
    injected = {"evaluate": ["scan", "delta.write:eval_metrics"], "drift": ["scan", "delta.write:drift_metrics"]}
    for job, points in injected.items():
        for point in points:
            assert f"injected failure at {point} " in logs[job], (job, point, logs[job][-4000:])
    _assert_same_as_clean(warehouse, clean, "evaluate")
    _assert_same_as_clean(warehouse, clean, "drift")


def test_without_task_retries_an_injected_failure_fails_the_run_cleanly(template, tmp_path):
    """The control: the injection is real (local[2] gives a task one attempt), the run fails with
    the injected message, the ledger records FAILED, and nothing is committed to eval_metrics."""
    warehouse = _copy(template, tmp_path)
    env = _env(warehouse, LAKELOOP_FAIL_AT="scan")
    proc = subprocess.run(
        [str(ROOT / "bin/lakeloop"), *EVALUATE, "--set", "lakeloop.spark.master=local[2]"],
        env=env, capture_output=True, text=True,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "injected failure at scan" in proc.stderr
    assert _attempts(warehouse, "evaluate", "rel-evaluate").status.tolist() == ["RUNNING", "FAILED"]
    assert not (warehouse / "eval_metrics" / "_delta_log").exists() or table(warehouse, "eval_metrics").empty


# train's points in the order a run reaches them, with the registry rows committed by then: before
# the teacher's registry row (its artifact stored), after it (the student not registered), after
# both (the gate's rows not written).
TRAIN_KILLS = [("registry.before-commit", 0), ("registry.after-commit", 1), ("delta.write:gate_decisions", 2)]


def _registry(warehouse: Path) -> pd.DataFrame:
    if not (warehouse / "model_registry" / "_delta_log").exists():
        return pd.DataFrame(columns=["version", "sha256", "artifact_uri"])
    return table(warehouse, "model_registry").sort_values("version").reset_index(drop=True)


def test_train_killed_around_each_registry_commit_in_turn_leaves_no_orphan_or_duplicate(template, tmp_path):
    """The run killed at each point in turn (each retry killed at the next): every attempt keeps
    what the earlier ones committed (same SHA-256 and artifact, not trained again) and adds only
    what was missing; the rerun then registers one teacher and one student in all."""
    warehouse = _copy(template, tmp_path)
    committed = _registry(warehouse)
    for n, (point, rows) in enumerate(TRAIN_KILLS, start=1):
        _kill_at(warehouse, point, TRAIN, tmp_path / f"kill-{n}")
        now = _registry(warehouse)
        assert len(now) == rows, (point, now[["version", "sha256", "run_id"]])
        for _, row in committed.iterrows():
            kept = now[now.version == row.version].iloc[0]
            assert (kept.sha256, kept.artifact_uri) == (row.sha256, row.artifact_uri), point
        committed = now
    run_lakeloop(*TRAIN, env=_env(warehouse))
    registry = _registry(warehouse)
    # versions unique and gapless; one teacher and one student for the run, not two of either
    assert sorted(registry.version) == list(range(1, len(registry) + 1))
    assert len(registry) == 2, registry[["version", "sha256", "run_id", "status"]]
    assert set(registry.run_id) == {"rel-train"}
    # what the killed attempts committed is kept as it was, and the student's parent is the
    # teacher that the registry holds
    for _, row in committed.iterrows():
        kept = registry[registry.version == row.version].iloc[0]
        assert (kept.sha256, kept.artifact_uri) == (row.sha256, row.artifact_uri)
    assert registry.parent_version.iloc[1] == registry.version.iloc[0]
    # every registered artifact exists and matches its hash; the challenger points at one of them
    # (exit 5 if an artifact were missing or changed: run_lakeloop fails on any non-zero exit)
    verify = run_lakeloop("registry", "verify", "churn", env=_env(warehouse))
    assert verified_intact(verify.stdout, len(registry)), verify.stdout
    aliases = table(warehouse, "model_aliases")
    assert set(aliases.version) <= set(registry.version)
    # the gate judged the two registered candidates, once
    decisions = table(warehouse, "gate_decisions")
    assert set(decisions.candidate_version.dropna().astype(int)) == set(registry.version)
    assert not decisions.duplicated().any()
    ledger = _attempts(warehouse, "train", "rel-train")
    assert (ledger.status.tolist(), ledger.attempt.iloc[-1]) == (["RUNNING"] * 4 + ["SUCCEEDED"], 4)


COMPRESS = ["compress", "--date", DATE, "--run-id", "rel-compress"]
LATER = "2026-01-16"
SCORE_ARGS = ["--date", LATER, "--ref", "churn/2", "--format", "json"]


@pytest.fixture(scope="module")
def trained(template, tmp_path_factory):
    """The template after a clean train run (a teacher v1, a student v2, a challenger), plus two
    later days of traffic as JSON files for score."""
    warehouse = tmp_path_factory.mktemp("reliability-trained") / "lakehouse"
    shutil.copytree(template, warehouse)
    run_lakeloop(*TRAIN, env=_env(warehouse))
    later = warehouse.parent / "later"
    run_lakeloop(
        "generate", "--start-date", "2026-01-15", "--days", "2", "--rows", "3000", "--seed", "99",
        "--output", str(later), "--format", "json", "--run-id", "rel-generate-later",
        env=_env(warehouse),
    )
    return warehouse


def test_compress_killed_between_its_registry_commit_and_the_champion_converges(trained, tmp_path):
    """The compressed model is stored and registered, the champion alias not moved yet: the rerun
    judges that artifact again and promotes it instead of compressing anew (fine-tuning is not
    bit-reproducible: a new artifact would be a second published version); one published version,
    no orphan."""
    warehouse = _copy(trained, tmp_path)
    _kill_at(warehouse, "registry.after-commit", COMPRESS, tmp_path)
    killed = table(warehouse, "model_registry")
    assert "champion" not in set(table(warehouse, "model_aliases").alias)
    run_lakeloop(*COMPRESS, env=_env(warehouse))
    registry = table(warehouse, "model_registry")
    published = registry[registry.run_id == "rel-compress"]
    assert len(published) == 1, registry[["version", "sha256", "run_id", "status"]]
    assert sorted(registry.version) == list(range(1, len(registry) + 1))
    before = killed[killed.run_id == "rel-compress"].iloc[0]
    assert (published.version.iloc[0], published.sha256.iloc[0]) == (before.version, before.sha256)
    aliases = table(warehouse, "model_aliases").set_index("alias").version
    assert aliases["champion"] == published.version.iloc[0]
    verify = run_lakeloop("registry", "verify", "churn", env=_env(warehouse))
    assert verified_intact(verify.stdout, len(registry)), verify.stdout
    ledger = _attempts(warehouse, "compress", "rel-compress")  # the killed attempt, then the rerun
    assert (ledger.status.tolist(), ledger.attempt.tolist()) == (["RUNNING", "RUNNING", "SUCCEEDED"], [1, 2, 2])


def _score(trained: Path) -> list[str]:
    source = ["--input", str(trained.parent / "later" / "prediction_log")]
    return ["score", *SCORE_ARGS, *source, "--run-id", "rel-score"]


@pytest.fixture(scope="module")
def scored(trained, tmp_path_factory):
    """The trained warehouse after a clean score of the later days: the score scenarios' reference."""
    warehouse = tmp_path_factory.mktemp("reliability-scored") / "lakehouse"
    shutil.copytree(trained, warehouse)
    run_lakeloop(*_score(trained), env=_env(warehouse))
    return warehouse


SCORE_KILLS = ["delta.write:prediction_log", "ledger.before-finish"]


def test_score_killed_before_and_after_its_commit_in_turn_and_rerun_equals_a_clean_score(trained, scored, tmp_path):
    """Score (and ingest: both commit through the same quarantine-then-table path) killed before
    its prediction_log commit, its retry killed after it: the tables already equal a clean score
    after the second kill, and again after the rerun; rows of a killed attempt are not quarantined
    as duplicates of themselves."""
    warehouse = _copy(trained, tmp_path)
    for n, point in enumerate(SCORE_KILLS, start=1):
        _kill_at(warehouse, point, _score(trained), tmp_path / f"kill-{n}")
    for name in ("prediction_log", "quarantine"):
        pd.testing.assert_frame_equal(_content(warehouse, name), _content(scored, name), check_exact=True)
    run_lakeloop(*_score(trained), env=_env(warehouse))
    for name in ("prediction_log", "quarantine"):
        pd.testing.assert_frame_equal(_content(warehouse, name), _content(scored, name), check_exact=True)
    ledger = _attempts(warehouse, "score", "rel-score")  # the two killed attempts, then the rerun
    assert (ledger.status.tolist(), ledger.attempt.tolist()) == (["RUNNING"] * 3 + ["SUCCEEDED"], [1, 2, 3, 3])


def test_an_out_of_order_backfill_rewrites_only_its_windows_says_so_and_a_rerun_restores(template, tmp_path):
    """evaluate --date 01-14, then an older --date 01-07 (a backfill run after a newer day): the
    windows up to 01-07 hold exactly what 01-07 alone writes (the labels known by then), the later
    windows are untouched, no metric is doubled, the run says it went back in time and how to come
    forward again, and that command restores the 01-14 figures."""
    metric_key = ["model_name", "model_version", "granularity", "window_start", "slice_key", "slice_value", "metric"]
    old = ["evaluate", "--date", "2026-01-07", "--since", SINCE]
    new = ["evaluate", "--date", DATE, "--since", SINCE]
    alone = _copy(template, tmp_path / "alone")
    run_lakeloop(*old, "--run-id", "rel-old", env=_env(alone))
    warehouse = _copy(template, tmp_path / "backfill")
    run_lakeloop(*new, "--run-id", "rel-new", env=_env(warehouse))
    after_new = table(warehouse, "eval_metrics")
    out = run_lakeloop(*old, "--run-id", "rel-old", env=_env(warehouse)).stdout
    assert "out-of-order backfill" in out and "rel-new (--date 2026-01-14)" in out, out
    assert "evaluate --date 2026-01-14 with a new --run-id" in out, out
    mixed = table(warehouse, "eval_metrics")
    assert not mixed.duplicated(metric_key).any()
    cut = pd.Timestamp("2026-01-07").date()
    rewritten, untouched = mixed[mixed.window_date <= cut], mixed[mixed.window_date > cut]
    assert len(rewritten) and len(untouched)
    pd.testing.assert_frame_equal(_canonical(rewritten), _content(alone, "eval_metrics"), check_exact=True)
    pd.testing.assert_frame_equal(
        _canonical(untouched), _canonical(after_new[after_new.window_date > cut]), check_exact=True
    )
    # the command the message gives brings every window back to the figures as of 01-14
    run_lakeloop(*new, "--run-id", "rel-new-again", env=_env(warehouse))
    pd.testing.assert_frame_equal(
        _canonical(table(warehouse, "eval_metrics").drop(columns="run_id")),
        _canonical(after_new.drop(columns="run_id")),
        check_exact=True,
    )


def test_two_evaluations_of_different_windows_at_once_lose_and_double_nothing(template, tmp_path):
    """Two JVMs evaluate disjoint day ranges of the same warehouse at the same time (daily
    windows, so their replaceWhere predicates do not overlap): both succeed, and eval_metrics holds
    exactly what the two runs write one after the other on a copy."""
    days = ["--set", 'lakeloop.evaluate.granularities=["1 day"]']
    first = ["evaluate", "--date", "2026-01-07", "--since", SINCE, "--run-id", "rel-a", *days]
    second = ["evaluate", "--date", DATE, "--since", "2026-01-08", "--run-id", "rel-b", *days]
    sequential = tmp_path / "sequential"
    shutil.copytree(template, sequential)
    for args in (first, second):
        run_lakeloop(*args, env=_env(sequential))
    concurrent = tmp_path / "concurrent"
    shutil.copytree(template, concurrent)
    procs = [
        subprocess.Popen(
            [str(ROOT / "bin/lakeloop"), *args], env=_env(concurrent),
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        for args in (first, second)
    ]
    outputs = [p.communicate(timeout=1800)[0] for p in procs]
    for p, out in zip(procs, outputs):
        assert p.returncode == 0, out[-4000:]
    for name in ("eval_metrics", "quarantine"):
        pd.testing.assert_frame_equal(_content(concurrent, name), _content(sequential, name), check_exact=True)
    runs = latest_runs(table(concurrent, "job_runs"))
    assert sorted(runs[runs.run_id.isin(["rel-a", "rel-b"])].status) == ["SUCCEEDED", "SUCCEEDED"]
