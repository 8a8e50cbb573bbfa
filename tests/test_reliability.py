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
import time
from pathlib import Path

import pandas as pd
import pytest

from conftest import ROOT, base_env, run_lakeloop, table

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
def template(tmp_path_factory):
    """Two weeks of generated traffic (20,000 predictions, delayed labels, malformed rows)."""
    warehouse = tmp_path_factory.mktemp("reliability") / "template"
    run_lakeloop("generate", "--rows", "20000", "--run-id", "rel-generate", env=_env(warehouse))
    return warehouse


@pytest.fixture(scope="module")
def clean(template, tmp_path_factory):
    """The same jobs run once each without any fault: the reference every scenario must reach."""
    warehouse = tmp_path_factory.mktemp("reliability-clean") / "lakehouse"
    shutil.copytree(template, warehouse)
    for args in (EVALUATE, DRIFT):
        run_lakeloop(*args, env=_env(warehouse))
    return warehouse


def _copy(template: Path, tmp_path: Path) -> Path:
    warehouse = tmp_path / "lakehouse"
    shutil.copytree(template, warehouse)
    return warehouse


def _kill_at(warehouse: Path, point: str, args: list[str], tmp_path: Path) -> None:
    """Runs lakeloop until it reaches `point`, then SIGKILLs its process group."""
    marker = tmp_path / "paused-at"
    log = (tmp_path / "killed.log").open("w")
    env = _env(warehouse, LAKELOOP_PAUSE_AT=point, LAKELOOP_PAUSE_MARKER=str(marker))
    proc = subprocess.Popen(
        [str(ROOT / "bin/lakeloop"), *args], env=env, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 900
    try:
        while not marker.exists():
            if proc.poll() is not None:
                raise AssertionError(
                    f"lakeloop {args[0]} exited {proc.returncode} before reaching {point}:\n"
                    + (tmp_path / "killed.log").read_text()[-4000:]
                )
            if time.monotonic() > deadline:
                raise AssertionError(f"lakeloop {args[0]} did not reach {point} in 15 minutes")
            time.sleep(0.2)
        assert marker.read_text().split()[0] == point
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=120)
        log.close()
    assert proc.returncode == -signal.SIGKILL


def _content(warehouse: Path, name: str) -> pd.DataFrame:
    """A table's rows in a canonical order, nested values as text, for an exact comparison."""
    df = table(warehouse, name)
    for c in df.columns:
        if df[c].dtype == object:
            df[c] = df[c].map(repr)
    return df.sort_values(list(df.columns)).reset_index(drop=True)


def _attempts(warehouse: Path, job: str, run_id: str) -> pd.DataFrame:
    runs = table(warehouse, "job_runs")
    return runs[(runs.job == job) & (runs.run_id == run_id)].sort_values("attempt")


def _assert_same_as_clean(warehouse: Path, clean: Path, job: str) -> None:
    for name in WRITES[job]:
        pd.testing.assert_frame_equal(_content(warehouse, name), _content(clean, name), check_exact=True)


@pytest.mark.parametrize(
    "job,args,point",
    [
        ("evaluate", EVALUATE, "scan"),
        ("evaluate", EVALUATE, "delta.write:eval_metrics"),
        ("evaluate", EVALUATE, "ledger.before-finish"),
        ("drift", DRIFT, "scan"),
        ("drift", DRIFT, "delta.write:drift_metrics"),
        ("drift", DRIFT, "ledger.before-finish"),
    ],
)
def test_a_job_killed_at_any_point_and_rerun_converges_to_the_clean_result(
    template, clean, tmp_path, job, args, point
):
    warehouse = _copy(template, tmp_path)
    if job == "drift":  # drift reads nothing evaluate wrote, but keep the same history as clean
        run_lakeloop(*EVALUATE, env=_env(warehouse))
    _kill_at(warehouse, point, args, tmp_path)
    killed = _attempts(warehouse, job, args[-1])
    # the ledger does not claim the killed attempt succeeded
    assert len(killed) == 1 and killed.status.iloc[0] != "SUCCEEDED"
    run_lakeloop(*args, env=_env(warehouse))
    after = _attempts(warehouse, job, args[-1])
    assert after.status.iloc[-1] == "SUCCEEDED" and after.attempt.iloc[-1] == 2
    _assert_same_as_clean(warehouse, clean, job)
    if point == "ledger.before-finish":
        # everything was committed before the kill: the rerun may say "already done" but must
        # not write a second copy of anything (content equal above) — and a third run neither
        run_lakeloop(*args, env=_env(warehouse))
        _assert_same_as_clean(warehouse, clean, job)


def test_failed_tasks_are_retried_and_give_the_clean_result(template, clean, tmp_path):
    warehouse = _copy(template, tmp_path)
    env = _env(
        warehouse,
        LAKELOOP_FAIL_AT="scan,delta.write:eval_metrics,delta.write:drift_metrics",
    )
    for args in (EVALUATE, DRIFT):
        proc = run_lakeloop(*args, "--set", "lakeloop.spark.master=local[2,4]", env=env)
        assert proc.returncode == 0
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
    assert _attempts(warehouse, "evaluate", "rel-evaluate").status.tolist() == ["FAILED"]
    assert not (warehouse / "eval_metrics" / "_delta_log").exists() or table(warehouse, "eval_metrics").empty


KNOWN_DUPLICATE = pytest.mark.xfail(
    strict=True,
    reason=(
        "known bug (docs/RELIABILITY.md): a train run killed after its teacher's registry row is"
        " committed retrains on rerun; DL4J's result differs in its bytes, so the rerun registers"
        " a second teacher for the same run id (registration is idempotent only on sha256 + run id)"
    ),
)


@pytest.mark.parametrize(
    "point", ["registry.before-commit", pytest.param("registry.after-commit", marks=KNOWN_DUPLICATE)]
)
def test_train_killed_around_the_registry_commit_leaves_no_orphan_or_duplicate(template, tmp_path, point):
    warehouse = _copy(template, tmp_path)
    _kill_at(warehouse, point, TRAIN, tmp_path)
    run_lakeloop(*TRAIN, env=_env(warehouse))
    registry = table(warehouse, "model_registry")
    # versions unique and gapless; one teacher and one student for the run, not two of either
    assert sorted(registry.version) == list(range(1, len(registry) + 1))
    assert len(registry) == 2, registry[["version", "sha256", "run_id", "status"]]
    assert set(registry.run_id) == {"rel-train"}
    # every registered artifact exists and matches its hash; the challenger points at one of them
    # (exit 5 if an artifact were missing or changed: run_lakeloop fails on any non-zero exit)
    verify = run_lakeloop("registry", "verify", "churn", env=_env(warehouse))
    assert "ok" in verify.stdout, verify.stdout
    aliases = table(warehouse, "model_aliases")
    assert set(aliases.version) <= set(registry.version)
    assert _attempts(warehouse, "train", "rel-train").status.iloc[-1] == "SUCCEEDED"


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
    runs = table(concurrent, "job_runs")
    assert set(runs[runs.run_id.isin(["rel-a", "rel-b"])].status) == {"SUCCEEDED"}
