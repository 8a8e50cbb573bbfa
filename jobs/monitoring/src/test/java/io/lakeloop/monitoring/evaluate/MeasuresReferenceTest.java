package io.lakeloop.monitoring.evaluate;

import static org.apache.spark.sql.functions.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.typesafe.config.ConfigFactory;
import io.lakeloop.common.config.ConfigError;
import io.lakeloop.common.schema.Columns;
import io.lakeloop.common.testing.SparkTestBase;
import java.nio.file.Files;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Custom metrics, slice expressions, crossed slices and fairness disparities of the evaluation,
 * against independent references on the binary reference data: plain Spark SQL aggregates for the
 * custom metrics and slices, scikit-learn and a direct paired Poisson bootstrap for the disparities
 * and two custom metrics' intervals (expected_fairness.csv, made by make_fairness.py; values to
 * 1e-9, interval bounds within 0.5 of the reference bootstrap's sd, as in EvaluationReferenceTest).
 * One evaluation with 1,000 replicates serves every test.
 */
class MeasuresReferenceTest extends SparkTestBase {
  static final String REVENUE = "sum(case when prediction = 1 then s1 else 0 end)";
  static final String CAPTURE_NUM = "sum(case when label = 1 and prediction = 1 then 1 else 0 end)";
  static final String CAPTURE_DEN = "count(case when label = 1 then 1 end)";

  static Dataset<Row> data;
  static Map<String, Row> metrics;

  static Measures measures() {
    return new Measures(
        List.of(
            metric("name = revenue, direction = lower, expression = \"" + REVENUE + "\""),
            metric(
                "name = capture, direction = higher, numerator = \""
                    + CAPTURE_NUM
                    + "\", denominator = \""
                    + CAPTURE_DEN
                    + "\""),
            metric("name = mean_s1, direction = higher, expression = \"avg(s1)\""),
            metric("name = labeled, direction = higher, expression = \"count(label)\""),
            metric("name = rows, direction = higher, expression = \"count(*)\"")),
        List.of(new Measures.Named("high", "s1 > 0.5")),
        List.of(List.of("segment", "half")),
        List.of(
            new Measures.Fairness("seg", Optional.of("segment"), List.of(), Optional.of("a")),
            new Measures.Fairness("seg_best", Optional.of("segment"), List.of(), Optional.empty()),
            new Measures.Fairness(
                "tier",
                Optional.empty(),
                List.of(
                    new Measures.Named("low", "s1 < 0.3"), new Measures.Named("mid", "s1 < 0.7")),
                Optional.of("low"))));
  }

  static CustomMetric metric(String hocon) {
    return CustomMetric.parse(ConfigFactory.parseString(hocon), "test");
  }

  @BeforeAll
  static void evaluate() throws Exception {
    data =
        EvaluationReferenceTest.load("binary")
            .withColumn(
                "half",
                when(pmod(xxhash64(col(Columns.REQUEST_ID)), lit(2)).equalTo(0), lit("p"))
                    .otherwise(lit("q")));
    metrics =
        EvaluationReferenceTest.byKey(
            new Evaluator(
                    EvaluationReferenceTest.spec("binary"),
                    EvaluationReferenceTest.settings(1000),
                    measures())
                .evaluate(data, Optional.empty(), "measures-run"));
  }

  static double value(String key) {
    assertThat(metrics).as(key).containsKey(key);
    Double v = metrics.get(key).getAs(Columns.VALUE);
    assertThat(v).as(key).isNotNull();
    return v;
  }

  @Test
  void anExpressionThatDoesNotResolveFailsBeforeAnyWorkWithSparksReason() {
    Measures bad =
        new Measures(
            List.of(metric("name = m, direction = lower, expression = \"sum(no_such_column)\"")),
            List.of(),
            List.of(),
            List.of());
    Evaluator e =
        new Evaluator(
            EvaluationReferenceTest.spec("binary"), EvaluationReferenceTest.settings(0), bad);
    assertThatThrownBy(() -> e.check(data))
        .isInstanceOf(ConfigError.class)
        .hasMessageContaining("custom-metrics 'm': 'sum(no_such_column)' cannot be evaluated")
        .hasMessageContaining("no_such_column")
        .hasMessageContaining("segment");
    Measures nested =
        new Measures(
            List.of(), List.of(new Measures.Named("n", "sum(s1) > 1")), List.of(), List.of());
    assertThatThrownBy(
            () ->
                new Evaluator(
                        EvaluationReferenceTest.spec("binary"),
                        EvaluationReferenceTest.settings(0),
                        nested)
                    .check(data))
        .isInstanceOf(ConfigError.class)
        .hasMessageContaining("slice 'n'");
  }

  @Test
  void customMetricsMatchSparkSql() {
    Map<String, Row> expected = new HashMap<>();
    Dataset<Row> sql =
        data.groupBy("segment")
            .agg(
                expr(REVENUE).as("revenue"),
                expr(CAPTURE_NUM + " / " + CAPTURE_DEN).as("capture"),
                expr("avg(s1)").as("mean_s1"),
                expr("count(label)").as("labeled"),
                expr("count(*)").as("rows"))
            .union(
                data.agg(
                        expr(REVENUE).as("revenue"),
                        expr(CAPTURE_NUM + " / " + CAPTURE_DEN).as("capture"),
                        expr("avg(s1)").as("mean_s1"),
                        expr("count(label)").as("labeled"),
                        expr("count(*)").as("rows"))
                    .select(lit("*").as("segment"), col("*")));
    sql.collectAsList().forEach(r -> expected.put(r.getString(0), r));
    assertThat(expected).hasSize(4);
    for (Map.Entry<String, Row> e : expected.entrySet()) {
      String slice = e.getKey().equals("*") ? "*|*|" : "segment|" + e.getKey() + "|";
      for (String m : List.of("revenue", "capture", "mean_s1", "labeled", "rows")) {
        double want = ((Number) e.getValue().getAs(m)).doubleValue();
        assertThat(value(slice + m)).as(slice + m).isCloseTo(want, within(1e-9 * (1 + want)));
      }
    }
  }

  @Test
  void sliceExpressionsAndCrossedSlicesMatchSparkSql() {
    // a slice expression is the slice of the rows it holds for
    Row high =
        data.where("s1 > 0.5")
            .agg(count(lit(1)), avg(expr("cast(label = prediction as double)")))
            .first();
    assertThat(value("high|true|count")).isEqualTo(high.getLong(0));
    assertThat(value("high|true|accuracy")).isCloseTo(high.getDouble(1), within(1e-12));
    assertThat(metrics.keySet())
        .noneMatch(k -> k.startsWith("high|") && !k.startsWith("high|true|"));
    List<Row> pairs =
        data.groupBy(concat_ws(",", col("segment"), col("half")).as("v")).count().collectAsList();
    assertThat(pairs).hasSize(6);
    for (Row r : pairs) {
      assertThat(value("segment,half|" + r.getString(0) + "|count")).isEqualTo(r.getLong(1));
    }
    // groups by predicates: the first a row matches; the rest are __other__ and not compared
    long low = data.where("s1 < 0.3").count();
    long mid = data.where("s1 >= 0.3 and s1 < 0.7").count();
    assertThat(value("tier|low|count")).isEqualTo(low);
    assertThat(value("tier|mid|count")).isEqualTo(mid);
    assertThat(value("tier|__other__|count")).isEqualTo(1500 - low - mid);
    assertThat(metrics).containsKey("fairness:tier|mid|demographic_parity_difference");
    assertThat(metrics).doesNotContainKey("fairness:tier|__other__|demographic_parity_difference");
    double prLow = value("tier|low|positive_rate");
    double prMid = value("tier|mid|positive_rate");
    assertThat(value("fairness:tier|mid|demographic_parity_difference"))
        .isCloseTo(prMid - prLow, within(1e-12));
  }

  @Test
  void disparitiesAndIntervalsMatchScikitLearnAndADirectPairedBootstrap() throws Exception {
    int checked = 0;
    for (String line :
        Files.readAllLines(EvaluationReferenceTest.resource("expected_fairness.csv"))) {
      String[] f = line.split(",");
      if (f[0].equals("reference")) {
        continue;
      }
      String key =
          f[0].equals("custom")
              ? "*|*|" + f[2]
              : "fairness:" + (f[0].equals("a") ? "seg" : "seg_best") + "|" + f[1] + "|" + f[2];
      double expected = Double.parseDouble(f[3]);
      assertThat(value(key)).as(key).isCloseTo(expected, within(1e-9));
      double sd = Double.parseDouble(f[6]);
      Row r = metrics.get(key);
      if (sd == 0) { // the reference group against itself
        assertThat(r.<Double>getAs(Columns.CI_LOW)).as(key).isEqualTo(expected);
        assertThat(r.<Double>getAs(Columns.CI_HIGH)).as(key).isEqualTo(expected);
      } else {
        assertThat(r.<Double>getAs(Columns.CI_LOW))
            .as(key + " ci_low")
            .isCloseTo(Double.parseDouble(f[4]), within(0.5 * sd));
        assertThat(r.<Double>getAs(Columns.CI_HIGH))
            .as(key + " ci_high")
            .isCloseTo(Double.parseDouble(f[5]), within(0.5 * sd));
      }
      checked++;
    }
    assertThat(checked).isEqualTo(32);
    // the '*' row of a grouping is its group farthest from parity
    double worst = 0;
    for (String g : List.of("a", "b", "c")) {
      double d = value("fairness:seg|" + g + "|demographic_parity_difference");
      worst = Math.abs(d) > Math.abs(worst) ? d : worst;
    }
    assertThat(value("fairness:seg|*|demographic_parity_difference")).isEqualTo(worst);
  }
}
