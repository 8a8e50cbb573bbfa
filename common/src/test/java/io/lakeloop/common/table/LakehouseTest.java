package io.lakeloop.common.table;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lakeloop.common.LakeloopException;
import io.lakeloop.common.config.ModelSpec;
import io.lakeloop.common.config.Task;
import io.lakeloop.common.testing.SparkTestBase;
import io.lakeloop.common.window.Predicate;
import java.sql.Date;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.LocalDate;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

class LakehouseTest extends SparkTestBase {

  static Dataset<Row> labels(String... ids) {
    List<Row> rows =
        Arrays.stream(ids)
            .map(
                id ->
                    RowFactory.create(
                        id,
                        1.0,
                        Timestamp.valueOf("2026-01-02 10:00:00"),
                        Date.valueOf("2026-01-02")))
            .toList();
    return spark().createDataFrame(rows, Tables.LABELS.schema());
  }

  @Test
  void ensureCreatesEveryTableOnceAndIsIdempotent() {
    Lakehouse lh = newLakehouse("ensure");
    ModelSpec spec =
        new ModelSpec(
            "m",
            Task.BINARY,
            List.of("a", "b"),
            List.of("x"),
            List.of("c"),
            List.of("c"),
            Duration.ofDays(1));
    for (TableSpec t : Tables.FIXED) {
      lh.ensure(t);
    }
    lh.ensure(Tables.predictionLog(spec));
    for (TableSpec t : Tables.FIXED) {
      assertThat(lh.latestVersion(t.name())).as(t.name()).contains(0L);
      assertThat(lh.read(t.name()).data().schema().fieldNames())
          .as(t.name())
          .containsExactly(t.schema().fieldNames());
    }
    // Second time: nothing is committed.
    for (TableSpec t : Tables.FIXED) {
      lh.ensure(t);
      assertThat(lh.latestVersion(t.name())).as(t.name()).contains(0L);
    }
    lh.ensure(Tables.predictionLog(spec));
    assertThat(lh.latestVersion(Tables.PREDICTION_LOG)).contains(0L);
    assertThat(
            spark()
                .sql("DESCRIBE DETAIL delta.`" + lh.path(Tables.LABELS_TABLE) + "`")
                .select("partitionColumns")
                .head()
                .getList(0))
        .containsExactly("label_date");
  }

  @Test
  void incompatibleColumnTypeIsReportedByName() {
    Lakehouse lh = newLakehouse("mismatch");
    StructType wrong =
        new StructType()
            .add("request_id", DataTypes.StringType)
            .add("label", DataTypes.StringType)
            .add("label_time", DataTypes.TimestampType)
            .add("label_date", DataTypes.DateType);
    spark()
        .createDataFrame(List.of(), wrong)
        .write()
        .format("delta")
        .partitionBy("label_date")
        .save(lh.path("labels"));
    assertThatThrownBy(() -> lh.ensure(Tables.LABELS))
        .isInstanceOf(LakeloopException.class)
        .hasMessageContaining("column 'label' of type string but lakeloop expects double");
  }

  @Test
  void missingColumnAndWrongPartitioningAreReported() {
    Lakehouse lh = newLakehouse("missing");
    StructType partial =
        new StructType()
            .add("request_id", DataTypes.StringType)
            .add("label", DataTypes.DoubleType)
            .add("label_time", DataTypes.TimestampType)
            .add("label_date", DataTypes.DateType);
    spark().createDataFrame(List.of(), partial).write().format("delta").save(lh.path("labels"));
    assertThatThrownBy(() -> lh.ensure(Tables.LABELS))
        .isInstanceOf(LakeloopException.class)
        .hasMessageContaining("partitioned by [] but lakeloop expects [label_date]");
    StructType lacking = new StructType().add("job", DataTypes.StringType);
    spark().createDataFrame(List.of(), lacking).write().format("delta").save(lh.path("job_runs"));
    assertThatThrownBy(() -> lh.ensure(Tables.JOB_RUNS_SPEC))
        .isInstanceOf(LakeloopException.class)
        .hasMessageContaining("lacks column 'run_id'");
  }

  @Test
  void anOlderTableIsMigratedOnceWhereItsContractAllows() {
    Lakehouse lh = newLakehouse("migrate");
    StructType older =
        new StructType()
            .add("id", DataTypes.StringType, false)
            .add("detail", DataTypes.StringType, false)
            .add("day", DataTypes.DateType, false);
    spark()
        .createDataFrame(
            List.of(
                RowFactory.create("a", "x", Date.valueOf("2026-01-02")),
                RowFactory.create("b", "y", Date.valueOf("2026-01-03"))),
            older)
        .write()
        .format("delta")
        .partitionBy("day")
        .save(lh.path("things"));
    TableSpec newer =
        new TableSpec(
            "things",
            new StructType()
                .add("id", DataTypes.StringType, false)
                .add("detail", DataTypes.StringType, true)
                .add("day", DataTypes.DateType, false)
                .add("kind", DataTypes.StringType, true),
            List.of("day"),
            true,
            List.of(new TableSpec.Backfill("kind", "old")));

    lh.ensure(newer);
    long migrated = lh.latestVersion("things").orElseThrow();
    assertThat(lh.read("things").data().orderBy("id").collectAsList())
        .map(Row::toString)
        .containsExactly("[a,x,2026-01-02,old]", "[b,y,2026-01-03,old]");
    // The column that may now be null takes a null; a row of the new kind keeps its own value.
    spark()
        .createDataFrame(
            List.of(RowFactory.create("c", null, Date.valueOf("2026-01-04"), "new")),
            newer.schema())
        .write()
        .format("delta")
        .mode("append")
        .save(lh.path("things"));
    lh.ensure(newer);
    assertThat(lh.latestVersion("things")).contains(migrated + 1);
    assertThat(lh.read("things").data().where("id = 'c'").head().getString(3)).isEqualTo("new");

    // A table created by this version needs no migration: nothing is committed after creation.
    Lakehouse fresh = newLakehouse("migrate-fresh");
    fresh.ensure(newer);
    fresh.ensure(newer);
    assertThat(fresh.latestVersion("things")).contains(0L);
  }

  @Test
  void predictionLogGainsTheColumnsOfASecondModel() {
    Lakehouse lh = newLakehouse("evolve");
    ModelSpec a =
        new ModelSpec(
            "a",
            Task.BINARY,
            List.of("n", "y"),
            List.of("x1"),
            List.of(),
            List.of(),
            Duration.ofDays(1));
    ModelSpec b =
        new ModelSpec(
            "b",
            Task.REGRESSION,
            List.of(),
            List.of("x1", "x2"),
            List.of("color"),
            List.of(),
            Duration.ofDays(1));
    lh.ensure(Tables.predictionLog(a));
    lh.ensure(Tables.predictionLog(b));
    assertThat(lh.read(Tables.PREDICTION_LOG).data().columns()).contains("x1", "x2", "color");
    ModelSpec clash =
        new ModelSpec(
            "c",
            Task.BINARY,
            List.of("n", "y"),
            List.of(),
            List.of("x1"),
            List.of(),
            Duration.ofDays(1));
    assertThatThrownBy(() -> lh.ensure(Tables.predictionLog(clash)))
        .isInstanceOf(LakeloopException.class)
        .hasMessageContaining("column 'x1' of type double but lakeloop expects string");
  }

  @Test
  void appendOnceSkipsARepeatedRunAndReplaceWhereIsRepeatable() {
    Lakehouse lh = newLakehouse("writes");
    lh.ensure(Tables.LABELS);
    long v1 = lh.appendOnce(labels("a", "b"), Tables.LABELS, "run-1", "test/run-1", 1);
    long v2 = lh.appendOnce(labels("a", "b"), Tables.LABELS, "run-1", "test/run-1", 1);
    assertThat(v2).isEqualTo(v1);
    assertThat(lh.read(Tables.LABELS_TABLE).data().count()).isEqualTo(2);
    assertThat(lh.commitMetrics(Tables.LABELS_TABLE, v1)).containsEntry("numOutputRows", "2");
    lh.replaceWhere(
        labels("c"),
        Tables.LABELS,
        Predicate.eq("label_date", LocalDate.parse("2026-01-02")),
        "run-2");
    lh.replaceWhere(
        labels("c"),
        Tables.LABELS,
        Predicate.eq("label_date", LocalDate.parse("2026-01-02")),
        "run-2");
    assertThat(lh.read(Tables.LABELS_TABLE).data().collectAsList())
        .extracting(r -> r.getString(0))
        .containsExactly("c");
    // The run id is in Delta's history of every commit.
    assertThat(
            spark()
                .sql("DESCRIBE HISTORY delta.`" + lh.path(Tables.LABELS_TABLE) + "`")
                .where("userMetadata = 'run-2'")
                .count())
        .isEqualTo(2);
    assertThat(lh.readAt(Tables.LABELS_TABLE, v1).count()).isEqualTo(2);
  }

  @Test
  void readingAMissingTableSaysWhatToRun() {
    Lakehouse lh = newLakehouse("empty");
    assertThatThrownBy(() -> lh.read(Tables.EVAL_METRICS))
        .isInstanceOf(LakeloopException.class)
        .hasMessageContaining("does not exist")
        .hasMessageContaining("run the job that creates it");
  }
}
