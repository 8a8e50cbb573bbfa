package io.lakeloop.monitoring.evaluate;

import static org.apache.spark.sql.functions.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.lakeloop.common.schema.Columns;
import io.lakeloop.common.testing.SparkTestBase;
import io.lakeloop.common.window.Granularity;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

/**
 * The engine's guarantees beyond the metric formulas: invalid rows are counted per reason and
 * change no other metric; unlabeled rows are never negatives; results are deterministic.
 */
class EvaluatorTest extends SparkTestBase {
  static final Set<String> COUNTS_OF_ALL_ROWS =
      Set.of("count", "invalid_rows", "labeled_share", "positive_rate", "mean_score");

  static Dataset<Row> evaluate(Dataset<Row> data, int replicates) {
    return new Evaluator(
            EvaluationReferenceTest.spec("binary"), EvaluationReferenceTest.settings(replicates))
        .evaluate(data, Optional.empty(), "t");
  }

  /** A binary reference row with the given prediction, label and scores. */
  static Row row(String id, double prediction, Double label, double[] scores) {
    List<Double> s = new ArrayList<>();
    if (scores != null) {
      for (double v : scores) {
        s.add(v);
      }
    }
    return RowFactory.create(
        id,
        Timestamp.valueOf("2026-01-05 12:00:00"),
        "a",
        prediction,
        label,
        scores == null || scores.length < 1 ? null : scores[0],
        scores == null || scores.length < 2 ? null : scores[1],
        "ref",
        "1",
        scores == null ? null : s);
  }

  @Test
  void invalidRowsAreCountedPerReasonAndChangeNoOtherMetric() throws Exception {
    Dataset<Row> clean = EvaluationReferenceTest.load("binary");
    List<Row> bad =
        List.of(
            row("bad-1", Double.NaN, 1.0, new double[] {0.3, 0.7}),
            row("bad-2", 1.0, 1.0, null),
            row("bad-3", 1.0, 1.0, new double[] {0.5}),
            row("bad-4", 0.0, 0.0, new double[] {1.2, -0.2}),
            row("bad-5", 1.0, 0.0, new double[] {0.7, 0.7}),
            row("bad-6", 3.0, 1.0, new double[] {0.3, 0.7}),
            row("bad-7", 1.0, 2.0, new double[] {0.3, 0.7}),
            row("bad-8", 1.0, 0.5, new double[] {0.3, 0.7}));
    StructType nullable =
        new StructType(
            Arrays.stream(clean.schema().fields())
                .map(f -> new StructField(f.name(), f.dataType(), true, f.metadata()))
                .toArray(StructField[]::new));
    Dataset<Row> dirty = clean.unionByName(spark().createDataFrame(bad, nullable));
    Map<String, Row> before = EvaluationReferenceTest.byKey(evaluate(clean, 20));
    Map<String, Row> after = EvaluationReferenceTest.byKey(evaluate(dirty, 20));

    assertThat(after.get("*|*|invalid_rows").<Double>getAs(Columns.VALUE)).isEqualTo(8.0);
    Map<String, Double> perReason =
        Map.of(
            "prediction_not_finite", 1.0,
            "scores_missing", 1.0,
            "scores_wrong_length", 1.0,
            "scores_out_of_range", 1.0,
            "scores_not_summing_to_1", 1.0,
            "prediction_not_a_class", 1.0,
            "label_not_a_class", 2.0);
    perReason.forEach(
        (code, n) ->
            assertThat(after.get("*|*|invalid_rows:" + code).<Double>getAs(Columns.VALUE))
                .as(code)
                .isEqualTo(n));
    assertThat(after.get("segment|a|invalid_rows").<Double>getAs(Columns.VALUE)).isEqualTo(8.0);
    assertThat(after.get("*|*|count").<Double>getAs(Columns.VALUE))
        .isEqualTo(before.get("*|*|count").<Double>getAs(Columns.VALUE) + 8);
    int compared = 0;
    for (Map.Entry<String, Row> e : before.entrySet()) {
      String metric = e.getKey().substring(e.getKey().lastIndexOf('|') + 1);
      if (COUNTS_OF_ALL_ROWS.contains(metric)) {
        continue;
      }
      assertSame(e.getKey(), e.getValue(), after.get(e.getKey()));
      compared++;
    }
    assertThat(compared).isGreaterThan(100);
  }

  @Test
  void unlabeledRowsAreNeverNegatives() throws Exception {
    Dataset<Row> all = EvaluationReferenceTest.load("binary");
    Map<String, Row> withUnlabeled = EvaluationReferenceTest.byKey(evaluate(all, 20));
    Map<String, Row> labeledOnly =
        EvaluationReferenceTest.byKey(evaluate(all.where(col(Columns.LABEL).isNotNull()), 20));
    assertThat(withUnlabeled.get("*|*|labeled_share").<Double>getAs(Columns.VALUE)).isLessThan(0.9);
    for (String metric :
        List.of(
            "accuracy",
            "f1_macro",
            "roc_auc",
            "pr_auc",
            "log_loss",
            "brier",
            "ece",
            "recall:yes",
            "confusion:no:yes")) {
      for (String slice : List.of("*|*|", "segment|b|")) {
        assertSame(
            slice + metric, labeledOnly.get(slice + metric), withUnlabeled.get(slice + metric));
      }
    }
  }

  @Test
  void resultsAreDeterministicAcrossRunsAndPartitionings() throws Exception {
    Dataset<Row> data = EvaluationReferenceTest.load("binary");
    List<Row> first =
        evaluate(data, 30).orderBy("slice_key", "slice_value", "metric").collectAsList();
    List<Row> again =
        evaluate(data, 30).orderBy("slice_key", "slice_value", "metric").collectAsList();
    assertThat(again).isEqualTo(first);
    List<Row> repartitioned =
        evaluate(data.repartition(3, col(Columns.REQUEST_ID)), 30)
            .orderBy("slice_key", "slice_value", "metric")
            .collectAsList();
    assertThat(repartitioned).hasSameSizeAs(first);
    for (int i = 0; i < first.size(); i++) {
      assertSame(first.get(i).getAs("metric"), first.get(i), repartitioned.get(i));
    }
  }

  @Test
  void boundedStateMemoryEmitsEarlyAndChangesNoResult() throws Exception {
    Dataset<Row> data = EvaluationReferenceTest.load("binary");
    EvalSettings d = EvaluationReferenceTest.settings(30);
    List<Granularity> hourlyToo =
        List.of(Granularity.parse("1 day", "t"), Granularity.parse("1 hour", "t"));
    EvalSettings roomy =
        new EvalSettings(
            hourlyToo,
            d.bootstrapReplicates(),
            d.confidence(),
            d.topKSliceValues(),
            d.aucBins(),
            d.bootstrapAucBins(),
            d.scoreSumTolerance(),
            d.stateMemoryBytes());
    // room for the minimum of open states only: states (and all-rows sums) are emitted early and
    // merged on the reduce side
    EvalSettings tight =
        new EvalSettings(
            hourlyToo,
            d.bootstrapReplicates(),
            d.confidence(),
            d.topKSliceValues(),
            d.aucBins(),
            d.bootstrapAucBins(),
            d.scoreSumTolerance(),
            1);
    var spec = EvaluationReferenceTest.spec("binary");
    List<Row> expected =
        new Evaluator(spec, roomy)
            .evaluate(data, Optional.empty(), "t")
            .orderBy("granularity", "window_start", "slice_key", "slice_value", "metric")
            .collectAsList();
    List<Row> actual =
        new Evaluator(spec, tight)
            .evaluate(data, Optional.empty(), "t")
            .orderBy("granularity", "window_start", "slice_key", "slice_value", "metric")
            .collectAsList();
    assertThat(expected.stream().filter(r -> r.getAs("granularity").equals("1 hour")).count())
        .isGreaterThan(100);
    assertThat(actual).hasSameSizeAs(expected);
    for (int i = 0; i < expected.size(); i++) {
      assertThat(actual.get(i).<String>getAs("slice_value"))
          .isEqualTo(expected.get(i).getAs("slice_value"));
      assertSame(expected.get(i).getAs("metric"), expected.get(i), actual.get(i));
    }
  }

  /** Same value and interval (to rounding: sums may add in another order). */
  static void assertSame(String what, Row expected, Row actual) {
    assertThat(actual).as(what).isNotNull();
    for (String c : List.of(Columns.VALUE, Columns.CI_LOW, Columns.CI_HIGH)) {
      Double e = expected.getAs(c);
      Double a = actual.getAs(c);
      if (e == null) {
        assertThat(a).as(what + " " + c).isNull();
      } else {
        assertThat(a).as(what + " " + c).isCloseTo(e, within(1e-12 * Math.max(1, Math.abs(e))));
      }
    }
  }
}
