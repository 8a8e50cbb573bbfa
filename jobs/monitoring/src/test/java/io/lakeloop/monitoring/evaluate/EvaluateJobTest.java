package io.lakeloop.monitoring.evaluate;

import static org.apache.spark.sql.functions.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.lakeloop.common.LakeloopException;
import io.lakeloop.common.config.LakeloopConfig;
import io.lakeloop.common.job.JobResult;
import io.lakeloop.common.schema.Columns;
import io.lakeloop.common.table.Lakehouse;
import io.lakeloop.common.table.Tables;
import io.lakeloop.common.testing.SparkTestBase;
import io.lakeloop.monitoring.JobRunner;
import io.lakeloop.monitoring.generate.GenerateJob;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.assertj.core.api.Assertions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The evaluate job end to end on generated churn traffic (4,000 rows over 14 days from 2026-01-01,
 * labels arriving late): idempotent reruns, late labels re-evaluating recent windows without double
 * counting, and deterministic bootstrap intervals.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class EvaluateJobTest extends SparkTestBase {
  private LakeloopConfig config;
  private Lakehouse lh;

  @BeforeAll
  void generate() throws Exception {
    String warehouse = newWarehouse("evaluate");
    config =
        config(
            warehouse,
            "lakeloop.evaluate.bootstrap-replicates=40",
            "lakeloop.evaluate.granularities=[\"1 day\", \"1 week\"]");
    lh = new Lakehouse(spark(), warehouse);
    JobRunner.run(new GenerateJob(), spark(), config, "--rows", "4000", "--run-id", "g1");
    // Rows a writer put into prediction_log without going through ingest's checks: copies of
    // three real rows of 2026-01-09, broken three ways (no labels reach them).
    Dataset<Row> three =
        lh.read(Tables.PREDICTION_LOG)
            .data()
            .where(col(Columns.EVENT_DATE).equalTo("2026-01-09"))
            .orderBy(Columns.REQUEST_ID)
            .limit(3)
            .withColumn("_i", monotonically_increasing_id());
    Dataset<Row> broken =
        three
            .withColumn(Columns.REQUEST_ID, concat(col(Columns.REQUEST_ID), lit("-broken")))
            .withColumn(
                Columns.SCORES,
                when(col("_i").equalTo(0), array(lit(0.7), lit(0.7)))
                    .when(col("_i").equalTo(1), lit(null).cast("array<double>"))
                    .otherwise(col(Columns.SCORES)))
            .withColumn(
                Columns.PREDICTION,
                when(col("_i").geq(2), lit(5.0)).otherwise(col(Columns.PREDICTION)))
            .drop("_i");
    broken.write().format("delta").mode("append").save(lh.path(Tables.PREDICTION_LOG));
  }

  private Dataset<Row> metrics() {
    return lh.read(Tables.EVAL_METRICS).data();
  }

  private static long same(Dataset<Row> a, Dataset<Row> b) {
    return a.exceptAll(b).count() + b.exceptAll(a).count();
  }

  private Dataset<Row> window(String granularity, String day) {
    return metrics()
        .where(
            col(Columns.GRANULARITY)
                .equalTo(granularity)
                .and(col(Columns.WINDOW_DATE).equalTo(lit(day).cast("date"))));
  }

  private double value(String day, String sliceValue, String metric) {
    return window("1 day", day)
        .where(
            col(Columns.SLICE_VALUE).equalTo(sliceValue).and(col(Columns.METRIC).equalTo(metric)))
        .select(Columns.VALUE)
        .head()
        .getDouble(0);
  }

  /** Labeled predictions of one day whose label arrived by a date, counted directly. */
  private long labeledDirectly(String day, String labelsBy) {
    Dataset<Row> p =
        lh.read(Tables.PREDICTION_LOG).data().where(col(Columns.EVENT_DATE).equalTo(day));
    Dataset<Row> l =
        lh.read(Tables.LABELS_TABLE).data().where(col(Columns.LABEL_DATE).leq(labelsBy));
    return p.join(l, Columns.REQUEST_ID).count();
  }

  @Test
  void rerunsAreIdenticalLateLabelsReEvaluateAndIntervalsAreDeterministic() throws Exception {
    JobResult first =
        JobRunner.run(
            new EvaluateJob(),
            spark(),
            config,
            "--date",
            "2026-01-10",
            "--since",
            "2026-01-01",
            "--run-id",
            "e10");
    assertThat(first.output()).contains("roc_auc").contains("2026-01-10T00:00");
    Dataset<Row> afterFirst = metrics().cache();
    long rows = afterFirst.count();
    assertThat(rows).isGreaterThan(1000);
    // one row per window x slice x metric: nothing double-written
    assertThat(
            afterFirst
                .groupBy(
                    Columns.GRANULARITY,
                    Columns.WINDOW_START,
                    Columns.SLICE_KEY,
                    Columns.SLICE_VALUE,
                    Columns.METRIC,
                    Columns.MODEL_VERSION)
                .count()
                .where("count > 1")
                .count())
        .isZero();
    // slices: '*', the configured slice columns, churn.conf's slice expression and its fairness
    // grouping by region (disparities); its custom metric revenue_at_risk on every slice
    assertThat(
            afterFirst.select(Columns.SLICE_KEY).distinct().as(Encoders.STRING()).collectAsList())
        .containsExactlyInAnyOrder("*", "region", "plan", "new_premium", "fairness:region");
    assertThat(
            afterFirst
                .where(
                    "metric = 'revenue_at_risk' and value > 0 and ci_low < value and value < ci_high")
                .select(Columns.SLICE_KEY)
                .distinct()
                .count())
        .isEqualTo(4);

    // (c) the same run again: identical rows, intervals included (bootstrap determinism)
    long v1 = lh.latestVersion(Tables.EVAL_METRICS).orElseThrow();
    JobRunner.run(
        new EvaluateJob(),
        spark(),
        config,
        "--date",
        "2026-01-10",
        "--since",
        "2026-01-01",
        "--run-id",
        "e10");
    assertThat(lh.latestVersion(Tables.EVAL_METRICS).orElseThrow()).isGreaterThan(v1);
    assertThat(same(metrics(), afterFirst)).isZero();
    assertThat(afterFirst.where(col(Columns.CI_LOW).isNotNull()).count()).isGreaterThan(100);

    // (e) intervals: contain the point estimate, and for accuracy have the binomial width
    List<Row> acc =
        afterFirst
            .where(
                "metric = 'accuracy' and slice_value = '*' and granularity = '1 day' and n >= 150")
            .collectAsList();
    assertThat(acc).hasSizeGreaterThanOrEqualTo(5);
    for (Row r : acc) {
      double p = r.getAs(Columns.VALUE);
      double lo = r.getAs(Columns.CI_LOW);
      double hi = r.getAs(Columns.CI_HIGH);
      long n = r.getAs(Columns.N);
      assertThat(lo).isLessThanOrEqualTo(p);
      assertThat(hi).isGreaterThanOrEqualTo(p);
      double normalWidth = 2 * 1.96 * Math.sqrt(p * (1 - p) / n);
      assertThat((hi - lo) / normalWidth).isBetween(0.5, 1.6);
    }
    for (Row r :
        afterFirst
            .where("ci_low is not null and metric in ('roc_auc', 'f1_macro')")
            .collectAsList()) {
      assertThat(r.<Double>getAs(Columns.CI_LOW))
          .isLessThanOrEqualTo(r.<Double>getAs(Columns.VALUE) + 1e-12);
      assertThat(r.<Double>getAs(Columns.CI_HIGH))
          .isGreaterThanOrEqualTo(r.<Double>getAs(Columns.VALUE) - 1e-12);
    }

    // labels known by 01-10 only: the count of labeled rows equals a direct join
    assertThat(value("2026-01-08", "*", "labeled_count"))
        .isEqualTo((double) labeledDirectly("2026-01-08", "2026-01-10"));
    long day7Before = window("1 day", "2026-01-07").count();
    Dataset<Row> day7 = window("1 day", "2026-01-07").cache();
    day7.count();

    // (d) the run for 01-11 sees the labels that arrived on 01-11: windows within the label delay
    // (from 01-08) are re-evaluated in place, older ones are left as they were
    long late =
        labeledDirectly("2026-01-08", "2026-01-11") - labeledDirectly("2026-01-08", "2026-01-10");
    assertThat(late).isPositive();
    double countBefore = value("2026-01-08", "*", "count");
    JobRunner.run(new EvaluateJob(), spark(), config, "--date", "2026-01-11", "--run-id", "e11");
    assertThat(value("2026-01-08", "*", "labeled_count"))
        .isEqualTo((double) labeledDirectly("2026-01-08", "2026-01-11"));
    assertThat(value("2026-01-08", "*", "count")).isEqualTo(countBefore);
    assertThat(window("1 day", "2026-01-08").where("run_id = 'e10'").count()).isZero();
    assertThat(same(window("1 day", "2026-01-07"), day7)).isZero();
    assertThat(day7Before).isPositive();
    assertThat(window("1 day", "2026-01-11").count()).isPositive();
    // slices sum up to the whole: region counts add to '*'
    double regions =
        window("1 day", "2026-01-09")
            .where("slice_key = 'region' and metric = 'labeled_count'")
            .agg(sum(Columns.VALUE))
            .head()
            .getDouble(0);
    assertThat(regions).isEqualTo(value("2026-01-09", "*", "labeled_count"));
    afterFirst.unpersist();
    day7.unpersist();
  }

  @Test
  void rowsThatCannotBeScoredAreCountedPerReasonAndQuarantinedOnce() throws Exception {
    for (int attempt = 0; attempt < 2; attempt++) {
      JobResult r =
          JobRunner.run(
              new EvaluateJob(), spark(), config, "--date", "2026-01-10", "--run-id", "q1");
      assertThat(r.output()).contains("3 rows could not be scored");
      List<String> reasons =
          lh.read(Tables.QUARANTINE)
              .data()
              .where("run_id = 'q1'")
              .select(Columns.REASON)
              .orderBy(Columns.REASON)
              .as(Encoders.STRING())
              .collectAsList();
      // a rerun replaces its own quarantine rows: still exactly three
      assertThat(reasons).hasSize(3);
      assertThat(reasons.get(0)).startsWith("evaluate: prediction_not_a_class (");
      assertThat(reasons.get(1)).startsWith("evaluate: scores_missing (");
      assertThat(reasons.get(2)).startsWith("evaluate: scores_not_summing_to_1 (");
    }
    for (String code :
        List.of("prediction_not_a_class", "scores_missing", "scores_not_summing_to_1")) {
      assertThat(value("2026-01-09", "*", "invalid_rows:" + code)).as(code).isEqualTo(1.0);
    }
    assertThat(value("2026-01-09", "*", "invalid_rows")).isEqualTo(3.0);
    // the ingest's own quarantine rows are untouched by the evaluate runs
    assertThat(lh.read(Tables.QUARANTINE).data().where("run_id = 'g1'").count()).isPositive();
  }

  @Test
  void withoutDateFailsWithWhatToDo() {
    Assertions.assertThatThrownBy(
            () -> JobRunner.run(new EvaluateJob(), spark(), config, "--run-id", "nodate"))
        .isInstanceOf(LakeloopException.class)
        .hasMessageContaining("--date");
  }
}
