package io.lakeloop.monitoring.query;

import static org.assertj.core.api.Assertions.assertThat;

import io.lakeloop.common.config.LakeloopConfig;
import io.lakeloop.common.table.Lakehouse;
import io.lakeloop.common.table.TableSpec;
import io.lakeloop.common.table.Tables;
import io.lakeloop.common.testing.SparkTestBase;
import io.lakeloop.monitoring.JobRunner;
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
}
