package io.lakeloop.monitoring.evaluate;

import static org.apache.spark.sql.functions.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.lakeloop.common.config.LakeloopConfig;
import io.lakeloop.common.job.JobResult;
import io.lakeloop.common.schema.Columns;
import io.lakeloop.common.table.Lakehouse;
import io.lakeloop.common.table.Tables;
import io.lakeloop.common.testing.SparkTestBase;
import io.lakeloop.monitoring.JobRunner;
import io.lakeloop.monitoring.generate.GenerateJob;
import io.lakeloop.monitoring.ingest.IngestJob;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;

/**
 * Labels corrected after the fact (issue 25 item 8): generated churn traffic (3,000 rows over 14
 * days from 2026-01-01) evaluated once; then a batch of labels with a later label_time flips 6 % of
 * day 2026-01-03's labels (older than the 3-day label delay), repeats a few stored labels exactly
 * and sends a few older ones. The next evaluate revisits exactly the windows of that day and its
 * metrics equal a direct computation on the final labels.
 */
class LabelCorrectionsTest extends SparkTestBase {

  @Test
  void aLaterLabelCorrectsAnOldWindowAndEvaluateRevisitsExactlyIt() throws Exception {
    String warehouse = newWarehouse("corrections");
    LakeloopConfig config = config(warehouse, "lakeloop.evaluate.bootstrap-replicates=0");
    Lakehouse lh = new Lakehouse(spark(), warehouse);
    JobRunner.run(new GenerateJob(), spark(), config, "--rows", "3000", "--run-id", "g1");
    JobRunner.run(
        new EvaluateJob(),
        spark(),
        config,
        "--date",
        "2026-01-14",
        "--since",
        "2026-01-01",
        "--run-id",
        "e14");

    // Day 01-03's labeled requests: flip 6 % (later label_time), repeat 3 exactly, send 2 older.
    List<Row> day =
        lh.read(Tables.PREDICTION_LOG)
            .data()
            .where(col(Columns.EVENT_DATE).equalTo("2026-01-03"))
            .join(lh.read(Tables.LABELS_TABLE).data(), Columns.REQUEST_ID)
            .orderBy(Columns.REQUEST_ID)
            .select(Columns.REQUEST_ID, Columns.LABEL, Columns.LABEL_TIME)
            .collectAsList();
    int flips = (int) Math.round(day.size() * 0.06);
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < flips; i++) {
      Row r = day.get(i);
      lines.add(json(r.getString(0), 1 - r.getDouble(1), "2026-01-15 09:00:00"));
    }
    for (int i = flips; i < flips + 3; i++) {
      Row r = day.get(i);
      lines.add(json(r.getString(0), r.getDouble(1), r.getTimestamp(2).toString()));
    }
    for (int i = flips + 3; i < flips + 5; i++) {
      Row r = day.get(i);
      lines.add(json(r.getString(0), 1 - r.getDouble(1), "2026-01-01 00:00:00"));
    }
    Path file = Files.createTempDirectory("corrections").resolve("labels.json");
    Files.write(file, lines);
    JobResult ingest = ingestLabels(config, file, "fix1");
    assertThat(ingest.summary()).containsEntry("corrections", Integer.toString(flips));
    assertThat(ingest.summary()).containsEntry("older_labels", "2");
    assertThat(ingest.summary()).containsEntry("quarantined", "3");
    assertThat(ingest.summary()).containsEntry("labeled_dates", "2026-01-03");
    assertThat(ingest.output()).contains(flips + " correction(s) of earlier labels");

    JobResult next =
        JobRunner.run(
            new EvaluateJob(), spark(), config, "--date", "2026-01-15", "--run-id", "e15");
    assertThat(next.output()).contains("older day(s) (2026-01-03)");
    Dataset<Row> m = lh.read(Tables.EVAL_METRICS).data();
    // exactly the day's window and its week were rewritten among the windows before the delay
    assertThat(
            m.where(
                    col(Columns.RUN_ID)
                        .equalTo("e15")
                        .and(col(Columns.WINDOW_START).lt("2026-01-12")))
                .select(Columns.GRANULARITY, Columns.WINDOW_START)
                .distinct()
                .orderBy(Columns.GRANULARITY)
                .collectAsList())
        .map(Row::toString)
        .containsExactly("[1 day,2026-01-03 00:00:00.0]", "[1 week,2025-12-29 00:00:00.0]");
    // the corrected day's accuracy, per slice too, is that of the final labels
    for (String slice : List.of("*", "region")) {
      List<Row> rows =
          m.where(
                  col(Columns.GRANULARITY)
                      .equalTo("1 day")
                      .and(col(Columns.WINDOW_DATE).equalTo("2026-01-03"))
                      .and(col(Columns.METRIC).equalTo("accuracy"))
                      .and(col(Columns.SLICE_KEY).equalTo(slice)))
              .collectAsList();
      assertThat(rows).isNotEmpty();
      for (Row r : rows) {
        assertThat(r.<Double>getAs(Columns.VALUE))
            .as(slice + "=" + r.getAs(Columns.SLICE_VALUE))
            .isCloseTo(
                accuracyDirectly(lh, slice, r.getAs(Columns.SLICE_VALUE)), Offset.offset(1e-12));
      }
    }

    // "reject" restores the old policy: a later label is quarantined as already labeled
    Files.write(
        file,
        List.of(json(day.get(0).getString(0), day.get(0).getDouble(1), "2026-01-16 00:00:00")));
    JobResult rejected =
        ingestLabels(config(warehouse, "lakeloop.ingest.label-corrections=reject"), file, "fix2");
    assertThat(rejected.summary()).containsEntry("written", "0").containsEntry("quarantined", "1");
  }

  private static JobResult ingestLabels(LakeloopConfig config, Path file, String runId)
      throws Exception {
    return JobRunner.run(
        new IngestJob(),
        spark(),
        config,
        "--table",
        "labels",
        "--format",
        "json",
        "--path",
        file.toString(),
        "--run-id",
        runId);
  }

  private static String json(String id, double label, String time) {
    return String.format(
        "{\"request_id\": \"%s\", \"label\": %s, \"label_time\": \"%s\"}", id, label, time);
  }

  /** Day 01-03's accuracy on each request's latest label by label_time, computed directly. */
  private static double accuracyDirectly(Lakehouse lh, String sliceKey, String sliceValue) {
    Dataset<Row> labels =
        lh.read(Tables.LABELS_TABLE)
            .data()
            .groupBy(Columns.REQUEST_ID)
            .agg(
                max_by(col(Columns.LABEL), struct(col(Columns.LABEL_TIME), col(Columns.LABEL)))
                    .as(Columns.LABEL));
    Dataset<Row> p =
        lh.read(Tables.PREDICTION_LOG).data().where(col(Columns.EVENT_DATE).equalTo("2026-01-03"));
    if (!sliceKey.equals("*")) {
      p = p.where(col(sliceKey).equalTo(sliceValue));
    }
    return p.join(labels, Columns.REQUEST_ID)
        .agg(avg(when(col(Columns.PREDICTION).equalTo(col(Columns.LABEL)), 1.0).otherwise(0.0)))
        .head()
        .getDouble(0);
  }
}
