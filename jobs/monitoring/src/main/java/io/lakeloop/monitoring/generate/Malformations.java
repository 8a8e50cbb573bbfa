package io.lakeloop.monitoring.generate;

import static io.lakeloop.common.schema.Columns.*;
import static org.apache.spark.sql.functions.*;

import io.lakeloop.common.config.ModelSpec;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * Breaks the rows chosen as malformed, one defect per row by {@link
 * SyntheticTraffic#MALFORMED_KIND}, the way real logs go wrong. Pure column expressions.
 */
final class Malformations {
  private Malformations() {}

  static Dataset<Row> apply(Dataset<Row> clean, ModelSpec spec, long seed) {
    Column kind = col(SyntheticTraffic.MALFORMED_KIND);
    Column neighbour =
        concat(
            lit("req-" + seed + "-"),
            when(col("id").equalTo(0), lit(1L)).otherwise(col("id").minus(1)).cast("string"));
    Dataset<Row> d =
        clean.withColumn(
            REQUEST_ID,
            when(kind.equalTo(0), lit(null).cast("string"))
                .when(kind.equalTo(4), neighbour)
                .otherwise(col(REQUEST_ID)));
    if (spec.task().isClassification()) {
      int k = spec.numClasses();
      Column scores = col(SCORES);
      return d.withColumn(
              SCORES,
              when(kind.equalTo(1), concat(scores, array(lit(0.0))))
                  .when(kind.equalTo(2), transform(scores, x -> x.multiply(1.7)))
                  .when(kind.equalTo(3), concat(array(lit(Double.NaN)), slice(scores, 2, k - 1)))
                  .otherwise(scores))
          .withColumn(
              PREDICTION, when(kind.equalTo(5), lit((double) k)).otherwise(col(PREDICTION)));
    }
    return d.withColumn(
            PREDICTION,
            when(kind.equalTo(1), lit(Double.NaN))
                .when(kind.equalTo(2), lit(Double.POSITIVE_INFINITY))
                .otherwise(col(PREDICTION)))
        .withColumn(
            EVENT_TIME,
            when(kind.equalTo(3), lit(null).cast("timestamp")).otherwise(col(EVENT_TIME)))
        .withColumn(
            MODEL_NAME, when(kind.equalTo(5), lit(null).cast("string")).otherwise(col(MODEL_NAME)));
  }
}
