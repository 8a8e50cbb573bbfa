package io.lakeloop.common.run;

import static org.assertj.core.api.Assertions.assertThat;

import io.lakeloop.common.table.Lakehouse;
import io.lakeloop.common.table.Tables;
import io.lakeloop.common.testing.SparkTestBase;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;

/**
 * The job ledger under concurrent runs: runs started and finished at the same time by different
 * threads (as two backfills or two DAG runs would) each keep their own record, nothing lost —
 * before the retry on Delta's concurrent-commit refusal, one of them failed the whole job (found by
 * tests/test_reliability.py).
 */
class JobRunsTest extends SparkTestBase {
  @Test
  void runsRecordedAtTheSameTimeAllKeepTheirRows() throws Exception {
    Lakehouse lh = newLakehouse("ledger-race");
    lh.ensure(Tables.JOB_RUNS_SPEC);
    JobRuns ledger = new JobRuns(lh);
    int n = 4;
    ExecutorService pool = Executors.newFixedThreadPool(n);
    try {
      List<Future<Integer>> futures = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        String runId = "run-" + i;
        Callable<Integer> run =
            () -> {
              Instant started = Instant.now();
              JobRuns.Attempt a =
                  ledger.start("evaluate", runId, LocalDate.of(2026, 1, 14), null, started);
              ledger.finish(
                  "evaluate",
                  runId,
                  LocalDate.of(2026, 1, 14),
                  null,
                  a.number(),
                  started,
                  true,
                  Map.of("prediction_log", 1L),
                  Map.of("eval_metrics", 2L),
                  Map.of("rows", runId),
                  null);
              return a.number();
            };
        futures.add(pool.submit(run));
      }
      for (Future<Integer> f : futures) {
        assertThat(f.get()).isEqualTo(1);
      }
    } finally {
      pool.shutdownNow();
    }
    List<Row> rows =
        JobRuns.latest(lh.read(Tables.JOB_RUNS).data())
            .orderBy("run_id")
            .select("run_id", "status")
            .collectAsList();
    assertThat(rows)
        .extracting(r -> r.getString(0) + "=" + r.getString(1))
        .containsExactly(
            "run-0=SUCCEEDED", "run-1=SUCCEEDED", "run-2=SUCCEEDED", "run-3=SUCCEEDED");
    // an attempt log: every attempt's start and end, nothing lost to a concurrent commit
    assertThat(lh.read(Tables.JOB_RUNS).data().count()).isEqualTo(2L * n);
  }

  @Test
  void attemptsCountKilledOnesAndOnlyALatestSuccessShortCircuits() {
    Lakehouse lh = newLakehouse("ledger-attempts");
    JobRuns ledger = new JobRuns(lh);
    LocalDate day = LocalDate.of(2026, 1, 14);
    Instant t = Instant.parse("2026-01-15T00:00:00Z");
    // attempt 1 killed: it never finished
    assertThat(ledger.start("drift", "r", day, "m", t).number()).isEqualTo(1);
    JobRuns.Attempt second = ledger.start("drift", "r", day, "m", t.plusSeconds(60));
    assertThat(second.number()).isEqualTo(2);
    assertThat(second.previousSuccess()).isEmpty();
    ledger.finish(
        "drift", "r", day, "m", 2, t, true, Map.of(), Map.of(), Map.of("rows", "7"), null);
    // another job's run of the same id is another run
    assertThat(ledger.start("evaluate", "r", day, "m", t).number()).isEqualTo(1);
    JobRuns.Attempt third = ledger.start("drift", "r", day, "m", t.plusSeconds(120));
    assertThat(third.number()).isEqualTo(3);
    assertThat(third.previousSuccess()).contains(Map.of("rows", "7"));
    // attempt 3 failed: a fourth attempt starts from scratch
    ledger.finish("drift", "r", day, "m", 3, t, false, Map.of(), Map.of(), Map.of(), "boom");
    JobRuns.Attempt fourth = ledger.start("drift", "r", day, "m", t.plusSeconds(180));
    assertThat(fourth.number()).isEqualTo(4);
    assertThat(fourth.previousSuccess()).isEmpty();
    List<Row> state =
        JobRuns.latest(lh.read(Tables.JOB_RUNS).data())
            .orderBy("job")
            .select("job", "attempt", "status")
            .collectAsList();
    assertThat(state)
        .extracting(r -> r.getString(0) + "/" + r.getInt(1) + "=" + r.getString(2))
        .containsExactly("drift/4=RUNNING", "evaluate/1=RUNNING");
  }
}
