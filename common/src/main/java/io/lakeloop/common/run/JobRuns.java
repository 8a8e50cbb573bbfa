package io.lakeloop.common.run;

import static io.lakeloop.common.schema.Columns.*;

import io.lakeloop.common.table.Lakehouse;
import io.lakeloop.common.table.Tables;
import java.sql.Date;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.LocalDate;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.expressions.WindowSpec;
import org.apache.spark.sql.functions;
import scala.collection.JavaConverters;

/**
 * The job_runs ledger, an attempt log: each attempt of a run (job × run id) appends one row when it
 * starts ({@code RUNNING}) and one when it ends ({@code SUCCEEDED} or {@code FAILED}, with the
 * Delta versions read and written and the summary), so an attempt that was killed keeps its {@code
 * RUNNING} row. A run's state is its latest row ({@link #latest}): the greatest attempt, its end
 * over its start. Appends only — no MERGE, no read-modify-write — so runs recording at the same
 * time never conflict (Delta's blind appends commute) and nothing needs a retry. Cost: {@link
 * #start} reads the run's own rows (Delta skips the files whose job and run id statistics exclude
 * it) and appends a row; {@link #finish} appends a row. Each append is one small Delta commit.
 */
public final class JobRuns {
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
   * Marks the run as started at {@code startedAt}; returns the attempt number and, when the run's
   * latest attempt succeeded, its summary.
   */
  public Attempt start(
      String job, String runId, LocalDate logicalDate, String model, Instant startedAt) {
    lakehouse.ensure(Tables.JOB_RUNS_SPEC);
    List<Row> rows =
        lakehouse
            .read(Tables.JOB_RUNS)
            .data()
            .where(functions.col(JOB).equalTo(job).and(functions.col(RUN_ID).equalTo(runId)))
            .select(ATTEMPT, STATUS, SUMMARY, FINISHED_AT)
            .collectAsList();
    Optional<Row> last =
        rows.stream()
            .max(Comparator.<Row>comparingInt(r -> r.getInt(0)).thenComparing(r -> !r.isNullAt(3)));
    int attempt = last.map(r -> r.getInt(0) + 1).orElse(1);
    Optional<Map<String, String>> previous =
        last.filter(r -> SUCCEEDED.equals(r.getString(1)) && !r.isNullAt(2))
            .map(r -> Map.copyOf(JavaConverters.mapAsJavaMap(r.<String, String>getMap(2))));
    append(
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

  /** Records the end of an attempt with its lineage and summary. */
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
    append(
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

  /**
   * Each run's state: its latest row (greatest attempt; of that attempt, the end over the start).
   * One row per (job, run id); a window over the rows given, no shuffle beyond it.
   */
  public static Dataset<Row> latest(Dataset<Row> jobRuns) {
    WindowSpec byRun =
        Window.partitionBy(JOB, RUN_ID)
            .orderBy(functions.col(ATTEMPT).desc(), functions.col(FINISHED_AT).desc_nulls_last());
    return jobRuns
        .withColumn("__latest", functions.row_number().over(byRun))
        .where(functions.col("__latest").equalTo(1))
        .drop("__latest");
  }

  private void append(
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
            logicalDate == null ? null : Date.valueOf(logicalDate),
            model,
            status,
            attempt,
            Timestamp.from(startedAt),
            finishedAt == null ? null : Timestamp.from(finishedAt),
            scalaMap(inputs),
            scalaMap(outputs),
            scalaMap(summary),
            error);
    lakehouse.append(
        lakehouse.spark().createDataFrame(List.of(row), Tables.JOB_RUNS_SPEC.schema()),
        Tables.JOB_RUNS_SPEC,
        runId);
  }

  private static <K, V> scala.collection.Map<K, V> scalaMap(Map<K, V> m) {
    return JavaConverters.mapAsScalaMap(new LinkedHashMap<>(m));
  }
}
