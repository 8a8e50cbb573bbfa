package io.lakeloop.modeling.compress;

import static org.assertj.core.api.Assertions.assertThat;

import io.lakeloop.common.model.CompactModel;
import io.lakeloop.common.testing.SparkTestBase;
import io.lakeloop.modeling.model.Networks;
import io.lakeloop.modeling.train.SparkTrainer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Pruned weights stay exactly zero through parameter-averaging training on local Spark when the
 * mask rides along as a training hook — and do not without it.
 */
class PruningMaskTest extends SparkTestBase {
  private static List<DataSet> batches(long seed) {
    Random rnd = new Random(seed);
    List<DataSet> out = new ArrayList<>();
    for (int b = 0; b < 40; b++) {
      float[][] x = new float[32][8];
      float[][] y = new float[32][2];
      for (int i = 0; i < 32; i++) {
        double s = 0;
        for (int j = 0; j < 8; j++) {
          x[i][j] = (float) rnd.nextGaussian();
          s += (j % 2 == 0 ? 1 : -1) * x[i][j];
        }
        y[i][s > 0 ? 1 : 0] = 1;
      }
      out.add(new DataSet(Nd4j.create(x), Nd4j.create(y)));
    }
    return out;
  }

  /** The share of exact zeros in the first layer's weights. */
  private static double hiddenSparsity(MultiLayerNetwork net) {
    INDArray w = net.getLayer(0).paramTable().get("W");
    return CompactModel.sparsity(w.dup('c').data().asFloat());
  }

  @Test
  void theMaskHoldsThroughSparkTrainingAndItsAbsenceLetsZerosDecay() {
    JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark().sparkContext());
    JavaRDD<DataSet> train = sc.parallelize(batches(1), 2);
    JavaRDD<DataSet> validation = sc.parallelize(batches(2).subList(0, 5), 1);
    SparkTrainer.Settings settings = new SparkTrainer.Settings(32, 2, 2, 2, 5);

    MultiLayerNetwork pruned = Networks.classifier(8, List.of(16), 2, 0.01, 3);
    MultiLayerNetwork untouched = pruned.clone();
    PruningMask mask = PruningMask.prune(pruned, 0.9, false, false);
    assertThat(hiddenSparsity(pruned)).isEqualTo(115 / 128.0); // floor(0.9 * 128) of 8x16
    // the output layer and every bias are left alone
    assertThat(pruned.getLayer(1).params()).isEqualTo(untouched.getLayer(1).params());
    assertThat(pruned.getLayer(0).paramTable().get("b"))
        .isEqualTo(untouched.getLayer(0).paramTable().get("b"));
    assertThat(mask.prunedShare()).isEqualTo(115.0 / pruned.numParams());

    MultiLayerNetwork masked =
        SparkTrainer.train(sc, pruned, train, validation, 1280, settings, List.of(mask)).network();
    assertThat(hiddenSparsity(masked)).isEqualTo(115 / 128.0);
    assertThat(masked.params()).isNotEqualTo(pruned.params()); // it did train

    MultiLayerNetwork free =
        SparkTrainer.train(sc, pruned, train, validation, 1280, settings).network();
    // without it, pruned weights start moving (those of units pruned to nothing stay at zero:
    // a ReLU that never fires passes no gradient)
    assertThat(hiddenSparsity(free)).isLessThan(115 / 128.0 - 0.1);
  }
}
