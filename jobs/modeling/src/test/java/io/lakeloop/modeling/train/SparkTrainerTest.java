package io.lakeloop.modeling.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.lakeloop.common.config.ModelSpec;
import io.lakeloop.common.config.Task;
import io.lakeloop.common.model.FeatureEncoding;
import io.lakeloop.common.testing.SparkTestBase;
import io.lakeloop.modeling.testing.Nets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.evaluation.classification.Evaluation;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.lossfunctions.impl.LossMCXENT;

/**
 * Parameter-averaging training on local Spark learns a rule the data follows, keeps the best
 * epoch's parameters (checked by evaluating the returned network apart) and leaves the initial
 * network untouched.
 */
class SparkTrainerTest extends SparkTestBase {
  static final ModelSpec MODEL =
      new ModelSpec(
          "m",
          Task.BINARY,
          List.of("no", "yes"),
          List.of("x"),
          List.of("color"),
          List.of(),
          Duration.ofDays(1));
  private static final StructType SCHEMA =
      new StructType()
          .add("x", DataTypes.DoubleType)
          .add("color", DataTypes.StringType)
          .add("label", DataTypes.DoubleType);

  static Dataset<Row> data(int n, long seed) {
    Random random = new Random(seed);
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      double x = 5 + 2 * random.nextGaussian();
      String color = random.nextBoolean() ? "red" : "blue";
      double label = x + ("red".equals(color) ? 2 : 0) > 6 ? 1 : 0; // the rule to learn
      rows.add(RowFactory.create(x, color, label));
    }
    return spark().createDataFrame(rows, SCHEMA).repartition(2);
  }

  static double accuracy(MultiLayerNetwork net, List<DataSet> batches) {
    Evaluation e = new Evaluation(2);
    for (DataSet b : batches) {
      INDArray out = net.output(b.getFeatures(), false);
      e.eval(b.getLabels(), out);
    }
    return e.accuracy();
  }

  @Test
  void learnsTheRuleAndKeepsTheBestEpoch() {
    Dataset<Row> train = data(3000, 1);
    Dataset<Row> validation = data(1000, 2);
    FeatureEncoding encoding = TrainingData.fit(train, MODEL, 10);
    var invalid = spark().sparkContext().longAccumulator();
    JavaRDD<DataSet> trainSets = TrainingData.dataSets(train, MODEL, encoding, 32, invalid);
    JavaRDD<DataSet> validationSets =
        TrainingData.dataSets(validation, MODEL, encoding, 256, invalid);
    MultiLayerNetwork initial =
        Nets.mlp(encoding.width(), 16, 2, Activation.SOFTMAX, new LossMCXENT(), 0.01, 3);
    INDArray before = initial.params().dup();
    List<DataSet> validationLocal = validationSets.collect();
    double untrained = accuracy(initial, validationLocal);

    SparkTrainer.Result r =
        SparkTrainer.train(
            JavaSparkContext.fromSparkContext(spark().sparkContext()),
            initial,
            trainSets,
            validationSets,
            3000,
            new SparkTrainer.Settings(32, 5, 8, 3, 11));

    assertThat(initial.params()).isEqualTo(before);
    assertThat(r.epochs()).isNotEmpty().hasSizeLessThanOrEqualTo(8);
    double best =
        r.epochs().stream().mapToDouble(SparkTrainer.Epoch::validationAccuracy).max().orElseThrow();
    assertThat(r.epochs().get(r.bestEpoch() - 1).validationAccuracy()).isEqualTo(best);
    assertThat(accuracy(r.network(), validationLocal)).isCloseTo(best, within(1e-9));
    assertThat(best).isGreaterThan(0.93).isGreaterThan(untrained);
    assertThat(r.epochs()).allSatisfy(e -> assertThat(e.examplesPerSecond()).isPositive());
    assertThat(invalid.value()).isZero();
  }

  /** Mean cross-entropy of the network's probabilities against the one-hot labels. */
  static double crossEntropy(MultiLayerNetwork net, List<DataSet> batches) {
    double sum = 0;
    long n = 0;
    for (DataSet b : batches) {
      float[][] p = net.output(b.getFeatures(), false).toFloatMatrix();
      float[][] y = b.getLabels().toFloatMatrix();
      for (int i = 0; i < p.length; i++) {
        for (int k = 0; k < y[i].length; k++) {
          if (y[i][k] == 1) {
            sum -= Math.log(p[i][k]);
          }
        }
        n++;
      }
    }
    return sum / n;
  }

  @Test
  void onTheLossItKeepsTheEpochOfTheLowestValidationLoss() {
    Dataset<Row> train = data(3000, 1);
    Dataset<Row> validation = data(300, 2);
    FeatureEncoding encoding = TrainingData.fit(train, MODEL, 10);
    var invalid = spark().sparkContext().longAccumulator();
    JavaRDD<DataSet> validationSets =
        TrainingData.dataSets(validation, MODEL, encoding, 256, invalid);
    List<DataSet> validationLocal = validationSets.collect();
    SparkTrainer.Result r =
        SparkTrainer.train(
            JavaSparkContext.fromSparkContext(spark().sparkContext()),
            Nets.mlp(encoding.width(), 16, 2, Activation.SOFTMAX, new LossMCXENT(), 0.01, 3),
            TrainingData.dataSets(train, MODEL, encoding, 32, invalid),
            validationSets,
            3000,
            new SparkTrainer.Settings(32, 5, 6, 2, 11, true));
    assertThat(r.epochs()).allSatisfy(e -> assertThat(e.validationLoss()).isFinite().isPositive());
    double lowest =
        r.epochs().stream().mapToDouble(SparkTrainer.Epoch::validationLoss).min().orElseThrow();
    assertThat(r.epochs().get(r.bestEpoch() - 1).validationLoss()).isEqualTo(lowest);
    // the loss is the kept network's mean cross-entropy on the validation rows, by hand
    assertThat(crossEntropy(r.network(), validationLocal)).isCloseTo(lowest, within(1e-5));
  }
}
