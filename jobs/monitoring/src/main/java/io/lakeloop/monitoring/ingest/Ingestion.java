package io.lakeloop.monitoring.ingest;

import static io.lakeloop.common.table.Columns.*;
import static org.apache.spark.sql.functions.*;

import io.lakeloop.common.cli.JobContext;
import io.lakeloop.common.table.Lakehouse;
import io.lakeloop.common.table.TableSpec;
import io.lakeloop.common.table.Tables;
import java.util.Arrays;
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

  /** Rows written and quarantined, with the versions of the two tables after the commits. */
  public record Outcome(
      String table, long written, long quarantined, long tableVersion, long quarantineVersion) {}

  /** Request ids already in a table, or null when the table does not exist yet. */
  public static Dataset<Row> existingIds(JobContext ctx, String table) {
    Lakehouse lh = ctx.lakehouse();
    Optional<Long> v = lh.latestVersion(table);
    if (v.isEmpty()) {
      return null;
    }
    ctx.recordInput(table, v.get());
    return lh.readAt(table, v.get()).select(REQUEST_ID);
  }

  /** Writes the classified rows of {@link Validation} to quarantine and the target table. */
  public static Outcome commit(
      JobContext ctx, String job, TableSpec target, Dataset<Row> classified, String sourcePath) {
    Lakehouse lh = ctx.lakehouse();
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
                  lit(ctx.model().name()).as(MODEL_NAME),
                  lit(ctx.runId()).as(RUN_ID),
                  lit(ctx.logicalDate().map(java.sql.Date::valueOf).orElse(null))
                      .cast("date")
                      .as(LOGICAL_DATE),
                  col(Validation.REASON_COL).as(REASON),
                  col(Validation.RECORD_COL).as(RECORD));
      long qv =
          lh.appendOnce(
              quarantined,
              Tables.QUARANTINE_SPEC,
              ctx.runId(),
              appId(job, ctx, Tables.QUARANTINE + "/" + target.name()),
              1);
      Column[] targetColumns =
          Arrays.stream(target.schema().fieldNames()).map(c -> col(c)).toArray(Column[]::new);
      Dataset<Row> good = rows.where(not(bad)).select(targetColumns);
      long tv = lh.appendOnce(good, target, ctx.runId(), appId(job, ctx, target.name()), 1);
      long written = rowsWritten(lh, target.name(), tv);
      long q = rowsWritten(lh, Tables.QUARANTINE, qv);
      ctx.recordOutput(target.name(), tv);
      ctx.recordOutput(Tables.QUARANTINE, qv);
      LOG.info(
          "{}: {} rows written (v{}), {} quarantined (quarantine v{})",
          target.name(),
          written,
          tv,
          q,
          qv);
      return new Outcome(target.name(), written, q, tv, qv);
    } finally {
      rows.unpersist();
    }
  }

  private static String appId(String job, JobContext ctx, String table) {
    return "lakeloop/" + job + "/" + ctx.runId() + "/" + table;
  }

  private static long rowsWritten(Lakehouse lh, String table, long version) {
    String n = lh.commitMetrics(table, version).get("numOutputRows");
    return n == null ? 0 : Long.parseLong(n);
  }
}
