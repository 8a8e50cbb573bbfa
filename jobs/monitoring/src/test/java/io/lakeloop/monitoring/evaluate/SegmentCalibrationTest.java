package io.lakeloop.monitoring.evaluate;

import static org.apache.spark.sql.functions.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.lakeloop.common.config.ModelSpec;
import io.lakeloop.common.config.Task;
import io.lakeloop.common.schema.Columns;
import io.lakeloop.common.testing.SparkTestBase;
import io.lakeloop.monitoring.estimate.CalibrationMaps;
import io.lakeloop.monitoring.estimate.Calibrations;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

/**
 * Slice values calibrated on their own. The data: ten days of two plans, 1,500 rows each a day,
 * whose model scores s = sigmoid(z) (z normal, sd 1.5) while the truth is sigmoid(z + 2) on plan
 * "a" and sigmoid(z) on plan "b": the scores are calibrated on plan "b" only, and on all rows on
 * neither (its accuracy is 0.64 on "a" and 0.73 on "b" where the version's calibration expects 0.69
 * on both). Calibrated on days 1-5.
 */
class SegmentCalibrationTest extends SparkTestBase {
  private static final String UNTIL = "2026-01-06";
  private static final String PLAN = "plan";

  static ModelSpec spec(List<String> slices) {
    return new ModelSpec(
        "seg",
        Task.BINARY,
        List.of("no", "yes"),
        List.of("x"),
        List.of(),
        slices,
        Duration.ofDays(3));
  }

  static Dataset<Row> rows() {
    Random random = new Random(20261204L);
    List<Row> out = new ArrayList<>();
    Instant start = Instant.parse("2026-01-01T00:00:00Z");
    int id = 0;
    for (int day = 0; day < 10; day++) {
      for (String plan : List.of("a", "b")) {
        double shift = plan.equals("a") ? 2.0 : 0.0;
        for (int i = 0; i < 1500; i++) {
          double z = 1.5 * random.nextGaussian();
          double s = 1 / (1 + Math.exp(-z));
          double p = 1 / (1 + Math.exp(-(z + shift)));
          double label = random.nextDouble() < p ? 1 : 0;
          out.add(
              RowFactory.create(
                  "r" + id++,
                  Timestamp.from(start.plusSeconds(day * 86_400L + i * 50L)),
                  plan,
                  s >= 0.5 ? 1.0 : 0.0,
                  label,
                  List.of(1 - s, s)));
        }
      }
    }
    StructType schema =
        new StructType()
            .add(Columns.REQUEST_ID, DataTypes.StringType)
            .add(Columns.EVENT_TIME, DataTypes.TimestampType)
            .add(PLAN, DataTypes.StringType)
            .add(Columns.PREDICTION, DataTypes.DoubleType)
            .add(Columns.LABEL, DataTypes.DoubleType)
            .add(Columns.SCORES, DataTypes.createArrayType(DataTypes.DoubleType));
    return spark()
        .createDataFrame(out, schema)
        .withColumn(Columns.MODEL_NAME, lit("seg"))
        .withColumn(Columns.MODEL_VERSION, lit("1"));
  }

  /** The calibrations fitted on the reference days, per version and per plan when sliced. */
  static CalibrationMaps fit(Dataset<Row> rows, ModelSpec spec) {
    Map<CalibrationMaps.Segment, Calibrations.Fitted> fitted =
        Calibrations.fit(
            rows.where(col(Columns.EVENT_TIME).lt(lit(UNTIL))),
            2,
            new Evaluator(spec, EvaluationReferenceTest.settings(0)).sliceValues(),
            10,
            10_000,
            100,
            0,
            0L);
    Map<CalibrationMaps.Segment, io.lakeloop.monitoring.estimate.Calibration> maps =
        new HashMap<>();
    fitted.forEach((s, f) -> maps.put(s, f.calibration()));
    return new CalibrationMaps(maps);
  }

  /** day|slice_value|metric -> row, of one evaluation. */
  static Map<String, Row> evaluate(Dataset<Row> rows, ModelSpec spec, CalibrationMaps maps) {
    Map<String, Row> out = new HashMap<>();
    for (Row r :
        new Evaluator(spec, EvaluationReferenceTest.settings(0), maps)
            .evaluate(rows, Optional.empty(), "seg")
            .collectAsList()) {
      out.put(
          r.getDate(r.fieldIndex(Columns.WINDOW_DATE))
              + "|"
              + r.getAs(Columns.SLICE_VALUE)
              + "|"
              + r.getAs(Columns.METRIC),
          r);
    }
    return out;
  }

  /**
   * A plan's estimates with its own calibration are exactly those of its rows evaluated alone,
   * calibrated alone (whose estimates M176 checks against NannyML), and its realized accuracy lies
   * in the estimate's interval on nearly every day; with the version's calibration alone, the
   * estimate misses on most days (the data's miscalibration is real), and so it would without the
   * plans' own calibrations.
   */
  @Test
  void aSliceValueCalibratedOnItsOwnIsEstimatedAsItsRowsAlone() {
    Dataset<Row> rows = rows().cache();
    ModelSpec sliced = spec(List.of(PLAN));
    CalibrationMaps maps = fit(rows, sliced);
    assertThat(maps.segmented()).isTrue();
    assertThat(maps.maps()).hasSize(3);
    Map<String, Row> together = evaluate(rows, sliced, maps);
    Map<String, Row> versionOnly =
        evaluate(rows, sliced, CalibrationMaps.ofVersions(Map.of("1", maps.of("1"))));
    int covered = 0;
    int coveredVersionOnly = 0;
    int compared = 0;
    for (String plan : List.of("a", "b")) {
      Dataset<Row> alone = rows.where(col(PLAN).equalTo(plan));
      ModelSpec unsliced = spec(List.of());
      Map<String, Row> byItself = evaluate(alone, unsliced, fit(alone, unsliced));
      for (Map.Entry<String, Row> e : byItself.entrySet()) {
        String[] k = e.getKey().split("\\|");
        if (!k[2].startsWith(Estimated.PREFIX)
            || e.getValue().isNullAt(e.getValue().fieldIndex(Columns.VALUE))) {
          continue;
        }
        Row mine = together.get(k[0] + "|" + plan + "|" + k[2]);
        assertThat(mine).as(e.getKey()).isNotNull();
        for (String c : List.of(Columns.VALUE, Columns.CI_LOW, Columns.CI_HIGH)) {
          assertThat(mine.<Double>getAs(c))
              .as(plan + " " + e.getKey() + " " + c)
              .isCloseTo(e.getValue().<Double>getAs(c), within(1e-9));
        }
        compared++;
      }
      for (int day = 1; day <= 10; day++) {
        String date = String.format("2026-01-%02d", day);
        double realized = together.get(date + "|" + plan + "|accuracy").getAs(Columns.VALUE);
        if (inside(realized, together.get(date + "|" + plan + "|estimated_accuracy"))) {
          covered++;
        }
        if (inside(realized, versionOnly.get(date + "|" + plan + "|estimated_accuracy"))) {
          coveredVersionOnly++;
        }
      }
    }
    assertThat(compared).isGreaterThanOrEqualTo(2 * 10 * 5);
    assertThat(covered)
        .as("realized inside the plan-calibrated interval")
        .isGreaterThanOrEqualTo(18);
    assertThat(coveredVersionOnly)
        .as("realized inside the version-calibrated interval")
        .isLessThanOrEqualTo(10);
    rows.unpersist();
  }

  private static boolean inside(double value, Row estimate) {
    return value >= estimate.<Double>getAs(Columns.CI_LOW)
        && value <= estimate.<Double>getAs(Columns.CI_HIGH);
  }
}
