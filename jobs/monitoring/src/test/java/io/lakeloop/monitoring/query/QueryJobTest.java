package io.lakeloop.monitoring.query;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lakeloop.common.LakeloopException;
import io.lakeloop.common.config.LakeloopConfig;
import io.lakeloop.common.table.Lakehouse;
import io.lakeloop.common.table.TableSpec;
import io.lakeloop.common.table.Tables;
import io.lakeloop.common.testing.SparkTestBase;
import io.lakeloop.monitoring.JobRunner;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class QueryJobTest extends SparkTestBase {
  @Test
  void everyLakeloopTableIsQueryableByItsName() throws Exception {
    String warehouse = newWarehouse("query");
    LakeloopConfig config = config(warehouse);
    Lakehouse lh = new Lakehouse(spark(), warehouse);
    for (TableSpec t : Tables.FIXED) {
      lh.ensure(t);
    }
    lh.ensure(Tables.predictionLog(config.model(null)));
    for (TableSpec t : Tables.FIXED) {
      String out =
          JobRunner.run(
                  new QueryJob(),
                  spark(),
                  config,
                  "select count(*) as n from " + t.name(),
                  "--format",
                  "csv")
              .output();
      assertThat(out).as(t.name()).isEqualTo("n\n0");
    }
    assertThat(QueryJob.TABLES)
        .contains(Tables.PREDICTION_LOG, Tables.GATE_DECISIONS, Tables.ALERTS);
  }

  @Test
  void machineReadableOutputIsCompleteOrFailsAndOutputStreamsEveryRow() throws Exception {
    String warehouse = newWarehouse("query-rows");
    LakeloopConfig config = config(warehouse, "lakeloop.query.max-rows=3");
    String sql = "select id, concat('r,', id) as label from range(7) order by id";
    // csv and json on the terminal are never cut: past max-rows the command fails and says how
    for (String format : new String[] {"csv", "json"}) {
      assertThatThrownBy(
              () -> JobRunner.run(new QueryJob(), spark(), config, sql, "--format", format))
          .isInstanceOf(LakeloopException.class)
          .hasMessageContaining("more than 3 rows")
          .hasMessageContaining("--output PATH")
          .hasMessageContaining("--limit N");
    }
    // the table format cuts, and says so
    String table = JobRunner.run(new QueryJob(), spark(), config, sql).output();
    assertThat(table).contains("(3 rows)").contains("first 3 rows shown");
    // --limit is the query's own limit
    assertThat(
            JobRunner.run(new QueryJob(), spark(), config, sql, "--format", "csv", "--limit", "2")
                .output())
        .isEqualTo("id,label\n0,\"r,0\"\n1,\"r,1\"");
    // --output writes every row, past max-rows, in the format asked for
    Path csv = Path.of(warehouse).resolve("all.csv");
    var written =
        JobRunner.run(
            new QueryJob(), spark(), config, sql, "--format", "csv", "--output", csv.toString());
    assertThat(written.summary()).containsEntry("rows", "7");
    assertThat(Files.readAllLines(csv))
        .hasSize(8)
        .startsWith("id,label", "0,\"r,0\"")
        .endsWith("6,\"r,6\"");
    Path json = Path.of(warehouse).resolve("all.json");
    JobRunner.run(
        new QueryJob(), spark(), config, sql, "--format", "json", "--output", json.toString());
    assertThat(Files.readAllLines(json))
        .hasSize(7)
        .startsWith("{\"id\":0,\"label\":\"r,0\"}")
        .endsWith("{\"id\":6,\"label\":\"r,6\"}");
    assertThatThrownBy(
            () -> JobRunner.run(new QueryJob(), spark(), config, sql, "--output", csv.toString()))
        .isInstanceOf(LakeloopException.class)
        .hasMessageContaining("--format csv");
  }

  @Test
  void onlyTheTablesAStatementNamesAreRegistered() {
    assertThat(QueryJob.names("select count(*) from JOB_RUNS", Tables.JOB_RUNS)).isTrue();
    assertThat(QueryJob.names("select * from job_runs_copy", Tables.JOB_RUNS)).isFalse();
    assertThat(QueryJob.names("select * from labels l join prediction_log p", Tables.LABELS_TABLE))
        .isTrue();
    assertThat(QueryJob.names("select my_labels from x", Tables.LABELS_TABLE)).isFalse();
  }
}
