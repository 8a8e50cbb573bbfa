package io.lakeloop.monitoring.drift;

import static io.lakeloop.common.schema.Columns.LABEL;
import static io.lakeloop.common.schema.Columns.LABEL_TIME;
import static io.lakeloop.common.schema.Columns.REQUEST_ID;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.pmod;
import static org.apache.spark.sql.functions.when;
import static org.apache.spark.sql.functions.xxhash64;
import static org.assertj.core.api.Assertions.assertThat;

import io.lakeloop.common.testing.SparkTestBase;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

/**
 * The sort-based pairing against the definition, computed here in plain Java: every prediction row
 * once, with the label of its request's latest label row (greatest label_time, ties to the greatest
 * value) or null.
 */
class LatestLabelsTest extends SparkTestBase {
  private static final StructType PREDICTIONS =
      new StructType()
          .add(REQUEST_ID, DataTypes.StringType)
          .add("model_version", DataTypes.StringType)
          .add("day", DataTypes.IntegerType);
  private static final StructType LABELS =
      new StructType()
          .add(REQUEST_ID, DataTypes.StringType)
          .add(LABEL, DataTypes.DoubleType)
          .add(LABEL_TIME, DataTypes.TimestampType);

  @Test
  void everyPredictionGetsItsRequestsLatestLabel() {
    Random random = new Random(17);
    List<Row> predictions = new ArrayList<>();
    List<Row> labels = new ArrayList<>();
    Map<String, double[]> latest = new HashMap<>(); // request -> {time, label}
    for (int i = 0; i < 3000; i++) {
      // ids sharing long prefixes, as generated ids do; some requests scored by two versions
      String id = "req-00000000-" + i;
      int day = 20_000 + random.nextInt(3);
      predictions.add(RowFactory.create(id, "1", day));
      if (i % 7 == 0) {
        predictions.add(RowFactory.create(id, "2", day));
      }
      int labelRows = i % 5 == 0 ? 0 : 1 + random.nextInt(3); // a fifth never labeled
      for (int k = 0; k < labelRows; k++) {
        long time = 1_000_000L + random.nextInt(4) * 1000L; // equal times happen
        double label = random.nextInt(3);
        labels.add(RowFactory.create(id, label, new Timestamp(time)));
        double[] best = latest.get(id);
        if (best == null || time > best[0] || (time == best[0] && label > best[1])) {
          latest.put(id, new double[] {time, label});
        }
      }
    }
    for (int i = 0; i < 50; i++) { // labels of requests outside the window are left out
      labels.add(RowFactory.create("other-" + i, 1.0, new Timestamp(5_000_000L)));
    }
    predictions.add(RowFactory.create(null, "1", 20_000)); // no request_id: no label
    labels.add(RowFactory.create(null, 2.0, new Timestamp(1_000_000L)));
    Collections.shuffle(predictions, random);
    Collections.shuffle(labels, random);

    Dataset<Row> p = spark().createDataFrame(predictions, PREDICTIONS).repartition(3);
    Dataset<Row> l = spark().createDataFrame(labels, LABELS).repartition(2);
    List<Column> values =
        List.of(
            col(LABEL),
            when(col(LABEL).equalTo(0.0), "no")
                .when(col(LABEL).equalTo(1.0), "yes")
                .otherwise(col(LABEL).cast("string")));
    List<String> got =
        strings(
            LatestLabels.rows(
                p,
                col("model_version"),
                col("day"),
                l,
                values,
                1,
                LatestLabels.Repeats.NONE,
                List.of()));
    // a hash with three values: every run holds a thousand requests, as collisions would
    List<String> collided =
        strings(
            LatestLabels.rows(
                p,
                col("model_version"),
                col("day"),
                l,
                values,
                1,
                LatestLabels.Repeats.NONE,
                List.of(),
                pmod(xxhash64(col(REQUEST_ID)), lit(3L))));

    List<String> expected = new ArrayList<>();
    for (Row row : predictions) {
      String id = row.getString(0);
      double[] best = id == null ? null : latest.get(id);
      String name =
          best == null ? "null" : best[1] == 0 ? "no" : best[1] == 1 ? "yes" : "" + best[1];
      expected.add(
          row.getString(1)
              + "|"
              + row.getInt(2)
              + "|"
              + (best == null ? "null" : best[1])
              + "|"
              + name);
    }
    assertThat(got).containsExactlyInAnyOrderElementsOf(expected);
    assertThat(collided).containsExactlyInAnyOrderElementsOf(expected);
    assertThat(got).filteredOn(s -> s.contains("|2.0|2.0")).isNotEmpty(); // a third class exists
  }

  @Test
  void eachPredictionGetsTheGapToItsRequestsNearestEarlierOneOfItsVersion() {
    // requests logged 1-4 times by version 1, some also by version 2 (a shadow: no repeat), over
    // days 97..110; days before 100 are read for the gaps only and give no row
    Random random = new Random(29);
    List<Row> predictions = new ArrayList<>();
    for (int i = 0; i < 2000; i++) {
      String id = "req-" + i;
      int times = 1 + random.nextInt(4);
      for (int k = 0; k < times; k++) {
        predictions.add(RowFactory.create(id, "1", 97 + random.nextInt(14)));
      }
      if (i % 5 == 0) {
        predictions.add(RowFactory.create(id, "2", 97 + random.nextInt(14)));
      }
    }
    Collections.shuffle(predictions, random);
    Dataset<Row> p = spark().createDataFrame(predictions, PREDICTIONS).repartition(3);
    Dataset<Row> l =
        spark().createDataFrame(List.of(RowFactory.create("req-1", 1.0, new Timestamp(1))), LABELS);
    LatestLabels.Repeats repeats = new LatestLabels.Repeats(6, 100);
    List<Column> values = List.of(col(LABEL));
    List<String> got =
        gaps(
            LatestLabels.rows(
                p, col("model_version"), col("day"), l, values, 1, repeats, List.of()));
    List<String> collided =
        gaps(
            LatestLabels.rows(
                p,
                col("model_version"),
                col("day"),
                l,
                values,
                1,
                repeats,
                List.of(),
                pmod(xxhash64(col(REQUEST_ID)), lit(3L))));

    // directly: each (request, version)'s days in order; the first has no gap, each later one
    // the days since the one before it, when at most 6
    Map<String, List<Integer>> days = new HashMap<>();
    for (Row r : predictions) {
      days.computeIfAbsent(r.getString(0) + "/" + r.getString(1), k -> new ArrayList<>())
          .add(r.getInt(2));
    }
    List<String> expected = new ArrayList<>();
    days.forEach(
        (key, ds) -> {
          Collections.sort(ds);
          String version = key.substring(key.indexOf('/') + 1);
          for (int i = 0; i < ds.size(); i++) {
            int gap = i == 0 ? Integer.MAX_VALUE : ds.get(i) - ds.get(i - 1);
            if (ds.get(i) >= 100) {
              expected.add(version + "|" + ds.get(i) + "|" + (gap <= 6 ? gap : "null"));
            }
          }
        });
    assertThat(got).containsExactlyInAnyOrderElementsOf(expected);
    assertThat(collided).containsExactlyInAnyOrderElementsOf(expected);
    assertThat(expected).anyMatch(e -> e.endsWith("|0")).anyMatch(e -> e.endsWith("|6"));
  }

  /** Each output row as "version|day|gap" (the gap after the one label value). */
  private static List<String> gaps(JavaRDD<InternalRow> rows) {
    return rows.map(
            r ->
                r.getUTF8String(0)
                    + "|"
                    + r.getInt(1)
                    + "|"
                    + (r.isNullAt(3) ? "null" : r.getInt(3)))
        .collect();
  }

  /** Each output row as "version|day|numeric label|class name". */
  private static List<String> strings(JavaRDD<InternalRow> rows) {
    return rows.map(
            r ->
                r.getUTF8String(0)
                    + "|"
                    + r.getInt(1)
                    + "|"
                    + (r.isNullAt(2) ? "null" : r.getDouble(2))
                    + "|"
                    + (r.isNullAt(3) ? "null" : r.getUTF8String(3)))
        .collect();
  }
}
