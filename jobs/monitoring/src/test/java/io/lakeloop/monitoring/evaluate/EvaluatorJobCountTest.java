package io.lakeloop.monitoring.evaluate;

import static org.apache.spark.sql.functions.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.lakeloop.common.config.ModelSpec;
import io.lakeloop.common.config.Task;
import io.lakeloop.common.testing.SparkTestBase;
import io.lakeloop.common.window.Granularity;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;

/**
 * The evaluation is a fixed number of Spark jobs: more slice columns (and values) mean more groups
 * in the same aggregation, never more jobs. Also checks top-K folding into __other__.
 */
class EvaluatorJobCountTest extends SparkTestBase {
  static final int COLUMNS = 6;

  /** The binary reference data with 6 extra slice columns of 2..7 values each. */
  static Dataset<Row> data() throws Exception {
    Dataset<Row> d = EvaluationReferenceTest.load("binary");
    for (int i = 1; i <= COLUMNS; i++) {
      d =
          d.withColumn(
              "c" + i,
              concat(
                  lit("v"), pmod(xxhash64(col("request_id"), lit(i)), lit(i + 1)).cast("string")));
    }
    return d;
  }

  static ModelSpec spec(int sliceColumns) {
    List<String> slices = new ArrayList<>();
    for (int i = 1; i <= sliceColumns; i++) {
      slices.add("c" + i);
    }
    return new ModelSpec(
        "ref",
        Task.BINARY,
        List.of("no", "yes"),
        List.of("x"),
        List.of(),
        slices,
        Duration.ofDays(1));
  }

  record Run(int jobs, List<Row> rows) {}

  static Run evaluate(int sliceColumns, int topK) throws Exception {
    return evaluate(sliceColumns, topK, Measures.NONE);
  }

  /** Five custom metrics, two slice expressions, a crossed slice and a fairness grouping. */
  static Measures measures() {
    return new Measures(
        List.of(
            MeasuresReferenceTest.metric(
                "name = m1, direction = lower, expression = \"sum(case when prediction = 1 then"
                    + " s1 else 0 end)\""),
            MeasuresReferenceTest.metric("name = m2, direction = higher, expression = \"avg(s1)\""),
            MeasuresReferenceTest.metric(
                "name = m3, direction = higher, expression = \"count(label)\""),
            MeasuresReferenceTest.metric(
                "name = m4, direction = higher, numerator = \"sum(label)\", denominator ="
                    + " \"count(*)\""),
            MeasuresReferenceTest.metric(
                "name = m5, direction = lower, expression = \"sum(s0 * s1)\"")),
        List.of(
            new Measures.Named("e1", "s1 > 0.5"),
            new Measures.Named("e2", "c1 = 'v0' and s0 < 0.2")),
        List.of(List.of("c1", "c2")),
        List.of(new Measures.Fairness("f", Optional.of("c2"), List.of(), Optional.empty())));
  }

  static Run evaluate(int sliceColumns, int topK, Measures measures) throws Exception {
    Dataset<Row> d = data();
    EvalSettings s =
        new EvalSettings(
            List.of(Granularity.parse("1 day", "t"), Granularity.parse("1 hour", "t")),
            10,
            0.9,
            topK,
            10_000,
            1_000,
            1e-3,
            256L << 20);
    AtomicInteger jobs = new AtomicInteger();
    SparkListener listener =
        new SparkListener() {
          @Override
          public void onJobStart(SparkListenerJobStart jobStart) {
            jobs.incrementAndGet();
          }
        };
    spark().sparkContext().listenerBus().waitUntilEmpty();
    spark().sparkContext().addSparkListener(listener);
    try {
      List<Row> rows =
          new Evaluator(spec(sliceColumns), s, measures)
              .evaluate(d, Optional.empty(), "r")
              .collectAsList();
      spark().sparkContext().listenerBus().waitUntilEmpty();
      return new Run(jobs.get(), rows);
    } finally {
      spark().sparkContext().removeSparkListener(listener);
    }
  }

  @Test
  void jobCountDoesNotGrowWithSlices() throws Exception {
    evaluate(1, 20); // warm-up: first-use jobs (e.g. schema inference) are not the engine's
    Run two = evaluate(2, 20);
    Run six = evaluate(COLUMNS, 20);
    assertThat(six.rows().size()).isGreaterThan(3 * two.rows().size());
    assertThat(six.jobs()).isEqualTo(two.jobs());
    // custom metrics, slice expressions, crossed slices and fairness: more rows, no more jobs
    Run measured = evaluate(2, 20, measures());
    assertThat(measured.rows().size()).isGreaterThan(two.rows().size() + 100);
    assertThat(measured.rows().stream().map(r -> (String) r.getAs("slice_key")).distinct())
        .contains("e1", "e2", "c1,c2", "fairness:f");
    assertThat(measured.jobs()).isEqualTo(two.jobs());
    // top-K: 3 jobs (scan + 2 shuffle stages under adaptive execution); metrics: one per
    // shuffle stage (3) plus the result, and the CSV scan: 9 on Spark 3.5 with AQE on.
    assertThat(two.jobs()).isLessThanOrEqualTo(10);
  }

  @Test
  void highCardinalitySlicesKeepTopKAndFoldTheRest() throws Exception {
    Run run = evaluate(COLUMNS, 3);
    List<String> c6 =
        run.rows().stream()
            .filter(r -> r.getAs("slice_key").equals("c6"))
            .map(r -> (String) r.getAs("slice_value"))
            .distinct()
            .sorted()
            .toList();
    // c6 has 7 values: the 3 most frequent stay, 4 fold into __other__
    assertThat(c6).hasSize(4).contains(Evaluator.OTHER);
    // c2 has 3 values, not more than K: kept as they are
    assertThat(
            run.rows().stream()
                .filter(r -> r.getAs("slice_key").equals("c2"))
                .map(r -> (String) r.getAs("slice_value"))
                .distinct()
                .count())
        .isEqualTo(3);
    // folding loses no rows: the c6 slices' daily counts add up to '*'
    double all = 0;
    double parts = 0;
    for (Row r : run.rows()) {
      if (r.getAs("metric").equals("count") && r.getAs("granularity").equals("1 day")) {
        if (r.getAs("slice_key").equals("*")) {
          all += r.<Double>getAs("value");
        } else if (r.getAs("slice_key").equals("c6")) {
          parts += r.<Double>getAs("value");
        }
      }
    }
    assertThat(all).isEqualTo(1500.0);
    assertThat(parts).isEqualTo(all);
  }
}
