package io.lakeloop.monitoring.evaluate;

import static org.apache.spark.sql.functions.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.lakeloop.common.config.ModelSpec;
import io.lakeloop.common.config.Task;
import io.lakeloop.common.schema.Columns;
import io.lakeloop.common.testing.SparkTestBase;
import io.lakeloop.common.window.Granularity;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * lakeloop's metrics against scikit-learn on the same data: the CSVs and expected.csv under
 * src/test/resources/eval-reference were produced by make_reference.py there (regenerate with the
 * project venv; test_eval_reference.py checks they are current). Exact metrics to 1e-9, the
 * histogram AUCs to 1e-3.
 */
class EvaluationReferenceTest extends SparkTestBase {
  static final Set<String> AUC = Set.of("roc_auc", "pr_auc");

  static Path resource(String name) throws Exception {
    return Paths.get(EvaluationReferenceTest.class.getResource("/eval-reference/" + name).toURI());
  }

  static ModelSpec spec(String task) {
    List<String> classes =
        switch (task) {
          case "binary" -> List.of("no", "yes");
          case "multiclass" -> List.of("red", "green", "blue");
          default -> List.of();
        };
    return new ModelSpec(
        "ref",
        Task.parse(task, "task"),
        classes,
        List.of("x"),
        List.of(),
        List.of("segment"),
        Duration.ofDays(3));
  }

  static EvalSettings settings(int replicates) {
    return new EvalSettings(
        List.of(Granularity.parse("1 day", "test")),
        replicates,
        0.95,
        20,
        10_000,
        200,
        1e-3,
        256L << 20);
  }

  /** The reference CSV as prediction_log rows joined with labels. */
  static Dataset<Row> load(String task) throws Exception {
    int k = spec(task).numClasses();
    StructType schema =
        new StructType()
            .add(Columns.REQUEST_ID, DataTypes.StringType)
            .add(Columns.EVENT_TIME, DataTypes.TimestampType)
            .add("segment", DataTypes.StringType)
            .add(Columns.PREDICTION, DataTypes.DoubleType)
            .add(Columns.LABEL, DataTypes.DoubleType);
    List<Column> scores = new ArrayList<>();
    for (int j = 0; j < k; j++) {
      schema = schema.add("s" + j, DataTypes.DoubleType);
      scores.add(col("s" + j));
    }
    Dataset<Row> raw =
        spark()
            .read()
            .option("header", true)
            .schema(schema)
            .csv(resource(task + ".csv").toString());
    return raw.withColumn(Columns.MODEL_NAME, lit("ref"))
        .withColumn(Columns.MODEL_VERSION, lit("1"))
        .withColumn(
            Columns.SCORES,
            k == 0 ? lit(null).cast("array<double>") : array(scores.toArray(Column[]::new)));
  }

  static Map<String, Row> byKey(Dataset<Row> metrics) {
    Map<String, Row> out = new HashMap<>();
    for (Row r : metrics.collectAsList()) {
      out.put(
          r.getAs(Columns.SLICE_KEY) + "|" + r.getAs(Columns.SLICE_VALUE) + "|" + r.getAs("metric"),
          r);
    }
    return out;
  }

  @ParameterizedTest
  @ValueSource(strings = {"binary", "multiclass", "regression"})
  void matchesScikitLearn(String task) throws Exception {
    Dataset<Row> metrics =
        new Evaluator(spec(task), settings(0)).evaluate(load(task), Optional.empty(), "ref-run");
    Map<String, Row> actual = byKey(metrics);
    int checked = 0;
    for (String line : Files.readAllLines(resource("expected.csv"))) {
      String[] f = line.split(",");
      if (!f[0].equals(task)) {
        continue;
      }
      String key = f[1] + "|" + f[2] + "|" + f[3];
      double expected = Double.parseDouble(f[4]);
      assertThat(actual).as(key).containsKey(key);
      Double value = actual.get(key).getAs(Columns.VALUE);
      assertThat(value).as(key).isNotNull();
      double tol = AUC.contains(f[3]) ? 1e-3 : 1e-9 * Math.max(1, Math.abs(expected));
      assertThat(value).as(key).isCloseTo(expected, within(tol));
      checked++;
    }
    assertThat(checked).isGreaterThanOrEqualTo(40);
    Row window = actual.get("*|*|count");
    assertThat(window.<Timestamp>getAs(Columns.WINDOW_START).toInstant())
        .isEqualTo(Instant.parse("2026-01-05T00:00:00Z"));
    assertThat(window.<Timestamp>getAs(Columns.WINDOW_END).toInstant())
        .isEqualTo(Instant.parse("2026-01-06T00:00:00Z"));
    if (!task.equals("regression")) {
      // The documented bound holds and is far below the 1e-3 target on smooth scores.
      assertThat(actual.get("*|*|roc_auc_bin_error_bound").<Double>getAs(Columns.VALUE))
          .isLessThan(1e-4);
    }
  }

  /**
   * The bootstrap intervals agree with a direct bootstrap (scikit-learn with Poisson sample
   * weights, 2,000 replicates, expected_ci.csv) within Monte-Carlo error: with 1,000 replicates
   * here each 2.5 % / 97.5 % bound has a standard error of about 0.085 sd, the reference's 0.06 sd,
   * so the bounds must agree to 0.5 sd (over 4 standard errors of the difference).
   */
  @ParameterizedTest
  @ValueSource(strings = {"binary", "regression"})
  void intervalsMatchADirectBootstrap(String task) throws Exception {
    Map<String, Row> actual =
        byKey(
            new Evaluator(spec(task), settings(1000))
                .evaluate(load(task), Optional.empty(), "ci-run"));
    int checked = 0;
    for (String line : Files.readAllLines(resource("expected_ci.csv"))) {
      String[] f = line.split(",");
      if (!f[0].equals(task)) {
        continue;
      }
      Row r = actual.get("*|*|" + f[1]);
      assertThat(r).as(f[1]).isNotNull();
      double sd = Double.parseDouble(f[4]);
      double lo = r.getAs(Columns.CI_LOW);
      double hi = r.getAs(Columns.CI_HIGH);
      assertThat(lo).as(f[1] + " ci_low").isCloseTo(Double.parseDouble(f[2]), within(0.5 * sd));
      assertThat(hi).as(f[1] + " ci_high").isCloseTo(Double.parseDouble(f[3]), within(0.5 * sd));
      double value = r.getAs(Columns.VALUE);
      assertThat(value).as(f[1]).isBetween(lo, hi);
      checked++;
    }
    assertThat(checked).isEqualTo(task.equals("binary") ? 5 : 3);
  }
}
