package io.lakeloop.monitoring.ingest;

import static io.lakeloop.common.schema.Columns.*;
import static org.apache.spark.sql.functions.*;

import io.lakeloop.common.config.ConfigError;
import io.lakeloop.common.config.LakeloopConfig;
import io.lakeloop.common.config.ModelSpec;
import io.lakeloop.common.table.Lakehouse;
import io.lakeloop.common.table.RunTables;
import io.lakeloop.common.table.TableSpec;
import io.lakeloop.common.table.Tables;
import java.sql.Date;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.storage.StorageLevel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Commits validated rows: defects to {@code quarantine} first, then good rows to the target, each
 * an idempotent append keyed on (job, run id, table), so a rerun or a retry after a crash between
 * the two commits converges to the same content. Shared by ingest and generate. Cost: the validated
 * rows are persisted once (memory and disk) and read by both writes.
 */
public final class Ingestion {
  private static final Logger LOG = LoggerFactory.getLogger(Ingestion.class);

  private Ingestion() {}

  /**
   * Rows written and quarantined, with the versions of the two tables after the commits, and for
   * labels what the accepted rows changed ({@link LabelFacts}; empty for predictions).
   */
  public record Outcome(
      String table,
      long written,
      long quarantined,
      long tableVersion,
      long quarantineVersion,
      Optional<LabelFacts> labels) {}

  /**
   * What a load of labels changed: corrections (a later label of another value for a request
   * already labeled), older labels (kept, never used), and the event dates of every labeled
   * prediction — the days whose windows evaluate must revisit ({@code labeled_dates} in the run's
   * job_runs summary).
   */
  public record LabelFacts(long corrections, long older, List<LocalDate> eventDates) {
    /** The facts as job_runs summary entries. */
    public Map<String, String> summary() {
      Map<String, String> m = new LinkedHashMap<>();
      m.put("corrections", Long.toString(corrections));
      m.put("older_labels", Long.toString(older));
      m.put(LABELED_DATES, String.join(",", eventDates.stream().map(LocalDate::toString).toList()));
      return m;
    }
  }

  /** The job_runs summary key of the event dates a load of labels touched (comma-separated). */
  public static final String LABELED_DATES = "labeled_dates";

  /**
   * Label rows classified by {@link Validation#labels} against the predictions and labels stored,
   * with the configured correction policy ({@code lakeloop.ingest.label-corrections}).
   */
  public static Dataset<Row> classifyLabels(
      RunTables tables,
      LakeloopConfig config,
      ModelSpec model,
      Dataset<Row> raw,
      Dataset<Row> logs) {
    String policy = config.section("ingest").string("label-corrections").trim();
    if (!policy.equals("accept") && !policy.equals("reject")) {
      throw new ConfigError(
          "lakeloop.ingest.label-corrections must be \"accept\" or \"reject\", got '"
              + policy
              + "'");
    }
    return Validation.labels(
        raw,
        model,
        logs.select(REQUEST_ID, EVENT_DATE),
        tables.readIfExists(Tables.LABELS_TABLE).map(Lakehouse.Snapshot::data).orElse(null),
        policy.equals("accept"));
  }

  /** Request ids already in a table, or null when the table does not exist yet. */
  public static Dataset<Row> existingIds(RunTables tables, String table) {
    return tables.readIfExists(table).map(s -> s.data().select(REQUEST_ID)).orElse(null);
  }

  /**
   * Prediction rows classified by {@link Validation#predictions}: checked against the model's spec,
   * the configured score-sum tolerance ({@code lakeloop.ingest.score-sum-tolerance}) and the
   * request ids already in prediction_log. What ingest and score commit with {@link
   * #commitPredictions}.
   */
  public static Dataset<Row> classifyPredictions(
      RunTables tables, LakeloopConfig config, ModelSpec model, Dataset<Row> raw) {
    return Validation.predictions(
        raw,
        model,
        config.section("ingest").doubleIn("score-sum-tolerance", 0, 1),
        existingIds(tables, Tables.PREDICTION_LOG));
  }

  /** {@link #commit} of classified predictions into the model's prediction_log. */
  public static Outcome commitPredictions(
      RunTables tables,
      String job,
      ModelSpec model,
      Optional<LocalDate> logicalDate,
      Dataset<Row> classified,
      String sourcePath) {
    return commit(
        tables,
        job,
        model.name(),
        logicalDate,
        Tables.predictionLog(model),
        classified,
        sourcePath);
  }

  /**
   * Writes the classified rows of {@link Validation} to quarantine (tagged with the model, the
   * logical date and the source path) and the target table, each commit at most once per run.
   */
  public static Outcome commit(
      RunTables tables,
      String job,
      String modelName,
      Optional<LocalDate> logicalDate,
      TableSpec target,
      Dataset<Row> classified,
      String sourcePath) {
    Lakehouse lh = tables.lakehouse();
    lh.ensure(target);
    lh.ensure(Tables.QUARANTINE_SPEC);
    Dataset<Row> rows = classified.persist(StorageLevel.MEMORY_AND_DISK());
    try {
      Column bad = col(Validation.REASON_COL).notEqual("");
      Dataset<Row> quarantined =
          rows.where(bad)
              .select(
                  lit(target.name()).as(SOURCE_TABLE),
                  lit(sourcePath).cast("string").as(SOURCE_PATH),
                  lit(modelName).as(MODEL_NAME),
                  lit(tables.runId()).as(RUN_ID),
                  lit(logicalDate.map(Date::valueOf).orElse(null)).cast("date").as(LOGICAL_DATE),
                  col(Validation.REASON_COL).as(REASON),
                  col(Validation.RECORD_COL).as(RECORD));
      long qv =
          tables.appendOnce(
              quarantined,
              Tables.QUARANTINE_SPEC,
              appId(job, tables.runId(), Tables.QUARANTINE + "/" + target.name()),
              1);
      Column[] targetColumns =
          Arrays.stream(target.schema().fieldNames()).map(c -> col(c)).toArray(Column[]::new);
      Dataset<Row> good = rows.where(not(bad)).select(targetColumns);
      long tv = tables.appendOnce(good, target, appId(job, tables.runId(), target.name()), 1);
      long written = rowsWritten(lh, target.name(), tv);
      long q = rowsWritten(lh, Tables.QUARANTINE, qv);
      Optional<LabelFacts> facts =
          Arrays.asList(rows.columns()).contains(Validation.LABEL_CHANGE_COL)
              ? Optional.of(labelFacts(rows.where(not(bad))))
              : Optional.empty();
      LOG.info(
          "{}: {} rows written (v{}), {} quarantined (quarantine v{})",
          target.name(),
          written,
          tv,
          q,
          qv);
      return new Outcome(target.name(), written, q, tv, qv, facts);
    } finally {
      rows.unpersist();
    }
  }

  /** One aggregation over the accepted label rows (already persisted by the commit). */
  private static LabelFacts labelFacts(Dataset<Row> good) {
    Column change = col(Validation.LABEL_CHANGE_COL);
    Row r =
        good.agg(
                sum(when(change.equalTo(Validation.CORRECTION), 1L).otherwise(0L)),
                sum(when(change.equalTo(Validation.OLDER), 1L).otherwise(0L)),
                array_sort(collect_set(col(Validation.EVENT_DATE_COL))))
            .head();
    List<LocalDate> dates = new ArrayList<>();
    for (Object d : r.getList(2)) {
      dates.add(((Date) d).toLocalDate());
    }
    return new LabelFacts(
        r.isNullAt(0) ? 0 : r.getLong(0), r.isNullAt(1) ? 0 : r.getLong(1), dates);
  }

  private static String appId(String job, String runId, String table) {
    return "lakeloop/" + job + "/" + runId + "/" + table;
  }

  private static long rowsWritten(Lakehouse lh, String table, long version) {
    String n = lh.commitMetrics(table, version).get("numOutputRows");
    return n == null ? 0 : Long.parseLong(n);
  }
}
