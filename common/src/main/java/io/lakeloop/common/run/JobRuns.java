package io.lakeloop.common.run;

import static io.lakeloop.common.table.Columns.*;

import io.delta.tables.DeltaTable;
import io.lakeloop.common.table.Lakehouse;
import io.lakeloop.common.table.Tables;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.functions;
import scala.collection.JavaConverters;

/**
 * The job_runs ledger: one row per (job, run id), upserted with MERGE, holding status, attempt
 * count, logical date and the Delta versions read and written. A rerun of the same run id updates
 * its row (attempt + 1) instead of adding one. Each call is one small Delta commit.
 */
public final class JobRuns {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(JobRuns.class);
  public static final String RUNNING = "RUNNING";
  public static final String SUCCEEDED = "SUCCEEDED";
  public static final String FAILED = "FAILED";

  private final Lakehouse lakehouse;

  public JobRuns(Lakehouse lakehouse) {
    this.lakehouse = lakehouse;
  }

  /**
   * What the ledger knew of a run before this attempt started.
   *
   * @param number this attempt's number (1 for a first run)
   * @param previousSuccess the summary of an earlier attempt that succeeded, if any
   */
  public record Attempt(int number, Optional<Map<String, String>> previousSuccess) {}

  /**
   * Marks the run as started at {@code startedAt}; returns the attempt number and any earlier
   * successful summary.
   */
  public Attempt start(
      String job, String runId, LocalDate logicalDate, String model, Instant startedAt) {
    lakehouse.ensure(Tables.JOB_RUNS_SPEC);
    List<Row> rows =
        lakehouse
            .read(Tables.JOB_RUNS)
            .data()
            .where(functions.col(JOB).equalTo(job).and(functions.col(RUN_ID).equalTo(runId)))
            .select(ATTEMPT, STATUS, SUMMARY)
            .collectAsList();
    int attempt = rows.isEmpty() ? 1 : rows.get(0).getInt(0) + 1;
    Optional<Map<String, String>> previous =
        rows.isEmpty() || !SUCCEEDED.equals(rows.get(0).getString(1)) || rows.get(0).isNullAt(2)
            ? Optional.empty()
            : Optional.of(
                Map.copyOf(JavaConverters.mapAsJavaMap(rows.get(0).<String, String>getMap(2))));
    upsert(
        job,
        runId,
        logicalDate,
        model,
        RUNNING,
        attempt,
        startedAt,
        null,
        Map.of(),
        Map.of(),
        Map.of(),
        null);
    return new Attempt(attempt, previous);
  }

  /** Records the end of a run with its lineage and summary. */
  public void finish(
      String job,
      String runId,
      LocalDate logicalDate,
      String model,
      int attempt,
      Instant startedAt,
      boolean succeeded,
      Map<String, Long> inputs,
      Map<String, Long> outputs,
      Map<String, String> summary,
      String error) {
    upsert(
        job,
        runId,
        logicalDate,
        model,
        succeeded ? SUCCEEDED : FAILED,
        attempt,
        startedAt,
        Instant.now(),
        inputs,
        outputs,
        summary,
        error);
  }

  private void upsert(
      String job,
      String runId,
      LocalDate logicalDate,
      String model,
      String status,
      int attempt,
      Instant startedAt,
      Instant finishedAt,
      Map<String, Long> inputs,
      Map<String, Long> outputs,
      Map<String, String> summary,
      String error) {
    Row row =
        RowFactory.create(
            job,
            runId,
            logicalDate == null ? null : java.sql.Date.valueOf(logicalDate),
            model,
            status,
            attempt,
            Timestamp.from(startedAt),
            finishedAt == null ? null : Timestamp.from(finishedAt),
            scalaMap(inputs),
            scalaMap(outputs),
            scalaMap(summary),
            error);
    Dataset<Row> source =
        lakehouse.spark().createDataFrame(List.of(row), Tables.JOB_RUNS_SPEC.schema());
    // Jobs running at the same time (two backfills, two DAG runs) each MERGE their own row into
    // this one unpartitioned table: Delta refuses the later commit of two concurrent ones. Each
    // writer touches only its own (job, run_id) row, so trying again on the new snapshot is safe.
    for (int tries = 1; ; tries++) {
      try {
        DeltaTable.forPath(lakehouse.spark(), lakehouse.path(Tables.JOB_RUNS))
            .as("t")
            .merge(source.as("s"), "t.job = s.job AND t.run_id = s.run_id")
            .whenMatched()
            .updateAll()
            .whenNotMatched()
            .insertAll()
            .execute();
        return;
      } catch (java.util.ConcurrentModificationException raced) {
        if (tries >= MAX_ATTEMPTS) {
          throw new IllegalStateException(
              "job_runs: "
                  + MAX_ATTEMPTS
                  + " concurrent commits in a row beat the record of "
                  + job
                  + " "
                  + runId
                  + "; rerun the job (its work is idempotent)",
              raced);
        }
        LOG.info(
            "job_runs: another run committed first (try {} for {} {}); retrying",
            tries,
            job,
            runId);
        try {
          Thread.sleep(50L * tries + java.util.concurrent.ThreadLocalRandom.current().nextInt(100));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("interrupted while recording " + job + " " + runId, e);
        }
      }
    }
  }

  /** Concurrent commits to job_runs one record may lose to before the run gives up. */
  static final int MAX_ATTEMPTS = 20;

  private static <K, V> scala.collection.Map<K, V> scalaMap(Map<K, V> m) {
    return JavaConverters.mapAsScalaMap(new java.util.LinkedHashMap<>(m));
  }
}
