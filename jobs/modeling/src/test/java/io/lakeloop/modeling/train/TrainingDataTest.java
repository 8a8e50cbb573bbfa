package io.lakeloop.modeling.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.lakeloop.common.config.ModelSpec;
import io.lakeloop.common.config.Task;
import io.lakeloop.common.model.FeatureEncoding;
import io.lakeloop.common.testing.SparkTestBase;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.commons.math3.stat.descriptive.moment.Mean;
import org.apache.commons.math3.stat.descriptive.moment.StandardDeviation;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.LongAccumulator;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.dataset.DataSet;

/**
 * The fitted encoding against Commons Math and counts made here; the minibatches against encoding
 * each row directly — same vectors, same one-hot labels, every valid labeled row once.
 */
class TrainingDataTest extends SparkTestBase {
  private static final ModelSpec MODEL =
      new ModelSpec(
          "m",
          Task.MULTICLASS,
          List.of("a", "b", "c"),
          List.of("x", "y"),
          List.of("color"),
          List.of(),
          Duration.ofDays(1));
  private static final StructType SCHEMA =
      new StructType()
          .add("x", DataTypes.DoubleType)
          .add("y", DataTypes.DoubleType)
          .add("color", DataTypes.StringType)
          .add("label", DataTypes.DoubleType);
  private static final List<String> COLORS = List.of("red", "green", "blue", "teal", "gold");

  private static List<Row> rows(int n, Random random) {
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      Double x = i % 17 == 0 ? null : i % 29 == 0 ? Double.NaN : 5 + 2 * random.nextGaussian();
      Double y = i % 31 == 0 ? Double.POSITIVE_INFINITY : random.nextDouble() * 100;
      String color = i % 13 == 0 ? null : COLORS.get((int) (Math.pow(random.nextDouble(), 2) * 5));
      Double label =
          i % 11 == 0 ? null : i % 37 == 0 ? 3.0 : i % 41 == 0 ? 0.5 : random.nextInt(3) * 1.0;
      rows.add(RowFactory.create(x, y, color, label));
    }
    return rows;
  }

  @Test
  void fitsStatisticsAndVocabulariesOnTheData() {
    List<Row> rows = rows(2000, new Random(1));
    Dataset<Row> data = spark().createDataFrame(rows, SCHEMA).repartition(3);
    FeatureEncoding e = TrainingData.fit(data, MODEL, 3);

    for (int f = 0; f < 2; f++) {
      int column = f;
      double[] finite =
          rows.stream()
              .filter(r -> !r.isNullAt(column) && Double.isFinite(r.getDouble(column)))
              .mapToDouble(r -> r.getDouble(column))
              .toArray();
      assertThat(e.numeric().get(f).mean()).isCloseTo(new Mean().evaluate(finite), within(1e-9));
      assertThat(e.numeric().get(f).std())
          .isCloseTo(new StandardDeviation(true).evaluate(finite), within(1e-9));
    }
    Map<String, Long> counts = new HashMap<>();
    rows.stream()
        .filter(r -> !r.isNullAt(2))
        .forEach(r -> counts.merge(r.getString(2), 1L, Long::sum));
    List<String> top =
        counts.entrySet().stream()
            .sorted(
                Comparator.comparing((Map.Entry<String, Long> x) -> -x.getValue())
                    .thenComparing(Map.Entry::getKey))
            .limit(3)
            .map(Map.Entry::getKey)
            .toList();
    assertThat(e.categorical().get(0).vocabulary()).isEqualTo(top);
  }

  @Test
  void minibatchesHoldEveryValidLabeledRowEncodedAsTheEncodingSays() {
    List<Row> rows = rows(1000, new Random(2));
    Dataset<Row> data = spark().createDataFrame(rows, SCHEMA).coalesce(2);
    FeatureEncoding e = TrainingData.fit(data, MODEL, 3);
    LongAccumulator invalid = spark().sparkContext().longAccumulator("invalid labels");
    List<DataSet> batches = TrainingData.dataSets(data, MODEL, e, 64, invalid).collect();

    List<String> expected = new ArrayList<>();
    long expectedInvalid = 0;
    for (Row r : rows) {
      if (r.isNullAt(3)) {
        continue;
      }
      double label = r.getDouble(3);
      if (label != Math.floor(label) || label < 0 || label >= 3) {
        expectedInvalid++;
        continue;
      }
      float[] v =
          e.encode(
              new Double[] {
                r.isNullAt(0) ? null : r.getDouble(0), r.isNullAt(1) ? null : r.getDouble(1)
              },
              new String[] {r.isNullAt(2) ? null : r.getString(2)});
      float[] y = new float[3];
      y[(int) label] = 1f;
      expected.add(Arrays.toString(v) + Arrays.toString(y));
    }
    List<String> got = new ArrayList<>();
    for (DataSet b : batches) {
      assertThat(b.numExamples()).isBetween(1, 64);
      assertThat(b.getFeatures().columns()).isEqualTo(e.width());
      for (int i = 0; i < b.numExamples(); i++) {
        got.add(
            Arrays.toString(b.getFeatures().getRow(i).toFloatVector())
                + Arrays.toString(b.getLabels().getRow(i).toFloatVector()));
      }
    }
    assertThat(got).containsExactlyInAnyOrderElementsOf(expected);
    assertThat(invalid.value()).isEqualTo(expectedInvalid).isPositive();
  }
}
