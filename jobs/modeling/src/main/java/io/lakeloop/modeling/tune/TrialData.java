package io.lakeloop.modeling.tune;

import io.lakeloop.common.config.ModelSpec;
import io.lakeloop.common.model.FeatureEncoding;
import io.lakeloop.modeling.train.TrainingData;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.util.LongAccumulator;

/**
 * The encoded rows every trial of a search trains and is scored on: a seeded sample of at most
 * {@code sample-rows} training rows and {@code validation-rows} validation rows, features by the
 * run's encoding, labels one-hot. Built once per search on the executors and brought to the driver
 * — the one place tuning brings rows there, bounded by those two settings (20,000 rows of 40
 * features are 3.2 MB) — then broadcast, so each trial, a task of its own, reads it locally.
 */
public record TrialData(float[][] trainX, float[][] trainY, float[][] validX, float[][] validY)
    implements Serializable {

  public int inputs() {
    return trainX.length == 0 ? 0 : trainX[0].length;
  }

  public int classes() {
    return trainY.length == 0 ? 0 : trainY[0].length;
  }

  /**
   * The sample: each split's rows drawn by Spark's seeded Bernoulli sample at a rate that gives
   * about 1.1 times the wanted count, then cut to it. One Spark job per split.
   *
   * @param trainRows and {@code validRows}: how many rows each split holds (the rates' base)
   */
  public static TrialData sample(
      Dataset<Row> train,
      long trainRows,
      Dataset<Row> valid,
      long validRows,
      ModelSpec model,
      FeatureEncoding encoding,
      TuneSettings s,
      LongAccumulator invalid) {
    float[][][] t = rows(train, trainRows, s.sampleRows(), s.seed(), model, encoding, invalid);
    float[][][] v =
        rows(valid, validRows, s.validationRows(), s.seed() + 1, model, encoding, invalid);
    return new TrialData(t[0], t[1], v[0], v[1]);
  }

  private static float[][][] rows(
      Dataset<Row> rows,
      long available,
      int wanted,
      long seed,
      ModelSpec model,
      FeatureEncoding encoding,
      LongAccumulator invalid) {
    double rate = Math.min(1, 1.1 * wanted / Math.max(1, available));
    Dataset<Row> drawn = rate >= 1 ? rows : rows.sample(false, rate, seed);
    List<float[][][]> batches =
        TrainingData.dataSets(drawn, model, encoding, 4096, invalid)
            .map(
                d ->
                    new float[][][] {
                      d.getFeatures().toFloatMatrix(), d.getLabels().toFloatMatrix()
                    })
            .collect();
    List<float[]> x = new ArrayList<>();
    List<float[]> y = new ArrayList<>();
    for (float[][][] b : batches) {
      for (int i = 0; i < b[0].length && x.size() < wanted; i++) {
        x.add(b[0][i]);
        y.add(b[1][i]);
      }
    }
    return new float[][][] {x.toArray(float[][]::new), y.toArray(float[][]::new)};
  }
}
